from conftest import load_lib
from openapi_spec_validator import validate

s = load_lib("my_api", "schema")
openapi = load_lib("my_api", "openapi")
docs = load_lib("my_api", "docs")

THING = s.Object(
    {"id": s.Field("integer", read_only=True), "name": s.Field("string", nullable=True)}
)
DESCRIPTOR = {
    "path": "things",
    "title": "Thing",
    "description": "things",
    "operations": ["list", "get", "create", "update", "delete", "batch"],
    "filters": {"name": s.Field("string"), "kind": s.Field("string", enum=["a", "b"])},
    "orders": ["id", "name"],
    "default_order": "-id",
    "read_schema": THING,
    "create_schema": s.Object({"name": s.Field("string", required=True)}),
    "update_schema": s.Object({"name": s.Field("string")}),
    "actions": ["archive"],
}


def document():
    return openapi.build_document(
        "https://odoo.example.com", [DESCRIPTOR], {"things:read": "Read", "things:write": "Write"}
    )


def test_document_is_valid_openapi_31():
    doc = document()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "https://odoo.example.com/api/v1"}]


def test_every_operation_of_the_declaration_is_documented():
    paths = document()["paths"]
    assert set(paths["/things"]) == {"get", "post"}
    assert set(paths["/things/{ident}"]) == {"get", "patch", "delete", "parameters"}
    assert "post" in paths["/things/batch"]
    assert "post" in paths["/things/{ident}/archive"]
    listing = paths["/things"]["get"]
    names = [p.get("name") for p in listing["parameters"]]
    assert {"name", "kind", "order"} <= set(names)
    assert listing["security"][2] == {"oauth2": ["things:read"]}
    assert paths["/things"]["post"]["security"][2] == {"oauth2": ["things:write"]}


def test_read_only_declaration_has_no_write_operation():
    read_only = dict(
        DESCRIPTOR, operations=["list", "get"], actions=[], create_schema=None, update_schema=None
    )
    doc = openapi.build_document("http://x", [read_only], {"things:read": "Read"})
    validate(doc)
    assert set(doc["paths"]["/things"]) == {"get"}
    assert "/things/batch" not in doc["paths"]
    assert "ThingCreate" not in doc["components"]["schemas"]


def test_descriptor_scopes_replace_the_path_scopes():
    managed = dict(DESCRIPTOR, scopes={"read": "things:manage", "write": "things:manage"})
    doc = openapi.build_document("http://x", [managed], {"things:manage": "Manage things"})
    validate(doc)
    paths = doc["paths"]
    for operation in (
        paths["/things"]["get"],
        paths["/things"]["post"],
        paths["/things/{ident}"]["get"],
        paths["/things/{ident}"]["patch"],
        paths["/things/{ident}"]["delete"],
    ):
        assert operation["security"][2] == {"oauth2": ["things:manage"]}
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert "things:manage" in flows["clientCredentials"]["scopes"]


def test_nullable_uses_json_schema_2020_types():
    schema = document()["components"]["schemas"]["Thing"]
    assert schema["properties"]["name"]["type"] == ["string", "null"]
    assert "nullable" not in str(schema)


def test_docs_page_lists_operations_and_escapes_text():
    desc = dict(DESCRIPTOR, description="<b>things</b>")
    page = docs.render_docs(openapi.build_document("http://x", [desc], {}))
    assert "/things/{ident}/archive" in page
    assert "<b>things</b>" not in page
    assert "&lt;b&gt;things&lt;/b&gt;" in page
    # one script, the addon's own file: nothing inline, nothing from elsewhere
    assert page.count("<script") == 1
    assert f"<script src='{docs.SCRIPT_URL}' defer></script>" in page
    assert docs.SCRIPT_URL.startswith("/my_api/static/")


def test_batch_items_are_a_create_or_an_update_and_results_are_typed():
    """Generated clients type the batch body and its answer (an untyped
    array made openapi-python-client drop the answer with a warning)."""
    doc = document()
    schemas = doc["components"]["schemas"]
    body = schemas["ThingBatch"]["properties"]["items"]["items"]
    assert body == {
        "oneOf": [
            {"$ref": "#/components/schemas/ThingBatchCreate"},
            {"$ref": "#/components/schemas/ThingBatchUpdate"},
        ]
    }
    assert schemas["ThingBatchCreate"]["properties"]["data"] == {
        "$ref": "#/components/schemas/ThingCreate"
    }
    assert schemas["ThingBatchUpdate"]["required"] == ["op", "id", "data"]
    answer = doc["paths"]["/things/batch"]["post"]["responses"]["200"]
    data = answer["content"]["application/json"]["schema"]["properties"]["data"]
    assert data["items"] == {"$ref": "#/components/schemas/BatchResult"}


def test_ident_pattern_follows_the_declaration():
    doc = document()
    ident = doc["components"]["parameters"]["ThingIdent"]["schema"]["pattern"]
    assert "ref:" not in ident  # DESCRIPTOR names no external reference
    with_ref = openapi.build_document("http://x", [dict(DESCRIPTOR, external_ref=True)], {})
    assert "ref:" in with_ref["components"]["parameters"]["ThingIdent"]["schema"]["pattern"]


def test_an_action_with_a_body_schema_documents_its_optional_body():
    """POST /<path>/<id>/<action> documents the body an action declares
    (optional: no body is the empty object), and only that one."""
    validate_body = s.Object(
        {
            "moves": s.Array(s.Object({"id": s.Id(required=True)}), max_items=10),
            "backorder": s.Field("boolean"),
        }
    )
    desc = dict(
        DESCRIPTOR,
        actions=["archive", "send_now"],
        action_schemas={"send_now": validate_body},
    )
    doc = openapi.build_document("http://x", [desc], {})
    validate(doc)
    send = doc["paths"]["/things/{ident}/send_now"]["post"]
    assert send["requestBody"] == {
        "required": False,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingSendNow"}}},
    }
    schema = doc["components"]["schemas"]["ThingSendNow"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["moves"]["items"]["required"] == ["id"]
    assert schema["properties"]["moves"]["items"]["properties"]["id"]["maximum"] == 2**31 - 1
    assert "requestBody" not in doc["paths"]["/things/{ident}/archive"]["post"]
