import datetime
import time
from contextlib import contextmanager

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.http import _request_stack
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, DotDict, mute_logger

from odoo.addons.my_api.public import clear_apikey_cache
from odoo.addons.my_api.public.testing import ApiCase

PARTNERS = "/api/v1/partners"


@tagged("post_install", "-at_install")
class TestScopedApiKeys(ApiCase):
    """API keys with scopes, read-only, address ranges and a rate limit of
    their own, as minted by an administrator (the mint wizard), and used
    by whoever holds a copy: from elsewhere, for more than the key allows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Keys = cls.env["res.users.apikeys"]
        cls.integration = new_test_user(
            cls.env,
            login="api-scoped@example.com",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads,"
            "base.group_partner_manager",
        )

    def setUp(self):
        super().setUp()
        clear_apikey_cache()
        self.addCleanup(clear_apikey_cache)

    @contextmanager
    def ui_request(self):
        """A click in the web client whose session passed the password check."""
        _request_stack.push(
            DotDict(
                {
                    "httprequest": DotDict(
                        {"environ": {"REMOTE_ADDR": "127.0.0.1"}, "cookies": {}, "args": {}}
                    ),
                    "session": {"identity-check-last": time.time()},
                    "cookies": {},
                    "geoip": {},
                }
            )
        )
        try:
            yield
        finally:
            _request_stack.pop()

    def mint(self, scope="api", **values):
        """A key minted through the mint wizard with these restrictions."""
        wizard = self.env["apikey.mint.wizard"].create(
            {"user_id": self.integration.id, "name": "Shop", "scope": scope, **values}
        )
        with self.ui_request():
            return wizard.action_mint()["context"]["default_key"]

    def record(self, key):
        self.env.cr.execute(SQL("SELECT id FROM res_users_apikeys WHERE index = %s", key[:8]))
        return self.Keys.browse(self.env.cr.fetchone()[0])

    # ------------------------------------------------------------- scopes
    def test_scoped_key_cannot_write_or_read_outside_its_scopes(self):
        key = self.mint(api_scopes="partners:read")
        self.assertEqual(self.api("GET", PARTNERS, key=key).status_code, 200)
        error = self.assertError(
            self.api("POST", PARTNERS, key=key, body={"name": "Intruder"}),
            403,
            "insufficient_scope",
        )
        self.assertIn("partners:write", error["message"])
        self.assertError(self.api("GET", "/api/v1/orders", key=key), 403, "insufficient_scope")
        partner_id = self.partner.id
        for method, path, body in (
            ("PATCH", f"{PARTNERS}/{partner_id}", {"name": "Renamed"}),
            ("DELETE", f"{PARTNERS}/{partner_id}", None),
            ("POST", f"{PARTNERS}/batch", {"items": [{"op": "create", "data": {"name": "B"}}]}),
        ):
            with self.subTest(method=method, path=path):
                self.assertError(self.api(method, path, key=key, body=body), 403)
        self.assertEqual(self.partner.name, "Api Customer")
        self.assertFalse(self.env["res.partner"].search([("name", "in", ("Intruder", "B"))]))

        me = self.api("GET", "/api/v1/me", key=key).json()["data"]
        self.assertEqual(me["scopes"], ["partners:read"])
        self.assertFalse(me["read_only"])

    def test_unscoped_keys_keep_todays_behaviour(self):
        for key in (self.mint(), self.new_api_key(self.integration)):
            with self.subTest(key=key[:8]):
                response = self.api("POST", PARTNERS, key=key, body={"name": "Allowed"})
                self.assertEqual(response.status_code, 201, response.text)
                me = self.api("GET", "/api/v1/me", key=key).json()["data"]
                self.assertIsNone(me["scopes"])
                self.assertIsNone(me["allowed_networks"])

    def test_restricted_key_is_refused_by_json2(self):
        """RPC knows nothing of the restrictions: a restricted key is a REST
        API key, which Odoo's own check refuses there."""
        key = self.mint(api_scopes="partners:read", read_only=True)
        response = self.url_open(
            "/json/2/res.partner/search",
            data="{}",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 401, response.text)

    def test_wizard_refuses_unknown_scopes_garbage_ranges_and_rpc(self):
        for values, message in (
            ({"api_scopes": "partners:read everything:write"}, "everything:write"),
            ({"allowed_networks": "192.168.0.0/33"}, "192.168.0.0/33"),
            ({"allowed_networks": "10.0.0.0/8, not-an-address"}, "not-an-address"),
            ({"allowed_networks": "fe80::/129"}, "fe80::/129"),
            ({"read_only": True, "scope": "rpc"}, "REST API"),
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self.mint(**values)
            self.assertIn(message, str(caught.exception))
        self.assertFalse(self.Keys.search([("user_id", "=", self.integration.id)]))

    # ---------------------------------------------------------- read-only
    def test_read_only_key_cannot_write(self):
        key = self.mint(read_only=True)
        self.assertEqual(self.api("GET", PARTNERS, key=key).status_code, 200)
        partner_id = self.partner.id
        for method, path, body in (
            ("POST", PARTNERS, {"name": "Intruder"}),
            ("PATCH", f"{PARTNERS}/{partner_id}", {"name": "Renamed"}),
            ("PUT", f"{PARTNERS}/xid:test.one", {"name": "Upserted"}),
            ("DELETE", f"{PARTNERS}/{partner_id}", None),
            ("POST", f"{PARTNERS}/batch", {"items": [{"op": "create", "data": {"name": "B"}}]}),
            ("POST", "/api/v1/keys/rotate", None),
        ):
            with self.subTest(method=method, path=path):
                self.assertError(self.api(method, path, key=key, body=body), 403, "read_only_key")
        self.assertEqual(self.partner.name, "Api Customer")
        self.assertTrue(self.api("GET", "/api/v1/me", key=key).json()["data"]["read_only"])

    # ---------------------------------------------------------- addresses
    def test_key_used_outside_its_range_is_refused(self):
        # the test server sees 127.0.0.1
        key = self.mint(allowed_networks="192.168.0.0/24")
        error = self.assertError(self.api("GET", PARTNERS, key=key), 403, "address_not_allowed")
        self.assertIn("127.0.0.1", error["message"])
        self.assertIn("192.168.0.0/24", error["message"])
        # a forwarded-for header is no way in: Odoo reads it only behind a proxy
        response = self.api("GET", PARTNERS, key=key, headers={"X-Forwarded-For": "192.168.0.5"})
        self.assertError(response, 403, "address_not_allowed")

    def test_key_used_inside_its_range_works(self):
        key = self.mint(allowed_networks="192.168.0.0/24\n127.0.0.7/8 , 2001:db8::/32")
        self.assertEqual(
            self.record(key).my_allowed_networks, "192.168.0.0/24, 127.0.0.0/8, 2001:db8::/32"
        )
        self.assertEqual(self.api("GET", PARTNERS, key=key).status_code, 200)
        me = self.api("GET", "/api/v1/me", key=key).json()["data"]
        self.assertEqual(me["allowed_networks"], ["192.168.0.0/24", "127.0.0.0/8", "2001:db8::/32"])

    def test_ipv6_only_range_refuses_an_ipv4_client(self):
        key = self.mint(allowed_networks="::1/128, 2001:db8::/32")
        self.assertError(self.api("GET", PARTNERS, key=key), 403, "address_not_allowed")

    # ---------------------------------------------------------- rate limit
    def test_key_has_its_own_rate_limit(self):
        key = self.mint(rate_limit=2)
        self.assertEqual(self.record(key).my_rate_limit, 2)
        statuses = [self.api("GET", "/api/v1/me", key=key).status_code for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])

    # ---------------------------------------------------------- rotation
    def test_rotation_carries_every_restriction(self):
        key = self.mint(
            api_scopes="partners:read orders:read",
            read_only=True,
            allowed_networks="127.0.0.0/8",
            rate_limit=30,
        )
        old = self.record(key)
        new_key, new, _expiry, _old_expiry = old._rotate()
        self.assertEqual(new.scope, "api")
        self.assertEqual(new.my_api_scopes, "partners:read orders:read")
        self.assertTrue(new.my_read_only)
        self.assertEqual(new.my_allowed_networks, "127.0.0.0/8")
        self.assertEqual(new.my_rate_limit, 30)
        self.assertError(self.api("POST", PARTNERS, key=new_key, body={"name": "x"}), 403)
        me = self.api("GET", "/api/v1/me", key=new_key).json()["data"]
        self.assertEqual(me["scopes"], ["orders:read", "partners:read"])

    def test_rotation_of_an_unrestricted_key_adds_nothing(self):
        key = self.mint()
        new_key, new, _expiry, _old_expiry = self.record(key)._rotate()
        self.assertFalse(new.my_api_scopes or new.my_read_only or new.my_allowed_networks)
        self.assertEqual(new.my_rate_limit, 0)
        response = self.api("POST", PARTNERS, key=new_key, body={"name": "Allowed"})
        self.assertEqual(response.status_code, 201, response.text)

    # -------------------------------------------------------------- cache
    def test_cached_key_keeps_its_restrictions_and_revocation_works(self):
        key = self.mint(read_only=True)
        self.assertEqual(self.api("GET", PARTNERS, key=key).status_code, 200)  # now cached
        self.assertError(self.api("POST", PARTNERS, key=key, body={"name": "x"}), 403)
        record = self.record(key)
        record.write({"my_read_only": False})  # clears this worker's copy
        response = self.api("POST", PARTNERS, key=key, body={"name": "Now allowed"})
        self.assertEqual(response.status_code, 201, response.text)
        record._remove()
        with mute_logger("odoo.addons.my_api.models.ir_http"):
            self.assertError(self.api("GET", PARTNERS, key=key), 401)

    def test_key_with_unreadable_ranges_is_refused(self):
        key = self.mint(allowed_networks="127.0.0.0/8")
        self.env.cr.execute(
            SQL(
                "UPDATE res_users_apikeys SET my_allowed_networks = 'garbage' WHERE id = %s",
                self.record(key).id,
            )
        )
        self.assertError(self.api("GET", PARTNERS, key=key), 403, "address_not_allowed")

    def test_keys_list_shows_the_restrictions(self):
        view = self.env.ref("my_oauth_provider.res_users_apikeys_view_list")
        for name in ("my_api_scopes", "my_read_only", "my_allowed_networks", "my_rate_limit"):
            self.assertIn(f'name="{name}"', view.arch)

    def in_days(self, days):
        return fields.Datetime.now() + datetime.timedelta(days=days)
