import uuid

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import new_test_user, tagged

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

    def test_idempotent_replay_rechecks_scope(self):
        """A replay answers only a call the caller may still make: once the
        token lost orders:write, the stored 201 is not handed out again."""
        scopes = {"orders:read", "orders:write"}
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        with self.oauth_tokens(self.salesman, {"scoped-test-token": scopes}):
            first = self.api(
                "POST",
                "/api/v1/orders",
                key="scoped-test-token",
                body=self.body("s"),
                headers=headers,
            )
            self.assertEqual(first.status_code, 201, first.text)
            scopes.discard("orders:write")
            replay = self.api(
                "POST",
                "/api/v1/orders",
                key="scoped-test-token",
                body=self.body("s"),
                headers=headers,
            )
        self.assertError(replay, 403, "insufficient_scope")
        self.assertNotIn("Idempotent-Replayed", replay.headers)

    def test_idempotent_replay_rechecks_access_rights(self):
        """Same when the user lost the group that let them create orders."""
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body("g"), headers=headers
        )
        self.assertEqual(first.status_code, 201, first.text)
        self.salesman.group_ids = self.env.ref("base.group_user")
        replay = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.body("g"), headers=headers
        )
        self.assertError(replay, 403, "forbidden")
        self.assertNotIn("Idempotent-Replayed", replay.headers)

    def own_orders_user(self):
        """A salesman who sees his own orders only (Sales' record rule)."""
        return new_test_user(
            self.env,
            login="api_own_orders",
            password="api_own_orders_pw",
            groups="base.group_user,sales_team.group_sale_salesman",
        )

    def test_idempotent_action_replay_rechecks_the_record(self):
        """Record rules count too: once the order was handed to someone
        else, the salesman gets 403, not the stored answer that renders it."""
        user = self.own_orders_user()
        key = self.new_api_key(user)
        order = self.new_order(user_id=user.id)
        path = f"/api/v1/orders/{order.id}/confirm"
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.api("POST", path, key=key, body={}, headers=headers)
        self.assertEqual(first.status_code, 200, first.text)
        order.user_id = self.env.ref("base.user_admin")
        self.assertError(self.api("GET", f"/api/v1/orders/{order.id}", key=key), 403)
        replay = self.api("POST", path, key=key, body={}, headers=headers)
        self.assertError(replay, 403, "forbidden")
        self.assertNotIn("Idempotent-Replayed", replay.headers)
        self.assertNotIn(order.name, replay.text)

    def test_idempotent_batch_replay_rechecks_the_records_it_updates(self):
        user = self.own_orders_user()
        key = self.new_api_key(user)
        order = self.new_order(user_id=user.id)
        body = {"items": [{"op": "update", "id": str(order.id), "data": {"note": "batched"}}]}
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.api("POST", "/api/v1/orders/batch", key=key, body=body, headers=headers)
        self.assertEqual(first.status_code, 200, first.text)
        order.user_id = self.env.ref("base.user_admin")
        replay = self.api("POST", "/api/v1/orders/batch", key=key, body=body, headers=headers)
        error = self.assertError(replay, 409, "batch_failed")
        self.assertNotIn("Idempotent-Replayed", replay.headers)
        self.assertEqual([(item["index"], item["status"]) for item in error["details"]], [(0, 403)])
        # the same batch without a key gets the same answer
        again = self.api("POST", "/api/v1/orders/batch", key=key, body=body)
        self.assertEqual(again.json()["error"]["details"], error["details"])

    def test_concurrent_claims_on_real_cursors(self):
        """A request's twin gets 409 while it runs, the replay once it committed.

        Real connections, as in production: the request's own transaction
        (REPEATABLE READ, snapshot taken before the claim) stores the answer,
        the claims run in side transactions at READ COMMITTED.
        """
        bucket, key = f"test:{uuid.uuid4()}", "concurrent"
        db = db_connect(self.env.cr.dbname)
        with db.cursor() as request_cr, db.cursor() as side1, db.cursor() as side2:
            try:
                request_cr.execute("SELECT 1")  # the request's snapshot starts here
                read_committed(side1)
                row_id, stored = api.Environment(side1, SUPERUSER_ID, {})[
                    "api.idempotency.key"
                ]._claim(bucket, key, "fp", "request-1")
                side1.commit()  # the claim is committed at once
                self.assertTrue(row_id)
                self.assertIsNone(stored)
                twin = api.Environment(side2, SUPERUSER_ID, {})["api.idempotency.key"]
                read_committed(side2)
                with self.assertRaises(ApiError) as caught:
                    twin._claim(bucket, key, "fp", "request-2")
                self.assertEqual(caught.exception.status, 409)
                side2.rollback()
                read_committed(side2)
                with self.assertRaises(ApiError) as caught:
                    twin._claim(bucket, key, "other-fp", "request-2")
                self.assertEqual(caught.exception.status, 422)
                side2.rollback()
                api.Environment(request_cr, SUPERUSER_ID, {})["api.idempotency.key"]._complete(
                    row_id, 201, '{"data": {}}', {"Location": "/x"}
                )
                request_cr.commit()
                read_committed(side2)
                row_id2, stored = twin._claim(bucket, key, "fp", "request-3")
                self.assertIsNone(row_id2)
                self.assertEqual(stored["status"], 201)
                self.assertEqual(stored["headers"], {"Location": "/x"})
            finally:
                side2.rollback()
                side1.execute(
                    "DELETE FROM api_idempotency_response WHERE key_id IN"
                    " (SELECT id FROM api_idempotency_key WHERE bucket = %s)",
                    [bucket],
                )
                side1.execute("DELETE FROM api_idempotency_key WHERE bucket = %s", [bucket])
                side1.commit()
