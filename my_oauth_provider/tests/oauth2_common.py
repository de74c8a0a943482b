import base64
import html
import re
from urllib.parse import parse_qs, urlsplit

from odoo.tests import new_test_user

from odoo.addons.my_api.public.testing import ApiCase
from odoo.addons.my_oauth_provider.lib import oauth2 as lib

REDIRECT_URI = "https://app.example.com/callback"
VERIFIER = "v" * 20 + "-._~" + "A1b2C3d4E5f6G7h8I9j0"  # 44 chars of the allowed set


class OAuth2Case(ApiCase):
    """Clients and helpers for the authorization server's HTTP tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Client = cls.env["oauth.client"]
        cls.service_client = Client.create(
            {
                "name": "Order sync",
                "client_type": "confidential",
                "allow_authorization_code": False,
                "allow_client_credentials": True,
                "user_id": cls.salesman.id,
                "scope": "orders:read partners:read",
            }
        )
        cls.service_secret = cls.set_secret(cls.service_client)
        cls.web_client = Client.create(
            {
                "name": "Partner Portal",
                "client_type": "confidential",
                "redirect_uris": REDIRECT_URI,
                "scope": "orders:read orders:write partners:read",
            }
        )
        cls.web_secret = cls.set_secret(cls.web_client)
        cls.mobile_client = Client.create(
            {
                "name": "Mobile App",
                "client_type": "public",
                "redirect_uris": "com.example.app:/oauth\nhttp://127.0.0.1:8765/cb",
                "scope": "orders:read",
            }
        )
        cls.consenting_user = new_test_user(
            cls.env,
            login="oauth_consenting",
            password="oauth_consenting_pw",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            name="Casey Consent",
        )

    @classmethod
    def set_secret(cls, client):
        action = client.action_generate_secret()
        return action["context"]["default_secret"]

    # ------------------------------------------------------------ helpers
    def post_form(self, path, data, auth=None, headers=None):
        headers = dict(headers or {})
        if auth:
            raw = f"{auth[0]}:{auth[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        return self.url_open(path, data=data, headers=headers, allow_redirects=False)

    def client_credentials_token(self, scope=None):
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = self.post_form(
            "/oauth2/token", data, auth=(self.service_client.identifier, self.service_secret)
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def assertOAuthError(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"], error)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        return response.json()

    def authorize_params(self, client=None, **extra):
        client = client or self.web_client
        params = {
            "response_type": "code",
            "client_id": client.identifier,
            "redirect_uri": REDIRECT_URI,
            "scope": "orders:read partners:read",
            "state": "xyz-state",
            "code_challenge": lib.s256_challenge(VERIFIER),
            "code_challenge_method": "S256",
        }
        params.update(extra)
        return {key: value for key, value in params.items() if value is not None}

    def open_authorize(self, **params):
        return self.url_open(
            "/oauth2/authorize", params=self.authorize_params(**params), allow_redirects=False
        )

    def consent_fields(self, page):
        """The hidden inputs of the consent form of `page` (a 200 response),
        as (name, value) pairs in page order, duplicates kept."""
        self.assertEqual(page.status_code, 200, page.text)
        fields = [
            (name, html.unescape(value))
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
            )
        ]
        self.assertIn("csrf_token", dict(fields))
        return fields

    def consent(self, page, decision="allow"):
        """Submit the consent form of `page` as the browser would: every
        hidden input in page order, then the clicked button."""
        fields = [*self.consent_fields(page), ("decision", decision)]
        return self.url_open("/oauth2/authorize", data=fields, allow_redirects=False)

    def redirect_query(self, response):
        self.assertEqual(response.status_code, 302, response.text)
        location = response.headers["Location"]
        parts = urlsplit(location)
        return f"{parts.scheme}://{parts.netloc}{parts.path}", {
            key: values[0] for key, values in parse_qs(parts.query).items()
        }

    def get_code(self, **params):
        """Sign-in is the test's business; this consents and returns the code."""
        page = self.open_authorize(**params)
        if page.status_code == 200:
            page = self.consent(page)
        _target, query = self.redirect_query(page)
        self.assertEqual(query.get("state"), "xyz-state")
        return query["code"]

    def exchange(self, code, verifier=VERIFIER, client=None, secret=None):
        client = client or self.web_client
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }
        if client.client_type == "public":
            data["client_id"] = client.identifier
            return self.post_form("/oauth2/token", data)
        return self.post_form(
            "/oauth2/token", data, auth=(client.identifier, secret or self.web_secret)
        )
