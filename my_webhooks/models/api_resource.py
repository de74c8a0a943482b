from odoo import api, models

from ..lib.signing import SECRET_PREFIX

SIGNATURE_HEADERS = [
    ("webhook-id", "The event id (`evt_...`); the same on every retry and resend: dedupe on it."),
    ("webhook-timestamp", "Unix seconds of this attempt; reject it when more than 5 min away."),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`, key = the base64-decoded part "
        f"of the `{SECRET_PREFIX}` secret; space-separated values during a secret rotation.",
    ),
    (
        "X-Odoo-Signature",
        "`sha256=<hex HMAC-SHA256(secret, raw body)>`, keyed with the whole secret string; "
        "space-separated values during a secret rotation.",
    ),
    ("X-Odoo-Event", "create, write, unlink, action or test."),
]


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    # A resource that sets this renders, in an outbound webhook's payload,
    # the records of a one2many payload field of its model (a picking's
    # move_ids) as its own rows instead of {id, name}: the lines of a
    # document are what its receiver needs (what moved, how much).
    _api_payload_rows = False

    @api.model
    def _api_payload_renderer(self, model_name):
        """The resource that renders `model_name`'s records in payloads, or None."""
        for name in self._api_resource_models().values():
            resource = self.env[name]
            if resource._api_model == model_name and resource._api_payload_rows:
                return resource
        return None

    @api.model
    def _api_openapi_webhooks(self):
        """Document the outbound event so receivers can generate its types."""
        webhooks = super()._api_openapi_webhooks()
        webhooks["recordEvent"] = {
            "post": {
                "summary": "A record was created, updated or deleted",
                "description": "Sent by Odoo to each active endpoint (Settings > Technical > "
                "Webhooks) after the change committed; retried with backoff until a 2xx "
                "answer, so it may arrive more than once and out of order.",
                "operationId": "recordEvent",
                "parameters": [
                    {
                        "name": name,
                        "in": "header",
                        "required": True,
                        "description": description,
                        "schema": {"type": "string"},
                    }
                    for name, description in SIGNATURE_HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id", "event", "model", "timestamp", "data"],
                                "properties": {
                                    "id": {"type": "string", "examples": ["evt_4f1c..."]},
                                    "event": {
                                        "type": "string",
                                        "enum": ["create", "write", "unlink", "action", "test"],
                                    },
                                    "model": {"type": "string", "examples": ["sale.order"]},
                                    "timestamp": {"type": "string", "format": "date-time"},
                                    "data": {
                                        "type": "object",
                                        "description": "The record's payload fields at the "
                                        "time of the change; relations as {id, name}, a "
                                        "picking's move_ids as StockMove rows. "
                                        "company: the record's company, where its model has "
                                        "one (null when the record is shared).",
                                        "properties": {
                                            "id": {"type": "integer"},
                                            "company": {
                                                "type": ["object", "null"],
                                                "properties": {
                                                    "id": {"type": "integer"},
                                                    "name": {"type": "string"},
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "2XX": {"description": "Received; anything else is retried later."},
                    "410": {"description": "Gone: the endpoint is disabled."},
                },
            }
        }
        return webhooks
