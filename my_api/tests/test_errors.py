import json

import psycopg2
import werkzeug.exceptions

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.my_api.core import ApiError, translate_exception

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestIntegrityErrors(TransactionCase):
    """A constraint violation answers 409 without PostgreSQL's DETAIL line,
    which quotes the values of the row in the way (another customer's
    email, someone else's reference)."""

    def violation(self, query, params):
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError) as caught:
            with self.env.cr.savepoint():
                self.env.cr.execute(query, params)
        return caught.exception

    def test_integrity_error_hides_detail(self):
        secret = "someone-elses-bucket-7f3a"
        self.env.cr.execute(
            "INSERT INTO api_rate_counter (bucket, window_start, hits) VALUES (%s, now(), 1)"
            " RETURNING window_start",
            [secret],
        )
        (start,) = self.env.cr.fetchone()
        exc = self.violation(
            "INSERT INTO api_rate_counter (bucket, window_start, hits) VALUES (%s, %s, 1)",
            [secret, start],
        )
        self.assertIn(secret, exc.diag.message_detail)  # what PostgreSQL would have told
        for error in (translate_exception(exc), translate_exception(exc, env=self.env)):
            self.assertEqual((error.status, error.code), (409, "conflict"))
            text = f"{error.message} {error.details}"
            self.assertNotIn(secret, text)
            self.assertNotIn(str(start.year), text)
            self.assertNotIn("Key (", text)
            self.assertIn("api_rate_counter_bucket_window_unique", error.message)
        self.assertIn("One counter per window.", error.message)  # the model's own message
        self.assertEqual(
            {(d["field"], d["issue"]) for d in error.details},
            {("bucket", "duplicate"), ("window_start", "duplicate")},
        )

    def test_not_null_and_check_violations_name_field_and_rule(self):
        exc = self.violation(
            "INSERT INTO api_rate_counter (bucket, window_start, hits) VALUES (NULL, now(), 1)",
            [],
        )
        error = translate_exception(exc, env=self.env)
        self.assertEqual(error.status, 409)
        self.assertEqual(error.details, [{"field": "bucket", "issue": "required"}])
        exc = self.violation(
            'INSERT INTO api_rate_limit (user_id, "limit", "window") VALUES (%s, -5, 60)',
            [self.env.uid],
        )
        error = translate_exception(exc, env=self.env)
        self.assertIn("Limits must be positive.", error.message)
        self.assertNotIn("-5", error.message)

    def test_foreign_key_violation_does_not_quote_the_key(self):
        exc = self.violation(
            'INSERT INTO api_rate_limit (user_id, "limit", "window") VALUES (%s, 5, 60)',
            [987654321],
        )
        error = translate_exception(exc, env=self.env)
        self.assertEqual(error.status, 409)
        self.assertNotIn("987654321", f"{error.message} {error.details}")
        self.assertEqual(error.details, [{"field": "user_id", "issue": "invalid_reference"}])


@tagged("post_install", "-at_install")
class TestApiErrorStatusAndCode(TransactionCase):
    """`ApiError.status` is the HTTP status and `ApiError.code` the
    envelope's error code. werkzeug calls the status `code` and Odoo's
    dispatcher reads it: the answer must still carry the right status."""

    def test_status_and_code_hold_what_they_say(self):
        error = ApiError(409, "taken", "conflict", headers={"Retry-After": "1"})
        self.assertEqual((error.status, error.code), (409, "conflict"))
        self.assertEqual(str(error), "409 Conflict: taken")  # as werkzeug logs it
        self.assertEqual(error.name, "Conflict")
        response = error.get_response()
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.headers["Retry-After"], "1")
        envelope = json.loads(response.get_data())["error"]
        self.assertEqual((envelope["code"], envelope["message"]), ("conflict", "taken"))
        self.assertEqual(envelope["request_id"], response.headers["X-Request-Id"])

    def test_code_defaults_to_the_status_own_and_is_never_none(self):
        # Odoo's dispatcher takes an HTTPException whose `code` is None for
        # a response returned through abort(), not for an error
        for error in (ApiError(404, "gone"), translate_exception(werkzeug.exceptions.NotFound())):
            self.assertEqual((error.status, error.code), (404, "not_found"))
        self.assertEqual(ApiError(418, "short and stout").code, "error")


@tagged("post_install", "-at_install")
class TestApiErrorThroughOdoo(ApiCase):
    def test_dispatcher_answers_the_status_with_the_envelope_code(self):
        key = self.new_api_key(self.salesman)
        cases = [
            ("POST", "/api/v1/me", key, 405, "method_not_allowed"),  # raised by the route
            ("GET", "/api/v1/me", None, 401, "unauthorized"),  # by authentication
            ("GET", "/api/v1/orders/999999999", key, 404, "not_found"),  # by the resource
            ("GET", "/api/v1/no/such/route/here", None, 404, "not_found"),  # by the catch-all
        ]
        for method, path, secret, status, code in cases:
            with self.subTest(method=method, path=path):
                self.assertError(self.api(method, path, key=secret), status, code)
