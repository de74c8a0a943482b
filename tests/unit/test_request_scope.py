"""The company and timezone headers of a request, as lib/ reads them."""

import re

import pytest
import pytz
from conftest import load_lib

companies = load_lib("my_api", "companies")
ts = load_lib("my_api", "timestamps")
openapi = load_lib("my_api", "openapi")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", [1]),
        ("3,1", [3, 1]),  # the first one is current: the order is kept
        ("3,1,3", [3, 1]),  # a repeat counts once
        ("2147483647", [2147483647]),
        (",".join(["7"] * 100), [7]),
    ],
)
def test_company_header_reads_ids_in_order(text, expected):
    assert companies.parse_company_ids(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1,,2",
        ",1",
        "1,",
        "0",
        "-1",
        "+1",
        "01",
        "1 2",
        "1, 2",
        "1.0",
        "\u0661",  # another script's digit, which int() would read
        "2147483648",
        "99999999999999999999",
        ",".join(["1"] * 101),
        None,
    ],
)
def test_company_header_refuses_garbage(text):
    with pytest.raises(companies.CompanyHeaderError):
        companies.parse_company_ids(text)


def test_documented_company_pattern_admits_only_what_the_server_reads():
    pattern = re.compile(companies.DOCUMENT_PATTERN)
    for text in ("1", "3,1", ",".join(["123456789"] * 100)):
        assert pattern.match(text)
        companies.parse_company_ids(text)
    for text in ("", "1,,2", "0", "1 ,2", ",".join(["1"] * 101), "1234567890"):
        assert not pattern.match(text)


@pytest.mark.parametrize(
    "name", ["Asia/Dubai", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+4"]
)
def test_known_timezones_are_accepted(name):
    assert ts.parse_timezone(name) == name
    assert ts.is_timezone(name)


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("Mars/Olympus", "not_found"),
        ("asia/dubai", "not_found"),  # names are spelled as the database does
        ("localtime", "not_found"),  # no zone Odoo knows
        ("../../etc/passwd", "invalid_format"),
        ("/etc/localtime", "invalid_format"),
        ("Asia/Dubai\x00", "invalid_format"),
        ("Asia/Dubai ", "invalid_format"),
        ("", "invalid_format"),
        ("A" * 65, "invalid_format"),
        (None, "invalid_format"),
    ],
)
def test_unknown_timezones_are_refused(text, issue):
    with pytest.raises(ts.TimestampError) as raised:
        ts.parse_timezone(text)
    assert raised.value.issue == issue
    assert not ts.is_timezone(text)


def test_every_odoo_timezone_matches_the_documented_pattern():
    pattern = re.compile(ts.TIMEZONE_PATTERN)
    assert all(pattern.match(name) for name in pytz.all_timezones)


def test_a_date_alone_is_a_day_in_the_timezone():
    # an order at 2026-02-01 01:00 in Dubai is 2026-01-31 21:00 UTC
    dubai = ts.parse_span("2026-02-01", "Asia/Dubai")
    assert str(dubai.start) == "2026-01-31 20:00:00"
    assert str(dubai.end) == "2026-02-01 20:00:00"
    utc = ts.parse_span("2026-02-01", "UTC")
    assert str(utc.start) == "2026-02-01 00:00:00"
    # a timestamp with its offset is that instant, whatever the timezone
    exact = ts.parse_span("2026-02-01T01:00:00+04:00", "Pacific/Honolulu")
    assert str(exact.start) == "2026-01-31 21:00:00"


def test_every_authenticated_operation_declares_the_headers():
    descriptor = {
        "path": "things",
        "title": "Thing",
        "description": "things",
        "operations": ["list", "get", "create", "update", "delete", "batch"],
        "filters": {},
        "orders": ["id"],
        "default_order": "id",
        "read_schema": load_lib("my_api", "schema").Object(
            {"id": load_lib("my_api", "schema").Field("integer")}
        ),
        "actions": ["archive"],
    }
    extra = {"/open": {"get": {"operationId": "open", "security": [], "responses": {}}}}
    doc = openapi.build_document("https://odoo.example.com", [descriptor], {}, extra_paths=extra)
    wanted = {f"#/components/parameters/{name}" for name in openapi.REQUEST_SCOPE_PARAMETERS}
    operations = 0
    for path, item in doc["paths"].items():
        for method in openapi.HTTP_METHODS:
            if method not in item:
                continue
            refs = {param.get("$ref") for param in item[method].get("parameters", [])}
            if path == "/open":
                assert not wanted & refs
            else:
                assert wanted <= refs, f"{method} {path}"
                operations += 1
    assert operations >= 8
    header = doc["components"]["parameters"]["XOdooCompany"]
    assert header == {**header, "name": "X-Odoo-Company", "in": "header"}
    assert "X-Odoo-Timezone" in doc["info"]["description"]
