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
        other = self.env["oauth.client"].create({
            "name": "Other", "redirect_uris": "https://other.example.com/cb",
            "scope": "orders:read",
        })
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
