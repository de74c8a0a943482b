import base64
import datetime
import hashlib
import hmac
import json
import socket
import uuid

from openapi_spec_validator import validate

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.my_api.public.testing import ApiCase

from ..lib.signing import generate_secret
from .common import Receiver

ENDPOINTS = "/api/v1/webhook-endpoints"
DELIVERIES = "/api/v1/webhook-deliveries"


def closed_port():
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestWebhooksOperateApi(ApiCase):
    """Deliveries, redeliver, ping, recover and rotate-secret through
    /api/v1, as an integration user of Webhooks / Manager and as those who
    should get nothing: another manager, a token or key without
    webhooks:manage."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "127.0.0.1")
        groups = "base.group_user,my_webhooks.group_webhook_manager"
        cls.manager = new_test_user(cls.env, login="hooks_owner", groups=groups)
        cls.other = new_test_user(cls.env, login="hooks_other", groups=groups)
        cls.manager_key = cls.new_api_key(cls.manager)
        cls.other_key = cls.new_api_key(cls.other)
        cls.partner_model = cls.env["ir.model"]._get("res.partner")

    def make_endpoint(self, owner=None, url=None, **vals):
        return (
            self.env["webhook.endpoint"]
            .with_context(tracking_disable=True)
            .create(
                {
                    "name": "Partners",
                    "url": url or f"http://127.0.0.1:{closed_port()}/hook",
                    "model_id": self.partner_model.id,
                    "trigger": "create",
                    "user_id": (owner or self.manager).id,
                    **vals,
                }
            )
        )

    def make_delivery(self, endpoint, state="pending", created=None, attempts=()):
        delivery = endpoint._enqueue_data("create", "res.partner", 7, {"id": 7})
        values = {"state": state, "attempt_count": len(attempts)}
        if state == "delivered":
            values["delivered_at"] = fields.Datetime.now()
        delivery.write(values)
        for number, (status, error) in enumerate(attempts, 1):
            self.env["webhook.delivery.attempt"].create(
                {
                    "delivery_id": delivery.id,
                    "attempt_no": number,
                    "date": fields.Datetime.now(),
                    "duration_ms": 12 * number,
                    "status_code": status,
                    "error": error,
                    "response_excerpt": "busy" if status else False,
                }
            )
        if created:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "UPDATE webhook_delivery SET create_date = %s WHERE id = %s",
                    created,
                    delivery.id,
                )
            )
            delivery.invalidate_recordset(["create_date"])
        return delivery

    # ------------------------------------------------------------ reading
    def test_endpoint_deliveries_filter_and_page_with_cursors(self):
        endpoint = self.make_endpoint()
        dead = self.make_delivery(endpoint, "dead", attempts=[(500, False)])
        delivered = self.make_delivery(endpoint, "delivered", attempts=[(200, False)])
        self.make_delivery(self.make_endpoint(), "dead")  # another endpoint of the owner
        path = f"{ENDPOINTS}/{endpoint.id}/deliveries"

        response = self.api("GET", path, key=self.manager_key)
        self.assertEqual(response.status_code, 200, response.text)
        rows = response.json()["data"]
        self.assertEqual([row["id"] for row in rows], [delivered.id, dead.id])  # newest first
        self.assertEqual(rows[0]["event_id"], delivered.event_id)
        self.assertNotIn("attempts", rows[0])
        self.assertNotIn("payload", rows[0])

        response = self.api("GET", f"{path}?state=dead", key=self.manager_key)
        self.assertEqual([row["id"] for row in response.json()["data"]], [dead.id])
        response = self.api("GET", f"{path}?event=test", key=self.manager_key)
        self.assertEqual(response.json()["data"], [])
        tomorrow = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
        response = self.api(
            "GET", f"{path}?since={tomorrow.replace('+', '%2B')}", key=self.manager_key
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"], [])

        first = self.api("GET", f"{path}?limit=1", key=self.manager_key).json()
        self.assertEqual([row["id"] for row in first["data"]], [delivered.id])
        cursor = first["pagination"]["next_cursor"]
        second = self.api("GET", f"{path}?limit=1&cursor={cursor}", key=self.manager_key).json()
        self.assertEqual([row["id"] for row in second["data"]], [dead.id])
        self.assertFalse(second["pagination"]["has_more"])

    def test_endpoint_deliveries_refuse_garbage_filters(self):
        endpoint = self.make_endpoint()
        path = f"{ENDPOINTS}/{endpoint.id}/deliveries"
        for query in ("state=lost", "since=yesterday", "since=2026-01-01T00:00:00", "colour=red"):
            with self.subTest(query=query):
                self.assertError(self.api("GET", f"{path}?{query}", key=self.manager_key), 400)
        self.assertError(
            self.api("GET", f"{path}?endpoint_id=1", key=self.manager_key), 400, "validation_error"
        )

    def test_delivery_detail_shows_every_attempt(self):
        endpoint = self.make_endpoint()
        delivery = self.make_delivery(
            endpoint, "retrying", attempts=[(0, "timeout after 15 s"), (503, False)]
        )
        response = self.api("GET", f"{DELIVERIES}/{delivery.id}", key=self.manager_key)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual(data["state"], "retrying")
        self.assertEqual(data["endpoint_id"], endpoint.id)
        attempts = data["attempts"]
        self.assertEqual([a["attempt"] for a in attempts], [1, 2])
        self.assertEqual(attempts[0]["status"], None)
        self.assertEqual(attempts[0]["error"], "timeout after 15 s")
        self.assertEqual(attempts[1]["status"], 503)
        self.assertEqual(attempts[1]["duration_ms"], 24)
        self.assertEqual(attempts[1]["response_excerpt"], "busy")
        self.assertTrue(attempts[1]["at"].endswith("Z"))

    def test_another_users_endpoint_and_delivery_are_404(self):
        endpoint = self.make_endpoint()
        delivery = self.make_delivery(endpoint, "dead")
        since = "2020-01-01T00:00:00Z"
        calls = [
            ("GET", f"{DELIVERIES}/{delivery.id}"),
            ("GET", f"{ENDPOINTS}/{endpoint.id}/deliveries"),
            ("POST", f"{DELIVERIES}/{delivery.id}/redeliver"),
            ("POST", f"{ENDPOINTS}/{endpoint.id}/ping"),
            ("POST", f"{ENDPOINTS}/{endpoint.id}/recover?since={since}"),
            ("POST", f"{ENDPOINTS}/{endpoint.id}/rotate-secret"),
        ]
        secret = endpoint.secret
        for method, path in calls:
            with self.subTest(path=path):
                self.assertError(self.api(method, path, key=self.other_key), 404, "not_found")
        listed = self.api("GET", DELIVERIES, key=self.other_key).json()["data"]
        self.assertNotIn(delivery.id, [row["id"] for row in listed])
        self.assertEqual(delivery.state, "dead")
        self.assertEqual(endpoint.secret, secret)

    def test_user_without_webhook_rights_is_refused(self):
        endpoint = self.make_endpoint()
        salesman_key = self.new_api_key(self.salesman)
        for method, path in (
            ("GET", f"{ENDPOINTS}/{endpoint.id}/deliveries"),
            ("POST", f"{ENDPOINTS}/{endpoint.id}/ping"),
        ):
            with self.subTest(path=path), mute_logger("odoo.addons.base.models.ir_model"):
                self.assertError(self.api(method, path, key=salesman_key), 403)

    def test_token_without_webhooks_manage_is_refused(self):
        endpoint = self.make_endpoint()
        delivery = self.make_delivery(endpoint, "dead")
        with self.oauth_tokens(self.manager, {"partners-token": ["partners:read"]}):
            for method, path in (
                ("GET", f"{ENDPOINTS}/{endpoint.id}/deliveries"),
                ("GET", f"{DELIVERIES}/{delivery.id}"),
                ("POST", f"{DELIVERIES}/{delivery.id}/redeliver"),
                ("POST", f"{ENDPOINTS}/{endpoint.id}/ping"),
                ("POST", f"{ENDPOINTS}/{endpoint.id}/rotate-secret"),
            ):
                with self.subTest(path=path):
                    response = self.api(method, path, key="partners-token")
                    self.assertError(response, 403, "insufficient_scope")
        self.assertEqual(delivery.state, "dead")

    def test_scoped_key_without_webhooks_manage_is_refused(self):
        endpoint = self.make_endpoint()
        key = self.env["res.users.apikeys"]._mint_for_user(
            self.manager,
            "partners only",
            "api",
            fields.Datetime.now() + datetime.timedelta(days=5),
            restrictions={"api_scopes": "partners:read"},
        )
        self.assertError(self.api("GET", ENDPOINTS, key=key), 403, "insufficient_scope")
        self.assertError(
            self.api("POST", f"{ENDPOINTS}/{endpoint.id}/ping", key=key), 403, "insufficient_scope"
        )
        scoped = self.env["res.users.apikeys"]._mint_for_user(
            self.manager,
            "webhooks",
            "api",
            fields.Datetime.now() + datetime.timedelta(days=5),
            restrictions={"api_scopes": "webhooks:manage"},
        )
        response = self.api("GET", f"{ENDPOINTS}/{endpoint.id}/deliveries", key=scoped)
        self.assertEqual(response.status_code, 200, response.text)

    # ------------------------------------------------------------ writing
    def test_redeliver_keeps_the_event_id_and_queues_a_new_attempt(self):
        endpoint = self.make_endpoint()
        delivered = self.make_delivery(endpoint, "delivered", attempts=[(200, False)])
        event_id = delivered.event_id
        idem = {"Idempotency-Key": str(uuid.uuid4())}
        path = f"{DELIVERIES}/{delivered.id}/redeliver"
        response = self.api("POST", path, key=self.manager_key, headers=idem)
        self.assertEqual(response.status_code, 202, response.text)
        data = response.json()["data"]
        self.assertEqual(data["event_id"], event_id)
        self.assertEqual(data["state"], "pending")
        self.assertEqual(len(data["attempts"]), 1)  # the log is kept
        delivered.invalidate_recordset()
        self.assertEqual((delivered.state, delivered.attempt_count), ("pending", 0))
        self.assertEqual(
            self.env["webhook.delivery"].search_count([("event_id", "=", event_id)]), 1
        )
        replay = self.api("POST", path, key=self.manager_key, headers=idem)
        self.assertEqual(replay.status_code, 202)
        self.assertEqual(replay.json(), response.json())

    def test_redeliver_refuses_garbage_and_get(self):
        self.assertError(self.api("POST", f"{DELIVERIES}/abc/redeliver", key=self.manager_key), 400)
        self.assertError(
            self.api("POST", f"{DELIVERIES}/999999999/redeliver", key=self.manager_key), 404
        )
        delivery = self.make_delivery(self.make_endpoint())
        self.assertError(
            self.api("GET", f"{DELIVERIES}/{delivery.id}/redeliver", key=self.manager_key), 405
        )

    def test_recover_requeues_only_what_did_not_succeed(self):
        endpoint = self.make_endpoint()
        long_ago = fields.Datetime.now() - datetime.timedelta(days=3)
        old_dead = self.make_delivery(endpoint, "dead", created=long_ago)
        dead = self.make_delivery(endpoint, "dead", attempts=[(500, False)] * 3)
        retrying = self.make_delivery(endpoint, "retrying", attempts=[(502, False)])
        delivered = self.make_delivery(endpoint, "delivered", attempts=[(200, False)])
        pending = self.make_delivery(endpoint, "pending")
        since = (fields.Datetime.now() - datetime.timedelta(hours=1)).isoformat() + "%2B00:00"
        response = self.api(
            "POST", f"{ENDPOINTS}/{endpoint.id}/recover?since={since}", key=self.manager_key
        )
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["data"]["requeued"], 2)
        (old_dead | dead | retrying | delivered | pending).invalidate_recordset()
        self.assertEqual(old_dead.state, "dead")
        self.assertEqual((dead.state, dead.attempt_count), ("pending", 0))
        self.assertEqual(retrying.state, "pending")
        self.assertEqual(delivered.state, "delivered")
        self.assertEqual(pending.state, "pending")

    def test_recover_refuses_a_bad_since(self):
        endpoint = self.make_endpoint()
        dead = self.make_delivery(endpoint, "dead")
        path = f"{ENDPOINTS}/{endpoint.id}/recover"
        for query in (
            "",
            "?since=",
            "?since=yesterday",
            "?since=2026-01-01",
            "?since=2026-01-01T00:00:00",
            "?since=2026-01-01T00:00:00Z&since=2026-01-02T00:00:00Z",
            "?from=2026-01-01T00:00:00Z",
        ):
            with self.subTest(query=query):
                self.assertError(self.api("POST", path + query, key=self.manager_key), 400)
        self.assertEqual(dead.state, "dead")

    # ------------------------------------------------------------ ping
    def test_ping_is_signed_and_reports_the_receiver(self):
        with Receiver() as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            response = self.api("POST", f"{ENDPOINTS}/{endpoint.id}/ping", key=self.manager_key)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertTrue(data["ok"], data)
        self.assertEqual(data["status"], 200)
        self.assertIsNone(data["error"])
        self.assertGreaterEqual(data["latency_ms"], 0)
        (request,) = receiver.requests
        headers = {name.lower(): value for name, value in request["headers"].items()}
        payload = json.loads(request["body"])
        self.assertEqual(payload["type"], "ping")
        self.assertEqual(payload["id"], data["event_id"])
        self.assertEqual(headers["webhook-id"], data["event_id"])
        self.assertEqual(set(payload), {"type", "id", "created_at", "version", "data"})
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode()
        key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
        expected = base64.b64encode(
            hmac.new(key, signed + request["body"], hashlib.sha256).digest()
        ).decode()
        self.assertIn(f"v1,{expected}", headers["webhook-signature"].split())
        self.assertFalse(self.env["webhook.delivery"].search([("endpoint_id", "=", endpoint.id)]))

    def test_ping_to_a_receiver_that_is_down_answers_the_error(self):
        endpoint = self.make_endpoint()  # a closed port
        response = self.api("POST", f"{ENDPOINTS}/{endpoint.id}/ping", key=self.manager_key)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertFalse(data["ok"])
        self.assertIsNone(data["status"])
        self.assertTrue(data["error"])

    def test_ping_to_a_slow_receiver_stops_at_the_timeout(self):
        with socket.socket() as server:  # accepts connections, never answers
            server.bind(("127.0.0.1", 0))
            server.listen(8)
            endpoint = self.make_endpoint(
                url=f"http://127.0.0.1:{server.getsockname()[1]}/hook", timeout=1
            )
            response = self.api("POST", f"{ENDPOINTS}/{endpoint.id}/ping", key=self.manager_key)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertFalse(data["ok"])
        self.assertIn("timeout", data["error"])
        self.assertLess(data["latency_ms"], 5000)

    def test_ping_to_a_refused_target_answers_the_error(self):
        endpoint = self.make_endpoint()
        # loopback was allowed when the endpoint was saved, no longer when it pings
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "")
        response = self.api("POST", f"{ENDPOINTS}/{endpoint.id}/ping", key=self.manager_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("refused", response.json()["data"]["error"])

    # ------------------------------------------------------------ rotate
    def test_rotate_secret_twice(self):
        original = generate_secret()
        endpoint = self.make_endpoint(secret=original, rotation_overlap_hours=6)
        path = f"{ENDPOINTS}/{endpoint.id}/rotate-secret"
        first = self.api("POST", path, key=self.manager_key)
        self.assertEqual(first.status_code, 200, first.text)
        data = first.json()["data"]
        self.assertTrue(data["secret"].startswith("whsec_"))
        self.assertNotEqual(data["secret"], original)
        self.assertEqual(data["overlap_hours"], 6)
        self.assertTrue(data["previous_secret_expires_at"].endswith("Z"))
        endpoint.invalidate_recordset()
        self.assertEqual((endpoint.secret, endpoint.previous_secret), (data["secret"], original))

        second = self.api("POST", path, key=self.manager_key).json()["data"]
        self.assertNotEqual(second["secret"], data["secret"])
        endpoint.invalidate_recordset()
        # two secrets sign: the newest and the one before it
        self.assertEqual(endpoint._signing_secrets(), [second["secret"], data["secret"]])
        detail = self.api("GET", f"{ENDPOINTS}/{endpoint.id}", key=self.manager_key)
        self.assertNotIn(second["secret"], detail.text)

    def test_rotate_secret_refuses_an_idempotency_key(self):
        endpoint = self.make_endpoint()
        secret = endpoint.secret
        response = self.api(
            "POST",
            f"{ENDPOINTS}/{endpoint.id}/rotate-secret",
            key=self.manager_key,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        self.assertError(response, 400, "bad_request")
        self.assertEqual(endpoint.secret, secret)

    # ------------------------------------------------------------ document
    def test_openapi_documents_every_route(self):
        document = self.url_open("/api/v1/openapi.json").json()
        validate(document)
        paths = document["paths"]
        for path, method in (
            ("/webhook-deliveries", "get"),
            ("/webhook-deliveries/{ident}", "get"),
            ("/webhook-endpoints/{ident}/deliveries", "get"),
            ("/webhook-deliveries/{ident}/redeliver", "post"),
            ("/webhook-endpoints/{ident}/ping", "post"),
            ("/webhook-endpoints/{ident}/recover", "post"),
            ("/webhook-endpoints/{ident}/rotate-secret", "post"),
        ):
            with self.subTest(path=path):
                operation = paths[path][method]
                self.assertIn({"oauth2": ["webhooks:manage"]}, operation["security"])
                if path.count("/") > 2:  # the routes of this addon, not the framework's list
                    self.assertIn("404", operation["responses"])
