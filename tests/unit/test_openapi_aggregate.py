import re

from conftest import load_lib
from openapi_spec_validator import validate

s = load_lib("my_api", "schema")
openapi = load_lib("my_api", "openapi")
docs = load_lib("my_api", "docs")

DESCRIPTOR = {
    "path": "things",
    "title": "Thing",
    "description": "things",
    "operations": ["list", "get"],
    "filters": {"kind": s.Field("string", enum=["a", "b"])},
    "orders": ["id"],
    "default_order": "id",
    "read_schema": s.Object({"id": s.Field("integer", read_only=True)}),
    "actions": [],
    "aggregate": {
        "group_by": {
            "made_at": {"date": True, "type": "datetime"},
            "kind": {"date": False, "type": "selection"},
            "owner": {"date": False, "type": "many2one"},
        },
        "measures": {"weight": ["sum", "avg", "min", "max"], "value": ["sum"]},
    },
}


def aggregate_operation():
    doc = openapi.build_document("http://x", [DESCRIPTOR], {"things:read": "Read"})
    validate(doc)
    return doc["paths"]["/things/aggregate"]["get"]


def parameter(operation, name):
    return next(p for p in operation["parameters"] if p.get("name") == name)


def test_aggregate_is_documented_with_the_filters_and_read_scope():
    operation = aggregate_operation()
    assert operation["operationId"] == "aggregate_things"
    assert operation["security"][2] == {"oauth2": ["things:read"]}
    names = {p.get("name") for p in operation["parameters"]}
    assert {"group_by", "measures", "kind"} <= names
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429", "500"}


def test_group_by_and_measures_patterns_admit_only_declared_terms():
    operation = aggregate_operation()
    group_by = re.compile(parameter(operation, "group_by")["schema"]["pattern"])
    measures = re.compile(parameter(operation, "measures")["schema"]["pattern"])
    for good in ("kind", "made_at:month,kind,owner", "made_at:week"):
        assert group_by.search(good), good
    for bad in ("", "made_at", "kind:month", "name", "kind,", "made_at:hour"):
        assert not group_by.search(bad), bad
    for good in ("count", "weight:avg,value:sum,count"):
        assert measures.search(good), good
    for bad in ("value:avg", "weight", "price:sum", "count,"):
        assert not measures.search(bad), bad


def test_row_schema_names_every_key_a_row_can_have():
    row = aggregate_operation()["responses"]["200"]["content"]["application/json"]["schema"]
    properties = row["properties"]["data"]["items"]["properties"]
    assert row["properties"]["data"]["items"]["additionalProperties"] is False
    assert {"made_at:day", "made_at:week", "made_at:quarter", "kind", "owner", "count"} <= set(
        properties
    )
    assert "value:avg" not in properties
    assert properties["weight:sum"] == {"type": "number"}
    assert properties["owner"]["type"] == ["object", "null"]


def test_no_aggregate_path_without_a_declaration():
    plain = dict(DESCRIPTOR, aggregate=None)
    doc = openapi.build_document("http://x", [plain], {"things:read": "Read"})
    assert "/things/aggregate" not in doc["paths"]


def test_docs_page_renders_the_aggregate():
    doc = openapi.build_document("http://x", [DESCRIPTOR], {"things:read": "Read"})
    assert "/things/aggregate" in docs.render_docs(doc)
