import datetime
import re

import pytest
from conftest import load_lib
from hypothesis import given, settings
from hypothesis import strategies as st

s = load_lib("my_api", "schema")
ts = load_lib("my_api", "timestamps")

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


def test_read_validates_a_response_with_its_read_only_fields():
    response = {"id": 3, "partner_id": 1, "state": "sale", "lines": [{"product_id": 1}]}
    assert s.validate(response, ORDER, read=True) == []
    # what a read schema does not declare, or declares otherwise, is refused
    wrong = {**response, "secret": "x", "state": "done", "lines": [{"product_id": "1"}]}
    assert [(e["field"], e["issue"]) for e in s.validate(wrong, ORDER, read=True)] == [
        ("secret", "unknown_field"),
        ("state", "invalid_value"),
        ("lines[0].product_id", "invalid_type"),
    ]
    # nothing is required of a response
    assert s.validate({"id": 3}, ORDER, read=True) == []


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


# ---------------------------------------------------------------- bounds
# What the document declares must be what the server enforces: these tests
# hold the patterns and bounds of json_schema() to validate() and to
# lib/timestamps.py, the parsers behind it.


def test_integers_are_int4_and_written_with_a_fraction_too():
    field = s.Field("integer")
    assert s.json_schema(field, "write") == {
        "type": "integer",
        "minimum": s.INT4_MIN,
        "maximum": s.INT4_MAX,
    }
    assert "maximum" not in s.json_schema(field, "read")
    assert s.validate(2**31, field)[0]["issue"] == "too_large"
    assert s.validate(-(2**31) - 1, field)[0]["issue"] == "too_small"
    assert s.validate(3.0, field) == []
    assert s.validate(3.5, field)[0]["issue"] == "invalid_type"
    body = {"partner_id": 7.0, "lines": [{"product_id": 2.0, "quantity": 2.0}]}
    assert issues(body) == []
    s.normalize(body, ORDER)
    assert body == {"partner_id": 7, "lines": [{"product_id": 2, "quantity": 2.0}]}
    assert type(body["partner_id"]) is int and type(body["lines"][0]["product_id"]) is int


def test_numbers_are_finite():
    for value in (float("nan"), float("inf"), float("-inf")):
        found = s.validate(value, s.Field("number", minimum=0, maximum=10))
        assert [e["issue"] for e in found] == ["invalid_type"]


def test_text_holds_no_nul_and_no_lone_surrogate():
    field = s.Field("string", max_length=10)
    for value in ("a\x00b", "x\ud800", "\udfff"):
        assert s.validate(value, field, path="name")[0]["issue"] == "invalid_character"
    assert s.validate("\U0001f600 ok", field) == []
    assert s.json_schema(field, "write")["pattern"] == "^[^\\x00]*$"
    assert "pattern" not in s.json_schema(s.Field("string", enum=["a"]), "write")


def test_pattern_is_enforced_whole_and_declared_anchored():
    field = s.Field("string", pattern="[A-Za-z]{2}")
    assert s.json_schema(field, "write")["pattern"] == "^(?:[A-Za-z]{2})$"
    assert s.validate("BE", field) == []
    for value in ("BEL", "B", "BE\n"):
        assert s.validate(value, field)[0]["issue"] == "invalid_format"


def _every_day(*years):
    for year in years:
        day = datetime.date(year, 1, 1)
        while day.year == year:
            yield day
            if day == datetime.date.max:
                return
            day += datetime.timedelta(days=1)


def test_date_pattern_is_the_calendar_from_1900_to_9999():
    pattern = re.compile(s.DATE_PATTERN)
    for day in _every_day(1900, 1904, 2000, 2024, 2100, 9999):
        assert pattern.fullmatch(day.isoformat()), day
    for text in (
        "1900-02-29",
        "2100-02-29",
        "2023-02-29",
        "2026-04-31",
        "2026-13-01",
        "1899-12-31",
    ):
        assert not pattern.fullmatch(text), text
        with pytest.raises(ts.TimestampError):
            ts.parse_date(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(f"^{s.TIMESTAMP_PATTERN}$", fullmatch=True))
def test_every_timestamp_the_pattern_admits_is_read(text):
    ts.parse_timestamp(text)
    ts.parse_span(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(f"^{s.SPAN_PATTERN}$", fullmatch=True))
def test_every_filter_bound_the_pattern_admits_is_read(text):
    ts.parse_span(text, "Pacific/Kiritimati")


def test_timestamp_pattern_edges():
    pattern = re.compile(s.TIMESTAMP_PATTERN)
    for text in (
        "1901-01-01T00:00:00+14:00",
        "9998-12-31T23:59:59-12:00",
        "2024-02-29T10:00:00.123456789Z",
        "2026-01-31T10:00:00+05:45",
    ):
        assert pattern.fullmatch(text), text
        ts.parse_timestamp(text)
    for text in (
        "2026-01-31T10:00:00",  # no offset
        "2026-01-31T10:00:00+14:01",
        "2026-01-31T10:00:00-12:30",
        "2026-01-31T24:00:00Z",
        "2026-01-31T23:59:60Z",
        "1900-01-01T00:00:00+00:01",  # 1899 in UTC
    ):
        assert not pattern.fullmatch(text), text
