from odoo import api, models

TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC"}
ROTATED = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["key", "key_id", "expires_at", "old_key_id", "old_key_expires_at"],
            "properties": {
                "key": {"type": "string", "description": "The new key, shown once"},
                "key_id": {"type": "integer"},
                "expires_at": TIMESTAMP,
                "old_key_id": {"type": "integer"},
                "old_key_expires_at": TIMESTAMP,
            },
        }
    },
}


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
                        "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                        "content": {"application/json": {"schema": ROTATED}},
                    },
                    # 400: an Idempotency-Key was sent (the answer holds a
                    # secret that is never stored)
                    **{
                        str(status): {"$ref": f"#/components/responses/Error{status}"}
                        for status in (400, 401, 403, 409, 422, 429, 500)
                    },
                },
            }
        }
        return paths
