import uuid

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import tagged

from odoo.addons.my_api.core import ApiError, read_committed

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestIdempotency(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)

    def body(self, ref):
        return {
            "partner_id": self.partner.id,
            "lines": [{"product_id": self.product.id, "quantity": 1}],
            "note": ref,
        }

    def test_same_key_same_body_replays_the_stored_response(self):
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body("a"), headers=headers
        )
        self.assertEqual(first.status_code, 201, first.text)
        self.assertNotIn("Idempotent-Replayed", first.headers)
        second = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body("a"), headers=headers
        )
        self.assertEqual(second.status_code, 201)
        self.assertEqual(second.headers["Idempotent-Replayed"], "true")
        self.assertEqual(second.json(), first.json())
        self.assertEqual(second.headers["Location"], first.headers["Location"])
        self.assertEqual(
            self.env["sale.order"].search_count(
                [("note", "ilike", "a"), ("create_uid", "=", self.salesman.id)]
            ),
            1,
        )

    def test_same_key_other_body_is_422(self):
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        self.api("POST", "/api/v1/orders", key=self.key, body=self.body("b"), headers=headers)
        response = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body("c"), headers=headers
        )
        self.assertError(response, 422, "idempotency_key_reused")

    def test_keys_are_per_credential(self):
        other_key = self.new_api_key(self.env.ref("base.user_admin"))
        headers = {"Idempotency-Key": "shared-key"}
        first = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body("d"), headers=headers
        )
        second = self.api(
            "POST", "/api/v1/orders", key=other_key, body=self.body("d"), headers=headers
        )
        self.assertEqual(second.status_code, 201)
        self.assertNotIn("Idempotent-Replayed", second.headers)
        self.assertNotEqual(first.json()["data"]["id"], second.json()["data"]["id"])

    def test_failed_request_releases_its_key(self):
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        bad = self.api("POST", "/api/v1/orders", key=self.key, body={"lines": []}, headers=headers)
        self.assertEqual(bad.status_code, 400)
        fixed = self.api(
            "POST", "/api/v1/orders", key=self.key, body={"lines": []}, headers=headers
        )
        self.assertNotIn("Idempotent-Replayed", fixed.headers)
        self.assertError(
            self.api(
                "POST",
                "/api/v1/orders",
                key=self.key,
                body=self.body("e"),
                headers={"Idempotency-Key": "bad key with spaces"},
            ),
            400,
        )

    def test_concurrent_claims_on_two_real_cursors(self):
        """A second request with the key of one still running gets 409."""
        bucket, key = f"test:{uuid.uuid4()}", "concurrent"
        db = db_connect(self.env.cr.dbname)
        with db.cursor() as cr1, db.cursor() as cr2:
            read_committed(cr1)
            read_committed(cr2)
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            try:
                row_id, stored = env1["api.idempotency.key"]._claim(bucket, key, "fp")
                self.assertTrue(row_id)
                self.assertIsNone(stored)
                cr1.commit()  # the claim is committed at once, as in a request
                read_committed(cr1)
                with self.assertRaises(ApiError) as caught:
                    env2["api.idempotency.key"]._claim(bucket, key, "fp")
                self.assertEqual(caught.exception.code, 409)
                with self.assertRaises(ApiError) as caught:
                    env2["api.idempotency.key"]._claim(bucket, key, "other-fp")
                self.assertEqual(caught.exception.code, 422)
                env1["api.idempotency.key"]._complete(row_id, 201, '{"data": {}}', {})
                cr1.commit()
                cr2.rollback()  # a new request: a new transaction
                read_committed(cr2)
                row_id2, stored = env2["api.idempotency.key"]._claim(bucket, key, "fp")
                self.assertIsNone(row_id2)
                self.assertEqual(stored["status"], 201)
            finally:
                cr2.rollback()
                cr1.execute("DELETE FROM api_idempotency_key WHERE bucket = %s", [bucket])
                cr1.commit()
