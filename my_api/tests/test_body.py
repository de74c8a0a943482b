import json
import uuid

from odoo.tests import tagged

from .common import ApiCase

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data; boundary=b")


@tagged("post_install", "-at_install")
class TestRequestBody(ApiCase):
    """Bodies as a careless or hostile sender makes them: chunked without a
    length, endless, nested beyond any parser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)

    def headers(self, **extra):
        return {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": "application/json",
            **extra,
        }

    def order_body(self, note):
        return json.dumps(
            {
                "partner_id": self.partner.id,
                "lines": [{"product_id": self.product.id, "quantity": 1}],
                "note": note,
            }
        ).encode()

    def test_chunked_body_bounded_while_reading(self):
        """A chunked body over the limit is refused once limit + 1 bytes are
        in, while the sender is still sending: it is never buffered whole."""
        self.env["ir.config_parameter"].set_param("my_api.max_body_bytes", "1024")
        status, headers, body = self.chunked_post(
            "/api/v1/orders", [b"[" + b" " * 4095], self.headers(), finish=False
        )
        self.assertEqual(status, 413, body)
        self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")
        self.assertTrue(headers["X-Request-Id"])
        self.assertFalse(self.env["sale.order"].search([("create_uid", "=", self.salesman.id)]))

    def test_chunked_body_over_the_limit_in_small_chunks(self):
        self.env["ir.config_parameter"].set_param("my_api.max_body_bytes", "1024")
        status, _headers, body = self.chunked_post(
            "/api/v1/orders", [b" " * 100] * 11, self.headers(), finish=False
        )
        self.assertEqual(status, 413, body)

    def test_chunked_form_body_bounded_while_reading(self):
        """Odoo parses a form body (urlencoded, multipart) before the route
        runs, and without a Content-Length it reads it to its end: an
        /api/v1 route must still stop at its limit and answer 413."""
        self.env["ir.config_parameter"].set_param("my_api.max_body_bytes", "1024")
        for content_type in FORM_TYPES:
            with self.subTest(content_type=content_type):
                status, _headers, body = self.chunked_post(
                    "/api/v1/orders",
                    [b"a=" + b"b" * 4094],
                    {**self.headers(), "Content-Type": content_type},
                    finish=False,
                    timeout=5,
                )
                self.assertEqual(status, 413, body)
                self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")

    def test_form_body_within_the_limit_is_415(self):
        for content_type in FORM_TYPES:
            with self.subTest(content_type=content_type):
                status, _headers, body = self.chunked_post(
                    "/api/v1/orders", [b"a=b"], {**self.headers(), "Content-Type": content_type}
                )
                self.assertEqual(status, 415, body)

    def test_chunked_body_within_the_limit_is_read_once_for_everyone(self):
        """The body read in chunks is the one the route parses and the one
        the Idempotency-Key fingerprint covers: a replay, chunked or not,
        matches it."""
        body = self.order_body("chunked")
        chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
        headers = self.headers(**{"Idempotency-Key": str(uuid.uuid4())})
        status, first_headers, first = self.chunked_post("/api/v1/orders", chunks, headers)
        self.assertEqual(status, 201, first)
        self.assertEqual(self.env["sale.order"].search_count([("note", "ilike", "chunked")]), 1)
        status, replay_headers, replay = self.chunked_post("/api/v1/orders", chunks, headers)
        self.assertEqual(status, 201, replay)
        self.assertEqual(replay_headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(json.loads(replay), json.loads(first))
        same = self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            raw=body,
            headers={
                "Idempotency-Key": headers["Idempotency-Key"],
                "Content-Type": "application/json",
            },
        )
        self.assertEqual(same.headers.get("Idempotent-Replayed"), "true", same.text)
        self.assertEqual(first_headers["Location"], same.headers["Location"])
        self.assertEqual(self.env["sale.order"].search_count([("note", "ilike", "chunked")]), 1)

    def test_broken_chunked_encoding_is_400(self):
        status, _headers, body = self.chunked_post(
            "/api/v1/orders", [], self.headers(), finish=False, tail=b"zz\r\n{}\r\n0\r\n\r\n"
        )
        self.assertEqual(status, 400, body)
        self.assertEqual(json.loads(body)["error"]["code"], "bad_request")

    def test_deep_json_is_400(self):
        for raw in (b"[" * 100000, b'{"a":' * 50000, b"[" * 5000 + b"]" * 5000):
            with self.subTest(size=len(raw)):
                response = self.api(
                    "POST",
                    "/api/v1/orders",
                    key=self.key,
                    raw=raw,
                    headers={"Content-Type": "application/json"},
                )
                error = self.assertError(response, 400, "bad_request")
                self.assertIn("nested too deeply", error["message"])

    def test_deep_but_parseable_json_is_400(self):
        """Deep enough to worry code that walks the document, not the parser."""
        deep = '{"partner_id": %d, "lines": [], "note": %s}' % (
            self.partner.id,
            "[" * 900 + "]" * 900,
        )
        response = self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            raw=deep.encode(),
            headers={"Content-Type": "application/json"},
        )
        self.assertError(response, 400)
