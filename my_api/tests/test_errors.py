import psycopg2

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.my_api.core import translate_exception


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
            self.assertEqual((error.code, error.error_code), (409, "conflict"))
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
        self.assertEqual(error.code, 409)
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
        self.assertEqual(error.code, 409)
        self.assertNotIn("987654321", f"{error.message} {error.details}")
        self.assertEqual(error.details, [{"field": "user_id", "issue": "invalid_reference"}])
