"""OAuth2 access tokens on /api/v1 (the `_api_authenticate_bearer` hook).

An access token is looked up by its SHA-256 (one indexed query, no cache
needed): a token revoked or expired anywhere stops working at once in every
worker. Known but unusable tokens answer 401 `invalid_token` here; tokens
that are not ours go on to the other bearer types (Odoo API keys).
"""

from odoo import api, models

from odoo.addons.my_api.core import Credential
from odoo.addons.my_api.models.ir_http import _unauthorized

from ..lib import oauth2 as lib


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @api.model
    def _api_authenticate_bearer(self, token):
        if lib.token_kind(token) != "access_token":
            return super()._api_authenticate_bearer(token)
        # sudo: the presented token is the credential being checked; the
        # request then runs as the token's user, not as superuser
        found = self.env["oauth.token"].sudo()._oauth_find(token, "access_token")
        if not found:
            return None
        if not found._oauth_access_active():
            raise _unauthorized("the access token is expired or revoked")
        return Credential(
            uid=found.user_id.id,
            method="oauth2",
            scopes=frozenset(lib.parse_scopes(found.scope)),
            expires_at=found.access_expires_at,
            client_id=found.client_id.identifier,
            extra={"share": found.user_id.share},
        )
