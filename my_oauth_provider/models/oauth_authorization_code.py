"""Authorization codes: single use, short lived, stored hashed."""

import datetime
import logging

from odoo import api, fields, models

from ..lib import oauth2 as lib

_logger = logging.getLogger(__name__)

CODE_LIFETIME = 120  # seconds; RFC 6749 section 4.1.2 recommends 10 minutes at most


class OauthAuthorizationCode(models.Model):
    _name = "oauth.authorization.code"
    _description = "OAuth2 Authorization Code"
    _order = "id desc"

    code_hash = fields.Char(required=True, index=True, readonly=True)
    client_id = fields.Many2one("oauth.client", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    redirect_uri = fields.Char(required=True)
    scope = fields.Char()
    code_challenge = fields.Char()
    code_challenge_method = fields.Char()
    expires_at = fields.Datetime(required=True)
    used_at = fields.Datetime(help="Set when the code is redeemed; a second use is refused.")
    token_ids = fields.One2many("oauth.token", "code_id")

    _code_hash_unique = models.Constraint("UNIQUE(code_hash)", "Codes are unique.")

    @api.model
    def _oauth_create(self, code, client, user, redirect_uri, scopes, challenge, method):
        return self.create(
            {
                "code_hash": lib.hash_secret(code),
                "client_id": client.id,
                "user_id": user.id,
                "redirect_uri": redirect_uri,
                "scope": lib.scope_string(scopes),
                "code_challenge": challenge,
                "code_challenge_method": method if challenge else False,
                "expires_at": fields.Datetime.now() + datetime.timedelta(seconds=CODE_LIFETIME),
            }
        )

    @api.model
    def _oauth_find(self, code):
        if not code or len(code) > 256:
            return self.browse()
        return self.search([("code_hash", "=", lib.hash_secret(code))], limit=1)

    def _oauth_redeem(self, client):
        """Consume the code for `client`; False if it cannot be used.

        A code presented a second time is refused, and the tokens issued
        from it are revoked (RFC 6749 section 4.1.2): someone else holds it.
        A failed redemption (e.g. a wrong PKCE verifier) also consumes it.
        """
        self.ensure_one()
        if self.client_id != client:
            return False
        if self.used_at:
            _logger.warning(
                "OAuth2 authorization code #%s of client %s presented again: "
                "revoking the tokens it gave",
                self.id,
                client.identifier,
            )
            self.token_ids._oauth_revoke_families()
            return False
        self.used_at = fields.Datetime.now()
        return self.expires_at > self.used_at and self.user_id.active

    @api.autovacuum
    def _gc_expired_codes(self):
        limit = fields.Datetime.now() - datetime.timedelta(days=1)
        self.search([("expires_at", "<", limit)]).unlink()
