"""What an administrator sees of credentials at a glance: the keys that
expire within 14 days (a filter and a badge of the keys list) and the
tokens each OAuth2 client holds."""

import datetime

from lxml import etree

from odoo import fields
from odoo.tests import new_test_user, tagged

from ..models.res_users_apikeys import EXPIRING_DAYS
from .oauth2_common import OAuth2Case


@tagged("post_install", "-at_install")
class TestKeyExpiryScreens(OAuth2Case):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Keys = cls.env["res.users.apikeys"]
        cls.owner = new_test_user(cls.env, login="expiry_owner", groups="base.group_user")

    def key(self, name, days):
        self.new_api_key(self.owner, name=name)
        key = self.Keys.search([("user_id", "=", self.owner.id), ("name", "=", name)])
        expiry = fields.Datetime.now() + datetime.timedelta(days=days) if days else None
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = %s WHERE id = %s", [expiry, key.id]
        )
        key.invalidate_recordset()
        return key

    def test_expiring_soon_filter_finds_the_keys_of_the_badge(self):
        soon = self.key("soon", 3)
        almost = self.key("almost", EXPIRING_DAYS - 0.01)
        later = self.key("later", EXPIRING_DAYS + 1)
        gone = self.key("gone", -1)
        never = self.key("never", None)
        mine = [("user_id", "=", self.owner.id)]
        found = self.Keys.search([*mine, ("my_expiring_soon", "=", True)])
        self.assertEqual(found, soon | almost)
        self.assertEqual(
            self.Keys.search([*mine, ("my_expiring_soon", "=", False)]), later | gone | never
        )
        # the badge says the same of each key
        for key in soon | almost | later | gone | never:
            self.assertEqual(key.my_expiring_soon, key in found, key.name)
            self.assertEqual(key.my_state == "expiring", key in found, key.name)

    def test_keys_list_has_the_filter_and_the_badge(self):
        action = self.env.ref("my_oauth_provider.res_users_apikeys_action")
        views = self.Keys.get_views([(action.view_id.id, "list")], {"load_filters": False})
        search = self.Keys.get_views([(action.search_view_id.id, "search")])
        search_arch = etree.fromstring(search["views"]["search"]["arch"])
        [expiring] = search_arch.xpath("//filter[@name='filter_expiring_soon']")
        self.assertIn("my_expiring_soon", expiring.get("domain"))
        list_arch = etree.fromstring(views["views"]["list"]["arch"])
        [badge] = list_arch.xpath("//field[@name='my_state']")
        self.assertEqual(badge.get("widget"), "badge")
        self.assertIn("expiring", badge.get("decoration-warning"))

    def test_tokens_per_client_graph_and_pivot(self):
        for _ in range(2):
            self.assertIn("access_token", self.client_credentials_token())
        action = self.env.ref("my_oauth_provider.oauth_token_action")
        self.assertIn("graph", action.view_mode)
        self.assertIn("pivot", action.view_mode)
        Tokens = self.env["oauth.token"]
        graph = Tokens.get_views([(False, "graph"), (False, "pivot")])["views"]
        self.assertIn('name="client_id"', graph["graph"]["arch"])
        self.assertIn('name="client_id"', graph["pivot"]["arch"])
        counts = dict(Tokens._read_group([], ["client_id"], ["__count"]))
        self.assertEqual(counts[self.service_client], 2)
        self.assertEqual(self.service_client.active_token_count, 2)
