import json

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.my_api.public.testing import ApiCase

from .common import WebhookCase
from .inbound_common import signed_headers

SECRET = "hardening-secret"


@tagged("post_install", "-at_install")
class TestInboundBody(ApiCase):
    """Inbound bodies as a hostile sender makes them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["webhook.source"].create(
            {"name": "Hardening", "slug": "test-hardening", "scheme": "generic", "secret": SECRET}
        )

    def events(self):
        self.env.invalidate_all()
        return self.env["webhook.event"].search([("source_id", "=", self.source.id)])

    def test_chunked_inbound_body_bounded_while_reading(self):
        """No Content-Length to refuse up front: the intake stops reading at
        the source's limit and answers 413 while the sender is still sending."""
        self.source.max_body_kb = 1
        status, _headers, body = self.chunked_post(
            f"/api/v1/webhooks/{self.source.slug}",
            [b"{" + b" " * 4095],
            {"Content-Type": "application/json", "X-Signature": "sha256=00"},
            finish=False,
        )
        self.assertEqual(status, 413, body)
        self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")
        self.assertFalse(self.events())

    def test_chunked_form_inbound_body_bounded_while_reading(self):
        """Odoo parses a form body before any route runs, to its end when
        it is chunked: the intake must still stop at the source's limit."""
        self.source.max_body_kb = 1
        for content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b",
        ):
            with self.subTest(content_type=content_type):
                status, _headers, body = self.chunked_post(
                    f"/api/v1/webhooks/{self.source.slug}",
                    [b"a=" + b"b" * 4094],
                    {"Content-Type": content_type, "X-Signature": "sha256=00"},
                    finish=False,
                    timeout=5,
                )
                self.assertEqual(status, 413, body)
                self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")
        self.assertFalse(self.events())

    def test_form_inbound_body_is_verified_over_its_raw_bytes(self):
        """The signature covers the bytes sent, whatever their content type:
        a form body is refused for not being JSON (400), not as a forgery
        because Odoo's form parsing consumed it first (401)."""
        body = b"a=1&b=2"
        response = self.url_open(
            f"/api/v1/webhooks/{self.source.slug}",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **signed_headers("generic", SECRET, body),
            },
        )
        self.assertError(response, 400, "bad_request")
        self.assertIn("JSON", response.json()["error"]["message"])
        self.assertFalse(self.events())

    def test_chunked_inbound_body_within_the_limit_is_verified_and_stored(self):
        payload = json.dumps({"id": "evt-chunked", "type": "t", "pad": "x" * 300}).encode()
        chunks = [payload[i : i + 50] for i in range(0, len(payload), 50)]
        headers = {"Content-Type": "application/json", **signed_headers("generic", SECRET, payload)}
        status, _headers, body = self.chunked_post(
            f"/api/v1/webhooks/{self.source.slug}", chunks, headers
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["status"], "accepted")
        self.assertEqual(self.events().payload, payload.decode())

    def test_deep_inbound_json_is_400(self):
        deep = b"[" * 100000
        response = self.url_open(
            f"/api/v1/webhooks/{self.source.slug}",
            data=deep,
            headers={"Content-Type": "application/json", **signed_headers("generic", SECRET, deep)},
        )
        self.assertError(response, 400, "bad_request")
        self.assertFalse(self.events())


@tagged("post_install", "-at_install")
class TestTargetRefusal(WebhookCase):
    def test_refusal_does_not_echo_the_private_address(self):
        """Whoever registers a URL learns that its host is private, not which
        internal address the name resolved to."""
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "")
        with self.assertRaises(ValidationError) as caught:
            self.make_endpoint(url="http://localhost:8069/hook")
        message = str(caught.exception)
        self.assertIn("localhost", message)
        self.assertIn("a private or reserved address", message)
        self.assertNotIn("127.0.0.1", message)
        self.assertNotIn("::1", message)

    def test_allow_list_entry_with_a_port(self):
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "127.0.0.1:8069")
        self.assertTrue(self.make_endpoint(url="http://127.0.0.1:8069/hook"))
        with self.assertRaises(ValidationError):
            self.make_endpoint(url="http://127.0.0.1:5432/hook")
