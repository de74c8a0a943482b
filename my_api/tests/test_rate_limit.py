import threading
import uuid
from datetime import datetime
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import tagged

from odoo.addons.my_api.core import read_committed

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestRateLimit(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)

    def test_headers_on_every_response(self):
        response = self.api("GET", "/api/v1/me", key=self.key)
        self.assertEqual(response.headers["RateLimit-Limit"], "600")
        self.assertEqual(int(response.headers["RateLimit-Remaining"]), 599)
        self.assertTrue(0 < int(response.headers["RateLimit-Reset"]) <= 60)
        self.assertEqual(response.headers["RateLimit-Policy"], '"user";q=600;w=60')
        error = self.api("GET", "/api/v1/orders/0", key=self.key)
        self.assertEqual(int(error.headers["RateLimit-Remaining"]), 598)

    def test_429_with_retry_after_when_exceeded(self):
        apikey = self.env["res.users.apikeys"].search([("user_id", "=", self.salesman.id)], limit=1)
        self.env["api.rate.limit"].create({"apikey_id": apikey.id, "limit": 3, "window": 3600})
        for _ in range(3):
            self.assertEqual(self.api("GET", "/api/v1/me", key=self.key).status_code, 200)
        response = self.api("GET", "/api/v1/me", key=self.key)
        self.assertError(response, 429, "rate_limited")
        retry_after = int(response.headers["Retry-After"])
        self.assertTrue(0 < retry_after <= 3600)
        self.assertIn(f"t={retry_after}", response.headers["RateLimit"])
        self.assertEqual(response.headers["RateLimit-Remaining"], "0")
        # another credential of the same user has its own budget
        self.assertEqual(
            self.api("GET", "/api/v1/me", key=self.new_api_key(self.salesman)).status_code, 200
        )

    def test_user_rule_and_unlimited(self):
        self.env["api.rate.limit"].create({"user_id": self.salesman.id, "limit": 1, "window": 60})
        other = self.new_api_key(self.salesman)
        self.assertEqual(self.api("GET", "/api/v1/me", key=other).headers["RateLimit-Limit"], "1")
        self.env["ir.config_parameter"].set_param("my_api.rate_limit", "0")
        admin_key = self.new_api_key(self.env.ref("base.user_admin"))
        self.assertNotIn("RateLimit-Limit", self.api("GET", "/api/v1/me", key=admin_key).headers)

    def test_unreadable_limits_fall_back_to_their_defaults(self):
        """An administrator's typo in a system parameter must not make every
        request fail: the limit in force is the default."""
        params = self.env["ir.config_parameter"]
        for text in ("abc", "1e3", "9" * 5000, "60,300"):
            with self.subTest(text=text[:20]):
                params.set_param("my_api.rate_limit", text)
                params.set_param("my_api.rate_limit_window", text)
                response = self.api("GET", "/api/v1/me", key=self.new_api_key(self.salesman))
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(response.headers["RateLimit-Policy"], '"user";q=600;w=60')

    def test_rate_limit_counts_per_user_across_keys(self):
        """A user who mints more keys does not get more requests: the user's
        budget is counted across all of them (and the session)."""
        self.env["api.rate.limit"].create({"user_id": self.salesman.id, "limit": 3, "window": 3600})
        for key in (self.key, self.new_api_key(self.salesman)):
            self.assertEqual(self.api("GET", "/api/v1/me", key=key).status_code, 200)
        self.authenticate("api_salesman", "api_salesman_pw")
        session = self.api("GET", "/api/v1/me")
        self.assertEqual(session.status_code, 200, session.text)
        self.assertEqual(session.headers["RateLimit-Remaining"], "0")
        self.logout()
        response = self.api("GET", "/api/v1/me", key=self.new_api_key(self.salesman))
        self.assertError(response, 429, "rate_limited")
        self.assertEqual(response.headers["RateLimit-Limit"], "3")
        # another user keeps a budget of their own
        admin_key = self.new_api_key(self.env.ref("base.user_admin"))
        self.assertEqual(self.api("GET", "/api/v1/me", key=admin_key).status_code, 200)

    def test_headers_describe_the_tighter_bucket(self):
        apikey = self.env["res.users.apikeys"].search([("user_id", "=", self.salesman.id)], limit=1)
        rule = self.env["api.rate.limit"].create({"apikey_id": apikey.id, "limit": 2, "window": 60})
        response = self.api("GET", "/api/v1/me", key=self.key)
        self.assertEqual(response.headers["RateLimit-Limit"], "2")  # the key's own rule
        self.assertEqual(response.headers["RateLimit-Remaining"], "1")
        self.assertTrue(response.headers["RateLimit-Policy"].startswith('"key";q=2;w=60'))
        rule.write({"limit": 1000, "window": 3600})
        self.env["api.rate.limit"].create({"user_id": self.salesman.id, "limit": 5, "window": 60})
        response = self.api("GET", "/api/v1/me", key=self.key)
        self.assertEqual(response.headers["RateLimit-Limit"], "5")  # the user's rule binds first
        self.assertEqual(response.headers["RateLimit-Policy"], '"user";q=5;w=60')
        # the user's bucket counted the first request too (same 60 s window)
        self.assertIn('"user";r=3;', response.headers["RateLimit"])

    def test_anonymous_requests_limited_per_address(self):
        """Requests without a valid credential are counted per client address
        before any key is checked; authenticated ones do not spend that budget."""
        self.env["ir.config_parameter"].set_param("my_api.rate_limit_anonymous", "3")
        for _ in range(4):
            self.assertEqual(self.api("GET", "/api/v1/me", key=self.key).status_code, 200)
        self.assertError(self.api("GET", "/api/v1/me"), 401)
        self.assertError(self.api("GET", "/api/v1/me", key="f" * 40), 401)
        self.assertError(
            self.api("GET", "/api/v1/me", headers={"Authorization": "Basic YTpi"}), 401
        )
        response = self.api("GET", "/api/v1/orders", key="e" * 40)
        self.assertError(response, 429, "rate_limited")
        retry_after = int(response.headers["Retry-After"])
        self.assertTrue(0 < retry_after <= 60)
        self.assertIn(f"t={retry_after}", response.headers["RateLimit"])
        self.assertTrue(response.headers["RateLimit-Policy"].startswith('"address";q=3;w=60'))
        # over the limit, a key that is not yet verified is not even checked
        IrHttp = type(self.env["ir.http"])
        with patch.object(IrHttp, "_api_verify_apikey", side_effect=AssertionError("checked")):
            self.assertError(self.api("GET", "/api/v1/me", key="d" * 40), 429, "rate_limited")
            # while a key this worker already verified keeps working
            self.assertEqual(self.api("GET", "/api/v1/me", key=self.key).status_code, 200)

    def test_counter_is_shared_by_concurrent_workers(self):
        """Two workers (threads with real cursors) count into one window."""
        bucket = f"test:{uuid.uuid4()}"
        start = datetime(2026, 1, 1, 12, 0, 0)
        db = db_connect(self.env.cr.dbname)
        results = []

        def worker():
            for _ in range(25):
                with db.cursor() as cr:
                    read_committed(cr)
                    results.append(
                        api.Environment(cr, SUPERUSER_ID, {})["api.rate.counter"]._hit(
                            bucket, start
                        )
                    )
                    cr.commit()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            self.assertEqual(sorted(results), list(range(1, 51)))
        finally:
            with db.cursor() as cr:
                cr.execute("DELETE FROM api_rate_counter WHERE bucket = %s", [bucket])
                cr.commit()
