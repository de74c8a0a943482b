"""Odoo runs a request again after a serialization failure.

`odoo.service.model.retrying` rolls the request's transaction back and calls
the whole route again, on the same `request` (and so the same ApiContext),
up to five times; HttpCase serves requests through it too. What the API
writes on its own connections (rate-limit hits, the request log, the
Idempotency-Key claim) must count the client's request once, not each try.

Under the test suite every cursor shares the test's transaction, so a side
statement of a failed try is rolled back with it (in production it is
committed at once): these tests count the side statements issued, and look
at what the request's own transaction keeps. tests/e2e/test_request_retry.py
shows the same on a real server, with real concurrent transactions.
"""

import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.http import request
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.my_api.core import ApiError, read_committed

from .common import ApiCase

SERIALIZATION_FAILURE = (
    "DO $$ BEGIN RAISE EXCEPTION 'simulated concurrent update'"
    " USING ERRCODE = 'serialization_failure'; END $$"
)


@tagged("post_install", "-at_install")
class TestRequestRetry(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)

    def body(self, note):
        return {
            "partner_id": self.partner.id,
            "lines": [{"product_id": self.product.id, "quantity": 1}],
            "note": note,
        }

    def fail_after_answer(self, path, times=1, error=None):
        """Make the next `times` requests to `path` fail once their route
        answered (in ir.http._post_dispatch, as a commit would fail): with a
        real serialization failure from PostgreSQL, or `error`."""
        IrHttp = type(self.env["ir.http"])
        real = IrHttp._post_dispatch
        left = [times]

        def post_dispatch(cls, response):
            if left[0] and request.httprequest.path == path:
                left[0] -= 1
                if error is not None:
                    raise error
                request.env.cr.execute(SERIALIZATION_FAILURE, log_exceptions=False)
            return real(response)

        return patch.object(IrHttp, "_post_dispatch", classmethod(post_dispatch))

    def count_side_statements(self):
        """Spy on the rate-limit hits and request-log lines built, by request id."""
        Counter = type(self.env["api.rate.counter"])
        RequestLog = type(self.env["api.request.log"])
        real_hit, real_hits, real_log = (
            Counter._hit_query,
            Counter._hits_query,
            RequestLog._insert_query,
        )
        seen = {"hits": 0, "logs": []}

        def hit_query(model, *args):
            seen["hits"] += 1
            return real_hit(model, *args)

        def hits_query(model, *args):
            seen["hits"] += 1
            return real_hits(model, *args)

        def insert_query(model, values):
            seen["logs"].append((values["request_id"], values["status"]))
            return real_log(model, values)

        patches = [
            patch.object(Counter, "_hit_query", hit_query),
            patch.object(Counter, "_hits_query", hits_query),
            patch.object(RequestLog, "_insert_query", insert_query),
        ]
        for patcher in patches:
            patcher.start()
            self.addCleanup(patcher.stop)
        return seen

    def log_lines(self, request_id):
        return self.env["api.request.log"].search([("request_id", "=", request_id)])

    def test_retried_idempotent_post_is_counted_logged_and_stored_once(self):
        key, marker = str(uuid.uuid4()), f"retry-{uuid.uuid4().hex}"
        headers = {"Idempotency-Key": key, "X-Request-Id": marker}
        seen = self.count_side_statements()
        with self.fail_after_answer("/api/v1/orders"):
            first = self.api(
                "POST", "/api/v1/orders", key=self.key, body=self.body(marker), headers=headers
            )
        self.assertEqual(first.status_code, 201, first.text)
        self.assertNotIn("Idempotent-Replayed", first.headers)
        self.assertEqual(seen["hits"], 1, "the retry counted the request against its limit again")
        lines = self.log_lines(marker)
        self.assertEqual(len(lines), 1, "one request log line per client request")
        self.assertEqual(lines.status, 201)
        self.assertEqual(self.env["sale.order"].search_count([("note", "ilike", marker)]), 1)
        claim = self.env["api.idempotency.key"].search([("key", "=", key)])
        self.assertEqual(len(claim), 1)
        stored = self.env["api.idempotency.response"].search([("key_id", "=", claim.id)])
        self.assertEqual(stored.status, 201)
        replay = self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            body=self.body(marker),
            headers={"Idempotency-Key": key},
        )
        self.assertEqual(replay.status_code, 201, replay.text)
        self.assertEqual(replay.headers["Idempotent-Replayed"], "true")
        self.assertEqual(replay.json(), first.json())
        self.assertEqual(self.env["sale.order"].search_count([("note", "ilike", marker)]), 1)

    def test_request_failing_every_try_is_a_logged_409_and_frees_its_key(self):
        """Once Odoo gives up, the client gets the API's JSON 409 (retry it),
        the request is logged with that status, and its key is free."""
        key, marker = str(uuid.uuid4()), f"gave-up-{uuid.uuid4().hex}"
        headers = {"Idempotency-Key": key, "X-Request-Id": marker}
        with (
            patch("odoo.service.model.MAX_TRIES_ON_CONCURRENCY_FAILURE", 2),
            self.fail_after_answer("/api/v1/orders", times=2),
            mute_logger("odoo.http", "odoo.service.model"),
        ):
            failed = self.api(
                "POST", "/api/v1/orders", key=self.key, body=self.body(marker), headers=headers
            )
        self.assertError(failed, 409, "conflict")
        self.assertEqual(failed.headers["X-Request-Id"], marker)
        self.assertTrue(int(failed.headers["Retry-After"]) > 0)
        self.assertIn("RateLimit-Remaining", failed.headers)
        self.assertEqual(self.log_lines(marker).mapped("status"), [409])
        again = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body(marker), headers=headers
        )
        self.assertEqual(again.status_code, 201, again.text)
        self.assertNotIn("Idempotent-Replayed", again.headers)
        self.assertEqual(self.env["sale.order"].search_count([("note", "ilike", marker)]), 1)

    def test_error_after_the_answer_is_a_logged_json_500(self):
        """A failure after the route answered (not a concurrency one) is the
        API's 500 envelope with the request id, logged once as a 500."""
        marker = f"late-error-{uuid.uuid4().hex}"
        with (
            self.fail_after_answer("/api/v1/me", error=RuntimeError("late failure")),
            mute_logger("odoo.http", "odoo.addons.my_api.core"),
        ):
            response = self.api("GET", "/api/v1/me", key=self.key, headers={"X-Request-Id": marker})
        error = self.assertError(response, 500, "internal_error")
        self.assertIn(marker, error["message"])
        self.assertNotIn("late failure", response.text)
        self.assertEqual(self.log_lines(marker).mapped("status"), [500])


