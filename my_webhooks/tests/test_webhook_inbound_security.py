"""Inbound webhooks under attack: replayed bodies under new ids, Odoo's
native /web/hook/ route around the signature, floods of forgeries, static
credentials in the event log."""

import json
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.my_api.public.testing import ApiCase

from ..services import intake
from .common import note_on_webhook_rule, partner_code_action
from .inbound_common import STANDARD_SECRET, signed_headers, source_row_updates

SECRETS = {
    "generic": "generic-secret",
    "shopify": "shpss_test",
    "github": "It's a Secret to Everybody",
    "standard": STANDARD_SECRET,
    "stripe": "whsec_stripe_test",
}
HANDLER = "env['res.partner'].create({'name': 'replayed ' + payload['name']})"


@tagged("post_install", "-at_install")
class TestWebhookInboundSecurity(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.action = partner_code_action(cls.env, HANDLER)
        cls.sources = {
            scheme: cls.env["webhook.source"].create(
                {
                    "name": scheme,
                    "slug": f"sec-{scheme}",
                    "scheme": scheme,
                    "secret": secret,
                    "handler": "action",
                    "action_id": cls.action.id,
                }
            )
            for scheme, secret in SECRETS.items()
        }
        # a generic sender that names its deliveries in a header
        cls.sources["generic"].id_header = "X-Delivery-Id"

    def post(self, source, body, headers):
        headers = {"Content-Type": "application/json", **headers}
        return self.url_open(f"/api/v1/webhooks/{source.slug}", data=body, headers=headers)

    def deliver(self, scheme, body, delivery_id, extra=None):
        """Post `body` signed by the sender of `scheme`, as delivery `delivery_id`."""
        headers = signed_headers(scheme, SECRETS[scheme], body, event_id=delivery_id)
        if scheme == "generic":
            headers["X-Delivery-Id"] = delivery_id
        response = self.post(self.sources[scheme], body, {**headers, **(extra or {})})
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def events(self, source):
        self.env.invalidate_all()
        return self.env["webhook.event"].search([("source_id", "=", source.id)])

    def process_all(self):
        while self.env["webhook.event"]._process_one():
            pass
        self.env.invalidate_all()

    def partners(self, name):
        return self.env["res.partner"].search_count([("name", "=", f"replayed {name}")])

    def backdate(self, table, source, hours):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET received_at = received_at - make_interval(hours => %s)"
                " WHERE source_id = %s",
                SQL.identifier(table),
                hours,
                source.id,
            )
        )
        self.env.invalidate_all()

    # ---------------------------------------------------------------- replay

    def test_body_only_scheme_replay_with_new_id_is_duplicate(self):
        """Shopify, GitHub and generic sign the body only: a captured
        delivery re-sent under a new id header verifies, and must not run
        the handler again."""
        for scheme in ("shopify", "github", "generic"):
            with self.subTest(scheme=scheme):
                source = self.sources[scheme]
                body = json.dumps({"name": f"Ada {scheme}"}).encode()
                first = self.deliver(scheme, body, f"{scheme}-1")
                self.assertEqual(first, {"status": "accepted", "event_id": f"{scheme}-1"})
                replay = self.deliver(scheme, body, f"{scheme}-2")
                self.assertEqual(replay, {"status": "duplicate", "event_id": f"{scheme}-1"})
                event = self.events(source)
                self.assertEqual(len(event), 1, "the replay is not stored")
                self.assertEqual(event.duplicate_count, 1, "it is counted on the original")
                self.process_all()
                self.assertEqual(self.partners(f"Ada {scheme}"), 1, "the handler ran once")
                # a new body under a new id is a new event, of course
                other = json.dumps({"name": f"Bo {scheme}"}).encode()
                self.assertEqual(self.deliver(scheme, other, f"{scheme}-3")["status"], "accepted")

    def test_sync_body_only_scheme_replay_with_new_id_is_duplicate(self):
        """Same guard when the handler runs before the answer."""
        source = self.sources["github"]
        source.processing = "sync"
        body = b'{"name": "Sync"}'
        self.assertEqual(self.deliver("github", body, "g-1")["status"], "accepted")
        self.assertEqual(self.deliver("github", body, "g-2")["status"], "duplicate")
        self.assertEqual(self.partners("Sync"), 1)
        self.assertEqual(self.events(source).mapped("event_id"), ["g-1"])

    def test_signed_id_schemes_keep_id_dedupe(self):
        """Standard Webhooks signs the id with the body: the same body under
        another signed id is another message. Stripe's id is in its signed
        body: the same body is the same event."""
        body = b'{"id": "evt_same", "name": "Std"}'
        self.assertEqual(self.deliver("standard", body, "msg_1")["status"], "accepted")
        self.assertEqual(self.deliver("standard", body, "msg_2")["status"], "accepted")
        self.assertEqual(len(self.events(self.sources["standard"])), 2)
        self.assertEqual(self.deliver("stripe", body, "-")["status"], "accepted")
        self.assertEqual(
            self.deliver("stripe", body, "-"), {"status": "duplicate", "event_id": "evt_same"}
        )
        timestamped = (self.sources["standard"] | self.sources["stripe"]).ids
        self.assertFalse(
            self.env["webhook.event.digest"].search([("source_id", "in", timestamped)]),
            "no digest is kept for schemes that sign a timestamp",
        )

    def test_replay_window_outlives_event_vacuum(self):
        """Events may be deleted long before the window ends: the digest
        stays for the whole window, then goes."""
        source = self.sources["shopify"]
        self.env["ir.config_parameter"].set_param("my_webhooks.event_retention_days", "1")
        body = b'{"name": "Vacuumed"}'
        self.assertEqual(self.deliver("shopify", body, "s-1")["status"], "accepted")
        self.process_all()
        self.backdate("webhook_event", source, 48)
        self.backdate("webhook_event_digest", source, 48)
        self.env["webhook.event"]._gc_done_events()
        self.env["webhook.event.digest"]._gc_expired_digests()
        self.assertFalse(self.events(source), "the event log was vacuumed")
        replay = self.deliver("shopify", body, "s-2")
        self.assertEqual(replay, {"status": "duplicate", "event_id": "s-1"})
        self.assertFalse(self.events(source), "the replay is not stored")
        self.process_all()
        self.assertEqual(self.partners("Vacuumed"), 1)

        # past the window (72 h), the same body is a delivery like any other
        self.backdate("webhook_event_digest", source, 25)
        self.assertEqual(self.deliver("shopify", body, "s-3")["status"], "accepted")
        self.backdate("webhook_event_digest", source, 73)
        self.env["webhook.event.digest"]._gc_expired_digests()
        self.assertFalse(
            self.env["webhook.event.digest"].search([("source_id", "=", source.id)]),
            "digests older than the window are vacuumed",
        )
        source.replay_window_hours = 0
        self.assertEqual(self.deliver("shopify", b'{"name": "Off"}', "s-4")["status"], "accepted")
        self.assertEqual(self.deliver("shopify", b'{"name": "Off"}', "s-5")["status"], "accepted")

    # ------------------------------------------------------ native /web/hook

    def native_hook(self, uuid, payload):
        return self.url_open(
            f"/web/hook/{uuid}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )

    def test_native_web_hook_refuses_source_handler(self):
        partner = self.env["res.partner"].create({"name": "Hooked"})
        rule = note_on_webhook_rule(self.env)
        old_uuid = rule.webhook_uuid
        # before any source uses it, the rule is Odoo's own business
        response = self.native_hook(old_uuid, {"partner_id": partner.id, "note": "native"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("native", partner.comment)

        self.env["webhook.source"].create(
            {
                "name": "Behind a signature",
                "slug": "sec-automation",
                "secret": "x",
                "handler": "automation",
                "automation_id": rule.id,
            }
        )
        self.assertNotEqual(rule.webhook_uuid, old_uuid, "its known URL is rotated")
        for uuid in (old_uuid, rule.webhook_uuid):
            response = self.native_hook(uuid, {"partner_id": partner.id, "note": "unsigned"})
            self.assertEqual(response.status_code, 404, response.text)
        self.env.invalidate_all()
        self.assertNotIn("unsigned", partner.comment or "", "the rule did not run")

    def test_native_web_hook_refuses_endpoint_rule(self):
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "127.0.0.1")
        endpoint = self.env["webhook.endpoint"].create(
            {
                "name": "Partners",
                "url": "http://127.0.0.1:9/hook",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "trigger": "create",
            }
        )
        rule = endpoint.automation_id
        self.assertTrue(rule.webhook_uuid)
        before = self.env["webhook.delivery"].search_count([("endpoint_id", "=", endpoint.id)])
        response = self.native_hook(
            rule.webhook_uuid, {"_model": "res.partner", "_id": self.partner.id}
        )
        self.assertEqual(response.status_code, 404, response.text)
        self.assertEqual(
            self.env["webhook.delivery"].search_count([("endpoint_id", "=", endpoint.id)]),
            before,
            "nothing was sent for a record the caller chose",
        )

    # ----------------------------------------------------------- forgeries

    @mute_logger("odoo.addons.my_api.core")
    def test_bad_signature_does_not_write_source_row(self):
        """A flood of forgeries writes the source row once per interval, in
        a side statement, not once per request."""
        source = self.sources["github"]
        body = b'{"name": "forged"}'
        forged = {"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Delivery": "f"}

        def refuse():
            self.assertError(self.post(source, body, forged), 401, "unauthorized")

        # a refusal was just counted (in production, committed by its side
        # statement; the test's shared transaction would roll it back with
        # its request)
        self.env.cr.execute(
            SQL(
                "UPDATE webhook_source SET rejected_count = 1,"
                " last_rejected_at = now() AT TIME ZONE 'UTC' WHERE id = %s",
                source.id,
            )
        )
        before = source_row_updates(self.env.cr)
        with patch.object(intake, "REJECTION_COUNT_SECONDS", 3600):
            for _attempt in range(5):
                refuse()
        self.assertEqual(source_row_updates(self.env.cr), before, "the source row is not written")
        with patch.object(intake, "REJECTION_COUNT_SECONDS", 0):
            refuse()
        self.assertEqual(
            source_row_updates(self.env.cr), before + 1, "past the interval, a refusal counts"
        )
        self.assertEqual(self.events(source), self.env["webhook.event"])

    # ------------------------------------------------------------- the log

    def test_static_token_headers_redacted(self):
        """Senders that authenticate with a static token (GitLab, API keys,
        HTTP auth) must not leave it readable in the event log."""
        secrets_sent = {
            "X-Gitlab-Token": "glpat-gitlab-token",
            "X-Api-Key": "api-key-value",
            "Authorization": "Bearer bearer-value",
            "Proxy-Authorization": "Basic proxy-value",
            "X-Acme-Auth": "acme-auth-value",
            "X-Client-Secret": "client-secret-value",
            "X-Access-Token": "access-token-value",
            "X-Partner-Signature": "partner-signature-value",
        }
        kept = {"X-Delivery-Tag": "keep-me", "User-Agent": "Sender/1.0"}
        body = b'{"name": "Headers"}'
        self.deliver("generic", body, "h-1", extra={**secrets_sent, **kept})
        event = self.events(self.sources["generic"])
        stored = {name.lower(): value for name, value in json.loads(event.headers).items()}
        for name, value in secrets_sent.items():
            self.assertNotIn(value, event.headers)
            self.assertEqual(stored[name.lower()], "[redacted]", name)
        # the test client's own cookie (every request of HttpCase carries one)
        self.assertEqual(stored["cookie"], "[redacted]")
        for name, value in kept.items():
            self.assertEqual(stored[name.lower()], value)
        self.assertEqual(stored["x-delivery-id"], "h-1")
