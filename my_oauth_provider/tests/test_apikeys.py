import datetime
import time
from contextlib import contextmanager

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import _request_stack
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, DotDict

from odoo.addons.my_api.public import clear_apikey_cache
from odoo.addons.my_api.public.testing import ApiCase

from ..settings import setting


@tagged("post_install", "-at_install")
class TestApiKeyLifecycle(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Keys = cls.env["res.users.apikeys"]
        cls.integration = new_test_user(
            cls.env,
            login="api-shop@example.com",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
        )
        cls.responsible = new_test_user(cls.env, login="api-shop-owner", groups="base.group_user")
        cls.integration.write(
            {"my_is_integration": True, "my_integration_responsible_id": cls.responsible.id}
        )

    def setUp(self):
        super().setUp()
        # every test starts with a cold cache, as a freshly started worker
        clear_apikey_cache()
        self.addCleanup(clear_apikey_cache)

    def in_days(self, days):
        return fields.Datetime.now() + datetime.timedelta(days=days)

    def _key_id(self, key):
        self.env.cr.execute(SQL("SELECT id FROM res_users_apikeys WHERE index = %s", key[:8]))
        return self.env.cr.fetchone()[0]

    def key_record(self, key):
        return self.Keys.browse(self._key_id(key))

    def expire(self, key):
        """Move the key's expiry into the past, as time passing would."""
        self.env.cr.execute(
            SQL(
                "UPDATE res_users_apikeys SET expiration_date = %s WHERE id = %s",
                self.in_days(-1),
                self._key_id(key),
            )
        )
        self.Keys.invalidate_model(["expiration_date"])

    def status(self, key):
        return self.api("GET", "/api/v1/me", key=key).status_code

    @contextmanager
    def ui_request(self, identity_checked=True):
        """A click in the web client: a request whose session passed Odoo's
        password check a moment ago (or not at all)."""
        session = {"identity-check-last": time.time()} if identity_checked else {}
        _request_stack.push(
            DotDict(
                {
                    "httprequest": DotDict(
                        {"environ": {"REMOTE_ADDR": "127.0.0.1"}, "cookies": {}, "args": {}}
                    ),
                    "session": session,
                    "cookies": {},
                    "geoip": {},
                }
            )
        )
        try:
            yield
        finally:
            _request_stack.pop()

    def preferences_key(self, user, name="Shop"):
        """A key made as a user makes one: Preferences > New API Key."""
        with self.ui_request():
            wizard = (
                self.env["res.users.apikeys.description"].with_user(user).create({"name": name})
            )
            return wizard.make_key()["context"]["default_key"]

    def key_count(self, user):
        self.env.cr.execute(
            SQL("SELECT count(*) FROM res_users_apikeys WHERE user_id = %s", user.id)
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------ mint
    def test_admin_mints_a_working_key_for_another_user(self):
        key = self.Keys._mint_for_user(self.integration, "Shop sync", "api", self.in_days(30))
        self.assertRegex(key, r"^[0-9a-f]{40}$")
        record = self.key_record(key)
        self.assertEqual(record.user_id, self.integration)
        self.assertEqual(record.scope, "api")
        self.assertEqual(record.my_state, "active")
        # stored hashed: the clear key is nowhere in the table
        self.env.cr.execute(SQL("SELECT key FROM res_users_apikeys WHERE id = %s", record.id))
        self.assertNotIn(key, self.env.cr.fetchone()[0])
        response = self.api("GET", "/api/v1/me", key=key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["id"], self.integration.id)

    def test_mint_respects_the_maximum_lifetime(self):
        with self.assertRaisesRegex(UserError, "at most 90 days"):
            self.Keys._mint_for_user(self.integration, "too long", "api", self.in_days(91))
        self.env["ir.config_parameter"].set_param("my_oauth_provider.max_key_days", "30")
        with self.assertRaisesRegex(UserError, "at most 30 days"):
            self.Keys._mint_for_user(self.integration, "too long", "api", self.in_days(31))
        with self.assertRaisesRegex(UserError, "future"):
            self.Keys._mint_for_user(self.integration, "past", "api", self.in_days(-1))
        self.assertFalse(self.Keys.search([("user_id", "=", self.integration.id)]))

    def test_mint_respects_the_groups_api_key_duration(self):
        # Odoo's rule: the longest duration any of the user's groups allows
        self.env.ref("base.group_user").api_key_duration = 10
        self.env.ref("sales_team.group_sale_salesman_all_leads").api_key_duration = 5
        with self.assertRaisesRegex(UserError, "at most 10 days"):
            self.Keys._mint_for_user(self.integration, "group cap", "api", self.in_days(20))
        self.assertTrue(self.Keys._mint_for_user(self.integration, "ok", "api", self.in_days(9)))

    def test_admin_minted_key_is_capped(self):
        """Administrators included: a key minted for oneself or for another
        user lives at most my_oauth_provider.max_key_days, and has an expiry."""
        admin = self.env.ref("base.user_admin")
        Keys = self.Keys.with_user(admin)
        for user in (admin, self.integration):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(UserError, "at most 90 days"):
                    Keys._mint_for_user(user, "too long", "api", self.in_days(91))
                with self.assertRaisesRegex(UserError, "needs an expiry date"):
                    Keys._mint_for_user(user, "never", "api", False)
                key = Keys._mint_for_user(user, "ok", "api", self.in_days(89))
                self.assertLessEqual(self.key_record(key).expiration_date, self.in_days(90))
        self.env["ir.config_parameter"].set_param("my_oauth_provider.max_key_days", "20")
        with self.assertRaisesRegex(UserError, "at most 20 days"):
            Keys._mint_for_user(admin, "too long", "api", self.in_days(21))

    def test_rotating_a_key_without_expiry_caps_its_successor(self):
        # an administrator's key made by Odoo without expiry, as older databases have them
        admin = self.env.ref("base.user_admin")
        old = self.Keys.with_user(admin).sudo()._generate(None, "legacy", None)
        self.env["ir.config_parameter"].set_param("my_oauth_provider.max_key_days", "30")
        _key, successor, new_expiry, old_expiry = self.key_record(old)._rotate()
        self.assertLessEqual(new_expiry, self.in_days(30))
        self.assertEqual(successor.expiration_date, new_expiry.replace(microsecond=0))
        self.assertLessEqual(old_expiry, self.in_days(7))  # the old one expires too now

    def preferences_wizard(self, user, **values):
        """Preferences > Account Security > New API Key as the web client
        fills it: the form's onchange, then create, then the button."""
        Wizard = self.env["res.users.apikeys.description"].with_user(user)
        return Wizard.create({"name": "Preferences key", **values})

    def test_preferences_key_of_an_admin_is_capped(self):
        admin = self.env.ref("base.user_admin")
        Wizard = self.env["res.users.apikeys.description"].with_user(admin)
        offered = [
            value for value, _label in Wizard.fields_get(["duration"])["duration"]["selection"]
        ]
        self.assertEqual(offered, ["1", "7", "30", "90", "-1"])  # no "Persistent Key"
        with self.ui_request():
            for values, error in (
                ({"duration": "0"}, "needs an expiry date"),  # Persistent Key
                ({"duration": "365"}, "at most 90 days"),
                ({"duration": "-1", "expiration_date": False}, "needs an expiry date"),
                ({"duration": "-1", "expiration_date": self.in_days(91)}, "at most 90 days"),
            ):
                with self.subTest(values=values), self.assertRaisesRegex(ValidationError, error):
                    self.preferences_wizard(admin, **values)
            # the button checks again (users may not write the form; code may)
            wizard = self.preferences_wizard(admin, duration="30")
            wizard.sudo().write({"duration": "-1", "expiration_date": self.in_days(400)})
            with self.assertRaisesRegex(ValidationError, "at most 90 days"):
                wizard.make_key()
            self.assertFalse(self.Keys.search([("user_id", "=", admin.id)]))
            # what the cap allows works, and expires
            key = self.preferences_wizard(admin, duration="90").make_key()["context"]["default_key"]
        record = self.key_record(key)
        self.assertEqual(record.user_id, admin)
        self.assertTrue(record.expiration_date)
        self.assertLessEqual(record.expiration_date, self.in_days(90))
        self.assertEqual(self.status(key), 200)

    def test_preferences_wizard_follows_the_lifetime_setting(self):
        admin = self.env.ref("base.user_admin")
        self.env["ir.config_parameter"].set_param("my_oauth_provider.max_key_days", "7")
        Wizard = self.env["res.users.apikeys.description"].with_user(admin)
        offered = [
            value for value, _label in Wizard.fields_get(["duration"])["duration"]["selection"]
        ]
        self.assertEqual(offered, ["1", "7", "-1"])
        with self.ui_request(), self.assertRaisesRegex(ValidationError, "at most 7 days"):
            self.preferences_wizard(admin, duration="30")
        # the form warns as soon as the date is picked
        form = Wizard.new({"name": "x", "duration": "-1", "expiration_date": self.in_days(8)})
        warning = form._onchange_expiration_date()
        self.assertIn("at most 7 days", warning["warning"]["message"])
        form = Wizard.new({"name": "x", "duration": "-1", "expiration_date": self.in_days(6)})
        self.assertFalse(form._onchange_expiration_date())

    def test_non_admin_cannot_mint_for_others(self):
        with self.assertRaises(AccessError):
            self.Keys.with_user(self.salesman)._mint_for_user(
                self.integration, "sneaky", "api", self.in_days(5)
            )
        wizard = (
            self.env["apikey.mint.wizard"]
            .with_user(self.salesman)
            .new({"user_id": self.integration.id, "name": "x", "expiration_date": self.in_days(5)})
        )
        with self.ui_request(), self.assertRaises(AccessError):
            wizard.action_mint()
        self.assertFalse(self.Keys.search([("user_id", "=", self.integration.id)]))

    def test_mint_wizard_shows_the_key_once(self):
        wizard = self.env["apikey.mint.wizard"].create(
            {"user_id": self.integration.id, "name": "Shop", "scope": "api"}
        )
        self.assertLessEqual(wizard.expiration_date, self.in_days(90))
        with self.ui_request():
            action = wizard.action_mint()
        self.assertEqual(action["res_model"], "apikey.show.wizard")
        key = action["context"]["default_key"]
        self.assertEqual(self.status(key), 200)
        # nothing but Odoo's hashed row holds it
        self.assertFalse(self.env["apikey.show.wizard"].search([]))

    # ---------------------------------------------------------------- rotate
    def test_rotation_overlaps_then_only_the_new_key_works(self):
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        self.assertEqual(self.status(old), 200)
        old_record = self.key_record(old)
        new, new_record, new_expiry, old_expiry = old_record._rotate()
        self.assertNotEqual(new, old)
        self.assertEqual(new_record.name, "Shop")
        self.assertEqual(new_record.scope, "api")
        # the old key expires after the grace period (7 days), the new one lives as long as the old
        self.assertAlmostEqual(old_expiry, self.in_days(7), delta=datetime.timedelta(minutes=1))
        self.assertEqual(old_record.expiration_date, old_expiry)
        self.assertAlmostEqual(new_expiry, self.in_days(60), delta=datetime.timedelta(minutes=1))
        # grace period: both work
        self.assertEqual(self.status(old), 200)
        self.assertEqual(self.status(new), 200)
        # after it: only the new one
        self.expire(old)
        clear_apikey_cache()  # as when the cache TTL has passed
        self.assertEqual(self.status(old), 401)
        self.assertEqual(self.status(new), 200)

    def test_rotation_never_extends_a_key_about_to_expire(self):
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(2))
        _new, _record, _new_expiry, old_expiry = self.key_record(old)._rotate()
        self.assertLessEqual(old_expiry, self.in_days(2))

    def test_integration_rotates_its_own_key_over_http(self):
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        response = self.api("POST", "/api/v1/keys/rotate", key=old)
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        new = data["key"]
        self.assertRegex(new, r"^[0-9a-f]{40}$")
        self.assertEqual(data["old_key_id"], self._key_id(old))
        self.assertEqual(data["key_id"], self._key_id(new))
        self.assertTrue(data["old_key_expires_at"].endswith("Z"))
        self.assertEqual(self.status(old), 200)
        response = self.api("GET", "/api/v1/me", key=new)
        self.assertEqual(response.json()["data"]["id"], self.integration.id)

    def test_rotate_route_refuses_idempotency_keys_and_sessions(self):
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        response = self.api(
            "POST", "/api/v1/keys/rotate", key=old, headers={"Idempotency-Key": "abc-1"}
        )
        self.assertError(response, 400, "bad_request")
        self.authenticate("api_salesman", "api_salesman_pw")
        response = self.api(
            "POST", "/api/v1/keys/rotate", body={}, headers={"Content-Type": "application/json"}
        )
        self.assertError(response, 403, "forbidden")
        self.assertEqual(len(self.Keys.search([("user_id", "=", self.integration.id)])), 1)

    def test_rotate_from_the_list_is_admin_only(self):
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        with self.ui_request(), self.assertRaises(AccessError):
            self.key_record(old).with_user(self.salesman).action_rotate()
        with self.ui_request():
            action = self.key_record(old).action_rotate()
        self.assertEqual(self.status(action["context"]["default_key"]), 200)

    def test_rotated_wizard_key_authenticates(self):
        # Preferences > New API Key stores an unscoped key (scope NULL)
        old = self.preferences_key(self.integration)
        self.assertFalse(self.key_record(old).scope)
        response = self.api("POST", "/api/v1/keys/rotate", key=old)
        self.assertEqual(response.status_code, 201, response.text)
        new = response.json()["data"]["key"]
        # the successor is unscoped too: NULL, not the text 'false'
        self.env.cr.execute(
            SQL("SELECT scope FROM res_users_apikeys WHERE id = %s", self._key_id(new))
        )
        self.assertIsNone(self.env.cr.fetchone()[0])
        # once the old key's overlap is over, the new one alone does the work
        self.expire(old)
        clear_apikey_cache()
        self.assertEqual(self.status(old), 401)
        response = self.api("GET", "/api/v1/orders?limit=1", key=new)
        self.assertEqual(response.status_code, 200, response.text)
        # the same for a key from _generate(None, ...) rotated from the list
        other = self.new_api_key(self.integration, "Odoo-made")
        with self.ui_request():
            action = self.key_record(other).action_rotate()
        self.assertEqual(self.status(action["context"]["default_key"]), 200)

    def test_keys_rotated_before_the_fix_work_again_after_upgrade(self):
        # what rotating an unscoped key used to store: the text 'false'
        key = (
            self.Keys.with_user(self.integration)
            .sudo()
            ._generate("false", "Shop", self.in_days(30))
        )
        self.assertEqual(self.status(key), 401)
        self.Keys.init()  # run by every install and upgrade of the module
        self.assertEqual(self.status(key), 200)
        self.assertFalse(self.key_record(key).scope)

    def test_key_rotates_only_once(self):
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        response = self.api("POST", "/api/v1/keys/rotate", key=old)
        self.assertEqual(response.status_code, 201, response.text)
        successor = response.json()["data"]
        # a second rotation with the same key (a copy of it, say) is refused
        response = self.api("POST", "/api/v1/keys/rotate", key=old)
        error = self.assertError(response, 409, "conflict")
        self.assertIn(f"#{successor['key_id']}", error["message"])
        self.assertEqual(
            error["details"],
            [
                {
                    "field": "key_id",
                    "issue": "already_rotated",
                    "message": f"successor key id {successor['key_id']}",
                }
            ],
        )
        with self.ui_request(), self.assertRaisesRegex(UserError, f"#{successor['key_id']}"):
            self.key_record(old).action_rotate()
        self.assertEqual(self.key_count(self.integration), 2)
        self.assertEqual(self.key_record(old).my_successor_id, successor["key_id"])
        # the old key still authenticates until its overlap ends
        self.assertEqual(self.status(old), 200)
        # the successor is a key like any other: it rotates, once
        response = self.api("POST", "/api/v1/keys/rotate", key=successor["key"])
        self.assertEqual(response.status_code, 201, response.text)
        response = self.api("POST", "/api/v1/keys/rotate", key=successor["key"])
        self.assertError(response, 409, "conflict")
        self.assertEqual(self.key_count(self.integration), 3)

    def test_key_revoked_elsewhere_cannot_rotate_from_a_cached_copy(self):
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(30))
        self.assertEqual(self.status(key), 200)  # cached by this worker
        self.env.cr.execute(SQL("DELETE FROM res_users_apikeys WHERE id = %s", self._key_id(key)))
        response = self.api("POST", "/api/v1/keys/rotate", key=key)
        self.assertError(response, 404, "not_found")
        self.assertEqual(self.key_count(self.integration), 0)

    def _rotation_activities(self, user):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", user.partner_id.id),
                ("summary", "ilike", "rotated"),
            ]
        )

    def test_self_rotation_notifies_responsible(self):
        responsible = self.responsible
        old = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        old_id = self._key_id(old)
        response = self.api("POST", "/api/v1/keys/rotate", key=old)
        self.assertEqual(response.status_code, 201, response.text)
        new_id = response.json()["data"]["key_id"]
        activity = self._rotation_activities(self.integration)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, responsible)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertIn("Shop", activity.summary)
        self.assertIn(self.integration.login, activity.summary)
        self.assertIn(f"#{new_id}", activity.note)
        self.assertIn(f"#{old_id}", activity.note)
        self.assertIn("127.0.0.1", activity.note)
        # a responsible who left (archived), or none: the administrator hears of it
        self.env["ir.config_parameter"].set_param("my_oauth_provider.max_keys_per_user", "10")
        admin = self.env.ref("base.user_admin")
        responsible.action_archive()
        key = self.Keys._mint_for_user(self.integration, "Other", "api", self.in_days(60))
        self.assertEqual(self.api("POST", "/api/v1/keys/rotate", key=key).status_code, 201)
        self.assertEqual(
            self._rotation_activities(self.integration).sorted("id")[-1].user_id, admin
        )
        self.integration.my_integration_responsible_id = False
        key = self.Keys._mint_for_user(self.integration, "Third", "api", self.in_days(60))
        self.assertEqual(self.api("POST", "/api/v1/keys/rotate", key=key).status_code, 201)
        activities = self._rotation_activities(self.integration).sorted("id")
        self.assertEqual(activities[-2:].user_id, admin)
        self.assertIn("Third", activities[-1].summary)
        # a person's own key: that person
        key = self.preferences_key(self.salesman)
        self.assertEqual(self.api("POST", "/api/v1/keys/rotate", key=key).status_code, 201)
        self.assertEqual(self._rotation_activities(self.salesman).user_id, self.salesman)

    def test_live_key_cap(self):
        self.env["ir.config_parameter"].set_param("my_oauth_provider.max_keys_per_user", "3")
        keys = [
            self.Keys._mint_for_user(self.integration, f"Shop {i}", "api", self.in_days(30))
            for i in range(3)
        ]
        # minting one more: from the list's wizard, or in Preferences
        with self.assertRaisesRegex(UserError, "at most 3 live API keys"):
            self.Keys._mint_for_user(self.integration, "one too many", "api", self.in_days(30))
        with self.assertRaisesRegex(UserError, "at most 3 live API keys"):
            self.preferences_key(self.integration)
        # rotating adds a key too: refused over the API and from the list
        response = self.api("POST", "/api/v1/keys/rotate", key=keys[0])
        error = self.assertError(response, 409, "conflict")
        self.assertIn("at most 3 live API keys", error["message"])
        with self.ui_request(), self.assertRaisesRegex(UserError, "at most 3 live API keys"):
            self.key_record(keys[0]).action_rotate()
        self.assertEqual(self.key_count(self.integration), 3)
        self.assertEqual(self.status(keys[0]), 200)  # and the key was not cut short
        self.assertFalse(self.key_record(keys[0]).my_successor_id)
        # an expired key is not live: it leaves room
        self.expire(keys[1])
        self.assertEqual(self.api("POST", "/api/v1/keys/rotate", key=keys[0]).status_code, 201)
        # a revoked one neither (Odoo deletes it)
        self.key_record(keys[2]).action_revoke()
        self.assertTrue(self.preferences_key(self.integration))
        # another user's keys are theirs
        self.assertTrue(self.Keys._mint_for_user(self.salesman, "own", "api", self.in_days(30)))
        # Settings > REST API > API keys sets the cap; 5 by default
        self.env["res.config.settings"].create({"my_max_keys_per_user": 4}).execute()
        self.assertEqual(setting(self.env, "max_keys_per_user"), 4)
        self.env["ir.config_parameter"].search(
            [("key", "=", "my_oauth_provider.max_keys_per_user")]
        ).unlink()
        self.assertEqual(setting(self.env, "max_keys_per_user"), 5)

    def test_mint_for_other_user_requires_identity_check(self):
        wizard = self.env["apikey.mint.wizard"].create(
            {"user_id": self.integration.id, "name": "Shop", "scope": "api"}
        )
        # a session whose password was not checked lately gets the password
        # prompt instead of a key
        with self.ui_request(identity_checked=False):
            action = wizard.action_mint()
        self.assertEqual(action["res_model"], "res.users.identitycheck")
        self.assertNotIn("default_key", str(action))
        self.assertEqual(self.key_count(self.integration), 0)
        # no request at all (a server action, a script over RPC): refused
        with self.assertRaises(UserError):
            wizard.action_mint()
        self.assertEqual(self.key_count(self.integration), 0)
        # rotating from the list is minting too
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(60))
        expiry = self.key_record(key).expiration_date
        with self.ui_request(identity_checked=False):
            action = self.key_record(key).action_rotate()
        self.assertEqual(action["res_model"], "res.users.identitycheck")
        with self.assertRaises(UserError):
            self.key_record(key).action_rotate()
        self.assertEqual(self.key_count(self.integration), 1)
        self.Keys.invalidate_model()
        self.assertEqual(self.key_record(key).expiration_date, expiry)

    def test_rotate_route_documents_conflict(self):
        document = self.url_open("/api/v1/openapi.json").json()
        responses = document["paths"]["/keys/rotate"]["post"]["responses"]
        self.assertEqual(responses["409"], {"$ref": "#/components/responses/Error409"})
        self.assertIn("429", responses)

    def test_rotate_route_documents_every_status_it_answers(self):
        """400 (an Idempotency-Key sent), 422 and 500 are answers of this
        route too: a client generated from the document must expect them."""
        document = self.url_open("/api/v1/openapi.json").json()
        operation = document["paths"]["/keys/rotate"]["post"]
        self.assertLessEqual(
            {"201", "400", "401", "403", "409", "422", "429", "500"}, set(operation["responses"])
        )
        created = operation["responses"]["201"]["content"]["application/json"]["schema"]
        self.assertEqual(created["required"], ["data"])

    # ---------------------------------------------------------------- revoke
    def test_revoked_key_is_refused_at_once_in_this_worker(self):
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(30))
        self.assertEqual(self.status(key), 200)  # now cached by this worker
        self.key_record(key).action_revoke()
        response = self.api("GET", "/api/v1/me", key=key)
        self.assertError(response, 401, "unauthorized")

    def test_key_revoked_elsewhere_stops_within_the_cache_ttl(self):
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(30))
        self.assertEqual(self.status(key), 200)
        # another worker deletes the row: this one still trusts its cache...
        self.env.cr.execute(SQL("DELETE FROM res_users_apikeys WHERE id = %s", self._key_id(key)))
        self.assertEqual(self.status(key), 200)
        # ...until the TTL (my_api.apikey_cache_ttl) has passed
        self.env["ir.config_parameter"].set_param("my_api.apikey_cache_ttl", "0")
        self.assertEqual(self.status(key), 401)

    def test_cached_key_of_a_user_who_lost_a_group_or_was_archived(self):
        """README, what a change of rights means while a key is cached:
        access rights are read at each request, so a removed group bites at
        once; an archived user's key works until the cache TTL has passed."""
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(30))
        self.assertEqual(self.api("GET", "/api/v1/orders", key=key).status_code, 200)  # cached
        sales = self.env.ref("sales_team.group_sale_salesman_all_leads")
        self.integration.write({"group_ids": [Command.unlink(sales.id)]})
        self.assertError(self.api("GET", "/api/v1/orders", key=key), 403, "forbidden")
        self.integration.action_archive()
        self.assertEqual(self.status(key), 200)
        self.env["ir.config_parameter"].set_param("my_api.apikey_cache_ttl", "0")
        self.assertEqual(self.status(key), 401)

    def test_last_used_is_shown(self):
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(30))
        record = self.key_record(key)
        self.assertFalse(record.my_last_used)
        self.assertEqual(self.status(key), 200)
        record.invalidate_recordset()
        self.assertTrue(record.my_last_used)
        self.assertEqual(record.my_last_ip, "127.0.0.1")

    # ------------------------------------------------------------- reminders
    def _activities(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.integration.partner_id.id)]
        )

    def test_reminder_cron_posts_one_activity_per_key_and_threshold(self):
        key = self.Keys._mint_for_user(self.integration, "Shop", "api", self.in_days(10))
        far = self.Keys._mint_for_user(self.integration, "Far", "api", self.in_days(60))
        Reminder = self.env["apikey.expiry.reminder"]
        Reminder._cron_remind()
        activities = self._activities()
        self.assertEqual(len(activities), 1)
        self.assertIn("Shop", activities.summary)
        self.assertEqual(activities.user_id, self.responsible)
        Reminder._cron_remind()  # the next day: nothing new for the 14-day threshold
        self.assertEqual(len(self._activities()), 1)
        # 3 days before expiry: the second reminder, once
        self.env.cr.execute(
            SQL(
                "UPDATE res_users_apikeys SET expiration_date = %s WHERE id = %s",
                self.in_days(2),
                self._key_id(key),
            )
        )
        self.Keys.invalidate_model(["expiration_date"])
        Reminder._cron_remind()
        Reminder._cron_remind()
        self.assertEqual(len(self._activities()), 2)
        sent = Reminder.search([("key_id", "=", self._key_id(key))])
        self.assertEqual(sorted(sent.mapped("threshold")), [3, 14])
        self.assertFalse(Reminder.search([("key_id", "=", self._key_id(far))]))

    def test_reminder_cron_is_scheduled_daily(self):
        cron = self.env.ref("my_oauth_provider.ir_cron_apikey_reminder")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
