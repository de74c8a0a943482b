"""What an administrator reads about the API's use: the request analysis
(graph, pivot), the top errors and each credential's rate limit usage."""

import statistics
import uuid
from unittest.mock import patch

from odoo.tests import tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestRequestAnalysis(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.marker = uuid.uuid4().hex[:8]

    def log(self, path, status=200, duration=1.0, credential="API key #1", code=None):
        """Write one request log line the way the API does (its INSERT)."""
        self.env.cr.execute(
            self.env["api.request.log"]._insert_query(
                {
                    "method": "GET",
                    "path": path,
                    "status": status,
                    "duration_ms": duration,
                    "user_id": self.salesman.id,
                    "auth_method": "api_key",
                    "credential": credential,
                    "request_id": f"{self.marker}-{uuid.uuid4().hex[:6]}",
                    "ip": "127.0.0.1",
                    "error_code": code,
                }
            )
        )

    def mine(self):
        return [("route", "like", f"/{self.marker}")]

    def test_requests_count_per_route_whatever_the_record(self):
        """/things/7 and /things/xid:a.b are one route: one bar, not one per record."""
        base = f"/api/v1/{self.marker}"
        for path in (f"{base}/7", f"{base}/8", f"{base}/xid:mod.name", f"{base}/ref:SO1/confirm"):
            self.log(path)
        self.log(base, status=404, code="not_found")
        groups = self.env["api.request.stats"]._read_group(
            self.mine(), ["route", "status_class"], ["__count"]
        )
        self.assertEqual(
            sorted(groups),
            [
                (f"GET {base}", "4xx", 1),
                (f"GET {base}/{{id}}", "2xx", 3),
                (f"GET {base}/{{id}}/confirm", "2xx", 1),
            ],
        )

    def test_p50_p95_are_percentiles_of_each_group_not_averages(self):
        """A pivot cell's p95 is the 95th percentile of its requests, at
        every level: a total is not the average of its rows' p95."""
        fast, slow = f"/api/v1/{self.marker}/fast", f"/api/v1/{self.marker}/slow"
        for ms in range(1, 101):
            self.log(fast, duration=float(ms))
        for ms in (1000.0, 2000.0):
            self.log(slow, duration=ms)
        stats = self.env["api.request.stats"]
        by_route = {
            route: (p50, p95)
            for route, p50, p95 in stats._read_group(
                self.mine(), ["route"], ["p50_ms:avg", "p95_ms:avg"]
            )
        }
        self.assertAlmostEqual(by_route[f"GET {fast}"][0], 50.5)
        self.assertAlmostEqual(by_route[f"GET {fast}"][1], 95.05)
        self.assertAlmostEqual(by_route[f"GET {slow}"][1], 1950.0)
        [(p50, p95)] = stats._read_group(self.mine(), [], ["p50_ms:avg", "p95_ms:avg"])
        durations = [float(ms) for ms in range(1, 101)] + [1000.0, 2000.0]
        self.assertAlmostEqual(p50, statistics.median(durations))
        self.assertGreater(p95, 95.05)
        # the pivot asks through formatted_read_group: the same numbers
        [total] = stats.formatted_read_group(self.mine(), [], ["p95_ms:avg"])
        self.assertAlmostEqual(total["p95_ms:avg"], p95)

    def test_error_code_of_a_refused_request_is_logged(self):
        """The log says why a request was refused, not only its status.

        An error's line is written on a side transaction, which under test
        is rolled back with the request: the INSERT is watched instead."""
        RequestLog = type(self.env["api.request.log"])
        real_insert = RequestLog._insert_query
        logged = {}

        def insert_query(model, values):
            logged[values["request_id"]] = (values["status"], values["error_code"])
            return real_insert(model, values)

        with patch.object(RequestLog, "_insert_query", insert_query):
            missing = self.api("GET", "/api/v1/orders/999999999", key=self.key)
            bad = self.api("GET", "/api/v1/orders?limit=nope", key=self.key)
            fine = self.api("GET", "/api/v1/me", key=self.key)
        self.assertError(missing, 404, "not_found")
        self.assertEqual(logged[missing.headers["X-Request-Id"]], (404, "not_found"))
        code = self.assertError(bad, 400)["code"]
        self.assertEqual(logged[bad.headers["X-Request-Id"]], (400, code))
        self.assertEqual(logged[fine.headers["X-Request-Id"]], (200, None))

    def test_top_errors_most_frequent_first(self):
        base = f"/api/v1/{self.marker}"
        for _ in range(3):
            self.log(f"{base}/1", status=422, code="validation_error", credential="A")
        self.log(f"{base}/2", status=422, code="validation_error", credential="B")
        self.log(f"{base}/2", status=500, code="internal_error")
        self.log(f"{base}/2", status=200)
        errors = self.env["api.request.error"].search(self.mine())
        self.assertEqual(
            [(e.route, e.status, e.error_code, e.count) for e in errors],
            [
                (f"GET {base}/{{id}}", 422, "validation_error", 4),
                (f"GET {base}/{{id}}", 500, "internal_error", 1),
            ],
        )
        self.assertEqual(errors[0].credential_count, 2)
        self.assertTrue(errors[0].last_request_id.startswith(self.marker))

    def test_usage_per_credential_against_its_limit(self):
        """An administrator sees how close each credential is to a 429,
        against the limit the API applies to it (the user's rule here)."""
        self.env["api.rate.limit"].create({"user_id": self.salesman.id, "limit": 4, "window": 3600})
        for _ in range(3):
            self.assertEqual(self.api("GET", "/api/v1/me", key=self.key).status_code, 200)
        usage = self.env["api.rate.usage"].search([("bucket", "=", f"user:{self.salesman.id}")])
        self.assertEqual(len(usage), 1)
        self.assertEqual((usage.kind, usage.user_id), ("user", self.salesman))
        self.assertEqual((usage.current_hits, usage.limit, usage.window), (3, 4, 3600))
        self.assertAlmostEqual(usage.usage_percent, 75.0)

    def test_analysis_screens_are_for_administrators_only(self):
        for model in ("api.request.stats", "api.request.error", "api.rate.usage"):
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(self.salesman).has_access("read"), model)
