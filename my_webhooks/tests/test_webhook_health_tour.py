"""Browser tour: from the Apps page to a dead delivery sent again (see
static/tests/tours/webhook_health_tour.js), in a real Chromium."""

import base64
import contextlib
import os
import pathlib
import re
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import config

# where the tours leave screenshots, when set (otherwise Odoo's --screenshots
# directory)
SCREENSHOTS_ENV = "ODOO_TOUR_SCREENSHOTS"
# the console line of a tour step asking for a screenshot (see the tour's
# `screenshot()` step)
SCREENSHOT_SIGNAL = "my_webhooks screenshot: "


def _save_png(directory, name, data):
    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)}.png").write_bytes(base64.b64decode(data))


@contextlib.contextmanager
def tour_screenshots(name):
    """Keep PNGs of a tour in $ODOO_TOUR_SCREENSHOTS, or else in the
    directory of Odoo's --screenshots option (scripts/test.sh:
    .test-run/screenshots): one for each step that asks for it, and one of
    the last screen, named `name`, once the tour succeeded (Odoo itself only
    keeps one of a failure)."""
    directory = os.environ.get(SCREENSHOTS_ENV) or config["screenshots"]
    if not directory:
        yield
        return
    wait_code_ok = ChromeBrowser._wait_code_ok
    handle_console = ChromeBrowser._handle_console

    def _wait_code_ok(browser, *args, **kwargs):
        wait_code_ok(browser, *args, **kwargs)  # raises unless the tour succeeded
        shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
        _save_png(directory, name, shot["data"])

    def _handle_console(browser, type, args=None, **kwargs):  # pylint: disable=redefined-builtin
        text = str(browser._from_remoteobject(args[0])) if args else ""
        handle_console(browser, type, args=args, **kwargs)
        if type == "log" and text.startswith(SCREENSHOT_SIGNAL):
            # this runs in the thread that reads the browser's answers: ask,
            # and save the picture when its answer comes
            shot_name = text[len(SCREENSHOT_SIGNAL) :]
            future = browser._websocket_send("Page.captureScreenshot", with_future=True)
            if future:
                future.add_done_callback(
                    lambda done: (
                        done.exception() or _save_png(directory, shot_name, done.result()["data"])
                    )
                )

    with (
        patch.object(ChromeBrowser, "_wait_code_ok", _wait_code_ok),
        patch.object(ChromeBrowser, "_handle_console", _handle_console),
    ):
        yield


@tagged("post_install", "-at_install")
class TestWebhookHealthTour(HttpCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "127.0.0.1")
        partner_model = self.env["ir.model"]._get("res.partner")
        Endpoint = self.env["webhook.endpoint"]
        now = fields.Datetime.now()
        self.failing, self.healthy = Endpoint.create(
            [
                {
                    "name": name,
                    "url": "http://127.0.0.1:9/hook",
                    "model_id": partner_model.id,
                    "trigger": "create",
                }
                for name in ("Tour failing receiver", "Tour healthy receiver")
            ]
        )
        self.failing.write(
            {
                "failing_since": now - timedelta(hours=2),
                "last_status": "500",
                "last_error": "HTTP 500",
            }
        )
        self.healthy.write({"last_status": "200"})
        # sudo: outbox rows and their attempts are the worker's to write
        Delivery = self.env["webhook.delivery"].sudo()
        rows = [
            (self.failing, "dead", 500),
            (self.failing, "delivered", 200),
            (self.healthy, "delivered", 200),
        ]
        self.deliveries = Delivery.create(
            [
                {
                    "endpoint_id": endpoint.id,
                    "event_id": f"evt_tour_{i}",
                    "event": "create",
                    "model": "res.partner",
                    "res_id": 1,
                    "payload": "{}",
                    "state": state,
                    "attempt_count": 1,
                    "last_status_code": status,
                    "last_duration_ms": 40,
                    "last_error": "HTTP 500" if status == 500 else None,
                }
                for i, (endpoint, state, status) in enumerate(rows)
            ]
        )
        self.env["webhook.delivery.attempt"].sudo().create(
            [
                {
                    "delivery_id": delivery.id,
                    "attempt_no": 1,
                    "date": now - timedelta(hours=1),
                    "status_code": status,
                    "duration_ms": 40,
                    "error": "HTTP 500" if status == 500 else None,
                }
                for delivery, (_endpoint, _state, status) in zip(self.deliveries, rows, strict=True)
            ]
        )

    def test_health_tour_apps_to_resent_dead_delivery(self):
        dead = self.deliveries[0]
        with tour_screenshots("my_webhooks_delivery_resent"):
            self.start_tour("/odoo/apps?debug=1", "my_webhooks_health_tour", login="admin")
        dead.invalidate_recordset()
        self.assertEqual((dead.state, dead.attempt_count), ("pending", 0))
        self.assertEqual(dead.attempt_ids.status_code, 500, "the attempt log is kept")
