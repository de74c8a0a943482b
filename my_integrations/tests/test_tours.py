"""The suite in a real browser (Odoo's tours on Chromium): the Apps page
finds the app, and an administrator reaches the API's request graph and
the keys that expire soon. Each tour ends with a screenshot of where it
got, in the directory of Odoo's --screenshots option (scripts/test.sh:
.test-run/screenshots)."""

import base64
import datetime
import pathlib
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import config


def _screenshot_on_success(name):
    """Patch ChromeBrowser so that, once the tour has succeeded, the page is
    captured as `<screenshots>/<name>.png` (Odoo itself only captures
    failures)."""
    real_wait = ChromeBrowser._wait_code_ok

    def wait_then_capture(browser, code, timeout, error_checker=None):
        real_wait(browser, code, timeout, error_checker=error_checker)
        shot = browser._websocket_send("Page.captureScreenshot", with_future=True)
        data = shot.result(timeout=20)["data"] if shot else None
        if data:
            folder = pathlib.Path(config["screenshots"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.png").write_bytes(base64.b64decode(data))

    return patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture)


@tagged("post_install", "-at_install")
class TestIntegrationsTours(HttpCase):
    def tour(self, name):
        with _screenshot_on_success(name):
            self.start_tour("/odoo", name, login="admin", timeout=120)

    def test_apps_page_shows_the_suite_under_its_default_filter(self):
        with _screenshot_on_success("my_integrations_apps"):
            self.start_tour(
                "/odoo/action-base.open_module_tree",
                "my_integrations_apps",
                login="admin",
                timeout=120,
            )

    def test_request_log_graph(self):
        log = self.env["api.request.log"]
        for status in (200, 200, 404, 500):
            self.env.cr.execute(
                log._insert_query(
                    {
                        "method": "GET",
                        "path": "/api/v1/orders/7",
                        "status": status,
                        "duration_ms": 12.5,
                        "user_id": self.env.user.id,
                        "auth_method": "api_key",
                        "credential": "API key #1",
                        "request_id": f"tour-{status}",
                        "ip": "127.0.0.1",
                        "error_code": None if status < 400 else "not_found",
                    }
                )
            )
        self.tour("my_integrations_request_graph")

    def test_keys_expiring_soon(self):
        admin = self.env.ref("base.user_admin")
        Keys = self.env["res.users.apikeys"].with_user(admin).sudo()
        now = fields.Datetime.now()
        Keys._generate(None, "tour key soon", now + datetime.timedelta(days=5))
        Keys._generate(None, "tour key later", now + datetime.timedelta(days=60))
        self.tour("my_integrations_expiring_keys")

    def test_first_screen_with_nothing_configured(self):
        self.env["webhook.endpoint"].with_context(active_test=False).search([]).unlink()
        self.env["res.users"].with_context(active_test=False).search(
            [("my_is_integration", "=", True)]
        ).write({"my_is_integration": False})
        self.tour("my_integrations_first_steps")

    def test_dashboard(self):
        self.tour("my_integrations_dashboard")
