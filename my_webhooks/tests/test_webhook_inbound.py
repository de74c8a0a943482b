import hashlib
import json
import shutil
import subprocess
import time

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.my_api.public.testing import ApiCase

from .inbound_common import STANDARD_SECRET, signed_headers, source_row_updates

SEED_SCRIPT = r"""
PAYLOAD='{"type":"payment_intent.succeeded","data":{"id":"pi_xxx","amount":24999}}'
SIGNATURE=$(echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "whsec_your_secret" | cut -d' ' -f2)
curl -s -X POST http://localhost:8069/api/v1/webhooks/stripe -H "Content-Type: application/json" -H "X-Stripe-Signature: sha256=$SIGNATURE" -d "$PAYLOAD"
"""  # noqa: E501 - the README's lines, word for word
SEED_PAYLOAD = b'{"type":"payment_intent.succeeded","data":{"id":"pi_xxx","amount":24999}}'
SECRETS = {
    "generic": "generic-secret",
    "stripe": "whsec_stripe_test",
    "shopify": "shpss_test",
    "github": "It's a Secret to Everybody",
    "standard": STANDARD_SECRET,
}


@tagged("post_install", "-at_install")
class TestWebhookInbound(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Source = cls.env["webhook.source"]
        Source.search([("slug", "=", "stripe")]).unlink()  # the demo source, if any
        cls.stripe = Source.create(
            {
                "name": "Stripe",
                "slug": "stripe",
                "scheme": "generic",
                "signature_header": "X-Stripe-Signature",
                "secret": "whsec_your_secret",
                "handler": "method",
                "handler_model": "sale.order",
                "handler_method": "_webhook_stripe_payment_intent",
            }
        )
        cls.sources = {
            scheme: Source.create(
                {"name": scheme, "slug": f"test-{scheme}", "scheme": scheme, "secret": secret}
            )
            for scheme, secret in SECRETS.items()
        }
        cls.cron = cls.env.ref("my_webhooks.webhook_event_cron")

    def post(self, slug, body, headers, method="POST"):
        headers = {"Content-Type": "application/json", **headers}
        return self.url_open(f"/api/v1/webhooks/{slug}", data=body, headers=headers, method=method)

    def events(self, source):
        self.env.invalidate_all()
        return self.env["webhook.event"].search([("source_id", "=", source.id)])

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def run_script(self, script):
        """Run a shell script as a user would; it calls this test server."""
        with self.allow_requests(all_requests=True):
            return subprocess.run(  # noqa: S603 - a fixed script of this test
                ["bash", "-c", script],  # noqa: S607 - bash from PATH, like a user
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )

    def test_seed_curl_command_word_for_word(self):
        """The README's three lines, run by bash, curl and openssl, against this server."""
        if not (shutil.which("curl") and shutil.which("openssl")):
            self.skipTest("curl and openssl are needed to run the README's command as written")
        script = SEED_SCRIPT.replace("http://localhost:8069", self.base_url())
        triggers = self.triggers()
        first = self.run_script(script)
        self.assertEqual(json.loads(first.stdout)["status"], "accepted", first.stdout)
        event = self.events(self.stripe)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.event_id, hashlib.sha256(SEED_PAYLOAD).hexdigest())
        self.assertEqual(event.event_type, "payment_intent.succeeded")
        self.assertEqual(event.payload.encode(), SEED_PAYLOAD)
        self.assertEqual(event.state, "received")
        self.assertEqual(self.triggers(), triggers + 1, "processing is queued after the answer")
        self.assertTrue(self.env["webhook.event"]._process_one())
        self.env.invalidate_all()
        self.assertEqual((event.state, event.attempts), ("done", 1))

        again = self.run_script(script)
        self.assertEqual(json.loads(again.stdout)["status"], "duplicate", again.stdout)
        self.assertEqual(self.events(self.stripe), event, "the retry is not stored again")
        self.assertEqual((event.duplicate_count, event.attempts), (1, 1))
        self.assertEqual(self.triggers(), triggers + 1, "the duplicate queues nothing")
        self.assertFalse(self.env["webhook.event"]._process_one(), "nothing left to process")

    def test_a_retry_wakes_the_cron_if_the_original_could_not(self):
        """The original's request stored the event but died before its
        cron trigger was committed: the sender's retry creates it."""
        source = self.sources["generic"]
        body = json.dumps({"id": "evt_lost_trigger", "type": "thing.happened"}).encode()
        headers = signed_headers("generic", SECRETS["generic"], body)
        self.assertEqual(self.post(source.slug, body, headers).json()["status"], "accepted")
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        again = self.post(source.slug, body, headers)
        self.assertEqual(again.json()["status"], "duplicate")
        self.assertEqual(self.triggers(), 1, "the event still waits: the retry wakes the cron")
        self.assertTrue(self.env["webhook.event"]._process_one())
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        self.post(source.slug, body, headers)
        self.assertEqual(self.triggers(), 0, "a duplicate of a processed event wakes nothing")

    def test_every_scheme_accepts_a_valid_delivery_once(self):
        for scheme, source in self.sources.items():
            with self.subTest(scheme=scheme):
                body = json.dumps({"id": f"evt_{scheme}", "type": "thing.happened"}).encode()
                headers = signed_headers(scheme, SECRETS[scheme], body, event_id=f"d-{scheme}")
                response = self.post(source.slug, body, headers)
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(response.json()["status"], "accepted")
                event = self.events(source)
                self.assertEqual(len(event), 1)
                expected_id = (
                    f"d-{scheme}"
                    if scheme in ("shopify", "github", "standard")
                    else (f"evt_{scheme}")
                )
                self.assertEqual(event.event_id, expected_id)
                # the signature never reaches the log
                name = source.signature_header.lower()
                signature = next(v for k, v in headers.items() if k.lower() == name)
                self.assertNotIn(signature, event.headers)
                self.assertIn("[redacted]", event.headers)
                again = self.post(source.slug, body, headers)
                self.assertEqual(again.status_code, 200)
                self.assertEqual(again.json(), {"status": "duplicate", "event_id": expected_id})
                self.assertEqual(len(self.events(source)), 1)
                self.assertEqual(self.events(source).duplicate_count, 1)

    def test_intake_logs_each_request_once_in_its_statement(self):
        """The statement that stores a delivery, or counts a refusal, writes
        the request's log line (side_execute_logged); nothing writes another."""

        def log_inserts():
            # inserts of this transaction so far, also those rolled back since
            self.env.cr.execute(
                "SELECT n_tup_ins FROM pg_stat_xact_user_tables"
                " WHERE relid = 'api_request_log'::regclass"
            )
            return self.env.cr.fetchone()[0]

        source = self.sources["generic"]
        body = json.dumps({"id": "evt_logged", "type": "thing.happened"}).encode()
        headers = signed_headers("generic", SECRETS["generic"], body)
        for answer in ("accepted", "duplicate"):
            with self.subTest(answer=answer):
                before = log_inserts()
                request_id = f"intake-{answer}"
                response = self.post(source.slug, body, {**headers, "X-Request-Id": request_id})
                self.assertEqual(response.json()["status"], answer)
                lines = self.env["api.request.log"].search([("request_id", "=", request_id)])
                self.assertEqual(lines.mapped("status"), [200])
                self.assertEqual(log_inserts(), before + 1)
        # the test's shared transaction rolls a refusal's line back with the
        # request (committed in production): count its insert
        before = log_inserts()
        with mute_logger("odoo.addons.my_api.core"):
            response = self.post(source.slug, body, {"X-Signature": "sha256=" + "0" * 64})
        self.assertError(response, 401, "unauthorized")
        self.assertEqual(log_inserts(), before + 1)

    @mute_logger("odoo.addons.my_api.core")
    def test_every_scheme_refuses_forgeries_and_stores_nothing(self):
        now = int(time.time())

        def source_updates():
            return source_row_updates(self.env.cr)

        for scheme, source in self.sources.items():
            body = json.dumps({"id": f"evt_{scheme}", "type": "x"}).encode()
            cases = {
                "tampered body": (
                    body.replace(b"x", b"y"),
                    signed_headers(scheme, SECRETS[scheme], body),
                ),
                "wrong secret": (body, signed_headers(scheme, "whsec_d3Jvbmc=", body)),
                "missing header": (body, {}),
            }
            if scheme in ("stripe", "standard"):
                stale = signed_headers(scheme, SECRETS[scheme], body, timestamp=now - 400)
                future = signed_headers(scheme, SECRETS[scheme], body, timestamp=now + 400)
                cases.update({"stale timestamp": (body, stale), "future timestamp": (body, future)})
            for case, (sent, headers) in cases.items():
                with self.subTest(scheme=scheme, case=case):
                    # refusals are counted once a second at most: start afresh
                    self.env.cr.execute(
                        SQL(
                            "UPDATE webhook_source SET last_rejected_at = NULL WHERE id = %s",
                            source.id,
                        )
                    )
                    before = source_updates()
                    response = self.post(source.slug, sent, headers)
                    error = self.assertError(response, 401, "unauthorized")
                    self.assertNotIn(SECRETS[scheme], error["message"])
                    self.assertFalse(self.events(source))
                    # the refusal is counted by a side statement (committed in
                    # production whatever the request does, see the e2e test;
                    # the test's shared transaction rolls it back with the
                    # request, but shows it ran)
                    self.assertEqual(source_updates(), before + 1)

    def test_secret_rotation_accepts_both_secrets(self):
        source = self.sources["stripe"]
        source.write({"secret": "whsec_new", "previous_secret": SECRETS["stripe"]})
        for i, secret in enumerate(("whsec_new", SECRETS["stripe"])):
            body = json.dumps({"id": f"evt_rot_{i}"}).encode()
            response = self.post(source.slug, body, signed_headers("stripe", secret, body))
            self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(self.events(source)), 2)
        source.previous_secret = False
        body = b'{"id": "evt_rot_old"}'
        with mute_logger("odoo.addons.my_api.core"):
            headers = signed_headers("stripe", SECRETS["stripe"], body)
            response = self.post(source.slug, body, headers)
        self.assertError(response, 401)

    def test_error_statuses_use_the_api_envelope(self):
        source = self.sources["generic"]
        not_json = b"id=1&type=x"
        headers = signed_headers("generic", SECRETS["generic"], not_json)
        response = self.post(source.slug, not_json, headers)
        self.assertError(response, 400, "bad_request")

        source.max_body_kb = 1
        big = json.dumps({"id": "big", "blob": "x" * 2000}).encode()
        response = self.post(source.slug, big, signed_headers("generic", SECRETS["generic"], big))
        self.assertError(response, 413, "payload_too_large")

        response = self.url_open(f"/api/v1/webhooks/{source.slug}", method="GET")
        error = self.assertError(response, 405, "method_not_allowed")
        self.assertIn("POST", error["message"])
        self.assertEqual(response.headers["Allow"], "POST")

        response = self.post("no-such-source", b"{}", {})
        self.assertError(response, 404, "not_found")
        source.active = False
        body = b'{"id": "off"}'
        response = self.post(source.slug, body, signed_headers("generic", SECRETS["generic"], body))
        self.assertError(response, 404, "not_found")
        self.assertFalse(self.events(source))

    def test_route_wins_over_the_rest_api_catch_all(self):
        """/api/v1/<resource>/<id> would answer 401 without a Bearer token:
        webhooks/<slug> reaches intake instead, with no session at all."""
        self.url_open("/web/session/logout")
        body = b'{"id": "route"}'
        headers = signed_headers("generic", SECRETS["generic"], body)
        response = self.post("test-generic", body, headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertNotIn("Set-Cookie", response.headers, "no session is created or saved")
        with mute_logger("odoo.addons.my_api.core"):
            unknown = self.post("unknown-source", body, {})
        self.assertIn("no active webhook source", self.assertError(unknown, 404)["message"])

    def test_sync_source_processes_before_the_answer(self):
        source = self.sources["generic"]
        action = self.env["ir.actions.server"].create(
            {
                "name": "webhook to partner",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "state": "code",
                "code": "env['res.partner'].create({'name': 'hook ' + payload['name']})",
            }
        )
        source.write({"processing": "sync", "handler": "action", "action_id": action.id})
        body = b'{"id": "sync-1", "name": "Ada"}'
        response = self.post(source.slug, body, signed_headers("generic", SECRETS["generic"], body))
        self.assertEqual(response.status_code, 200, response.text)
        event = self.events(source)
        self.assertEqual(event.state, "done")
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "hook Ada")]), 1)

    @mute_logger("odoo.addons.my_webhooks.models.webhook_event")
    def test_failing_handler_still_answers_200_and_is_retried(self):
        source = self.sources["generic"]
        action = self.env["ir.actions.server"].create(
            {
                "name": "broken handler",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "state": "code",
                "code": "env['res.partner'].create({'name': 'half done'})\n"
                "raise UserError('downstream system unavailable')",
            }
        )
        source.write({"processing": "sync", "handler": "action", "action_id": action.id})
        body = b'{"id": "fails-1"}'
        headers = signed_headers("generic", SECRETS["generic"], body)
        response = self.post(source.slug, body, headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["status"], "accepted")
        event = self.events(source)
        self.assertEqual((event.state, event.attempts), ("failed", 1))
        self.assertIn("downstream system unavailable", event.error)
        self.assertTrue(event.next_attempt_at, "a retry is scheduled")
        self.assertFalse(
            self.env["res.partner"].search_count([("name", "=", "half done")]),
            "the failed handler's changes are rolled back",
        )
        # the sender retries: still 200, nothing stored or run again
        again = self.post(source.slug, body, headers)
        self.assertEqual(again.json()["status"], "duplicate")
        self.assertEqual(self.events(source).attempts, 1)