@tagged("post_install", "-at_install")
class TestIdempotencyClaimOfARetry(TransactionCase):
    def test_retry_takes_over_its_own_claim_and_only_its_own(self):
        """A try whose claim was not released (the release failed) leaves it
        to the next try of the same request, recognised by the request's
        token; any other request still gets 409. Real connections."""
        bucket, key = f"test:{uuid.uuid4()}", "retried"
        db = db_connect(self.env.cr.dbname)
        with db.cursor() as cr:
            try:
                keys = api.Environment(cr, SUPERUSER_ID, {})["api.idempotency.key"]
                read_committed(cr)
                row_id, stored = keys._claim(bucket, key, "fp", "token-of-request-1")
                cr.commit()
                self.assertTrue(row_id)
                self.assertIsNone(stored)
                read_committed(cr)
                retry_row, stored = keys._claim(bucket, key, "fp", "token-of-request-1")
                cr.commit()
                self.assertEqual(retry_row, row_id)
                self.assertIsNone(stored)
                read_committed(cr)
                with self.assertRaises(ApiError) as caught:
                    keys._claim(bucket, key, "fp", "token-of-request-2")
                self.assertEqual(caught.exception.status, 409)
                cr.rollback()
            finally:
                cr.rollback()
                cr.execute("DELETE FROM api_idempotency_key WHERE bucket = %s", [bucket])
                cr.commit()
