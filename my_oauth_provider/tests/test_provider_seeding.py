import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import config


@tagged("post_install", "-at_install")
class TestProviderSeeding(TransactionCase):
    """The seeding runs at install and upgrade (data/auth_oauth_provider_data.xml);
    tests call the same method with odoo.conf options and environment variables
    set as a deployment sets them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Provider = cls.env["auth.oauth.provider"]
        cls.google = cls.env.ref("auth_oauth.provider_google")
        cls.microsoft = cls.env.ref("my_oauth_provider.provider_microsoft")
        cls.oidc = cls.env.ref("my_oauth_provider.provider_oidc")

    def seed(self, options=None, environ=None):
        with (
            patch.dict(config.options, options or {}),
            patch.dict("os.environ", environ or {}, clear=False),
        ):
            self.Provider._seed_from_config()

    def test_unconfigured_providers_stay_disabled(self):
        self.seed()
        self.assertFalse(self.microsoft.enabled)
        self.assertFalse(self.oidc.enabled)
        self.assertEqual(self.microsoft.scope, "openid email profile")

    def test_seed_from_odoo_conf(self):
        self.seed({"oauth_microsoft_client_id": "ms-app", "oauth_microsoft_tenant": "contoso"})
        self.assertTrue(self.microsoft.enabled)
        self.assertEqual(self.microsoft.client_id, "ms-app")
        self.assertEqual(
            self.microsoft.auth_endpoint,
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize",
        )
        self.assertEqual(self.microsoft.data_endpoint, "https://graph.microsoft.com/oidc/userinfo")
        self.assertEqual(self.microsoft.css_class, "fa fa-fw fa-windows")
        self.assertEqual(self.microsoft.body, "Log in with Microsoft")

    def test_environment_wins_over_odoo_conf(self):
        self.seed(
            {"oauth_google_client_id": "from-conf"},
            {"ODOO_OAUTH_GOOGLE_CLIENT_ID": "from-env"},
        )
        self.assertEqual(self.google.client_id, "from-env")
        self.assertTrue(self.google.enabled)

    def test_generic_oidc_from_environment(self):
        self.seed(
            environ={
                "ODOO_OAUTH_OIDC_CLIENT_ID": "odoo",
                "ODOO_OAUTH_OIDC_ISSUER": "https://id.example.com/",
                "ODOO_OAUTH_OIDC_AUTH_ENDPOINT": "https://id.example.com/authorize",
                "ODOO_OAUTH_OIDC_USERINFO_ENDPOINT": "https://id.example.com/userinfo",
                "ODOO_OAUTH_OIDC_LABEL": "Example ID",
            }
        )
        self.assertTrue(self.oidc.enabled)
        self.assertEqual(self.oidc.name, "Example ID")
        self.assertEqual(self.oidc.my_issuer_url, "https://id.example.com")
        self.assertEqual(self.oidc.auth_endpoint, "https://id.example.com/authorize")
        self.assertEqual(self.oidc.validation_endpoint, "https://id.example.com/userinfo")

    def test_seeding_twice_changes_nothing(self):
        options = {"oauth_microsoft_client_id": "ms-app"}
        self.seed(options)
        applied = self.microsoft.my_applied_config
        with patch.object(type(self.Provider), "write", autospec=True) as write:
            self.seed(options)
        write.assert_not_called()
        self.assertEqual(self.microsoft.my_applied_config, applied)

    def test_manual_edits_survive_until_the_configuration_changes(self):
        self.seed({"oauth_microsoft_client_id": "ms-app"})
        self.microsoft.write({"enabled": False, "body": "Sign in with Contoso"})
        self.seed({"oauth_microsoft_client_id": "ms-app"})  # an upgrade, same configuration
        self.assertFalse(self.microsoft.enabled)
        self.assertEqual(self.microsoft.body, "Sign in with Contoso")
        self.seed({"oauth_microsoft_client_id": "ms-app-2"})  # the configuration changed
        self.assertEqual(self.microsoft.client_id, "ms-app-2")
        self.assertEqual(self.microsoft.body, "Sign in with Contoso")


class _Discovery(BaseHTTPRequestHandler):
    documents = {}

    def do_GET(self):
        body = self.documents.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestDiscover(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        cls.provider = cls.env.ref("my_oauth_provider.provider_oidc")

    def test_discover_fills_the_endpoints(self):
        _Discovery.documents = {
            "/good/.well-known/openid-configuration": json.dumps(
                {
                    "issuer": f"{self.base}/good",
                    "authorization_endpoint": f"{self.base}/good/authorize",
                    "userinfo_endpoint": f"{self.base}/good/userinfo",
                }
            )
        }
        self.provider.my_issuer_url = f"{self.base}/good/"
        self.provider.action_discover_endpoints()
        self.assertEqual(self.provider.auth_endpoint, f"{self.base}/good/authorize")
        self.assertEqual(self.provider.validation_endpoint, f"{self.base}/good/userinfo")
        self.assertEqual(self.provider.data_endpoint, f"{self.base}/good/userinfo")

    def test_discover_errors_are_clear_and_change_nothing(self):
        _Discovery.documents = {
            "/bad/.well-known/openid-configuration": json.dumps({"issuer": "x"}),
            "/html/.well-known/openid-configuration": "<html>",
        }
        before = self.provider.auth_endpoint
        cases = {
            "/bad": "missing authorization_endpoint",
            "/html": "did not answer an OpenID configuration",
            "/missing": "Could not read",
        }
        for path, message in cases.items():
            self.provider.my_issuer_url = self.base + path
            with self.assertRaisesRegex(UserError, message):
                self.provider.action_discover_endpoints()
        self.provider.my_issuer_url = False
        with self.assertRaisesRegex(UserError, "issuer URL first"):
            self.provider.action_discover_endpoints()
        self.assertEqual(self.provider.auth_endpoint, before)
