"""OAuth2 access tokens on /api/v1 (the `_api_authenticate_bearer` hook).

An access token is looked up by its SHA-256 in one indexed query (no cache
needed): a token revoked or expired anywhere stops working at once in every
worker. Known but unusable tokens answer 401 `invalid_token` here; tokens
that are not ours go on to the other bearer types (Odoo API keys).
"""

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.my_api.public import Credential, unauthorized

from ..lib import oauth2 as lib


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @api.model
    def _api_authenticate_bearer(self, token):
        if lib.token_kind(token) != "access_token":
            return super()._api_authenticate_bearer(token)
        if len(token) > 256:
            return None
        # One query on every authenticated request: the token with what
        # decides whether it still works (the same conditions as
        # oauth.token._oauth_access_active, which the UI and introspection use).
        self.env.cr.execute(
            SQL(
                """
            SELECT t.user_id, t.scope, t.access_expires_at, c.identifier,
                   t.revoked IS NOT TRUE AND t.access_expires_at > %(now)s
                       AND u.active AND c.active,
                   u.share
              FROM oauth_token t
              JOIN res_users u ON u.id = t.user_id
              JOIN oauth_client c ON c.id = t.client_id
             WHERE t.access_token_hash = %(hash)s
            """,
                now=fields.Datetime.now(),
                hash=lib.hash_secret(token),
            )
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None
        user_id, scope, expires_at, client_identifier, usable, share = row
        if not usable:
            raise unauthorized("the access token is expired or revoked")
        return Credential(
            uid=user_id,
            method="oauth2",
            scopes=frozenset(lib.parse_scopes(scope)),
            expires_at=expires_at,
            client_id=client_identifier,
            extra={"share": share},
        )
