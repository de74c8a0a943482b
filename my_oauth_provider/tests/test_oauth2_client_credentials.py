import datetime

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .oauth2_common import OAuth2Case


@tagged("post_install", "-at_install")
class TestClientCredentials(OAuth2Case):
    def test_token_reads_orders_and_is_refused_writes_then_revoked(self):
        order = self.new_order(user_id=self.salesman.id)
        token = self.client_credentials_token()
        self.assertEqual(token["token_type"], "Bearer")
        self.assertEqual(token["scope"], "orders:read partners:read")
        self.assertEqual(token["expires_in"], 3600)
        self.assertNotIn("refresh_token", token)  # RFC 6749 section 4.4.3
        access = token["access_token"]

        listed = self.api("GET", "/api/v1/orders", key=access)
        self.assertEqual(listed.status_code, 200, listed.text)
        self.assertIn(order.id, [row["id"] for row in listed.json()["data"]])

        body = {"partner_id": self.partner.id, "lines": [{"product_id": self.product.id}]}
        with mute_logger("odoo.http"):
            refused = self.api("POST", "/api/v1/orders", key=access, body=body)
        self.assertError(refused, 403, "insufficient_scope")
        self.assertIn('error="insufficient_scope"', refused.headers["WWW-Authenticate"])
        self.assertIn('scope="orders:write"', refused.headers["WWW-Authenticate"])
        self.assertFalse(self.env["sale.order"].search([("id", ">", order.id)]))

        revoked = self.post_form(
            "/oauth2/revoke",
            {"token": access, "token_type_hint": "access_token"},
            auth=(self.service_client.identifier, self.service_secret),
        )
        self.assertEqual(revoked.status_code, 200, revoked.text)
        after = self.api("GET", "/api/v1/orders", key=access)
        self.assertError(after, 401, "unauthorized")
        self.assertIn('error="invalid_token"', after.headers["WWW-Authenticate"])

    def test_me_reports_the_client_the_user_and_the_scopes(self):
        access = self.client_credentials_token("orders:read")["access_token"]
        me = self.api("GET", "/api/v1/me", key=access)
        self.assertEqual(me.status_code, 200, me.text)
        data = me.json()["data"]
        self.assertEqual(data["login"], self.salesman.login)
        self.assertEqual(data["auth_method"], "oauth2")
        self.assertEqual(data["scopes"], ["orders:read"])
        self.assertEqual(data["client_id"], self.service_client.identifier)

    def test_token_cannot_rotate_its_users_api_key(self):
        """POST /api/v1/keys/rotate rotates the key that calls it: a token
        holds no key, and must not get one of its user's (nor a new one)."""
        key = self.new_api_key(self.salesman, "Order sync key")
        keys = self.env["res.users.apikeys"].search([("user_id", "=", self.salesman.id)])
        access = self.client_credentials_token()["access_token"]
        response = self.api("POST", "/api/v1/keys/rotate", key=access, body={})
        error = self.assertError(response, 403, "forbidden")
        self.assertIn("only an API key can rotate itself", error["message"])
        self.assertNotIn("key", response.json())
        self.env.invalidate_all()
        self.assertEqual(
            self.env["res.users.apikeys"].search([("user_id", "=", self.salesman.id)]), keys
        )
        self.assertFalse(keys.my_successor_id)
        self.assertEqual(self.api("GET", "/api/v1/me", key=key).status_code, 200)

    def test_expired_token_is_invalid(self):
        access = self.client_credentials_token()["access_token"]
        row = self.env["oauth.token"].search([("client_id", "=", self.service_client.id)])
        row.access_expires_at = datetime.datetime.now() - datetime.timedelta(seconds=1)
        response = self.api("GET", "/api/v1/orders", key=access)
        self.assertError(response, 401, "unauthorized")
        self.assertIn('error="invalid_token"', response.headers["WWW-Authenticate"])

    def test_scope_does_not_lift_access_rights(self):
        """A token with orders:read whose user may not read orders gets 403."""
        clerk = new_test_user(self.env, login="oauth_clerk", groups="base.group_user")
        self.service_client.user_id = clerk
        access = self.client_credentials_token()["access_token"]
        with mute_logger("odoo.http"):
            response = self.api("GET", "/api/v1/orders", key=access)
        self.assertError(response, 403, "forbidden")

    def test_token_errors_follow_rfc_6749(self):
        ident = self.service_client.identifier
        wrong = self.post_form(
            "/oauth2/token", {"grant_type": "client_credentials"}, auth=(ident, "nope")
        )
        self.assertOAuthError(wrong, 401, "invalid_client")
        self.assertTrue(wrong.headers["WWW-Authenticate"].startswith("Basic"))
        in_body = self.post_form(
            "/oauth2/token",
            {"grant_type": "client_credentials", "client_id": ident, "client_secret": "x"},
        )
        self.assertOAuthError(in_body, 401, "invalid_client")
        unknown = self.post_form(
            "/oauth2/token",
            {"grant_type": "client_credentials"},
            auth=("no-such-client", self.service_secret),
        )
        self.assertOAuthError(unknown, 401, "invalid_client")
        self.assertOAuthError(
            self.post_form(
                "/oauth2/token", {"scope": "orders:read"}, auth=(ident, self.service_secret)
            ),
            400,
            "invalid_request",
        )
        self.assertOAuthError(
            self.url_open("/oauth2/token?grant_type=client_credentials"),
            400,
            "invalid_request",
        )
        self.assertOAuthError(
            self.post_form(
                "/oauth2/token", {"grant_type": "password"}, auth=(ident, self.service_secret)
            ),
            400,
            "unsupported_grant_type",
        )
        self.assertOAuthError(
            self.post_form(
                "/oauth2/token",
                {"grant_type": "client_credentials", "scope": "orders:write"},
                auth=(ident, self.service_secret),
            ),
            400,
            "invalid_scope",
        )
        # the web client may not use client credentials
        self.assertOAuthError(
            self.post_form(
                "/oauth2/token",
                {"grant_type": "client_credentials"},
                auth=(self.web_client.identifier, self.web_secret),
            ),
            400,
            "unauthorized_client",
        )
        issued = self.env["oauth.token"].search([("client_id", "=", self.service_client.id)])
        self.assertFalse(issued)

    def test_archived_client_and_its_tokens_stop_working(self):
        access = self.client_credentials_token()["access_token"]
        self.service_client.active = False
        self.assertError(self.api("GET", "/api/v1/orders", key=access), 401, "unauthorized")
        response = self.post_form(
            "/oauth2/token",
            {"grant_type": "client_credentials"},
            auth=(self.service_client.identifier, self.service_secret),
        )
        self.assertOAuthError(response, 401, "invalid_client")

    def test_archived_user_tokens_stop_at_once(self):
        """README, what a change of rights means: an OAuth2 token is checked
        against its user at each request (no cache), so archiving the user
        ends its tokens at once."""
        access = self.client_credentials_token()["access_token"]
        self.assertEqual(self.api("GET", "/api/v1/orders", key=access).status_code, 200)
        self.salesman.action_archive()
        self.assertError(self.api("GET", "/api/v1/orders", key=access), 401, "unauthorized")

    def test_new_secret_replaces_the_old_one(self):
        old = self.service_secret
        new = self.set_secret(self.service_client)
        refused = self.post_form(
            "/oauth2/token",
            {"grant_type": "client_credentials"},
            auth=(self.service_client.identifier, old),
        )
        self.assertOAuthError(refused, 401, "invalid_client")
        ok = self.post_form(
            "/oauth2/token",
            {"grant_type": "client_credentials"},
            auth=(self.service_client.identifier, new),
        )
        self.assertEqual(ok.status_code, 200, ok.text)
