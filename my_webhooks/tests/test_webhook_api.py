import base64
import uuid

from openapi_spec_validator import validate

from odoo.tests import new_test_user, tagged

from odoo.addons.my_api.public.testing import ApiCase

from ..lib.signing import generate_secret

URL = "https://93.184.215.14/hooks/odoo"  # a public address literal: no DNS needed
PATH = "/api/v1/webhook-endpoints"


@tagged("post_install", "-at_install")
class TestWebhookApi(ApiCase):
    """/api/v1/webhook-endpoints as an integration user of Webhooks / Manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="webhook_integration",
            password="webhook_integration_pw",
            groups="base.group_user,my_webhooks.group_webhook_manager",
        )
        cls.manager_key = cls.new_api_key(cls.manager)
        cls.salesman_key = cls.new_api_key(cls.salesman)

    def body(self, **values):
        return {
            "name": "CRM sync",
            "url": URL,
            "model": "res.partner",
            "trigger": "write",
            "watched_fields": ["email", "phone"],
            "payload_fields": ["name", "email"],
            "domain": "[('is_company', '=', True)]",
            "timeout": 10,
            "max_attempts": 5,
            "secret": generate_secret(),
            **values,
        }

    def create_endpoint(self, **values):
        response = self.api("POST", PATH, key=self.manager_key, body=self.body(**values))
        self.assertEqual(response.status_code, 201, response.text)
        return response

    def test_manager_is_no_administrator(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("my_webhooks.group_webhook_manager"))

    def test_create_makes_the_rule_and_never_returns_the_secret(self):
        secret = generate_secret()
        idem = str(uuid.uuid4())
        response = self.api(
            "POST",
            PATH,
            key=self.manager_key,
            body=self.body(secret=secret),
            headers={"Idempotency-Key": idem},
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        self.assertNotIn(secret, response.text)
        self.assertNotIn("secret", data)
        self.assertEqual(data["model"], "res.partner")
        self.assertEqual(data["trigger"], "write")
        self.assertEqual(sorted(data["watched_fields"]), ["email", "phone"])
        self.assertEqual(sorted(data["payload_fields"]), ["email", "name"])
        self.assertEqual((data["timeout"], data["max_attempts"]), (10, 5))
        self.assertIsNone(data["last_status"])
        self.assertEqual(response.headers["Location"], f"{PATH}/{data['id']}")

        endpoint = self.env["webhook.endpoint"].browse(data["id"])
        self.assertEqual(endpoint.secret, secret)
        self.assertEqual(endpoint.user_id, self.manager)
        rule = endpoint.automation_id
        self.assertTrue(rule)
        self.assertEqual(rule.trigger, "on_write")
        self.assertEqual(rule.model_id.model, "res.partner")
        self.assertEqual(rule.filter_domain, "[('is_company', '=', True)]")
        self.assertEqual(sorted(rule.trigger_field_ids.mapped("name")), ["email", "phone"])
        self.assertEqual(rule.action_server_ids.webhook_endpoint_id, endpoint)

        stored = self.env["api.idempotency.response"].sudo().search([])
        self.assertTrue(stored.filtered(lambda r: str(data["id"]) in (r.body or "")))
        for row in stored:
            self.assertNotIn(secret, row.body or "")
            self.assertNotIn(secret, row.headers or "")
        replay = self.api(
            "POST",
            PATH,
            key=self.manager_key,
            body=self.body(secret=secret),
            headers={"Idempotency-Key": idem},
        )
        self.assertEqual(replay.status_code, 201, replay.text)
        self.assertEqual(replay.json()["data"]["id"], data["id"])
        self.assertNotIn(secret, replay.text)

    def test_bad_secret_is_refused_and_nothing_is_created(self):
        count = self.env["webhook.endpoint"].with_context(active_test=False).search_count([])
        short = "whsec_" + base64.b64encode(b"k" * 16).decode()
        for secret, text in (
            ("hunter2hunter2hunter2hunter2hunter2", "whsec_"),
            ("whsec_***not-base64***", "base64"),
            (short, "at least 24"),
        ):
            response = self.api("POST", PATH, key=self.manager_key, body=self.body(secret=secret))
            error = self.assertError(response, 400, "validation_error")
            self.assertIn(text, error["message"])
            self.assertEqual(error["details"][0]["field"], "secret")
        missing = self.body()
        del missing["secret"]
        error = self.assertError(
            self.api("POST", PATH, key=self.manager_key, body=missing), 400, "validation_error"
        )
        self.assertIn("secret", error["message"])
        self.assertEqual(
            self.env["webhook.endpoint"].with_context(active_test=False).search_count([]), count
        )

    def test_bad_model_fields_and_private_url_are_refused(self):
        error = self.assertError(
            self.api("POST", PATH, key=self.manager_key, body=self.body(model="no.such.model")),
            400,
            "validation_error",
        )
        self.assertIn("no.such.model", error["message"])
        error = self.assertError(
            self.api("POST", PATH, key=self.manager_key, body=self.body(watched_fields=["nope"])),
            400,
            "validation_error",
        )
        self.assertIn("nope", error["message"])
        error = self.assertError(
            self.api(
                "POST", PATH, key=self.manager_key, body=self.body(url="http://127.0.0.1:8069/x")
            ),
            400,
            "validation_error",
        )
        self.assertIn("127.0.0.1", error["message"])

    def test_list_get_patch_delete(self):
        first = self.create_endpoint(name="First").json()["data"]
        self.create_endpoint(name="Second", trigger="create", watched_fields=[])
        listing = self.api("GET", f"{PATH}?name=First", key=self.manager_key)
        self.assertEqual(listing.status_code, 200, listing.text)
        rows = listing.json()["data"]
        self.assertEqual([row["id"] for row in rows], [first["id"]])
        self.assertNotIn("secret", rows[0])
        by_trigger = self.api("GET", f"{PATH}?trigger=create", key=self.manager_key).json()
        self.assertIn("Second", [row["name"] for row in by_trigger["data"]])
        self.assertNotIn("First", [row["name"] for row in by_trigger["data"]])

        item = f"{PATH}/{first['id']}"
        got = self.api("GET", item, key=self.manager_key)
        self.assertEqual(got.status_code, 200, got.text)
        self.assertEqual(got.json()["data"], first)

        endpoint = self.env["webhook.endpoint"].browse(first["id"])
        new_secret = generate_secret()
        patched = self.api(
            "PATCH",
            item,
            key=self.manager_key,
            body={
                "name": "Renamed",
                "domain": None,
                "watched_fields": ["name"],
                "active": False,
                "secret": new_secret,
            },
            headers={"If-Match": got.headers["ETag"]},
        )
        self.assertEqual(patched.status_code, 200, patched.text)
        self.assertNotIn(new_secret, patched.text)
        data = patched.json()["data"]
        self.assertEqual((data["name"], data["domain"], data["active"]), ("Renamed", None, False))
        self.assertEqual(data["watched_fields"], ["name"])
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.secret, new_secret)
        rule = endpoint.automation_id.with_context(active_test=False)
        self.assertFalse(rule.active)
        self.assertFalse(rule.filter_domain)
        self.assertEqual(rule.trigger_field_ids.mapped("name"), ["name"])
        self.assertIn("Renamed", rule.name)
        # an inactive endpoint is still listed and readable by its integration
        self.assertEqual(self.api("GET", item, key=self.manager_key).status_code, 200)

        bad = self.api("PATCH", item, key=self.manager_key, body={"secret": "whsec_short"})
        self.assertError(bad, 400, "validation_error")
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.secret, new_secret)

        deleted = self.api("DELETE", item, key=self.manager_key)
        self.assertEqual(deleted.status_code, 200, deleted.text)
        self.assertFalse(endpoint.exists())
        self.assertFalse(rule.exists())
        self.assertError(self.api("GET", item, key=self.manager_key), 404, "not_found")

    def test_manager_reads_deliveries_but_not_secrets(self):
        endpoint_id = self.create_endpoint().json()["data"]["id"]
        endpoint = self.env["webhook.endpoint"].browse(endpoint_id)
        endpoint._enqueue_data("test", "res.partner", 0, {"id": 0, "test": True})
        as_manager = endpoint.with_user(self.manager)
        self.assertEqual(len(as_manager.delivery_ids), 1)
        self.assertEqual(as_manager.delivery_ids.event, "test")
        self.assertFalse("secret" in as_manager.fields_get())
        self.assertFalse("custom_headers" in as_manager.fields_get())

    def test_user_without_the_group_gets_403(self):
        endpoint_id = self.create_endpoint().json()["data"]["id"]
        for method, path, body in (
            ("GET", PATH, None),
            ("POST", PATH, self.body()),
            ("GET", f"{PATH}/{endpoint_id}", None),
            ("PATCH", f"{PATH}/{endpoint_id}", {"name": "Mine now"}),
            ("DELETE", f"{PATH}/{endpoint_id}", None),
        ):
            with self.subTest(method=method, path=path):
                response = self.api(method, path, key=self.salesman_key, body=body)
                self.assertError(response, 403, "forbidden")
        self.assertTrue(self.env["webhook.endpoint"].browse(endpoint_id).exists())

    def test_oauth2_scope_webhooks_manage(self):
        """A token reaches this resource with webhooks:manage only, for both
        reading and writing; other resources keep <path>:read/write."""
        tokens = {
            "tok-orders-read": frozenset({"orders:read"}),
            "tok-webhooks": frozenset({"webhooks:manage"}),
            "tok-webhooks-write": frozenset({"webhook-endpoints:write"}),
        }
        with self.oauth_tokens(self.manager, tokens, "webhook-test-client"):
            for token in ("tok-orders-read", "tok-webhooks-write"):
                for method, body in (("GET", None), ("POST", self.body())):
                    response = self.api(method, PATH, key=token, body=body)
                    self.assertError(response, 403, "insufficient_scope")
                    self.assertIn('scope="webhooks:manage"', response.headers["WWW-Authenticate"])
            created = self.api("POST", PATH, key="tok-webhooks", body=self.body())
            self.assertEqual(created.status_code, 201, created.text)
            item = f"{PATH}/{created.json()['data']['id']}"
            self.assertEqual(self.api("GET", PATH, key="tok-webhooks").status_code, 200)
            self.assertEqual(self.api("GET", item, key="tok-webhooks").status_code, 200)
            patched = self.api("PATCH", item, key="tok-webhooks", body={"name": "By token"})
            self.assertEqual(patched.status_code, 200, patched.text)
            # the default scopes still guard the other resources
            orders = self.api("GET", "/api/v1/orders", key="tok-webhooks")
            self.assertError(orders, 403, "insufficient_scope")
            self.assertIn('scope="orders:read"', orders.headers["WWW-Authenticate"])

    def test_openapi_lists_the_scope_and_stays_valid(self):
        self.assertEqual(
            self.env["api.resource"]._api_scopes()["webhooks:manage"],
            "Read, create, change and delete outbound webhook endpoints (subscriptions)",
        )
        self.assertNotIn("webhook-endpoints:read", self.env["api.resource"]._api_scopes())
        self.assertIn("orders:write", self.env["api.resource"]._api_scopes())
        response = self.url_open("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200, response.text)
        document = response.json()
        validate(document)
        paths = document["paths"]
        for path, method in (
            ("/webhook-endpoints", "get"),
            ("/webhook-endpoints", "post"),
            ("/webhook-endpoints/{ident}", "get"),
            ("/webhook-endpoints/{ident}", "patch"),
            ("/webhook-endpoints/{ident}", "delete"),
        ):
            self.assertIn({"oauth2": ["webhooks:manage"]}, paths[path][method]["security"])
        self.assertIn({"oauth2": ["orders:read"]}, paths["/orders"]["get"]["security"])
        schemas = document["components"]["schemas"]
        self.assertNotIn("secret", schemas["WebhookEndpoint"]["properties"])
        self.assertIn("secret", schemas["WebhookEndpointCreate"]["required"])
        self.assertIn("webhooks:manage", str(document["components"]["securitySchemes"]["oauth2"]))
