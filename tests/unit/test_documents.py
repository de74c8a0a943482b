"""lib/documents.py, lib/openapi_documents.py and lib/postman.py without
Odoo: upload names, types and base64 on garbage; the document routes in
the OpenAPI document; the Postman collection made from it."""

import base64
import json

import pytest
from conftest import ROOT, load_lib
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate

documents = load_lib("my_api", "documents")
openapi = load_lib("my_api", "openapi")
openapi_documents = load_lib("my_api", "openapi_documents")
postman = load_lib("my_api", "postman")
s = load_lib("my_api", "schema")

DESCRIPTOR = {
    "path": "things",
    "title": "Thing",
    "description": "<b>things</b>",
    "operations": ["list", "get", "create"],
    "filters": {},
    "orders": ["id"],
    "default_order": "id",
    "read_schema": s.Object({"id": s.Field("integer", read_only=True)}),
    "create_schema": s.Object({"name": s.Field("string", required=True, example="Acme")}),
    "update_schema": None,
    "actions": [],
    "pdf": True,
    "attachments": True,
}
PLAIN = {**DESCRIPTOR, "path": "plain", "title": "Plain", "pdf": False, "attachments": False}


def document():
    descriptors = [DESCRIPTOR, PLAIN]
    doc = openapi.build_document("https://odoo.example.com", descriptors, {})
    return openapi_documents.add_document_routes(doc, descriptors)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        None,
        5,
        "../etc/passwd",
        "a/b.txt",
        "a\\b.txt",
        "..",
        ".",
        "a\x00.txt",
        "a\n.txt",
        "a\x7f.txt",
        "a\x85.txt",
        "gpj\u202e.exe",
        "a\u2028b",
        "x" * 256,
    ],
)
def test_bad_names_are_refused(name):
    with pytest.raises(documents.DocumentError) as info:
        documents.clean_name(name)
    assert info.value.status == 400
    assert info.value.field == "name"


def test_good_names_are_kept_stripped():
    assert documents.clean_name("  Devis n°42 (signé).pdf ") == "Devis n°42 (signé).pdf"
    assert documents.clean_name("..hidden") == "..hidden"


@given(st.text(max_size=300))
def test_a_kept_name_has_no_path_or_control_character(name):
    try:
        kept = documents.clean_name(name)
    except documents.DocumentError:
        return
    assert "/" not in kept and "\\" not in kept
    assert all(ord(char) >= 32 and ord(char) != 127 for char in kept)
    header = documents.content_disposition(kept)
    assert "\n" not in header and "\r" not in header
    assert header.count('"') == 2


@pytest.mark.parametrize(
    ("mimetype", "sniffed"),
    [
        ("text/html", None),
        ("TEXT/HTML; charset=utf-8", None),
        ("image/svg+xml", None),
        ("application/xhtml+xml", None),
        ("text/xml", None),
        ("application/javascript", None),
        ("application/x-msdownload", None),
        ("", None),
        ("image/png", "text/html"),
        ("text/plain", "image/svg+xml"),
    ],
)
def test_refused_types_are_415(mimetype, sniffed):
    with pytest.raises(documents.DocumentError) as info:
        documents.check_mimetype(mimetype, documents.DEFAULT_MIMETYPES, sniffed)
    assert info.value.status == 415


def test_allowed_types_are_normalised():
    assert documents.check_mimetype("Image/PNG", documents.DEFAULT_MIMETYPES) == "image/png"
    assert (
        documents.check_mimetype("text/plain; charset=utf-8", documents.DEFAULT_MIMETYPES)
        == "text/plain"
    )


def test_the_setting_never_allows_what_a_browser_would_run():
    assert documents.parse_mimetypes("image/png, text/html image/svg+xml,,junk") == ("image/png",)
    with pytest.raises(ValueError):
        documents.parse_mimetypes("text/html")
    assert not any(documents.never_served(t) for t in documents.DEFAULT_MIMETYPES)
    for refused in ("image/svg+xml; charset=utf-8", "Text/HTML", "application/x-javascript"):
        assert documents.never_served(refused)


@pytest.mark.parametrize("data", ["", "a", "aGk", "aG k=", "aGk=\n", "!!!!", "aGk==", "é", 5, None])
def test_bad_base64_is_refused(data):
    with pytest.raises(documents.DocumentError) as info:
        documents.decode_base64(data)
    assert info.value.status == 400


@given(st.binary(min_size=1, max_size=200))
def test_base64_round_trips(raw):
    assert documents.decode_base64(base64.b64encode(raw).decode()) == raw


def test_etags_match_weakly_and_by_list():
    etag = documents.etag_of("a", 1)
    assert documents.etag_matches(etag, etag)
    assert documents.etag_matches(f'"x", W/{etag}', "W/" + etag)
    assert documents.etag_matches("*", etag)
    assert not documents.etag_matches('"other"', etag)
    assert not documents.etag_matches(None, etag)
    assert documents.etag_of("a", 1) != documents.etag_of("a", 2)


def test_document_routes_only_for_declaring_resources():
    doc = document()
    validate(doc)
    paths = doc["paths"]
    assert "/things/{ident}/pdf" in paths
    assert "/things/{ident}/attachments" in paths
    assert "/things/{ident}/attachments/{attachment_id}" in paths
    assert not any(path.startswith("/plain/{ident}/") for path in paths)
    upload = paths["/things/{ident}/attachments"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/json", "multipart/form-data"}
    pdf = paths["/things/{ident}/pdf"]["get"]["responses"]
    assert set(pdf["200"]["content"]) == {"application/pdf"}
    assert {"304", "503", "403", "404"} <= set(pdf)
    params = [p["$ref"] for p in paths["/things/{ident}/pdf"]["get"]["parameters"]]
    assert "#/components/parameters/XOdooCompany" in params


def test_postman_collection_has_every_operation_with_bearer_and_base_url():
    doc = document()
    collection = postman.collection(doc)
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert collection["auth"]["bearer"][0]["value"] == "{{bearerToken}}"
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables["baseUrl"] == "https://odoo.example.com/api/v1"
    requests_ = [item for folder in collection["item"] for item in folder["item"]]
    count = sum(1 for item in doc["paths"].values() for method in item if method != "parameters")
    assert len(requests_) == count
    by_url = {(r["request"]["method"], r["request"]["url"]["raw"]): r for r in requests_}
    create = by_url[("POST", "{{baseUrl}}/things")]
    assert json.loads(create["request"]["body"]["raw"]) == {"name": "Acme"}
    upload = by_url[("POST", "{{baseUrl}}/things/:ident/attachments")]
    assert json.loads(upload["request"]["body"]["raw"])["data"] == "JVBERi0xLjQK"
    item = by_url[("GET", "{{baseUrl}}/things/:ident/attachments/:attachment_id")]
    assert [v["key"] for v in item["request"]["url"]["variable"]] == ["ident", "attachment_id"]
    # HTML in descriptions is data, kept as text for Postman to show as such
    assert "<b>things</b>" in json.dumps(collection)


def test_the_docs_console_puts_text_never_html_in_the_page():
    """Descriptions and answers could hold HTML: the console writes them
    as text (textContent), never through an HTML parser, and loads nothing
    from another origin."""
    script = (ROOT / "my_api" / "static" / "src" / "js" / "api_docs.js").read_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert sink not in script, sink
    assert "://" not in script
    assert "textContent" in script
