"""/api/v1/webhook-endpoints writes that Odoo runs again after a
serialization failure count once against the endpoint write limit (see
my_api/tests/test_request_retry.py for the request's own bookkeeping)."""

from unittest.mock import patch

from odoo.http import request
from odoo.tests import new_test_user, tagged

from odoo.addons.my_api.public.testing import ApiCase

from ..lib.signing import generate_secret

PATH = "/api/v1/webhook-endpoints"
SERIALIZATION_FAILURE = (
    "DO $$ BEGIN RAISE EXCEPTION 'simulated concurrent update'"
    " USING ERRCODE = 'serialization_failure'; END $$"
)


@tagged("post_install", "-at_install")
class TestWebhookApiRetry(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="webhook_retried",
            groups="base.group_user,my_webhooks.group_webhook_manager",
        )
        cls.manager_key = cls.new_api_key(cls.manager)

    def test_retried_endpoint_write_counts_once(self):
        created = self.api(
            "POST",
            PATH,
            key=self.manager_key,
            body={
                "name": "Retried",
                "url": "https://93.184.215.14/hooks/odoo",
                "model": "res.partner",
                "trigger": "create",
                "secret": generate_secret(),
            },
        )
        self.assertEqual(created.status_code, 201, created.text)
        item = f"{PATH}/{created.json()['data']['id']}"
        IrHttp = type(self.env["ir.http"])
        Counter = type(self.env["api.rate.counter"])
        real_post_dispatch, real_hit = IrHttp._post_dispatch, Counter._hit_query
        failures, write_hits = [1], []

        def post_dispatch(cls, response):
            if failures and request.httprequest.path == item:
                failures.pop()
                request.env.cr.execute(SERIALIZATION_FAILURE, log_exceptions=False)
            return real_post_dispatch(response)

        def hit_query(model, bucket, window_start):
            if bucket.startswith("webhook-endpoint-write:"):
                write_hits.append(bucket)
            return real_hit(model, bucket, window_start)

        with (
            patch.object(IrHttp, "_post_dispatch", classmethod(post_dispatch)),
            patch.object(Counter, "_hit_query", hit_query),
        ):
            response = self.api("PATCH", item, key=self.manager_key, body={"name": "Renamed"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertFalse(failures, "the first try failed")
        self.assertEqual(len(write_hits), 1, "the retry counted the write again")
        self.assertEqual(response.json()["data"]["name"], "Renamed")
