from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.my_oauth_provider.services import oauth2_server

from .oauth2_common import OAuth2Case


@tagged("post_install", "-at_install")
class TestIntrospectionRevocationMetadata(OAuth2Case):
    def introspect(self, token, auth=None, **extra):
        auth = auth or (self.service_client.identifier, self.service_secret)
        return self.post_form("/oauth2/introspect", {"token": token, **extra}, auth=auth)

    def test_introspection_says_active_then_inactive(self):
        access = self.client_credentials_token("orders:read")["access_token"]
        response = self.introspect(access)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        claims = response.json()
        self.assertIs(claims["active"], True)
        self.assertEqual(claims["scope"], "orders:read")
        self.assertEqual(claims["client_id"], self.service_client.identifier)
        self.assertEqual(claims["username"], self.salesman.login)
        self.assertEqual(claims["token_type"], "Bearer")
        self.assertEqual(claims["sub"], str(self.salesman.id))
        self.assertEqual(claims["iss"], self.base_url())
        self.assertGreater(claims["exp"], claims["iat"])

        self.env["oauth.token"].search([("client_id", "=", self.service_client.id)]).action_revoke()
        self.assertEqual(self.introspect(access).json(), {"active": False})
        self.assertEqual(self.introspect("oat_not-a-token").json(), {"active": False})

    def test_introspection_is_for_authenticated_confidential_clients(self):
        access = self.client_credentials_token()["access_token"]
        anonymous = self.post_form("/oauth2/introspect", {"token": access})
        public = self.post_form(
            "/oauth2/introspect", {"token": access, "client_id": self.mobile_client.identifier}
        )
        self.assertOAuthError(anonymous, 401, "invalid_client")
        self.assertOAuthError(public, 401, "invalid_client")
        # another confidential client does not learn about this client's tokens
        other = self.introspect(access, auth=(self.web_client.identifier, self.web_secret))
        self.assertEqual(other.json(), {"active": False})

    def test_revocation_of_an_unknown_or_foreign_token_answers_200_and_changes_nothing(self):
        access = self.client_credentials_token()["access_token"]
        unknown = self.post_form(
            "/oauth2/revoke",
            {"token": "oat_unknown"},
            auth=(self.service_client.identifier, self.service_secret),
        )
        self.assertEqual(unknown.status_code, 200, unknown.text)
        foreign = self.post_form(
            "/oauth2/revoke", {"token": access}, auth=(self.web_client.identifier, self.web_secret)
        )
        self.assertEqual(foreign.status_code, 200, foreign.text)
        self.assertEqual(self.api("GET", "/api/v1/orders", key=access).status_code, 200)
        bad_client = self.post_form(
            "/oauth2/revoke", {"token": access}, auth=(self.service_client.identifier, "x")
        )
        self.assertOAuthError(bad_client, 401, "invalid_client")

    def test_metadata_document_follows_rfc_8414(self):
        response = self.url_open("/.well-known/oauth-authorization-server")
        self.assertEqual(response.status_code, 200, response.text)
        meta = response.json()
        base = self.base_url()
        self.assertEqual(meta["issuer"], base)
        self.assertEqual(meta["authorization_endpoint"], f"{base}/oauth2/authorize")
        self.assertEqual(meta["token_endpoint"], f"{base}/oauth2/token")
        self.assertEqual(meta["revocation_endpoint"], f"{base}/oauth2/revoke")
        self.assertEqual(meta["introspection_endpoint"], f"{base}/oauth2/introspect")
        self.assertEqual(meta["response_types_supported"], ["code"])
        self.assertEqual(
            sorted(meta["grant_types_supported"]),
            ["authorization_code", "client_credentials", "refresh_token"],
        )
        self.assertEqual(meta["code_challenge_methods_supported"], ["S256"])
        self.assertIn("client_secret_basic", meta["token_endpoint_auth_methods_supported"])
        self.assertEqual(
            sorted(meta["scopes_supported"]), sorted(self.env["api.resource"]._api_scopes())
        )
        self.assertIn("orders:write", meta["scopes_supported"])

    FORGED = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
    }

    def test_issuer_ignores_forwarded_host(self):
        """Behind a proxy (proxy_mode) a client can send its own
        X-Forwarded-* headers: the issuer, every endpoint URL of the
        metadata and the `iss` of introspection still come from
        web.base.url, never from the request."""
        base = self.base_url()
        self.assertEqual(self.env["ir.config_parameter"].get_param("web.base.url"), base)
        access = self.client_credentials_token("orders:read")["access_token"]
        with patch.dict(config.options, {"proxy_mode": True}):
            meta = self.url_open(
                "/.well-known/oauth-authorization-server", headers=self.FORGED
            ).json()
            claims = self.post_form(
                "/oauth2/introspect",
                {"token": access},
                auth=(self.service_client.identifier, self.service_secret),
                headers=self.FORGED,
            ).json()
            document = self.url_open("/api/v1/openapi.json", headers=self.FORGED).json()
        self.assertEqual(meta["issuer"], base)
        for key in (
            "authorization_endpoint",
            "token_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
            "service_documentation",
        ):
            self.assertTrue(meta[key].startswith(f"{base}/"), meta[key])
        self.assertEqual(claims["iss"], base)
        # the OpenAPI document (my_api) names the same server and token URLs
        self.assertEqual(document["servers"], [{"url": f"{base}/api/v1"}])
        flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
        self.assertEqual(flows["authorizationCode"]["tokenUrl"], meta["token_endpoint"])

    def test_metadata_passes_oauthlibs_rfc_8414_checks_when_served_over_https(self):
        env = self.env
        scopes = env["api.resource"]._api_scopes()
        endpoint = oauth2_server.build_metadata(env, "https://erp.example.com", scopes)
        self.assertTrue(endpoint.raise_errors)  # checked, and nothing was raised
        self.assertEqual(endpoint.claims["token_endpoint"], "https://erp.example.com/oauth2/token")
        with self.assertRaises(ValueError):  # the checks do run: a query in the issuer fails
            oauth2_server.build_metadata(env, "https://erp.example.com/?x=1", scopes)

    def test_openapi_declares_the_oauth2_flows_and_scopes(self):
        document = self.url_open("/api/v1/openapi.json").json()
        scheme = document["components"]["securitySchemes"]["oauth2"]
        base = self.base_url()
        code_flow = scheme["flows"]["authorizationCode"]
        self.assertEqual(code_flow["authorizationUrl"], f"{base}/oauth2/authorize")
        self.assertEqual(code_flow["tokenUrl"], f"{base}/oauth2/token")
        self.assertIn("orders:write", code_flow["scopes"])
        self.assertEqual(scheme["flows"]["clientCredentials"]["tokenUrl"], f"{base}/oauth2/token")


