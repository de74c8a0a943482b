"""Shared set-up of the webhook tests: a real HTTP receiver on 127.0.0.1
for the delivery tests, due outbox rows committed on a side connection,
and the handlers the inbound tests hand to their sources."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import SUPERUSER_ID, Command
from odoo.tests import TransactionCase
from odoo.tests.common import release_test_lock
from odoo.tools import SQL


class Receiver:
    """Threaded http.server that records every request and answers with
    the scripted statuses in order (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class WebhookCase(TransactionCase):
    """Endpoints on res.partner, loopback allowed, retries without delay."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"]
        params.set_param("my_webhooks.allowed_targets", "127.0.0.1")
        params.set_param("my_webhooks.retry_schedule", "0")
        cls.partner_model = cls.env["ir.model"]._get("res.partner")

    def make_endpoint(self, url="http://127.0.0.1:9/hook", **vals):
        return self.env["webhook.endpoint"].create(
            {
                "name": "Partners",
                "url": url,
                "model_id": self.partner_model.id,
                "trigger": "create",
                **vals,
            }
        )

    def field(self, name):
        return self.env["ir.model.fields"]._get("res.partner", name)

    def deliveries(self, endpoint):
        return self.env["webhook.delivery"].search([("endpoint_id", "=", endpoint.id)], order="id")

    def deliver(self, rounds=1):
        """Run the worker as the cron does, on cursors of its own (from
        threads of its own: the test lock is released for them meanwhile)."""
        with self.enter_registry_test_mode(), release_test_lock():
            for _ in range(rounds):
                self.env["webhook.delivery"]._deliver_due()


def insert_due_deliveries(cr, name, event_ids):
    """Insert an endpoint on res.partner and one due `pending` delivery per
    event id (res_id 1, 2, ... in that order); return the endpoint's id.

    Plain SQL, for a committed side connection (`cr`): the ORM would tie
    the rows to the test's transaction, which other workers cannot see.
    Deleting the endpoint deletes its deliveries."""
    cr.execute(SQL("SELECT id FROM ir_model WHERE model = 'res.partner'"))
    (model_id,) = cr.fetchone()
    cr.execute(
        SQL(
            """INSERT INTO webhook_endpoint
                   (name, url, secret, model_id, trigger, active, timeout,
                    max_attempts, rotation_overlap_hours, user_id)
               VALUES (%s, 'http://127.0.0.1:9/', 'whsec_dGVzdA==', %s,
                       'create', true, 15, 8, 24, %s)
               RETURNING id""",
            name,
            model_id,
            SUPERUSER_ID,
        )
    )
    (endpoint_id,) = cr.fetchone()
    cr.execute(
        SQL(
            """INSERT INTO webhook_delivery
                   (endpoint_id, event_id, event, model, res_id, payload, state,
                    attempt_count, next_attempt_at)
               SELECT %s, e.event_id, 'create', 'res.partner', e.n, '{}',
                      'pending', 0, now() at time zone 'UTC' - interval '1 minute'
               FROM unnest(%s::varchar[]) WITH ORDINALITY AS e(event_id, n)
               ORDER BY e.n""",
            endpoint_id,
            list(event_ids),
        )
    )
    return endpoint_id


def partner_code_action(env, code):
    """A server action on res.partner running `code`: an inbound source's
    handler (its code sees `payload` and `webhook_event`)."""
    return env["ir.actions.server"].create(
        {
            "name": "webhook to partner",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "state": "code",
            "code": code,
        }
    )


def note_on_webhook_rule(env):
    """An automation rule with Odoo's *On webhook* trigger that writes the
    payload's `note` on the partner `payload['partner_id']`: a source's
    handler, and a rule that Odoo's own /web/hook/<uuid> would run."""
    partner_model = env["ir.model"]._get_id("res.partner")
    return env["base.automation"].create(
        {
            "name": "note from webhook",
            "model_id": partner_model,
            "trigger": "on_webhook",
            "record_getter": "model.browse(int(payload['partner_id']))",
            "action_server_ids": [
                Command.create(
                    {
                        "name": "write note",
                        "model_id": partner_model,
                        "state": "code",
                        "code": "record.write({'comment': payload['note']})",
                    }
                )
            ],
        }
    )
