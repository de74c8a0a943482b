"""The catalog of named business events (GET /api/v1/event-types).

An event type names a business fact (`sale.order.confirmed`), the /api/v1
resource that renders its `data` (so that a webhook and a GET show one
object) and when it fires, as the automation rule that dispatches it holds
it: a base.automation trigger, the fields whose change it watches, and the
record's state before (`pre`) and after (`post`) the change. Pure data and
functions, tested without Odoo.

Payload versions: each endpoint pins one (`payload_version`). A version
says how the envelope is built and how its schema reads
(`PAYLOAD_VERSIONS`); a new version is one more entry there, and the
catalog documents every version of every type. Today there is one.
"""

import dataclasses
import re

PING = "ping"
EVENT_ID_PATTERN = "^evt_[0-9a-f]{32}$"


@dataclasses.dataclass(frozen=True)
class EventType:
    name: str
    description: str
    resource: str | None  # /api/v1 path rendering `data`; None: the type's own data
    model: str | None
    trigger: str | None = None  # base.automation trigger
    watched: tuple = ()  # fields whose change fires it (write triggers)
    pre: tuple = ()  # domain the record matched before the change
    post: tuple = ()  # domain it matches after


def _state_set(name, description, resource, model, field, values):
    values = list(values)
    return EventType(
        name,
        description,
        resource,
        model,
        "on_write",
        (field,),
        ((field, "not in", values),),
        ((field, "in", values),),
    )


EVENT_TYPES = {
    event.name: event
    for event in (
        EventType(
            "sale.order.created",
            "A sale order (quotation) was created.",
            "orders",
            "sale.order",
            "on_create",
        ),
        _state_set(
            "sale.order.confirmed",
            "A quotation was confirmed into a sale order.",
            "orders",
            "sale.order",
            "state",
            ["sale"],
        ),
        _state_set(
            "sale.order.cancelled",
            "A sale order or quotation was cancelled.",
            "orders",
            "sale.order",
            "state",
            ["cancel"],
        ),
        _state_set(
            "account.move.posted",
            "An invoice or credit note was posted.",
            "invoices",
            "account.move",
            "state",
            ["posted"],
        ),
        _state_set(
            "account.move.paid",
            "An invoice or credit note was paid in full (payment_state paid, or in_payment "
            "while the payment waits for its bank statement).",
            "invoices",
            "account.move",
            "payment_state",
            ["paid", "in_payment"],
        ),
        _state_set(
            "stock.picking.done",
            "A picking (receipt, delivery, transfer) was validated.",
            "pickings",
            "stock.picking",
            "state",
            ["done"],
        ),
        EventType(
            "res.partner.created",
            "A partner (company or contact) was created.",
            "partners",
            "res.partner",
            "on_create",
        ),
        EventType(
            "res.partner.updated",
            "A partner was changed.",
            "partners",
            "res.partner",
            "on_write",
        ),
        EventType(
            "res.partner.deleted",
            "A partner was deleted; data is its last rendering, read just before.",
            "partners",
            "res.partner",
            "on_unlink",
        ),
        EventType(
            "product.product.updated",
            "A product was changed.",
            "products",
            "product.product",
            "on_write",
        ),
        EventType(
            "stock.quant.changed",
            "The on-hand quantity of a product in an internal location changed (data: the "
            "stock level of that product, location and lot).",
            "stock",
            "stock.quant",
            "on_create_or_write",
            ("quantity",),
        ),
        EventType(
            PING,
            "A test event, sent on request to check an endpoint (data says which).",
            None,
            None,
        ),
    )
}

PING_DATA_SCHEMA = {
    "type": "object",
    "description": "What the ping is about: at least the endpoint",
    "properties": {
        "endpoint": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "message": {"type": "string"},
    },
}


def envelope_v1(event_type, event_id, created_at, data):
    """The body of version 1: `{type, id, created_at, version, data}`."""
    return {
        "type": event_type,
        "id": event_id,
        "created_at": created_at,
        "version": "1",
        "data": data,
    }


def envelope_schema_v1(event_type, data_schema):
    return {
        "type": "object",
        "required": ["type", "id", "created_at", "version", "data"],
        "properties": {
            "type": {"const": event_type},
            "id": {
                "type": "string",
                "pattern": EVENT_ID_PATTERN,
                "description": "The event id: the same on every retry; dedupe on it",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "version": {"const": "1"},
            "data": data_schema,
        },
        "additionalProperties": False,
    }


@dataclasses.dataclass(frozen=True)
class PayloadVersion:
    name: str
    description: str
    envelope: object  # (type, id, created_at, data) -> body
    schema: object  # (type, data schema) -> body schema


PAYLOAD_VERSIONS = {
    "1": PayloadVersion(
        "1",
        "{type, id, created_at, version, data}; data is the /api/v1 resource's rendering",
        envelope_v1,
        envelope_schema_v1,
    ),
}
CURRENT_VERSION = "1"

_NAME_SEPARATORS = re.compile(r"[\s,]+")


def parse_types(text):
    """The event type names of a list as stored or typed (comma or space
    separated), unique and sorted; ValueError naming an unknown one."""
    names = sorted({name for name in _NAME_SEPARATORS.split(text or "") if name})
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise ValueError(
            f"unknown event type(s) {', '.join(unknown)}; the catalog has "
            f"{', '.join(sorted(EVENT_TYPES))}"
        )
    return names


def example_of(schema):
    """A value that `schema` (JSON Schema of the shapes json_schema() and
    this module write) accepts: each property, its `example` or first enum
    value where it gives one."""
    if "const" in schema:
        return schema["const"]
    if "example" in schema:
        return schema["example"]
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return next((value for value in schema["enum"] if value is not None), None)
    if "anyOf" in schema or "oneOf" in schema:
        return example_of((schema.get("anyOf") or schema["oneOf"])[0])
    type_ = schema.get("type", "object")
    if isinstance(type_, list):
        type_ = next((t for t in type_ if t != "null"), "null")
    if type_ == "object":
        return {key: example_of(sub) for key, sub in schema.get("properties", {}).items()}
    if type_ == "array":
        return [example_of(schema["items"])] if "items" in schema else []
    if type_ == "integer":
        return max(1, schema.get("minimum", 1))
    if type_ == "number":
        return 1.0
    if type_ == "boolean":
        return True
    if type_ == "null":
        return None
    if schema.get("format") == "date-time":
        return "2026-01-31T06:00:00Z"
    if schema.get("format") == "date":
        return "2026-01-31"
    if schema.get("pattern") == EVENT_ID_PATTERN:
        return "evt_" + "0" * 32
    return "text"
