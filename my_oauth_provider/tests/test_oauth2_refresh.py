import datetime

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .oauth2_common import OAuth2Case


@tagged("post_install", "-at_install")
class TestRefreshRotation(OAuth2Case):
    def setUp(self):
        super().setUp()
        self.authenticate("oauth_consenting", "oauth_consenting_pw")
        response = self.exchange(self.get_code())
        self.assertEqual(response.status_code, 200, response.text)
        self.first = response.json()

    def refresh(self, refresh_token, **extra):
        return self.post_form(
            "/oauth2/token",
            {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
            auth=(self.web_client.identifier, self.web_secret),
        )

    def test_refresh_rotates_and_reuse_revokes_the_family(self):
        second = self.refresh(self.first["refresh_token"])
        self.assertEqual(second.status_code, 200, second.text)
        second = second.json()
        self.assertNotEqual(second["refresh_token"], self.first["refresh_token"])
        self.assertNotEqual(second["access_token"], self.first["access_token"])
        self.assertEqual(second["scope"], "orders:read partners:read")
        listed = self.api("GET", "/api/v1/orders", key=second["access_token"])
        self.assertEqual(listed.status_code, 200, listed.text)

        third = self.refresh(second["refresh_token"])
        self.assertEqual(third.status_code, 200, third.text)
        third = third.json()

        # the first refresh token comes back: someone copied it
        with mute_logger("odoo.addons.my_oauth_provider.services.oauth2_server"):
            replay = self.refresh(self.first["refresh_token"])
        self.assertOAuthError(replay, 400, "invalid_grant")
        for token in (second, third):
            response = self.api("GET", "/api/v1/orders", key=token["access_token"])
            self.assertError(response, 401, "unauthorized")
        self.assertOAuthError(self.refresh(third["refresh_token"]), 400, "invalid_grant")
        family = self.env["oauth.token"].search([("client_id", "=", self.web_client.id)])
        self.assertEqual(len(family), 3)
        self.assertTrue(all(family.mapped("revoked")))

    def test_refresh_may_narrow_but_not_widen_the_scope(self):
        narrowed = self.refresh(self.first["refresh_token"], scope="orders:read")
        self.assertEqual(narrowed.status_code, 200, narrowed.text)
        self.assertEqual(narrowed.json()["scope"], "orders:read")
        widened = self.refresh(narrowed.json()["refresh_token"], scope="orders:write")
        self.assertOAuthError(widened, 400, "invalid_scope")

    def test_refresh_token_of_another_client_is_invalid_grant(self):
        other = self.env["oauth.client"].create(
            {
                "name": "Other",
                "redirect_uris": "https://other.example.com/cb",
                "scope": "orders:read",
            }
        )
        secret = self.set_secret(other)
        response = self.post_form(
            "/oauth2/token",
            {"grant_type": "refresh_token", "refresh_token": self.first["refresh_token"]},
            auth=(other.identifier, secret),
        )
        self.assertOAuthError(response, 400, "invalid_grant")
        # and the rightful owner can still use it
        self.assertEqual(self.refresh(self.first["refresh_token"]).status_code, 200)

    def test_revoking_the_refresh_token_ends_the_grant(self):
        response = self.post_form(
            "/oauth2/revoke",
            {"token": self.first["refresh_token"]},
            auth=(self.web_client.identifier, self.web_secret),
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertError(
            self.api("GET", "/api/v1/orders", key=self.first["access_token"]), 401, "unauthorized"
        )
        self.assertOAuthError(self.refresh(self.first["refresh_token"]), 400, "invalid_grant")

    def test_refresh_drops_removed_scopes(self):
        """A scope taken off the client is not carried over by a refresh."""
        self.web_client.scope = "orders:read orders:write"  # partners:read removed
        second = self.refresh(self.first["refresh_token"])
        self.assertEqual(second.status_code, 200, second.text)
        second = second.json()
        self.assertEqual(second["scope"], "orders:read")
        token = self.env["oauth.token"].search([("client_id", "=", self.web_client.id)], limit=1)
        self.assertEqual(token.scope, "orders:read")
        self.assertError(
            self.api("GET", "/api/v1/partners", key=second["access_token"]),
            403,
            "insufficient_scope",
        )
        self.assertEqual(
            self.api("GET", "/api/v1/orders", key=second["access_token"]).status_code, 200
        )
        # asking for it back is refused, and the refusal does not burn the token
        back = self.refresh(second["refresh_token"], scope="partners:read")
        self.assertOAuthError(back, 400, "invalid_scope")
        # no allowed scope left at all: the authorization is over
        self.web_client.scope = "orders:write"
        self.assertOAuthError(self.refresh(second["refresh_token"]), 400, "invalid_grant")
        self.web_client.scope = "orders:read"
        self.assertEqual(self.refresh(second["refresh_token"]).status_code, 200)

    def test_refresh_drops_scopes_no_longer_consented(self):
        """The user's remembered consent bounds a refresh too."""
        grant = self.env["oauth.grant"].search([("client_id", "=", self.web_client.id)])
        grant.scope = "orders:read"
        second = self.refresh(self.first["refresh_token"])
        self.assertEqual(second.status_code, 200, second.text)
        self.assertEqual(second.json()["scope"], "orders:read")
        # consent forgotten without revoking (a plain delete): nothing to refresh for
        grant.unlink()
        self.assertOAuthError(self.refresh(second.json()["refresh_token"]), 400, "invalid_grant")

    def test_refresh_family_absolute_lifetime(self):
        """However often it is refreshed, an authorization ends
        `my_oauth_provider.refresh_family_days` (90) days after its first
        token, even with a fresh refresh token in hand."""
        start = fields.Datetime.now()
        token = self.first
        for days in (25, 50, 75):
            with freeze_time(start + datetime.timedelta(days=days)):
                response = self.refresh(token["refresh_token"])
                self.assertEqual(response.status_code, 200, response.text)
                token = response.json()
        with freeze_time(start + datetime.timedelta(days=91)):
            self.assertOAuthError(self.refresh(token["refresh_token"]), 400, "invalid_grant")

        # the setting is read at each refresh, and counts from the first issue
        self.authenticate("oauth_consenting", "oauth_consenting_pw")
        fresh = self.exchange(self.get_code()).json()
        self.env["ir.config_parameter"].set_param("my_oauth_provider.refresh_family_days", "5")
        with freeze_time(start + datetime.timedelta(days=4)):
            response = self.refresh(fresh["refresh_token"])
            self.assertEqual(response.status_code, 200, response.text)
        with freeze_time(start + datetime.timedelta(days=6)):
            self.assertOAuthError(
                self.refresh(response.json()["refresh_token"]), 400, "invalid_grant"
            )
