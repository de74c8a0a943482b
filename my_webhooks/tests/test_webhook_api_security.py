"""/api/v1/webhook-endpoints as an attacker holding Webhooks / Manager: every
refusal is an error in the API's envelope."""

import json
import time
from unittest.mock import patch

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base_automation.models.base_automation import BaseAutomation
from odoo.addons.my_api.public.testing import ApiCase

from ..lib.signing import generate_secret
from ..models.webhook_endpoint import WRITE_WINDOW

URL = "https://93.184.215.14/hooks/odoo"
PATH = "/api/v1/webhook-endpoints"


def early_in_a_write_window(needed=20):
    """Wait, if need be, for a write window with `needed` seconds left: the
    counts of a test that straddles two windows start again in the second."""
    left = WRITE_WINDOW - time.time() % WRITE_WINDOW
    if left < needed:
        time.sleep(left + 0.1)


@tagged("post_install", "-at_install")
class TestWebhookApiSecurity(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="webhook_attacker",
            groups="base.group_user,my_webhooks.group_webhook_manager",
        )
        cls.manager_key = cls.new_api_key(cls.manager)
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin_key = cls.new_api_key(cls.admin)
        cls.Endpoint = cls.env["webhook.endpoint"].with_context(active_test=False)

    def body(self, **values):
        return {
            "name": "Exfiltration",
            "url": URL,
            "model": "res.partner",
            "trigger": "create",
            "secret": generate_secret(),
            **values,
        }

    def post(self, key=None, **values):
        return self.api("POST", PATH, key=key or self.manager_key, body=self.body(**values))

    def test_manager_cannot_subscribe_to_system_parameters(self):
        count = self.Endpoint.search_count([])
        response = self.post(model="ir.config_parameter", payload_fields=["key", "value"])
        self.assertError(response, 403, "forbidden")
        for model, fields_ in (
            ("mail.mail", ["body_html"]),
            ("res.users.apikeys", ["name"]),
            ("mail.message", ["body"]),
            ("res.users", ["login"]),
        ):
            with self.subTest(model=model):
                response = self.post(model=model, payload_fields=fields_)
                self.assertError(response, 403, "forbidden")
        self.assertEqual(self.Endpoint.search_count([]), count)

    def test_manager_cannot_send_fields_they_cannot_read(self):
        for values in (
            {"payload_fields": ["name", "signup_type"]},
            {"trigger": "write", "watched_fields": ["signup_type"]},
            {"domain": "[('signup_type', '=', 'reset')]"},
        ):
            with self.subTest(values=values):
                self.assertError(self.post(**values), 403, "forbidden")
        created = self.post(payload_fields=["name"])
        self.assertEqual(created.status_code, 201, created.text)
        item = f"{PATH}/{created.json()['data']['id']}"
        patched = self.api(
            "PATCH", item, key=self.manager_key, body={"payload_fields": ["signup_type"]}
        )
        self.assertError(patched, 403, "forbidden")
        self.assertEqual(
            self.api("GET", item, key=self.manager_key).json()["data"]["payload_fields"], ["name"]
        )

    def test_manager_cannot_patch_admin_endpoint(self):
        theirs = self.post(key=self.admin_key, name="The administrator's")
        self.assertEqual(theirs.status_code, 201, theirs.text)
        endpoint = self.Endpoint.browse(theirs.json()["data"]["id"])
        self.assertEqual(endpoint.user_id, self.admin)
        secret = endpoint.secret
        item = f"{PATH}/{endpoint.id}"
        listing = self.api("GET", PATH, key=self.manager_key).json()["data"]
        self.assertNotIn(endpoint.id, [row["id"] for row in listing])
        self.assertIn(self.api("GET", item, key=self.manager_key).status_code, (403, 404))
        patched = self.api(
            "PATCH",
            item,
            key=self.manager_key,
            body={"url": "https://203.0.113.9/mine", "secret": generate_secret()},
        )
        self.assertIn(patched.status_code, (403, 404), patched.text)
        self.assertIn(self.api("DELETE", item, key=self.manager_key).status_code, (403, 404))
        endpoint.invalidate_recordset()
        self.assertEqual((endpoint.url, endpoint.secret), (URL, secret))
        self.assertTrue(endpoint.exists())

    def test_own_models_cannot_be_subscribed(self):
        for model in ("webhook.delivery", "webhook.delivery.attempt", "webhook.endpoint"):
            for key in (self.admin_key, self.manager_key):
                with self.subTest(model=model, admin=key == self.admin_key):
                    response = self.post(key=key, model=model)
                    self.assertIn(response.status_code, (400, 403), response.text)
                    self.assertIn(
                        response.json()["error"]["code"], ("validation_error", "forbidden")
                    )
        self.assertFalse(self.Endpoint.search([("model_id.model", "=like", "webhook.%")]))

    def test_domain_is_literal(self):
        response = self.post(domain="[('id', 'in', list(range(3)))]")
        error = self.assertError(response, 400, "validation_error")
        self.assertIn("literal", error["message"])

    def test_unchanged_write_does_not_reload_registry(self):
        created = self.post(trigger="write", watched_fields=["email"]).json()["data"]
        item = f"{PATH}/{created['id']}"
        with patch.object(BaseAutomation, "_update_registry", autospec=True) as reload:
            for _ in range(3):
                response = self.api(
                    "PATCH",
                    item,
                    key=self.manager_key,
                    body={
                        "model": "res.partner",
                        "trigger": "write",
                        "active": True,
                        "watched_fields": ["email"],
                        "timeout": 12,
                    },
                )
                self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(reload.call_count, 0)

    def test_endpoint_write_rate_limit(self):
        """Writes of endpoints (each may reload every worker's registry) have
        a bucket of their own, far below the request rate limit."""
        early_in_a_write_window()
        self.env["ir.config_parameter"].set_param("my_webhooks.endpoint_write_limit", "3")
        created = self.post()
        self.assertEqual(created.status_code, 201, created.text)
        item = f"{PATH}/{created.json()['data']['id']}"
        for name in ("one", "two"):
            response = self.api("PATCH", item, key=self.manager_key, body={"name": name})
            self.assertEqual(response.status_code, 200, response.text)
        limited = self.api("PATCH", item, key=self.manager_key, body={"name": "three"})
        error = self.assertError(limited, 429, "rate_limited")
        self.assertIn("endpoint", error["message"])
        self.assertGreaterEqual(int(limited.headers["Retry-After"]), 1)
        self.assertError(self.post(), 429, "rate_limited")
        self.assertError(self.api("DELETE", item, key=self.manager_key), 429, "rate_limited")
        # reading is not limited by this bucket, and the refused write changed nothing
        got = self.api("GET", item, key=self.manager_key)
        self.assertEqual(got.status_code, 200, got.text)
        self.assertEqual(got.json()["data"]["name"], "two")
        # another user has a bucket of their own
        self.assertEqual(self.post(key=self.admin_key).status_code, 201)

    def json2(self, method, **params):
        return self.url_open(
            f"/json/2/webhook.endpoint/{method}",
            data=json.dumps(params),
            headers={
                "Authorization": f"Bearer {self.manager_key}",
                "Content-Type": "application/json",
            },
        )

    def test_endpoint_write_rate_limit_over_json2(self):
        """JSON-2 (and the web client) write endpoints without /api/v1: a
        loop toggling `active` rewrites the automation rule, which reloads
        every worker's registry, each time. Such writes count against the
        same bucket."""
        early_in_a_write_window()
        self.env["ir.config_parameter"].set_param("my_webhooks.endpoint_write_limit", "3")
        vals = {
            "name": "Reloads",
            "url": URL,
            "model_id": self.env["ir.model"]._get_id("res.partner"),
            "trigger": "create",
        }
        created = self.json2("create", vals_list=[vals])
        self.assertEqual(created.status_code, 200, created.text)
        endpoint = self.Endpoint.browse(created.json())
        # a write that leaves the rule alone reloads nothing and is not counted
        for timeout in (5, 6, 7, 8):
            response = self.json2("write", ids=endpoint.ids, vals={"timeout": timeout})
            self.assertEqual(response.status_code, 200, response.text)
        for active in (False, True):
            response = self.json2("write", ids=endpoint.ids, vals={"active": active})
            self.assertEqual(response.status_code, 200, response.text)
        with (
            patch.object(BaseAutomation, "_update_registry", autospec=True) as reload,
            mute_logger("odoo.http"),
        ):
            response = self.json2("write", ids=endpoint.ids, vals={"active": False})
            self.assertEqual(response.status_code, 422, response.text)
            self.assertIn("Too many changes", response.json()["message"])
            self.assertError(self.post(), 429, "rate_limited")  # the bucket /api/v1 uses
            self.assertEqual(reload.call_count, 0)
        endpoint.invalidate_recordset()
        self.assertTrue(endpoint.active)
        self.assertTrue(endpoint.automation_id.active)
