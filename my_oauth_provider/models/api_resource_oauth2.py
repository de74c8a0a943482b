"""The OAuth2 security scheme of the OpenAPI document, with the flows this
addon's authorization server really offers and every resource's scopes.

(Kept apart from api_resource.py, which documents the API-key routes.)
"""

from odoo import api, models


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    @api.model
    def _api_openapi_oauth2_scheme(self, base_url):
        scopes = dict(self._api_scopes())
        return {
            "type": "oauth2",
            "description": "Access tokens of the OAuth2 authorization server "
            f"({base_url}/.well-known/oauth-authorization-server). A token only reaches "
            "what its scopes name, and only what its Odoo user may see.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": f"{base_url}/oauth2/token",
                    "scopes": scopes,
                },
                "authorizationCode": {
                    "authorizationUrl": f"{base_url}/oauth2/authorize",
                    "tokenUrl": f"{base_url}/oauth2/token",
                    "refreshUrl": f"{base_url}/oauth2/token",
                    "scopes": scopes,
                },
            },
        }
