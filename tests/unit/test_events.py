import jsonschema
import pytest
from conftest import load_lib
from openapi_spec_validator import validate

events = load_lib("my_webhooks", "events")
s = load_lib("my_api", "schema")
openapi = load_lib("my_api", "openapi")

ROW = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string"),
        "state": s.Field("string", enum=["draft", "sale"]),
        "partner": s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True),
        "lines": s.Array(s.Object({"quantity": s.Field("number")})),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def test_the_catalog_has_the_promised_types():
    assert {
        "sale.order.created",
        "sale.order.confirmed",
        "sale.order.cancelled",
        "account.move.posted",
        "account.move.paid",
        "stock.picking.done",
        "res.partner.created",
        "res.partner.updated",
        "res.partner.deleted",
        "product.product.updated",
        "stock.quant.changed",
        "ping",
    } <= set(events.EVENT_TYPES)
    assert events.CURRENT_VERSION in events.PAYLOAD_VERSIONS
    for event in events.EVENT_TYPES.values():
        assert (event.resource is None) == (event.model is None) == (event.name == "ping")


@pytest.mark.parametrize("version", sorted(events.PAYLOAD_VERSIONS))
def test_an_example_validates_against_its_schema(version):
    data = s.json_schema(ROW, "read")
    schema = events.PAYLOAD_VERSIONS[version].schema("sale.order.confirmed", data)
    jsonschema.Draft202012Validator.check_schema(schema)
    example = events.example_of(schema)
    jsonschema.validate(example, schema)
    envelope = events.PAYLOAD_VERSIONS[version].envelope(
        "sale.order.confirmed", "evt_" + "a" * 32, "2026-01-31T06:00:00Z", example["data"]
    )
    jsonschema.validate(envelope, schema)


def test_a_payload_of_another_type_or_shape_is_refused():
    schema = events.envelope_schema_v1("res.partner.created", s.json_schema(ROW, "read"))
    body = events.example_of(schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(body, type="res.partner.deleted"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(body, data=dict(body["data"], surprise=1)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(body, id="42"), schema)


def test_parse_types_sorts_dedupes_and_names_the_unknown():
    assert events.parse_types("sale.order.created, res.partner.created sale.order.created") == [
        "res.partner.created",
        "sale.order.created",
    ]
    assert events.parse_types("") == []
    with pytest.raises(ValueError, match=r"res\.partner\.exploded"):
        events.parse_types("res.partner.created,res.partner.exploded")


def test_changes_route_is_documented_with_its_410():
    descriptor = {
        "path": "things",
        "title": "Thing",
        "description": "things",
        "operations": ["list", "get"],
        "filters": {},
        "orders": ["id"],
        "default_order": "id",
        "read_schema": ROW,
        "actions": [],
        "changes": True,
    }
    doc = openapi.build_document("http://x", [descriptor], {"things:read": "Read"})
    validate(doc)
    operation = doc["paths"]["/things/changes"]["get"]
    assert {"200", "400", "410"} <= set(operation["responses"])
    assert {p.get("name") for p in operation["parameters"]} >= {"cursor", "since"}
    no_feed = openapi.build_document("http://x", [dict(descriptor, changes=False)], {})
    assert "/things/changes" not in no_feed["paths"]