@tagged("post_install", "-at_install")
class TestRevokeFromTheUi(OAuth2Case):
    def test_revoke_per_client_and_per_user(self):
        first = self.client_credentials_token()["access_token"]
        self.service_client.action_revoke_tokens()
        self.assertError(self.api("GET", "/api/v1/orders", key=first), 401, "unauthorized")

        second = self.client_credentials_token()["access_token"]
        self.assertEqual(self.service_client.active_token_count, 1)
        action = self.env.ref("my_oauth_provider.res_users_action_revoke_oauth_tokens")
        action.with_context(active_model="res.users", active_ids=self.salesman.ids).run()
        self.assertError(self.api("GET", "/api/v1/orders", key=second), 401, "unauthorized")
        self.service_client.invalidate_recordset(["active_token_count"])
        self.assertEqual(self.service_client.active_token_count, 0)

    def test_withdrawn_consent_revokes_the_users_tokens(self):
        self.authenticate("oauth_consenting", "oauth_consenting_pw")
        token = self.exchange(self.get_code()).json()
        grant = self.env["oauth.grant"].search([("client_id", "=", self.web_client.id)])
        self.assertEqual(grant.user_id, self.consenting_user)
        grant.action_revoke()
        self.assertError(
            self.api("GET", "/api/v1/orders", key=token["access_token"]), 401, "unauthorized"
        )
        self.assertEqual(self.open_authorize().status_code, 200)  # consent asked again

    def test_clients_tokens_and_consents_menus_are_for_administrators(self):
        menus = [
            self.env.ref(f"my_oauth_provider.{xmlid}")
            for xmlid in ("oauth_client_menu", "oauth_token_menu", "oauth_grant_menu")
        ]
        visible = self.env["ir.ui.menu"]._visible_menu_ids()
        self.assertTrue(all(menu.id in visible for menu in menus))
        user_visible = self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        self.assertFalse([menu for menu in menus if menu.id in user_visible])

    def test_client_form_rejects_bad_configuration(self):
        with self.assertRaises(ValidationError):
            self.web_client.redirect_uris = "http://app.example.com/cb"  # plain http, not local
        with self.assertRaises(ValidationError):
            self.web_client.redirect_uris = "https://app.example.com/cb#frag"
        with self.assertRaises(ValidationError):
            self.web_client.scope = "orders:read everything"
        with self.assertRaises(ValidationError):
            self.mobile_client.write(
                {"allow_client_credentials": True, "user_id": self.salesman.id}
            )
