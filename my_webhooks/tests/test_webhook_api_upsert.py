"""PUT /api/v1/webhook-endpoints/xid:<module.name>: the create-or-update by
external id that every resource with create and update offers. It is a
write of an endpoint like POST and PATCH, and must hold to the same rules:
the endpoint is the caller's own (another user's is never touched), no
model or field the caller may not read, the webhooks:manage scope, and the
endpoint write rate limit (a refused write counts too)."""

from unittest.mock import patch

from openapi_spec_validator import validate

from odoo.tests import new_test_user, tagged

from odoo.addons.my_api.public.testing import ApiCase

from ..lib.signing import generate_secret

URL = "https://93.184.215.14/hooks/odoo"  # a public address literal: no DNS needed
PATH = "/api/v1/webhook-endpoints"
ITEM = f"{PATH}/xid:crm_sync.partner_hook"


@tagged("post_install", "-at_install")
class TestWebhookApiUpsert(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="webhook_upserter",
            groups="base.group_user,my_webhooks.group_webhook_manager",
        )
        cls.manager_key = cls.new_api_key(cls.manager)
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin_key = cls.new_api_key(cls.admin)
        cls.salesman_key = cls.new_api_key(cls.salesman)
        cls.Endpoint = cls.env["webhook.endpoint"].with_context(active_test=False)

    def body(self, **values):
        return {
            "name": "CRM sync",
            "url": URL,
            "model": "res.partner",
            "trigger": "write",
            "watched_fields": ["email"],
            "payload_fields": ["name", "email"],
            "secret": generate_secret(),
            **values,
        }

    def put(self, key=None, path=ITEM, **values):
        return self.api("PUT", path, key=key or self.manager_key, body=self.body(**values))

    def xid_target(self, path=ITEM):
        module, name = path.rsplit("xid:", 1)[1].split(".", 1)
        return self.env["ir.model.data"].search([("module", "=", module), ("name", "=", name)])

    def test_put_creates_the_callers_endpoint_then_updates_it(self):
        count = self.Endpoint.search_count([])
        secret = generate_secret()
        created = self.put(secret=secret)
        self.assertEqual(created.status_code, 201, created.text)
        data = created.json()["data"]
        self.assertNotIn("secret", data)
        self.assertNotIn(secret, created.text)
        self.assertEqual(data["xid"], "crm_sync.partner_hook")
        endpoint = self.Endpoint.browse(data["id"])
        self.assertEqual(endpoint.user_id, self.manager)
        self.assertEqual(endpoint.secret, secret)
        self.assertTrue(endpoint.automation_id)
        updated = self.put(name="CRM sync, renamed")
        self.assertEqual(updated.status_code, 200, updated.text)
        self.assertEqual(updated.json()["data"]["id"], endpoint.id)
        endpoint.invalidate_recordset()
        self.assertEqual(endpoint.name, "CRM sync, renamed")
        self.assertEqual(self.Endpoint.search_count([]), count + 1)

    def test_put_cannot_subscribe_to_what_the_caller_may_not_read(self):
        count = self.Endpoint.search_count([])
        for values in (
            {"model": "ir.config_parameter", "watched_fields": [], "payload_fields": ["key"]},
            {"model": "res.users.apikeys", "watched_fields": [], "payload_fields": []},
            {"model": "mail.mail", "watched_fields": [], "payload_fields": []},
            {"payload_fields": ["name", "signup_type"]},
            {"watched_fields": ["signup_type"]},
            {"domain": "[('signup_type', '=', 'reset')]"},
        ):
            with self.subTest(values=values):
                self.assertError(self.put(**values), 403, "forbidden")
        for model in ("webhook.delivery", "webhook.endpoint"):
            with self.subTest(model=model):
                response = self.put(model=model, watched_fields=[], payload_fields=[])
                self.assertIn(response.status_code, (400, 403), response.text)
        self.assertEqual(self.Endpoint.search_count([]), count)
        self.assertFalse(self.xid_target())
        # nor may an update move the caller's own endpoint there
        endpoint_id = self.put().json()["data"]["id"]
        moved = self.put(model="ir.config_parameter", watched_fields=[], payload_fields=["key"])
        self.assertError(moved, 403, "forbidden")
        sent = self.put(payload_fields=["name", "signup_type"])
        self.assertError(sent, 403, "forbidden")
        endpoint = self.Endpoint.browse(endpoint_id)
        self.assertEqual(endpoint.model_id.model, "res.partner")
        self.assertEqual(set(endpoint.payload_field_ids.mapped("name")), {"name", "email"})

    def test_put_never_touches_another_users_endpoint(self):
        admin_secret = generate_secret()
        theirs = self.put(key=self.admin_key, name="The administrator's", secret=admin_secret)
        self.assertEqual(theirs.status_code, 201, theirs.text)
        endpoint = self.Endpoint.browse(theirs.json()["data"]["id"])
        self.assertEqual(endpoint.user_id, self.admin)
        count = self.Endpoint.search_count([])
        response = self.put(url="https://203.0.113.9/mine", name="Mine now")
        self.assertIn(response.status_code, (403, 404, 409), response.text)
        self.assertNotIn("The administrator's", response.text)
        self.assertNotIn(admin_secret, response.text)
        endpoint.invalidate_recordset()
        self.assertEqual(
            (endpoint.name, endpoint.url, endpoint.secret, endpoint.user_id),
            ("The administrator's", URL, admin_secret, self.admin),
        )
        self.assertEqual(self.Endpoint.search_count([]), count)
        self.assertEqual(self.xid_target().res_id, endpoint.id)

    def test_put_needs_the_webhook_manager_group(self):
        response = self.put(key=self.salesman_key)
        self.assertError(response, 403, "forbidden")
        self.assertFalse(self.xid_target())

    def test_put_needs_the_webhooks_manage_scope(self):
        tokens = {
            "tok-orders-write": frozenset({"orders:write"}),
            "tok-endpoints-write": frozenset({"webhook-endpoints:write"}),
            "tok-webhooks": frozenset({"webhooks:manage"}),
        }
        with self.oauth_tokens(self.manager, tokens, "webhook-upsert-client"):
            for token in ("tok-orders-write", "tok-endpoints-write"):
                with self.subTest(token=token):
                    response = self.put(key=token)
                    self.assertError(response, 403, "insufficient_scope")
                    self.assertIn('scope="webhooks:manage"', response.headers["WWW-Authenticate"])
            self.assertFalse(self.xid_target())
            created = self.put(key="tok-webhooks")
            self.assertEqual(created.status_code, 201, created.text)
            self.assertEqual(self.put(key="tok-webhooks", name="Again").status_code, 200)

    def test_put_counts_against_the_endpoint_write_limit(self):
        """A PUT is an endpoint write: it counts in the user's write bucket,
        and past the limit it is 429 and changes nothing."""
        self.env["ir.config_parameter"].set_param("my_webhooks.endpoint_write_limit", "3")
        created = self.put()
        self.assertEqual(created.status_code, 201, created.text)
        item = f"{PATH}/{created.json()['data']['id']}"
        self.assertEqual(self.put(name="two").status_code, 200)
        response = self.api("PATCH", item, key=self.manager_key, body={"name": "three"})
        self.assertEqual(response.status_code, 200, response.text)
        limited = self.put(name="four")
        error = self.assertError(limited, 429, "rate_limited")
        self.assertIn("endpoint", error["message"])
        self.assertGreaterEqual(int(limited.headers["Retry-After"]), 1)
        new = self.put(path=f"{PATH}/xid:crm_sync.third")
        self.assertError(new, 429, "rate_limited")
        self.assertFalse(self.xid_target(f"{PATH}/xid:crm_sync.third"))
        got = self.api("GET", item, key=self.manager_key)
        self.assertEqual(got.json()["data"]["name"], "three")
        # another user has a bucket of their own
        other = self.put(key=self.admin_key, path=f"{PATH}/xid:crm_sync.admins")
        self.assertEqual(other.status_code, 201, other.text)

    def test_every_put_runs_the_write_hook_once_first_refused_or_not(self):
        """The write rate limit counts refused writes too (a POST or PATCH
        with a bad body counts): so must a PUT, whether it would create or
        update, and only once. (Under the test suite the count of a refused
        request is rolled back with it: the hook's calls are what shows.)"""
        resource = type(self.env["api.resource.webhook_endpoint"])
        original = resource._api_before_write
        calls = []

        def before_write(model, operation):
            calls.append(operation)
            return original(model, operation)

        self.assertEqual(self.put().status_code, 201)
        cases = [
            ("update, bad body", ITEM, {"timeout": 0}, 400),
            ("create, bad body", f"{PATH}/xid:crm_sync.other", {"timeout": 0}, 400),
            ("bad external id", f"{PATH}/xid:nodot", {}, 400),
            ("update", ITEM, {"name": "Renamed"}, 200),
            ("create", f"{PATH}/xid:crm_sync.other", {}, 201),
            (
                "forbidden model",
                ITEM,
                {"model": "mail.mail", "watched_fields": [], "payload_fields": []},
                403,
            ),
        ]
        with patch.object(resource, "_api_before_write", before_write):
            for case, path, values, status in cases:
                with self.subTest(case=case):
                    calls.clear()
                    response = self.put(path=path, **values)
                    self.assertEqual(response.status_code, status, response.text)
                    self.assertEqual(calls, ["upsert"])

    def test_openapi_documents_the_put_with_the_scope(self):
        document = self.url_open("/api/v1/openapi.json").json()
        validate(document)
        put = document["paths"]["/webhook-endpoints/{ident}"]["put"]
        self.assertIn({"oauth2": ["webhooks:manage"]}, put["security"])
        for status in ("200", "201", "400", "401", "403", "409", "429"):
            self.assertIn(status, put["responses"])
