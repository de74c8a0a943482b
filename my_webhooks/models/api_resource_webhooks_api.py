"""The OpenAPI entries of the routes that operate webhooks from code
(controllers/webhooks_api.py), which are no resource operation: the
framework documents GET /webhook-deliveries and /webhook-deliveries/{id}
itself."""

from odoo import api, models

from odoo.addons.my_api.public import s

from ..resources.webhook_delivery import PING_TIMEOUT, RECOVERABLE_STATES

SCOPE = "webhooks:manage"
SECURITY = [{"bearerApiKey": []}, {"sessionCookie": []}, {"oauth2": [SCOPE]}]
TIMESTAMP = {"type": "string", "format": "date-time"}
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def _errors(*statuses):
    return {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def _ok(description, data):
    headers = {
        name: {"$ref": f"#/components/headers/{name}"} for name in ("X-Request-Id", *RATE_HEADERS)
    }
    return {
        "description": description,
        "headers": headers,
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": ["data"], "properties": {"data": data}}
            }
        },
    }


def _ident(schema):
    return {"$ref": f"#/components/parameters/{schema}Ident"}


def _post(operation_id, summary, description, ident, answer, status="200", extra=(), params=()):
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": ["webhook-endpoints" if ident == "WebhookEndpoint" else "webhook-deliveries"],
            "parameters": [_ident(ident), *params],
            "security": SECURITY,
            "responses": {status: answer, **_errors(400, 401, 403, 404, 405, 429, 500, *extra)},
        }
    }


PING_RESULT = {
    "type": "object",
    "required": ["ok", "event_id", "status", "latency_ms", "error"],
    "properties": {
        "ok": {"type": "boolean", "description": "true when the receiver answered 2xx"},
        "event_id": {"type": "string", "description": "The ping's webhook-id"},
        "status": {
            "type": ["integer", "null"],
            "description": "The receiver's HTTP status; null when it did not answer",
        },
        "latency_ms": {"type": "integer"},
        "error": {
            "type": ["string", "null"],
            "description": "Why the ping failed: connection refused, timeout, refused target, "
            "a non-2xx answer",
        },
        "response_excerpt": {"type": ["string", "null"]},
    },
}
ROTATED = {
    "type": "object",
    "required": ["secret", "previous_secret_expires_at", "overlap_hours"],
    "properties": {
        "secret": {"type": "string", "description": "The new signing secret, shown once"},
        "previous_secret_expires_at": {
            **TIMESTAMP,
            "type": ["string", "null"],
            "description": "Until then deliveries are signed with the previous secret too",
        },
        "overlap_hours": {"type": "integer"},
    },
}
RECOVERED = {
    "type": "object",
    "required": ["endpoint_id", "since", "requeued"],
    "properties": {
        "endpoint_id": {"type": "integer"},
        "since": TIMESTAMP,
        "requeued": {"type": "integer", "description": "How many deliveries were queued again"},
    },
}


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    @api.model
    def _api_openapi_extra_paths(self):
        paths = super()._api_openapi_extra_paths()
        delivery = {"$ref": "#/components/schemas/WebhookDelivery"}
        list_params = [
            {"$ref": f"#/components/parameters/{name}"}
            for name in ("limit", "offset", "cursor", "count", "updated_since")
        ]
        resource = self.env["api.resource.webhook_delivery"]
        for name, (spec, _builder) in resource._api_filters.items():
            if name == "endpoint_id":
                continue
            list_params.append(
                {
                    "name": name,
                    "in": "query",
                    "description": spec.description or name,
                    "schema": s.json_schema(spec, "query"),
                }
            )
        list_params.append(
            {
                "name": "order",
                "in": "query",
                "description": "Sort key, - for descending (default -id)",
                "schema": {"type": "string", "enum": ["-created_at", "-id", "created_at", "id"]},
            }
        )
        paths["/webhook-endpoints/{ident}/deliveries"] = {
            "get": {
                "operationId": "list_webhook_endpoint_deliveries",
                "summary": "The deliveries of one endpoint, newest first",
                "description": "Cursor or offset pages as every list. Another user's endpoint "
                "is a 404.",
                "tags": ["webhook-endpoints"],
                "parameters": [_ident("WebhookEndpoint"), *list_params],
                "security": SECURITY,
                "responses": {
                    "200": {
                        **_ok("A page of deliveries", {"type": "array", "items": delivery}),
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["data", "pagination"],
                                    "properties": {
                                        "data": {"type": "array", "items": delivery},
                                        "pagination": {"$ref": "#/components/schemas/Pagination"},
                                    },
                                }
                            }
                        },
                    },
                    **_errors(400, 401, 403, 404, 405, 429, 500),
                },
            }
        }
        idempotency = {"$ref": "#/components/parameters/IdempotencyKey"}
        paths["/webhook-deliveries/{ident}/redeliver"] = _post(
            "redeliver_webhook_delivery",
            "Send a delivery again, with the same event id",
            "Queues the delivery again (any state, a delivered one too) with a fresh attempt "
            "budget; the receiver sees the same webhook-id and dedupes on it. The attempt "
            "log is kept. Answers 202 with the delivery as queued.",
            "WebhookDelivery",
            _ok("Queued", delivery),
            status="202",
            extra=(409, 422),
            params=(idempotency,),
        )
        paths["/webhook-endpoints/{ident}/ping"] = _post(
            "ping_webhook_endpoint",
            "Send a signed ping event now and report the receiver's answer",
            "A `ping` event ({type, id, created_at, version, data}) signed as every delivery, "
            f"sent synchronously (at most {PING_TIMEOUT} s, or the endpoint's timeout if "
            "shorter) and not stored. A receiver that is down, slow or answers non-2xx is a "
            "200 with ok false and the error: the call succeeded, the receiver did not.",
            "WebhookEndpoint",
            _ok("How the receiver answered", PING_RESULT),
            extra=(409, 422),
            params=(idempotency,),
        )
        paths["/webhook-endpoints/{ident}/recover"] = _post(
            "recover_webhook_endpoint",
            "Queue again every delivery since a time that did not succeed",
            f"Deliveries created at or after `since` in state {' or '.join(RECOVERABLE_STATES)} "
            "are queued again (same event ids, fresh attempt budgets); delivered and pending "
            "ones are left alone. Answers 202 with how many were queued.",
            "WebhookEndpoint",
            _ok("Queued", RECOVERED),
            status="202",
            extra=(409, 422),
            params=(
                idempotency,
                {
                    "name": "since",
                    "in": "query",
                    "required": True,
                    "description": "ISO 8601 timestamp with its offset, e.g. 2026-01-31T08:00:00Z",
                    "schema": s.json_schema(s.Field("string", format="date-time"), "write"),
                },
            ),
        )
        paths["/webhook-endpoints/{ident}/rotate-secret"] = _post(
            "rotate_webhook_endpoint_secret",
            "Rotate the endpoint's signing secret",
            "Returns the new secret, once. During the overlap (the endpoint's "
            "rotation_overlap_hours, 24 by default) deliveries carry a signature by each "
            "secret, so the receiver can switch at its pace. Rotating again within the "
            "overlap ends the oldest secret at once. An Idempotency-Key is refused (400): "
            "the answer holds a secret that is never stored.",
            "WebhookEndpoint",
            _ok("The new secret", ROTATED),
        )
        return paths
