import importlib.util
from pathlib import Path

from odoo.tests import tagged

from ..models.ir_http import clear_apikey_cache
from ..settings import SETTINGS, setting
from .common import ApiCase

PARAM = SETTINGS.key("refuse_keys_without_expiry")


@tagged("post_install", "-at_install")
class TestKeyWithoutExpiry(ApiCase):
    """/api/v1 refuses API keys that never expire while
    my_api.refuse_keys_without_expiry is on (a new database's default)."""

    def setUp(self):
        super().setUp()
        clear_apikey_cache()  # a cold worker, whatever ran before
        self.addCleanup(clear_apikey_cache)
        self.admin = self.env.ref("base.user_admin")
        # a key as older databases have them: an administrator's, no expiry
        self.legacy_key = (
            self.env["res.users.apikeys"]
            .with_user(self.admin)
            .sudo()
            ._generate(None, "legacy sync", None)
        )

    def refuse(self, on):
        self.env["ir.config_parameter"].set_param(PARAM, str(on))

    def me(self, key):
        return self.api("GET", "/api/v1/me", key=key)

    def assertKeyWithoutExpiry(self, response):
        error = self.assertError(response, 401, "key_without_expiry")
        self.assertIn("New API Key", error["message"])
        self.assertIn("Mint API Key", error["message"])
        challenge = response.headers["WWW-Authenticate"]
        self.assertTrue(challenge.startswith('Bearer realm="api", error="invalid_token"'))
        self.assertIn(error["message"], challenge)
        return error

    def test_a_new_database_refuses_keys_without_expiry(self):
        self.env["ir.config_parameter"].search([("key", "=", PARAM)]).unlink()
        self.assertIs(setting(self.env, "refuse_keys_without_expiry"), True)
        self.assertKeyWithoutExpiry(self.me(self.legacy_key))

    def test_key_without_expiry_is_401_when_on_and_works_when_off(self):
        self.refuse(True)
        self.assertKeyWithoutExpiry(self.me(self.legacy_key))
        self.assertKeyWithoutExpiry(self.api("GET", "/api/v1/orders", key=self.legacy_key))
        self.refuse(False)
        response = self.me(self.legacy_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["id"], self.admin.id)

    def test_refusal_holds_for_a_key_the_worker_has_cached(self):
        self.refuse(False)
        self.assertEqual(self.me(self.legacy_key).status_code, 200)  # now cached
        self.refuse(True)
        self.assertKeyWithoutExpiry(self.me(self.legacy_key))
        self.refuse(False)
        self.assertEqual(self.me(self.legacy_key).status_code, 200)

    def test_expiring_keys_still_work_when_on(self):
        self.refuse(True)
        response = self.me(self.new_api_key(self.salesman, days=10))
        self.assertEqual(response.status_code, 200, response.text)

    def test_the_401_looks_like_any_other_401(self):
        self.refuse(True)
        unknown = self.me("0123456789abcdef" * 2)
        refused = self.me(self.legacy_key)
        self.assertEqual(set(refused.json()["error"]), set(unknown.json()["error"]))
        for response in (unknown, refused):
            self.assertIn('error="invalid_token"', response.headers["WWW-Authenticate"])
            self.assertTrue(response.headers["X-Request-Id"])

    def test_unreadable_setting_refuses(self):
        self.env["ir.config_parameter"].set_param(PARAM, "perhaps")
        self.assertKeyWithoutExpiry(self.me(self.legacy_key))
        for text, on in (("0", False), ("off", False), ("False", False), ("yes", True)):
            self.env["ir.config_parameter"].set_param(PARAM, text)
            self.assertIs(setting(self.env, "refuse_keys_without_expiry"), on, text)

    def test_settings_form_turns_it_off_and_on(self):
        self.env["res.config.settings"].create({"api_refuse_keys_without_expiry": False}).execute()
        self.assertEqual(self.env["ir.config_parameter"].get_param(PARAM), "False")
        self.assertEqual(self.me(self.legacy_key).status_code, 200)
        form = self.env["res.config.settings"].create({})
        self.assertFalse(form.api_refuse_keys_without_expiry)
        form.api_refuse_keys_without_expiry = True
        form.execute()
        self.assertTrue(self.env["res.config.settings"].create({}).api_refuse_keys_without_expiry)
        self.assertKeyWithoutExpiry(self.me(self.legacy_key))


@tagged("post_install", "-at_install")
class TestKeyExpiryUpgrade(ApiCase):
    """An upgrade from 19.0.1.0.0 keeps keys without expiry working."""

    def migrate(self):
        path = Path(__file__).parent.parent / "migrations" / "19.0.1.1.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("my_api_post_migrate_19_0_1_1_0", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "19.0.1.0.0")

    def test_upgrade_turns_the_refusal_off(self):
        self.env["ir.config_parameter"].search([("key", "=", PARAM)]).unlink()
        self.migrate()
        self.assertIs(setting(self.env, "refuse_keys_without_expiry"), False)

    def test_upgrade_keeps_a_value_already_chosen(self):
        self.env["ir.config_parameter"].set_param(PARAM, "True")
        self.migrate()
        self.assertIs(setting(self.env, "refuse_keys_without_expiry"), True)
