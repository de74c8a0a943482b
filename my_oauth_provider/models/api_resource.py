from odoo import api, models


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    @api.model
    def _api_openapi_extra_paths(self):
        paths = super()._api_openapi_extra_paths()
        paths["/keys/rotate"] = {
            "post": {
                "operationId": "rotate_key",
                "summary": "Rotate the API key this call is authenticated with",
                "description": "Returns a new key (shown once). The calling key keeps working "
                "for the grace period (7 days by default), then expires. A key rotates once: "
                "rotating it again answers 409 naming its successor (use that key). Rotating "
                "when the user has the most live keys allowed (5 by default) answers 409 too. "
                "Each rotation is reported to the integration's responsible.",
                "tags": ["keys"],
                "security": [{"bearerApiKey": []}],
                "responses": {
                    "201": {
                        "description": "The new key",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": {"$ref": "#/components/responses/Error401"},
                    "403": {"$ref": "#/components/responses/Error403"},
                    "409": {"$ref": "#/components/responses/Error409"},
                    "429": {"$ref": "#/components/responses/Error429"},
                },
            }
        }
        return paths
