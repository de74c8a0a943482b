import base64
import hashlib
import hmac
import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..lib.signing import secret_key
from .common import Receiver, WebhookCase


@tagged("post_install", "-at_install")
class TestWebhookDelivery(WebhookCase):
    """The worker posts outbox rows to a real receiver on 127.0.0.1."""

    def assert_signed(self, request, secret):
        body, headers = request["body"], request["headers"]
        expected_hex = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Odoo-Signature"], f"sha256={expected_hex}")
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected_b64 = base64.b64encode(
            hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
        ).decode()
        self.assertEqual(headers["webhook-signature"], f"v1,{expected_b64}")

    def test_delivered_once_with_both_signatures(self):
        with Receiver() as receiver:
            endpoint = self.make_endpoint(url=receiver.url, custom_headers="X-Tenant: 7")
            partner = self.env["res.partner"].create({"name": "Signed"})
            self.deliver(rounds=2)
        self.assertEqual(len(receiver.requests), 1)
        request = receiver.requests[0]
        delivery = self.deliveries(endpoint)
        self.assert_signed(request, endpoint.secret)
        headers = request["headers"]
        self.assertEqual(headers["webhook-id"], delivery.event_id)
        self.assertEqual(headers["X-Odoo-Event"], "create")
        self.assertEqual(headers["X-Tenant"], "7")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(json.loads(request["body"])["data"]["id"], partner.id)
        self.assertEqual(request["body"].decode(), delivery.payload)
        self.assertEqual((delivery.state, delivery.attempt_count), ("delivered", 1))
        self.assertEqual(delivery.attempt_ids.status_code, 200)
        self.assertEqual(endpoint.last_status, "200")

    def test_two_failures_then_success_on_the_third_attempt(self):
        with Receiver([500, 500]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Retried"})
            self.deliver(rounds=5)
        delivery = self.deliveries(endpoint)
        self.assertEqual(delivery.state, "delivered")
        self.assertEqual(delivery.attempt_ids.mapped("status_code"), [500, 500, 200])
        self.assertEqual(delivery.attempt_ids.mapped("attempt_no"), [1, 2, 3])
        self.assertEqual(
            {r["headers"]["webhook-id"] for r in receiver.requests}, {delivery.event_id}
        )
        self.assertEqual(len(receiver.requests), 3)

    def test_backoff_waits_between_attempts(self):
        self.env["ir.config_parameter"].set_param("my_webhooks.retry_schedule", "60,300")
        with Receiver([503]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Later"})
            before = fields.Datetime.now()
            self.deliver(rounds=3)
            delivery = self.deliveries(endpoint)
            self.assertEqual((delivery.state, delivery.attempt_count), ("retrying", 1))
            self.assertGreaterEqual(delivery.next_attempt_at, before + timedelta(seconds=47))
            self.assertLessEqual(delivery.next_attempt_at, before + timedelta(seconds=73))
            self.assertEqual(len(receiver.requests), 1)
            # the due time comes: the next run delivers it
            delivery.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
            self.deliver()
        self.assertEqual(delivery.state, "delivered")
        self.assertEqual(len(receiver.requests), 2)

    def test_dead_after_the_last_attempt_and_resendable(self):
        with Receiver([500, 500]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url, max_attempts=2)
            self.env["res.partner"].create({"name": "Dead"})
            self.deliver(rounds=4)
            delivery = self.deliveries(endpoint)
            self.assertEqual((delivery.state, delivery.attempt_count), ("dead", 2))
            self.assertEqual(len(receiver.requests), 2)
            delivery.action_resend()
            self.deliver()
        self.assertEqual(delivery.state, "delivered")
        self.assertEqual(len(delivery.attempt_ids), 3)
        self.assertEqual(len({r["headers"]["webhook-id"] for r in receiver.requests}), 1)

    def test_gone_disables_the_endpoint_and_tells_its_owner(self):
        with Receiver([410]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create([{"name": "One"}, {"name": "Two"}])
            self.deliver(rounds=2)
        self.assertEqual(len(receiver.requests), 1)
        self.assertFalse(endpoint.active)
        self.assertFalse(endpoint.automation_id.active)
        self.assertEqual(endpoint.last_status, "410")
        self.assertEqual(sorted(self.deliveries(endpoint).mapped("state")), ["dead", "pending"])
        self.assertEqual(endpoint.activity_ids.user_id, self.env.user)

    def test_endpoint_failing_for_a_day_is_disabled(self):
        with Receiver([500]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            endpoint.failing_since = fields.Datetime.now() - timedelta(hours=25)
            self.env["res.partner"].create({"name": "Still failing"})
            self.deliver()
        self.assertFalse(endpoint.active)
        self.assertTrue(endpoint.activity_ids)

    def test_success_clears_the_failure(self):
        with Receiver([500]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Recovering"})
            self.deliver()
            self.assertTrue(endpoint.failing_since)
            self.assertEqual(endpoint.last_status, "500")
            self.deliver()
        self.assertFalse(endpoint.failing_since)
        self.assertEqual(endpoint.last_status, "200")
        self.assertTrue(endpoint.active)

    def test_redirect_is_a_failure_not_followed(self):
        with Receiver([302]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Redirected"})
            self.deliver()
        delivery = self.deliveries(endpoint)
        self.assertEqual((delivery.state, delivery.last_status_code), ("retrying", 302))
        self.assertEqual(len(receiver.requests), 1)

    def test_receiver_down_then_back(self):
        with Receiver() as probe:
            url = probe.url  # a port that is closed once the probe stops
        endpoint = self.make_endpoint(url=url)
        self.env["res.partner"].create([{"name": "Waiting 1"}, {"name": "Waiting 2"}])
        self.deliver()
        deliveries = self.deliveries(endpoint)
        self.assertEqual(deliveries.mapped("state"), ["retrying", "retrying"])
        self.assertTrue(all(d.attempt_ids.error for d in deliveries))
        with Receiver() as receiver:
            endpoint.url = receiver.url
            self.deliver()
        self.assertEqual(deliveries.mapped("state"), ["delivered", "delivered"])
        self.assertEqual(
            sorted(json.loads(r["body"])["id"] for r in receiver.requests),
            sorted(deliveries.mapped("event_id")),
        )

    def test_private_target_refused_at_send_time(self):
        with Receiver() as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Refused"})
            self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "")
            self.deliver()
        self.assertFalse(receiver.requests)
        delivery = self.deliveries(endpoint)
        self.assertEqual(delivery.state, "retrying")
        self.assertIn("refused", delivery.attempt_ids.error)

    def test_rotation_sends_both_signatures(self):
        with Receiver() as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            old = endpoint.secret
            endpoint.action_rotate_secret()
            self.env["res.partner"].create({"name": "Rotated"})
            self.deliver()
        headers = receiver.requests[0]["headers"]
        self.assertEqual(len(headers["webhook-signature"].split(" ")), 2)
        odoo_sigs = headers["X-Odoo-Signature"].split(" ")
        body = receiver.requests[0]["body"]
        for secret in (endpoint.secret, old):
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            self.assertIn(f"sha256={digest}", odoo_sigs)

    def test_delivered_rows_are_vacuumed_dead_ones_kept(self):
        endpoint = self.make_endpoint()
        self.env["res.partner"].create([{"name": "Old"}, {"name": "Dead"}])
        old, dead = self.deliveries(endpoint)
        long_ago = fields.Datetime.now() - timedelta(days=40)
        old.write({"state": "delivered", "delivered_at": long_ago})
        dead.write({"state": "dead"})
        self.env["webhook.delivery"]._gc_delivered()
        self.assertFalse(old.exists())
        self.assertTrue(dead.exists())
