"""POST /api/v1/keys/rotate: an integration rotates its own API key."""

from odoo import http
from odoo.http import request

from odoo.addons.my_api.public import (
    API_PREFIX,
    API_ROUTE,
    ApiError,
    api_endpoint,
    json_response,
    require_method,
)

from ..models.res_users_apikeys import KeyAlreadyRotatedError


class ApiKeysController(http.Controller):
    @http.route(f"{API_PREFIX}/keys/rotate", **API_ROUTE)
    @api_endpoint(refuse_idempotency_key=True)
    def rotate(self, **_params):
        require_method("POST")
        credential = request.api_context.credential
        if credential.method != "api_key":
            raise ApiError(
                403, "only an API key can rotate itself: authenticate with the key", "forbidden"
            )
        # sudo: the caller just proved it holds this very key
        apikey = request.env["res.users.apikeys"].sudo().browse(credential.key_id)
        try:
            key, record, new_expiry, old_expiry = apikey._rotate_self()
        except KeyAlreadyRotatedError as exc:
            raise ApiError(
                409,
                exc.args[0],
                "conflict",
                details=[
                    {
                        "field": "key_id",
                        "issue": "already_rotated",
                        "message": f"successor key id {exc.successor_id}",
                    }
                ],
            ) from None
        return json_response(
            {
                "data": {
                    "key": key,
                    "key_id": record.id,
                    "expires_at": new_expiry,
                    "old_key_id": apikey.id,
                    "old_key_expires_at": old_expiry,
                }
            },
            status=201,
        )
