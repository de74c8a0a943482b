from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.my_oauth_provider.lib import oauth2 as lib

from .oauth2_common import REDIRECT_URI, VERIFIER, OAuth2Case


@tagged("post_install", "-at_install")
class TestAuthorizationCode(OAuth2Case):
    def setUp(self):
        super().setUp()
        self.authenticate("oauth_consenting", "oauth_consenting_pw")

    def test_consent_page_lists_scopes_in_plain_words_and_allow_issues_a_code(self):
        page = self.open_authorize()
        self.assertEqual(page.status_code, 200, page.text)
        self.assertIn("Partner Portal", page.text)
        labels = self.env["api.resource"]._api_scopes()
        self.assertIn(labels["orders:read"], page.text)
        self.assertIn(labels["partners:read"], page.text)
        self.assertNotIn(labels["orders:write"], page.text)  # not asked for
        self.assertEqual(page.headers["Cache-Control"], "no-store")

        target, query = self.redirect_query(self.consent(page))
        self.assertEqual(target, REDIRECT_URI)
        self.assertEqual(query["state"], "xyz-state")
        response = self.exchange(query["code"])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        token = response.json()
        self.assertEqual(token["scope"], "orders:read partners:read")
        self.assertTrue(token["refresh_token"])
        me = self.api("GET", "/api/v1/me", key=token["access_token"])
        self.assertEqual(me.json()["data"]["login"], "oauth_consenting")

    def test_grant_is_remembered_per_user_and_client(self):
        self.get_code()
        again = self.open_authorize()
        _target, query = self.redirect_query(again)  # straight back, no consent page
        self.assertTrue(query["code"])
        # asking for more than was granted shows the consent page again
        more = self.open_authorize(scope="orders:read orders:write")
        self.assertEqual(more.status_code, 200, more.text)
        self.assertIn(self.env["api.resource"]._api_scopes()["orders:write"], more.text)

    def test_deny_redirects_with_access_denied_and_remembers_nothing(self):
        page = self.open_authorize()
        _target, query = self.redirect_query(self.consent(page, decision="deny"))
        self.assertEqual(query["error"], "access_denied")
        self.assertEqual(query["state"], "xyz-state")
        self.assertNotIn("code", query)
        self.assertFalse(self.env["oauth.grant"].search([("client_id", "=", self.web_client.id)]))
        self.assertEqual(self.open_authorize().status_code, 200)  # asked again

    def test_deny_cannot_be_overridden_by_query(self):
        """A link that carries `decision=allow` (or any other parameter) must
        not ride along in the consent form: the user's Deny stays a Deny."""
        page = self.open_authorize(decision="allow", foo="bar")
        _target, query = self.redirect_query(self.consent(page, decision="deny"))
        self.assertEqual(query["error"], "access_denied")
        self.assertNotIn("code", query)
        mine = [("client_id", "=", self.web_client.id)]
        self.assertFalse(self.env["oauth.grant"].search(mine))
        self.assertFalse(self.env["oauth.authorization.code"].search(mine))
        # only the OAuth parameters are carried over by the form
        names = [name for name, _value in self.consent_fields(page)]
        self.assertEqual(sorted(names), sorted(["csrf_token", *self.authorize_params()]))

    def test_decision_must_be_present_once(self):
        """No decision, two decisions, or an unknown one: refused, nothing
        granted, no code, no redirect to the client."""
        page = self.open_authorize()
        fields = self.consent_fields(page)
        for decisions in (
            [],
            ["allow", "allow"],
            ["deny", "allow"],
            ["allow", "deny"],
            ["yes"],
            [""],
            ["", "deny"],
            ["allow", ""],
        ):
            with self.subTest(decisions=decisions):
                data = fields + [("decision", decision) for decision in decisions]
                response = self.url_open("/oauth2/authorize", data=data, allow_redirects=False)
                self.assertEqual(response.status_code, 400, response.text)
                self.assertNotIn("Location", response.headers)
                self.assertIn("cannot be accepted", response.text)
        mine = [("client_id", "=", self.web_client.id)]
        self.assertFalse(self.env["oauth.grant"].search(mine))
        self.assertFalse(self.env["oauth.authorization.code"].search(mine))
        # the same form with one decision still works
        _target, query = self.redirect_query(self.consent(page))
        self.assertTrue(query["code"])

    def test_decision_in_the_query_string_of_the_post_does_not_count(self):
        """Only the form's button decides: a `decision` in the URL the form
        is posted to neither adds to it nor stands in for it."""
        page = self.open_authorize()
        fields = self.consent_fields(page)
        response = self.url_open(
            "/oauth2/authorize?decision=allow",
            data=[*fields, ("decision", "deny")],
            allow_redirects=False,
        )
        _target, query = self.redirect_query(response)
        self.assertEqual(query["error"], "access_denied")
        response = self.url_open(
            "/oauth2/authorize?decision=allow", data=fields, allow_redirects=False
        )
        self.assertEqual(response.status_code, 400, response.text)
        self.assertNotIn("Location", response.headers)
        mine = [("client_id", "=", self.web_client.id)]
        self.assertFalse(self.env["oauth.grant"].search(mine))
        self.assertFalse(self.env["oauth.authorization.code"].search(mine))

    def test_wrong_verifier_is_invalid_grant(self):
        code = self.get_code()
        response = self.exchange(code, verifier="w" * 43)
        self.assertOAuthError(response, 400, "invalid_grant")
        self.assertFalse(self.env["oauth.token"].search([("client_id", "=", self.web_client.id)]))

    def test_verifier_outside_rfc_7636_format_is_invalid_grant(self):
        """Even when it hashes to the challenge, a 5-character verifier is refused."""
        code = self.get_code(code_challenge=lib.s256_challenge("short"))
        response = self.exchange(code, verifier="short")
        self.assertOAuthError(response, 400, "invalid_grant")

    def test_reused_code_is_refused_and_revokes_its_tokens(self):
        code = self.get_code()
        first = self.exchange(code)
        self.assertEqual(first.status_code, 200, first.text)
        access = first.json()["access_token"]
        self.assertEqual(self.api("GET", "/api/v1/orders", key=access).status_code, 200)
        with mute_logger("odoo.addons.my_oauth_provider.models.oauth_authorization_code"):
            second = self.exchange(code)
        self.assertOAuthError(second, 400, "invalid_grant")
        self.assertError(self.api("GET", "/api/v1/orders", key=access), 401, "unauthorized")
        refresh = self.post_form(
            "/oauth2/token",
            {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
            auth=(self.web_client.identifier, self.web_secret),
        )
        self.assertOAuthError(refresh, 400, "invalid_grant")

    def test_redirect_uri_mismatch_shows_an_error_page_and_does_not_redirect(self):
        response = self.open_authorize(redirect_uri="https://evil.example.com/callback")
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Location", response.headers)
        self.assertIn("cannot be accepted", response.text)
        self.assertIn("not one this application registered", response.text)
        unknown = self.open_authorize(client_id="no-such-client")
        self.assertEqual(unknown.status_code, 400)
        self.assertNotIn("Location", unknown.headers)
        self.assertIn("not registered here", unknown.text)
        # a second registered URI: the request must then name one
        self.web_client.redirect_uris += "\nhttps://app.example.com/other"
        missing = self.open_authorize(redirect_uri=None)
        self.assertEqual(missing.status_code, 400)
        self.assertNotIn("Location", missing.headers)

    def test_redirect_uri_at_token_time_must_match(self):
        code = self.get_code()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://app.example.com/other",
            "code_verifier": VERIFIER,
        }
        response = self.post_form(
            "/oauth2/token", data, auth=(self.web_client.identifier, self.web_secret)
        )
        self.assertEqual(response.status_code, 400, response.text)
        self.assertIn(response.json()["error"], ("invalid_request", "invalid_grant"))

    def test_recoverable_errors_go_back_to_the_client(self):
        _target, query = self.redirect_query(self.open_authorize(scope="stock:write"))
        self.assertEqual(query["error"], "invalid_scope")
        _target, query = self.redirect_query(self.open_authorize(response_type="token"))
        self.assertEqual(query["error"], "unsupported_response_type")

    def test_public_client_needs_s256_pkce(self):
        mobile = {
            "client": self.mobile_client,
            "redirect_uri": "com.example.app:/oauth",
            "scope": "orders:read",
        }
        _target, query = self.redirect_query(
            self.open_authorize(code_challenge=None, code_challenge_method=None, **mobile)
        )
        self.assertEqual(query["error"], "invalid_request")
        _target, query = self.redirect_query(
            self.open_authorize(code_challenge=VERIFIER, code_challenge_method="plain", **mobile)
        )
        self.assertEqual(query["error"], "invalid_request")

        page = self.open_authorize(**mobile)
        location = self.consent(page).headers["Location"]
        self.assertTrue(location.startswith("com.example.app:/oauth?"))
        code = location.split("code=")[1].split("&")[0]
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "com.example.app:/oauth",
            "code_verifier": VERIFIER,
            "client_id": self.mobile_client.identifier,
        }
        response = self.post_form("/oauth2/token", data)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["scope"], "orders:read")

    def test_signed_out_user_is_sent_to_the_login_page(self):
        self.authenticate(None, None)
        response = self.open_authorize()
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_consent_form_needs_the_csrf_token(self):
        params = self.authorize_params()
        params["decision"] = "allow"
        with mute_logger("odoo.http"):
            response = self.url_open("/oauth2/authorize", data=params, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["oauth.grant"].search([("client_id", "=", self.web_client.id)]))

    def test_portal_user_cannot_give_api_access(self):
        portal = new_test_user(
            self.env, login="oauth_portal", password="oauth_portal_pw", groups="base.group_portal"
        )
        self.authenticate("oauth_portal", "oauth_portal_pw")
        response = self.open_authorize()
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Location", response.headers)
        self.assertIn("Only internal users", response.text)
        self.assertFalse(self.env["oauth.authorization.code"].search([("user_id", "=", portal.id)]))
