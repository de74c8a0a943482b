"""lib/reads.py: the rules of fields=, expand=, operators, order=,
If-None-Match and Accept-Language, and the document that states them."""

import re

import pytest
from conftest import load_lib
from openapi_spec_validator import validate

reads = load_lib("my_api", "reads")
s = load_lib("my_api", "schema")
openapi = load_lib("my_api", "openapi")


def test_fields_and_expand_are_checked_against_what_is_declared():
    assert reads.parse_fields("name,state", {"id", "name", "state"}) == {"name", "state"}
    for raw in ("", "name,", "name,name", "secret"):
        with pytest.raises(reads.ReadParamError):
            reads.parse_fields(raw, {"name"})
    allowed = {"partner": "partners", "lines": None, "lines.product": "products"}
    assert reads.parse_expand("partner,lines.product", allowed) == {
        "partner": {},
        "lines": {"product": {}},
    }
    with pytest.raises(reads.ReadParamError) as too_deep:
        reads.parse_expand("lines.product.uom", allowed)
    assert too_deep.value.issue == "too_deep"


def test_order_takes_one_or_two_distinct_keys():
    assert reads.parse_order("-date_order,id", {"date_order", "id"}) == [
        ("date_order", True),
        ("id", False),
    ]
    for raw in ("id,-id", "id,date_order,name", "", "amount"):
        with pytest.raises(reads.ReadParamError):
            reads.parse_order(raw, {"date_order", "id", "name"})
    values = reads.order_values(["id", "name"])
    assert len(values) == len(set(values)) == 4 + 4 * 2
    for value in values:
        reads.parse_order(value, {"id", "name"})


@pytest.mark.parametrize("raw", ["1e400", "NaN", "inf", "1,5", "0x10", " 1", "", "--1"])
def test_numbers_beyond_json_or_float_are_refused(raw):
    with pytest.raises(reads.ReadParamError):
        reads.parse_number(raw)


def test_positive_int4_pattern_is_exactly_int4():
    pattern = re.compile(f"^{reads.POSITIVE_INT4_PATTERN}$")
    for value in (1, 9, 10, 999999999, 1000000000, 2147483647, 2147483639, 2099999999):
        assert pattern.match(str(value)), value
    for value in ("0", "01", "2147483648", "2147483650", "2200000000", "9999999999", "-1"):
        assert not pattern.match(value), value


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", W/"abc"', True),
        ("*", True),
        ('"x"', False),
        ("abc", False),
        ('"abc" junk', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_compares_weakly(header, matches):
    assert reads.none_match(header, '"abc"') is matches
    assert reads.none_match(header, 'W/"abc"') is matches


def test_accept_language_picks_the_best_installed():
    installed = ["en_US", "fr_BE", "fr_FR", "sr@latin"]
    assert reads.pick_language("de, fr-FR;q=0.8, en;q=0.9", installed) == "en_US"
    assert reads.pick_language("fr-CH, en;q=0.1", installed) == "fr_BE"
    assert reads.pick_language("fr_FR", installed) == "fr_FR"
    for garbage in ("", "*", "de", "fr;q=0", ";;;", "fr;q=2", "\u00e9t\u00e9", "x" * 5000):
        assert reads.pick_language(garbage, ["en_US", "de_DE"][:1]) is None, garbage
    assert reads.language_tag("fr_BE") == "fr-BE"
    assert reads.language_tag("sr@latin") == "sr-Latn"


def test_document_states_the_read_parameters():
    thing = s.Object(
        {
            "id": s.Field("integer"),
            "name": s.Field("string"),
            "owner": s.Object({"id": s.Field("integer"), "name": s.Field("string")}),
        }
    )
    descriptor = {
        "path": "things",
        "title": "Thing",
        "description": "things",
        "operations": ["list", "get"],
        "filters": {},
        "orders": ["id", "name"],
        "default_order": "id",
        "read_schema": thing,
        "actions": [],
        "reads": {
            "fields": ["id", "name", "owner"],
            "expand": {"owner": "Thing"},
            "operators": {
                "id": {"spec": s.Id(), "operators": ["in", "gte"]},
                "name": {"spec": s.Field("string", max_length=10), "operators": ["ilike"]},
            },
            "search": True,
        },
    }
    doc = openapi.build_document("https://x.example", [descriptor], {})
    validate(doc)
    params = {p.get("name"): p for p in doc["paths"]["/things"]["get"]["parameters"]}
    assert params["fields"]["schema"]["items"]["enum"] == ["id", "name", "owner"]
    assert re.match(params["id[in]"]["schema"]["pattern"], "1,2147483647")
    assert not re.match(params["id[in]"]["schema"]["pattern"], "1,2147483648")
    assert params["id[gte]"]["schema"]["maximum"] == s.INT4_MAX
    assert params["name[ilike]"]["schema"]["maxLength"] == 10
    assert "q" in params and "expand" in params
    owner = doc["components"]["schemas"]["Thing"]["properties"]["owner"]
    assert owner["anyOf"][1] == {"$ref": "#/components/schemas/Thing"}
