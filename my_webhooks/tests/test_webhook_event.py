import base64
import datetime
import json

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import convert_file, mute_logger

from ..services.intake import SourceIntake
from .common import note_on_webhook_rule, partner_code_action

FAIL_PARAM = "my_webhooks.test_handler_down"
HANDLER_CODE = (
    """
if env['ir.config_parameter'].sudo().get_param('%s'):
    raise UserError('handler is down')
env['res.partner'].create({'name': 'hook ' + payload['name'], 'ref': webhook_event.event_id})
"""
    % FAIL_PARAM
)


@tagged("post_install", "-at_install")
class TestWebhookEvent(TransactionCase):
    """Processing of stored events: handlers, failures, retries, Reprocess."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.action = partner_code_action(cls.env, HANDLER_CODE)
        cls.source = cls.env["webhook.source"].create(
            {
                "name": "Shop",
                "slug": "test-shop",
                "secret": "s3cret",
                "handler": "action",
                "action_id": cls.action.id,
                "max_attempts": 3,
            }
        )
        cls.cron = cls.env.ref("my_webhooks.webhook_event_cron")

    def setUp(self):
        super().setUp()
        self.Event = self.env["webhook.event"]

    def receive(self, document, source=None):
        """Store a delivery the way intake does, return the event."""
        source = source or self.source
        body = json.dumps(document).encode()
        stored = SourceIntake(source).store(
            {
                "event_id": document["id"],
                "event_type": document.get("type"),
                "payload": body.decode(),
                "headers": "{}",
                "request_id": "test",
            }
        )
        self.env.invalidate_all()
        return self.Event.browse(stored) if stored else None

    def partners(self, name):
        return self.env["res.partner"].search_count([("name", "=", f"hook {name}")])

    def test_server_action_gets_the_payload_without_a_request(self):
        event = self.receive({"id": "e1", "name": "Ada"})
        self.assertEqual(event.state, "received")
        self.assertTrue(self.Event._process_one())
        self.env.invalidate_all()
        self.assertEqual((event.state, event.attempts), ("done", 1))
        self.assertTrue(event.processed_at)
        self.assertEqual(self.partners("Ada"), 1)
        self.assertFalse(self.Event._process_one(), "a done event is not processed again")

    def test_old_done_events_are_vacuumed_failed_ones_kept(self):
        old = fields.Datetime.now() - datetime.timedelta(days=31)
        done = self.receive({"id": "old-done", "name": "Di"})
        failed = self.receive({"id": "old-failed", "name": "Ed"})
        recent = self.receive({"id": "recent-done", "name": "Flo"})
        (done | recent).write({"state": "done"})
        failed.write({"state": "failed"})
        (done | failed).write({"received_at": old})
        self.Event._gc_done_events()
        self.assertFalse(done.exists())
        self.assertTrue(failed.exists())
        self.assertTrue(recent.exists())

    def test_duplicate_is_refused_by_the_database(self):
        event = self.receive({"id": "dup", "name": "Bo"})
        self.assertIsNone(self.receive({"id": "dup", "name": "Bo"}))
        SourceIntake(self.source).count_duplicate("dup")
        self.env.invalidate_all()
        self.assertEqual(event.duplicate_count, 1)
        self.assertEqual(self.Event.search_count([("source_id", "=", self.source.id)]), 1)

    @mute_logger("odoo.addons.my_webhooks.models.webhook_event")
    def test_failing_handler_is_retried_then_failed_then_reprocessable(self):
        self.env["ir.config_parameter"].set_param(FAIL_PARAM, "1")
        event = self.receive({"id": "e2", "name": "Cy"})
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        self.assertTrue(self.Event._process_one())
        self.env.invalidate_all()
        self.assertEqual((event.state, event.attempts), ("failed", 1))
        self.assertIn("handler is down", event.error)
        self.assertGreater(event.next_attempt_at, fields.Datetime.now())
        self.assertEqual(self.partners("Cy"), 0, "the handler's changes are rolled back")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count(
                [("cron_id", "=", self.cron.id), ("call_at", "=", event.next_attempt_at)]
            ),
            1,
            "the cron is woken for the retry",
        )
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers
        )
        self.assertFalse(self.Event._process_one(), "not due before its retry time")

        past = fields.Datetime.now() - datetime.timedelta(seconds=1)
        for attempt in (2, 3):
            event.next_attempt_at = past
            self.env.flush_all()
            self.assertTrue(self.Event._process_one())
            self.env.invalidate_all()
            self.assertEqual((event.state, event.attempts), ("failed", attempt))
        self.assertFalse(event.next_attempt_at, "no retry left after max_attempts")
        self.assertFalse(self.Event._process_one())

        self.env["ir.config_parameter"].set_param(FAIL_PARAM, "")
        event.action_reprocess()
        self.env.invalidate_all()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.partners("Cy"), 1)
        with self.assertRaises(UserError):
            event.action_reprocess()

    def test_automation_rule_on_webhook_as_handler(self):
        partner = self.env["res.partner"].create({"name": "Automated"})
        automation = note_on_webhook_rule(self.env)
        source = self.env["webhook.source"].create(
            {
                "name": "Automated",
                "slug": "test-automation",
                "secret": "x",
                "handler": "automation",
                "automation_id": automation.id,
            }
        )
        event = self.receive({"id": "a1", "partner_id": partner.id, "note": "paid"}, source)
        self.assertTrue(self.Event._process_one(event.id))
        self.env.invalidate_all()
        self.assertEqual(event.state, "done", event.error)
        self.assertIn("paid", partner.comment)

    def stripe_setup(self):
        partner = self.env["res.partner"].create({"name": "Stripe Buyer"})
        product = self.env["product.product"].create({"name": "Widget", "list_price": 249.99})
        order = self.env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [Command.create({"product_id": product.id})]}
        )
        source = self.env["webhook.source"].create(
            {
                "name": "Stripe example",
                "slug": "test-stripe-example",
                "scheme": "stripe",
                "secret": "whsec_x",
                "handler": "method",
                "handler_model": "sale.order",
                "handler_method": "_webhook_stripe_payment_intent",
            }
        )
        return order, source

    def stripe_event(self, source, event_id, amount, currency, reference):
        return self.receive(
            {
                "id": event_id,
                "type": "payment_intent.succeeded",
                "data": {
                    "object": {
                        "id": f"pi_{event_id}",
                        "amount": amount,
                        "amount_received": amount,
                        "currency": currency,
                        "metadata": {"odoo_order": reference},
                    }
                },
            },
            source,
        )

    def test_stripe_example_handler_confirms_the_order_and_logs_the_amount(self):
        order, source = self.stripe_setup()
        cents = round(order.amount_total * 100)
        currency = order.currency_id.name
        event = self.stripe_event(source, "evt_1", cents, currency.lower(), order.name)
        self.assertTrue(self.Event._process_one(event.id))
        self.env.invalidate_all()
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(order.state, "sale")
        self.assertIn(
            f"{order.amount_total:.2f} {currency}", order.message_ids[:3].mapped("body").__str__()
        )
        with mute_logger("odoo.addons.my_webhooks.models.webhook_event"):
            missing = self.stripe_event(source, "evt_2", 1, "eur", "NOPE")
            self.Event._process_one(missing.id)
        self.env.invalidate_all()
        self.assertEqual(missing.state, "failed")
        self.assertIn("NOPE", missing.error)

    @mute_logger("odoo.addons.my_webhooks.models.webhook_event")
    def test_demo_handler_checks_amount_currency(self):
        """A payment that is not the order's (too little, another currency)
        never confirms it: the event fails with the difference."""
        order, source = self.stripe_setup()
        cents = round(order.amount_total * 100)
        own = order.currency_id.name.lower()
        other = "jpy" if own != "jpy" else "usd"
        cases = {
            "one cent short": (cents - 1, own),
            "a cent too much": (cents + 1, own),
            "another currency": (cents, other),
            "no currency": (cents, ""),
            "amount as text": (str(cents), own),
        }
        for number, (case, (amount, currency)) in enumerate(cases.items()):
            with self.subTest(case=case):
                event = self.stripe_event(source, f"evt_bad_{number}", amount, currency, order.name)
                self.Event._process_one(event.id)
                self.env.invalidate_all()
                self.assertEqual(event.state, "failed")
                self.assertIn("does not match", event.error)
                self.assertEqual(order.state, "draft", "the order is not confirmed")
        event = self.stripe_event(source, "evt_good", cents, own, order.name)
        self.Event._process_one(event.id)
        self.env.invalidate_all()
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(order.state, "sale")

    def load_demo(self, mode):
        convert_file(
            self.env, "my_webhooks", "demo/webhook_source_demo.xml", {}, mode, noupdate=True
        )
        return self.env.ref("my_webhooks.webhook_source_demo_stripe").sudo()

    def test_demo_stripe_secret_is_random(self):
        """The demo source confirms orders: its secret must be nobody's but
        this database's, even on databases installed with the old one."""
        self.env["webhook.source"].search([("slug", "=", "stripe")]).unlink()
        self.env["ir.model.data"].search(
            [("module", "=", "my_webhooks"), ("name", "=", "webhook_source_demo_stripe")]
        ).unlink()
        source = self.load_demo("init")
        first = source.secret
        self.assertNotEqual(first, "whsec_your_secret")
        self.assertTrue(first.startswith("whsec_"))
        self.assertGreaterEqual(len(base64.b64decode(first.removeprefix("whsec_"))), 32)
        source.unlink()
        self.env["ir.model.data"].search(
            [("module", "=", "my_webhooks"), ("name", "=", "webhook_source_demo_stripe")]
        ).unlink()
        second = self.load_demo("init").secret
        self.assertNotEqual(second, first, "each database gets its own")

        # a database installed with the published secret gets a random one
        # at its next update; a secret chosen since is kept
        source = self.env.ref("my_webhooks.webhook_source_demo_stripe").sudo()
        source.secret = "whsec_your_secret"
        self.assertNotIn(self.load_demo("update").secret, ("whsec_your_secret", second))
        source.secret = "whsec_chosen_by_the_admin"
        self.assertEqual(self.load_demo("update").secret, "whsec_chosen_by_the_admin")

    def test_source_secret_can_be_copied_from_the_form(self):
        """The demo source's random secret is the one its example requests
        are signed with: an administrator must be able to take it from the
        form, where the input masks it (a masked input cannot be copied)."""
        admin = self.env.ref("base.user_admin")
        views = self.env["webhook.source"].with_user(admin).get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        self.assertTrue(arch.xpath("//field[@name='secret'][@password='True']"), "still masked")
        self.assertTrue(
            arch.xpath("//field[@name='secret'][@widget='CopyClipboardButton']"),
            "with a button that copies it",
        )

    def test_handler_configuration_is_checked(self):
        from odoo.exceptions import ValidationError  # noqa: PLC0415

        with self.assertRaises(ValidationError):
            self.source.copy({"slug": "Bad Slug!", "secret": "x"})
        with self.assertRaises(ValidationError):
            self.source.copy(
                {
                    "slug": "m",
                    "secret": "x",
                    "handler": "method",
                    "handler_model": "sale.order",
                    "handler_method": "_no_such_method",
                }
            )
