from odoo import api, models

from odoo.addons.my_api.public import ApiError, s

from ..lib import events
from ..lib.signing import SECRET_PREFIX

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

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

    # ----------------------------------------------------- event catalog
    @api.model
    def _api_event_data_schema(self, event):
        """The JSON Schema of an event's `data`: its resource's row schema,
        the one the OpenAPI document gives (derived, it cannot drift); None
        when the resource is not installed."""
        if not event.resource:
            return events.PING_DATA_SCHEMA
        try:
            resource = self._api_get_resource(event.resource)
        except ApiError:
            return None
        return s.json_schema(resource._api_row_schema(), "read")

    @api.model
    def _api_event_catalog(self):
        """The answer of GET /api/v1/event-types: every event type with the
        schema and an example of its payload in every payload version."""
        entries = []
        for name, event in sorted(events.EVENT_TYPES.items()):
            data_schema = self._api_event_data_schema(event)
            if data_schema is None:
                continue
            versions = {}
            for version_name, version in events.PAYLOAD_VERSIONS.items():
                schema = {"$schema": JSON_SCHEMA_DIALECT, **version.schema(name, data_schema)}
                schema["title"] = name
                schema["description"] = event.description
                versions[version_name] = {"schema": schema, "example": events.example_of(schema)}
            current = versions[events.CURRENT_VERSION]
            entries.append(
                {
                    "type": name,
                    "description": event.description,
                    "resource": f"/api/v1/{event.resource}" if event.resource else None,
                    "model": event.model,
                    "schema": current["schema"],
                    "example": current["example"],
                    "versions": versions,
                }
            )
        return {
            "data": entries,
            "current_version": events.CURRENT_VERSION,
            "versions": {
                name: version.description for name, version in events.PAYLOAD_VERSIONS.items()
            },
        }

    @api.model
    def _api_openapi_extra_paths(self):
        paths = super()._api_openapi_extra_paths()
        paths["/event-types"] = {
            "get": {
                "operationId": "list_event_types",
                "summary": "The business events an endpoint can subscribe to",
                "description": "Each event type with the JSON Schema (2020-12) of its "
                "payload and an example, in every payload version; an endpoint subscribes "
                "to some (event_types of /webhook-endpoints) and pins a version "
                "(payload_version). data is the matching resource's row, as a GET "
                "renders it.",
                "tags": ["webhook-endpoints"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The catalog",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["data", "current_version", "versions"],
                                    "properties": {
                                        "data": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "required": ["type", "schema", "example"],
                                                "properties": {
                                                    "type": {"type": "string"},
                                                    "description": {"type": "string"},
                                                    "resource": {"type": ["string", "null"]},
                                                    "model": {"type": ["string", "null"]},
                                                    "schema": {"type": "object"},
                                                    "example": {"type": "object"},
                                                    "versions": {"type": "object"},
                                                },
                                            },
                                        },
                                        "current_version": {"type": "string"},
                                        "versions": {"type": "object"},
                                    },
                                }
                            }
                        },
                    },
                    "405": {"$ref": "#/components/responses/Error405"},
                    "429": {"$ref": "#/components/responses/Error429"},
                },
            }
        }
        return paths

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
