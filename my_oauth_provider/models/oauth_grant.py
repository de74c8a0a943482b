"""A user's remembered consent to a client (so the consent page is shown once)."""

from odoo import api, fields, models

from ..lib import oauth2 as lib


class OauthGrant(models.Model):
    _name = "oauth.grant"
    _description = "OAuth2 Consent"
    _order = "write_date desc, id desc"

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    client_id = fields.Many2one("oauth.client", required=True, ondelete="cascade", index=True)
    scope = fields.Char(help="Scopes the user agreed to give this client.")

    _user_client_unique = models.Constraint(
        "UNIQUE(user_id, client_id)", "A user has one consent per client."
    )

    @api.model
    def _oauth_covers(self, user, client, scopes):
        """Whether `user` already agreed to give `client` all of `scopes`."""
        grant = self.search([("user_id", "=", user.id), ("client_id", "=", client.id)], limit=1)
        return bool(grant) and set(scopes) <= set(lib.parse_scopes(grant.scope))

    @api.model
    def _oauth_granted_scopes(self, user, client):
        """The scopes `user` agreed to give `client` ([] without consent)."""
        grant = self.search([("user_id", "=", user.id), ("client_id", "=", client.id)], limit=1)
        return lib.parse_scopes(grant.scope)

    @api.model
    def _oauth_remember(self, user, client, scopes):
        grant = self.search([("user_id", "=", user.id), ("client_id", "=", client.id)], limit=1)
        if grant:
            grant.scope = lib.scope_string(lib.parse_scopes(grant.scope) + list(scopes))
        else:
            self.create(
                {"user_id": user.id, "client_id": client.id, "scope": lib.scope_string(scopes)}
            )

    def action_revoke(self):
        """Forget the consent and revoke the tokens the user gave the client."""
        for grant in self:
            self.env["oauth.token"].search(
                [
                    ("user_id", "=", grant.user_id.id),
                    ("client_id", "=", grant.client_id.id),
                    ("revoked", "=", False),
                    ("grant_type", "!=", "client_credentials"),
                ]
            )._oauth_revoke()
        self.unlink()
        return True
