"""A real HTTP receiver on 127.0.0.1 for the delivery tests."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import TransactionCase
from odoo.tests.common import release_test_lock


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
