from conftest import load_lib

s = load_lib("my_api", "schema")

LINE = s.Object(
    {
        "product_id": s.Field("integer", required=True, minimum=1),
        "quantity": s.Field("number", exclusive_minimum=0),
    }
)
ORDER = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "partner_id": s.Field("integer", required=True),
        "external_ref": s.Field("string", max_length=5, nullable=True),
        "state": s.Field("string", enum=["draft", "sale"]),
        "lines": s.Array(LINE, required=True, min_items=1),
    }
)


def issues(body, partial=False):
    return [(e["field"], e["issue"]) for e in s.validate(body, ORDER, partial=partial)]


def test_valid_body_has_no_issue():
    assert issues({"partner_id": 1, "lines": [{"product_id": 2, "quantity": 1.5}]}) == []


def test_every_problem_is_reported_with_its_path():
    found = issues(
        {
            "external_ref": "TOO-LONG",
            "state": "done",
            "lines": [{"product_id": 0}, {"quantity": -1, "price": 3}],
            "colour": "red",
        }
    )
    assert ("colour", "unknown_field") in found
    assert ("partner_id", "required") in found
    assert ("external_ref", "too_long") in found
    assert ("state", "invalid_value") in found
    assert ("lines[0].product_id", "too_small") in found
    assert ("lines[1].product_id", "required") in found
    assert ("lines[1].quantity", "too_small") in found
    assert ("lines[1].price", "unknown_field") in found


def test_types_are_strict():
    found = issues({"partner_id": "1", "lines": {}})
    assert ("partner_id", "invalid_type") in found
    assert ("lines", "invalid_type") in found
    assert ("partner_id", "invalid_type") in issues(
        {"partner_id": True, "lines": [{"product_id": 1}]}
    )


def test_read_only_fields_cannot_be_written():
    assert ("id", "unknown_field") in issues(
        {"id": 3, "partner_id": 1, "lines": [{"product_id": 1}]}
    )


def test_partial_skips_required_at_top_level_only():
    assert issues({"state": "sale"}, partial=True) == []
    assert ("lines[0].product_id", "required") in issues({"lines": [{}]}, partial=True)


def test_nullable():
    assert issues({"partner_id": 1, "external_ref": None, "lines": [{"product_id": 1}]}) == []
    assert ("partner_id", "invalid_type") in issues(
        {"partner_id": None, "lines": [{"product_id": 1}]}
    )


def test_json_schema_write_and_read():
    write = s.json_schema(ORDER, "write")
    assert write["required"] == ["partner_id", "lines"]
    assert "id" not in write["properties"]
    assert write["properties"]["external_ref"]["type"] == ["string", "null"]
    assert write["properties"]["lines"]["items"]["properties"]["quantity"]["exclusiveMinimum"] == 0
    read = s.json_schema(ORDER, "read")
    assert read["properties"]["id"]["readOnly"] is True
    assert "required" not in read


def test_formats():
    spec = s.Object(
        {"when": s.Field("string", format="date-time"), "day": s.Field("string", format="date")}
    )
    assert s.validate({"when": "2026-01-31T10:00:00Z", "day": "2026-01-31"}, spec) == []
    bad = [e["field"] for e in s.validate({"when": "yesterday", "day": "2026-02-31"}, spec)]
    assert bad == ["when", "day"]
