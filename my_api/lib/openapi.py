"""OpenAPI 3.1 document of /api/v1, built from resource descriptors.

A descriptor is a plain dict made from a resource declaration (see
`api.resource._api_descriptor`), so this module needs no Odoo and the
document can be checked by tests/unit with openapi-spec-validator.
"""

from . import reads
from .companies import DOCUMENT_PATTERN as COMPANY_PATTERN
from .companies import HEADER as COMPANY_HEADER
from .companies import MAX_COMPANIES
from .errors import DEFAULT_CODES
from .schema import INT4_MAX, SPAN_PATTERN, XID_NAME_PATTERN, json_schema
from .timestamps import DATE_FILTER_RULE, TIMEZONE_HEADER, TIMEZONE_MAX_LENGTH, TIMEZONE_PATTERN

ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422, 429, 500)
API_VERSION = "1.0.0"

# A record in a path: its id, `ref:<external reference>` where the resource
# has one, or `xid:<module.name>`. As api.resource._api_resolve reads them
# (an id beyond int4 is simply not found); no "/" since a path segment
# cannot hold one.
ID_PATTERN = "[1-9][0-9]*"
REF_PATTERN = "ref:[^/\\x00]+"
XID_PATTERN = "xid:[^./\\x00]+\\.[^/\\x00]+"
CURSOR_PATTERN = "[A-Za-z0-9_-]{0,2048}"  # empty: the first page
# The request headers every authenticated operation reads (ir.http's
# _api_request_context), as components/parameters names.
REQUEST_SCOPE_PARAMETERS = ("XOdooCompany", "XOdooTimezone")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMPANIES_AND_TIMEZONES = (
    f"Companies: a request works in the companies of its {COMPANY_HEADER} header "
    f"({COMPANY_HEADER}: 1,3; the first one current: creates go there), each one of "
    "yours (403 otherwise); without it in your current company only. Rows carry their "
    "company; lists filter on company_id within the selection. Timezone: "
    f"{TIMEZONE_HEADER} (an IANA name such as Asia/Dubai; 400 if unknown), else your "
    f"user's timezone, else UTC. In a timestamp filter (date_from=2026-02-01): {DATE_FILTER_RULE}; "
    "date fields (an invoice's invoice_date) are days and never shift. "
    "Answers give timestamps in UTC with Z; GET /me shows the companies and timezone."
)


def ident_pattern(external_ref):
    """The pattern (unanchored) of a record identifier in a path."""
    forms = [ID_PATTERN, REF_PATTERN, XID_PATTERN] if external_ref else [ID_PATTERN, XID_PATTERN]
    return "|".join(forms)


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(status):
    return {"$ref": f"#/components/responses/Error{status}"}


def _errors(*statuses):
    return {str(status): _error_response(status) for status in statuses}


def _components_base():
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "validation_error"},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "issue": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "request_id": {"type": "string"},
                },
            }
        },
    }
    pagination = {
        "type": "object",
        "properties": {
            "total": {
                "type": ["integer", "null"],
                "description": "Matching records; null on cursor pages. Exact up to the "
                "count limit (10,000 by default); above it a lower bound, unless the "
                "call sent count=exact",
            },
            "total_exact": {
                "type": ["boolean", "null"],
                "description": "false when total is a lower bound; null on cursor pages",
            },
            "limit": {"type": "integer"},
            "offset": {"type": ["integer", "null"]},
            "has_more": {"type": "boolean"},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as ?cursor= to get the next page",
            },
        },
    }
    responses = {}
    for status in ERROR_STATUSES:
        code = DEFAULT_CODES.get(status, "error")
        if status == 422:
            code = "idempotency_key_reused"
        headers = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
        if status == 429:
            headers["Retry-After"] = {"schema": {"type": "integer"}}
        if status == 401:
            headers["WWW-Authenticate"] = {"schema": {"type": "string"}}
        responses[f"Error{status}"] = {
            "description": f"{status} {code}",
            "headers": headers,
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    batch_result = {
        "type": "object",
        "required": ["index", "id", "created"],
        "properties": {
            "index": {"type": "integer", "description": "Position of the item in items"},
            "id": {"type": "integer"},
            "created": {"type": "boolean"},
        },
    }
    responses["NotModified"] = {
        "description": "Not modified: If-None-Match holds the current ETag; no body",
        "headers": {
            "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
            "ETag": {"$ref": "#/components/headers/ETag"},
        },
    }
    return {
        "schemas": {"Error": error, "Pagination": pagination, "BatchResult": batch_result},
        "responses": responses,
        "headers": {
            "X-Request-Id": {
                "description": "Echo of the request's X-Request-Id, or a generated one",
                "schema": {"type": "string"},
            },
            "RateLimit-Limit": {"schema": {"type": "integer"}},
            "RateLimit-Remaining": {"schema": {"type": "integer"}},
            "RateLimit-Reset": {"schema": {"type": "integer"}},
            "ETag": {"schema": {"type": "string"}},
            "Location": {"schema": {"type": "string"}},
        },
        "parameters": {
            "limit": {
                "name": "limit",
                "in": "query",
                "description": "Page size (default 50); more than the configured maximum "
                "(200) gives that maximum",
                "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX},
            },
            "offset": {
                "name": "offset",
                "in": "query",
                "description": "Records to skip (not with cursor)",
                "schema": {"type": "integer", "minimum": 0, "maximum": INT4_MAX},
            },
            "cursor": {
                "name": "cursor",
                "in": "query",
                "description": "Opaque next_cursor of the previous page (keyset pagination; "
                "not with offset)",
                "schema": {"type": "string", "pattern": f"^{CURSOR_PATTERN}$"},
            },
            "count": {
                "name": "count",
                "in": "query",
                "description": "exact: count every matching record for total, however "
                "many (by default the count stops at the count limit)",
                "schema": {"type": "string", "enum": ["exact"]},
            },
            "updated_since": {
                "name": "updated_since",
                "in": "query",
                "description": "Only records changed at or after this time (to the second; "
                f"2026-01-31T06:00:00Z). {DATE_FILTER_RULE}: updated_since=2026-01-31 is from "
                "that day's first instant. Answers give every timestamp in UTC with Z.",
                "schema": {"type": "string", "pattern": f"^{SPAN_PATTERN}$"},
            },
            "IdempotencyKey": {
                "name": "Idempotency-Key",
                "in": "header",
                "description": "Replays the stored answer of a request with the same key "
                "and body (24 h); 409 while it runs; 422 with another body",
                "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
            },
            "XOdooCompany": {
                "name": COMPANY_HEADER,
                "in": "header",
                "description": "The companies this request works in, company ids separated "
                f"by commas (at most {MAX_COMPANIES}, each up to {INT4_MAX}), the first one "
                "current (creates go there): each must be one of yours, 403 otherwise. "
                "Default: your current company only",
                "schema": {"type": "string", "pattern": COMPANY_PATTERN, "example": "1,3"},
            },
            "XOdooTimezone": {
                "name": TIMEZONE_HEADER,
                "in": "header",
                "description": "The IANA timezone in which a date alone is a whole day "
                "(date_from=2026-02-01); 400 for a name of no known zone. Default: your "
                "user's timezone, else UTC",
                "schema": {
                    "type": "string",
                    "maxLength": TIMEZONE_MAX_LENGTH,
                    "pattern": TIMEZONE_PATTERN,
                    "example": "Asia/Dubai",
                },
            },
            **_read_components(),
            "IfMatch": {
                "name": "If-Match",
                "in": "header",
                "description": "ETag of the version you read; 412 if it changed since",
                "schema": {"type": "string"},
            },
            # PUT /<path>/{ident}: the record by external id only
            "XidIdent": {
                "name": "ident",
                "in": "path",
                "required": True,
                "description": "xid:<module.name>, the module part yours (not an Odoo module)",
                "schema": {"type": "string", "pattern": f"^xid:(?:{XID_NAME_PATTERN})$"},
            },
        },
    }


def _ok(description, schema, status_headers=()):
    headers = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    for name in status_headers:
        headers[name] = {"$ref": f"#/components/headers/{name}"}
    headers.update(
        {
            "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
            "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
            "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"},
        }
    )
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": schema}},
    }


def _security(desc, access):
    """Security of one operation; access is read or write. A descriptor may
    name its scopes (`{"read": ..., "write": ...}`), else `<path>:<access>`."""
    scope = (desc.get("scopes") or {}).get(access) or f"{desc['path']}:{access}"
    return [{"bearerApiKey": []}, {"sessionCookie": []}, {"oauth2": [scope]}]


def _one(name):
    return {"type": "object", "properties": {"data": _ref(name)}, "required": ["data"]}


def _resource_paths(desc):
    path, title = desc["path"], desc["title"]
    schema_name = title
    ops = set(desc["operations"])
    collection, item = {}, {}
    auth_errors = (400, 401, 403, 429, 500)
    if "list" in ops:
        params = [
            {"$ref": "#/components/parameters/limit"},
            {"$ref": "#/components/parameters/offset"},
            {"$ref": "#/components/parameters/cursor"},
            {"$ref": "#/components/parameters/count"},
            {"$ref": "#/components/parameters/updated_since"},
            _order_parameter(desc),
        ]
        params.extend(_filter_parameter(name, spec) for name, spec in desc["filters"].items())
        params.extend(_read_parameters(desc, listing=True))
        collection["get"] = {
            "operationId": f"list_{path}",
            "summary": f"List {desc['description']}",
            "tags": [path],
            "parameters": params,
            "security": _security(desc, "read"),
            "responses": {
                "200": _ok(
                    "A page of records",
                    {
                        "type": "object",
                        "properties": {
                            "data": {"type": "array", "items": _ref(schema_name)},
                            "pagination": _ref("Pagination"),
                        },
                    },
                    ("ETag",),
                ),
                "304": {"$ref": "#/components/responses/NotModified"},
                **_errors(*auth_errors),
            },
        }
    if "create" in ops:
        collection["post"] = {
            "operationId": f"create_{path}",
            "summary": f"Create one of the {desc['description']}",
            "tags": [path],
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "security": _security(desc, "write"),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(f"{schema_name}Create")}},
            },
            "responses": {
                "201": _ok("Created", _one(schema_name), ("Location",)),
                "200": _ok("Already existed (same external reference)", _one(schema_name)),
                **_errors(*auth_errors, 409, 413, 415, 422),
            },
        }
    if "get" in ops:
        item["get"] = {
            "operationId": f"get_{path}",
            "summary": f"One of the {desc['description']}",
            "tags": [path],
            "parameters": _read_parameters(desc, listing=False),
            "security": _security(desc, "read"),
            "responses": {
                "200": _ok("The record", _one(schema_name), ("ETag",)),
                "304": {"$ref": "#/components/responses/NotModified"},
                **_errors(*auth_errors, 404),
            },
        }
    if "update" in ops:
        item["patch"] = {
            "operationId": f"update_{path}",
            "summary": "Change some fields",
            "tags": [path],
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
            "security": _security(desc, "write"),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(f"{schema_name}Update")}},
            },
            "responses": {
                "200": _ok("The changed record", _one(schema_name), ("ETag",)),
                **_errors(*auth_errors, 404, 409, 412, 413, 415),
            },
        }
    if desc.get("upsert"):
        item["put"] = {
            "operationId": f"upsert_{path}",
            "summary": "Create or update the record an external id names",
            "description": "The ident is xid:<module.name> (any other form is a 400). "
            "Creates the record with that external id (201) or, when the id names "
            "one, updates it with the fields of the body an update may change (200); "
            "sending the same body again changes nothing. The module part of the "
            "external id is yours: not the name of an Odoo module.",
            "tags": [path],
            "parameters": [
                {"$ref": "#/components/parameters/XidIdent"},
                {"$ref": "#/components/parameters/IfMatch"},
            ],
            "security": _security(desc, "write"),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(f"{schema_name}Create")}},
            },
            "responses": {
                "201": _ok("Created", _one(schema_name), ("Location", "ETag")),
                "200": _ok("Updated", _one(schema_name), ("ETag",)),
                **_errors(*auth_errors, 404, 409, 412, 413, 415, 422),
            },
        }
    if "delete" in ops:
        item["delete"] = {
            "operationId": f"delete_{path}",
            "summary": "Delete the record",
            "tags": [path],
            "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
            "security": _security(desc, "write"),
            "responses": {
                "200": _ok(
                    "Deleted",
                    {"type": "object", "properties": {"data": {"type": "object"}}},
                ),
                **_errors(*auth_errors, 404, 409, 412),
            },
        }
    paths = {}
    ident = {"$ref": f"#/components/parameters/{schema_name}Ident"}
    if collection:
        paths[f"/{path}"] = collection
    if item:
        item["parameters"] = [ident]
        paths[f"/{path}/{{ident}}"] = item
    if "batch" in ops:
        paths[f"/{path}/batch"] = {
            "post": {
                "operationId": f"batch_{path}",
                "summary": "Up to 200 creates or updates in one transaction (all or nothing)",
                "tags": [path],
                "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
                "security": _security(desc, "write"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(f"{schema_name}Batch")}},
                },
                "responses": {
                    "200": _ok(
                        "Every item succeeded",
                        {
                            "type": "object",
                            "required": ["data"],
                            "properties": {"data": {"type": "array", "items": _ref("BatchResult")}},
                        },
                    ),
                    **_errors(*auth_errors, 409, 413, 415, 422),
                },
            }
        }
    action_schemas = desc.get("action_schemas") or {}
    if desc.get("aggregate"):
        paths[f"/{path}/aggregate"] = _aggregate_path(desc, auth_errors)
    if desc.get("changes"):
        paths[f"/{path}/changes"] = _changes_path(desc, schema_name, auth_errors)
    for action in desc["actions"]:
        operation = {
            "operationId": f"{action}_{path}",
            "summary": f"{action.capitalize()} the record",
            "tags": [path],
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "security": _security(desc, "write"),
            "responses": {
                "200": _ok("The record after the action", _one(schema_name)),
                **_errors(*auth_errors, 404, 409, 413, 415, 422),
            },
        }
        if action in action_schemas:
            # optional: no body is the empty object
            operation["requestBody"] = {
                "required": False,
                "content": {
                    "application/json": {"schema": _ref(_action_schema_name(desc, action))}
                },
            }
        paths[f"/{path}/{{ident}}/{action}"] = {"parameters": [ident], "post": operation}
    schemas = {schema_name: _expandable(json_schema(desc["read_schema"], "read"), desc)}
    for action, spec in action_schemas.items():
        schemas[_action_schema_name(desc, action)] = json_schema(spec, "write")
    if desc.get("create_schema") is not None:
        schemas[f"{schema_name}Create"] = json_schema(desc["create_schema"], "write")
    if desc.get("update_schema") is not None:
        schemas[f"{schema_name}Update"] = json_schema(desc["update_schema"], "write")
    if "batch" in ops:
        schemas.update(_batch_schemas(schema_name, desc))
    parameters = {
        f"{schema_name}Ident": {
            "name": "ident",
            "in": "path",
            "required": True,
            "description": "Record id, ref:<external reference> or xid:<module.name>"
            if desc.get("external_ref")
            else "Record id or xid:<module.name>",
            "schema": {
                "type": "string",
                "pattern": f"^(?:{ident_pattern(desc.get('external_ref'))})$",
            },
        }
    }
    return paths, schemas, parameters


def _action_schema_name(desc, action):
    """`PickingValidate`: the body schema of the validate action of pickings."""
    return desc["title"] + "".join(part.capitalize() for part in action.split("_"))


AGGREGATE_GRANULARITIES = ("day", "week", "month", "quarter", "year")
AGGREGATE_FUNCTIONS = ("sum", "avg", "min", "max")
AGGREGATE_MAX_TERMS = 10
AGGREGATE_MAX_GROUPS = 1000
BUCKETS = (
    "Date buckets are labelled 2026-01-31 (day), 2026-W05 (ISO week, Monday first), "
    "2026-01 (month), 2026-Q1 (quarter), 2026 (year); a datetime field is bucketed in the "
    "request's timezone (reported as timezone), a date field is a day already and never "
    "shifts."
)


def _filter_parameter(name, spec):
    """The query parameter of a list filter. Its description is the
    parameter's (what documentation tools and the docs page show), not
    only its schema's."""
    param = {"name": name, "in": "query", "schema": json_schema(spec, "query")}
    if spec.description:
        param["description"] = spec.description
    return param


def _terms_pattern(alternatives):
    """A comma-separated list of 1 to AGGREGATE_MAX_TERMS terms, each one
    of `alternatives` (regular expressions)."""
    term = "(?:" + "|".join(alternatives) + ")"
    return f"^{term}(?:,{term}){{0,{AGGREGATE_MAX_TERMS - 1}}}$"


def _aggregate_path(desc, auth_errors):
    """GET /<path>/aggregate: the groupable names and measures the
    resource declares, the list's filters, and a row schema naming every
    key a row can have."""
    aggregate = desc["aggregate"]
    granularity = "(?:" + "|".join(AGGREGATE_GRANULARITIES) + ")"
    group_terms, row = [], {}
    for name, info in sorted(aggregate["group_by"].items()):
        if info["date"]:
            group_terms.append(f"{name}:{granularity}")
            for unit in AGGREGATE_GRANULARITIES:
                row[f"{name}:{unit}"] = {"type": ["string", "null"]}
        else:
            group_terms.append(name)
            if info["type"] == "many2one":
                row[name] = {
                    "type": ["object", "null"],
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                }
            elif info["type"] == "boolean":
                row[name] = {"type": "boolean"}
            elif info["type"] == "integer":
                row[name] = {"type": ["integer", "null"]}
            else:
                row[name] = {"type": ["string", "null"]}
    measure_terms = ["count"]
    for name, functions in aggregate["measures"].items():
        measure_terms.append(f"{name}:(?:{'|'.join(functions)})")
        for func in functions:
            row[f"{name}:{func}"] = {"type": "number" if func == "sum" else ["number", "null"]}
    row["count"] = {"type": "integer", "minimum": 0}
    groupable = ", ".join(
        f"{name} (with :granularity)" if info["date"] else name
        for name, info in sorted(aggregate["group_by"].items())
    )
    params = [
        {
            "name": "group_by",
            "in": "query",
            "description": f"Comma-separated fields to group by: {groupable}. Date fields take "
            f"a granularity: {', '.join(AGGREGATE_GRANULARITIES)} (date_field:month). Left out: "
            "one row for all the matching records. " + BUCKETS,
            "schema": {"type": "string", "pattern": _terms_pattern(group_terms)},
        },
        {
            "name": "measures",
            "in": "query",
            "description": "Comma-separated measures: "
            + ", ".join(
                f"{name}:{'|'.join(functions)}" for name, functions in aggregate["measures"].items()
            )
            + (", " if aggregate["measures"] else "")
            + "count (the number of records). Default: count. An empty sum is 0.",
            "schema": {"type": "string", "pattern": _terms_pattern(measure_terms)},
        },
        {"$ref": "#/components/parameters/updated_since"},
    ]
    params.extend(_filter_parameter(name, spec) for name, spec in desc["filters"].items())
    return {
        "get": {
            "operationId": f"aggregate_{desc['path']}",
            "summary": f"Totals of {desc['description']} per group, for dashboards",
            "description": "Grouped totals over the records the list gives for the same "
            f"filters, with the caller's rights. At most {AGGREGATE_MAX_GROUPS:,} groups: "
            "more is a 400 (too_many_groups); narrow with fewer group_by fields, a "
            "coarser granularity "
            "or filters. Rows come sorted by their groups. " + BUCKETS,
            "tags": [desc["path"]],
            "parameters": params,
            "security": _security(desc, "read"),
            "responses": {
                "200": _ok(
                    "One row per group",
                    {
                        "type": "object",
                        "required": ["data", "group_by", "measures", "timezone"],
                        "properties": {
                            "data": {
                                "type": "array",
                                "maxItems": AGGREGATE_MAX_GROUPS,
                                "items": {
                                    "type": "object",
                                    "properties": row,
                                    "additionalProperties": False,
                                },
                            },
                            "group_by": {"type": "array", "items": {"type": "string"}},
                            "measures": {"type": "array", "items": {"type": "string"}},
                            "timezone": {
                                "type": "string",
                                "description": "IANA timezone of the datetime buckets",
                                "example": "Asia/Dubai",
                            },
                        },
                    },
                ),
                **_errors(*auth_errors),
            },
        }
    }


CHANGE_TYPES = ("created", "updated", "archived", "deleted")


def _changes_path(desc, schema_name, auth_errors):
    """GET /<path>/changes: the change feed (my_api/models/api_resource_changes.py)."""
    entry = {
        "type": "object",
        "required": ["type", "id", "at", "data"],
        "properties": {
            "type": {"type": "string", "enum": list(CHANGE_TYPES)},
            "id": {"type": "integer", "description": "The record's id"},
            "at": {
                "type": "string",
                "format": "date-time",
                "description": "When the transaction that made the change began",
            },
            "data": {
                "description": "The record as it is now, with your rights (created, "
                "updated, archived); null for deleted",
                "anyOf": [_ref(schema_name), {"type": "null"}],
            },
        },
        "additionalProperties": False,
    }
    pagination = {
        "type": "object",
        "required": ["limit", "has_more", "next_cursor"],
        "properties": {
            "limit": {"type": "integer"},
            "has_more": {"type": "boolean", "description": "Call again at once with next_cursor"},
            "next_cursor": {
                "type": "string",
                "description": "Pass as ?cursor= on the next call (every answer has one, "
                "an empty page too)",
            },
        },
    }
    return {
        "get": {
            "operationId": f"changes_{desc['path']}",
            "summary": f"Changes of {desc['description']} in commit order",
            "description": "Created, updated, archived and deleted records, in the order "
            "their transactions committed, from a change log kept 30 days (system parameter "
            "my_api.changes_retention_days). Call once without cursor (from now) or with "
            "since=, then always with the next_cursor of the last answer: nothing is "
            "missed, a change may come twice. data is the record as you may read it now; "
            "records you cannot read (now) are left out, id included; a deletion is told "
            "to whoever may read the model in the record's company, with data null. A "
            "cursor (or since) older than the retention is a 410: resync from the list. A "
            "cursor of another resource's feed is a 400.",
            "tags": [desc["path"]],
            "parameters": [
                {
                    "name": "cursor",
                    "in": "query",
                    "description": "next_cursor of the previous answer (not with since)",
                    "schema": {"type": "string", "pattern": f"^{CURSOR_PATTERN}$"},
                },
                {
                    "name": "since",
                    "in": "query",
                    "description": "First call: start at this time instead of now; not "
                    f"with cursor. {DATE_FILTER_RULE}: since=2026-01-31 is from that day's "
                    "first instant",
                    "schema": {"type": "string", "pattern": f"^{SPAN_PATTERN}$"},
                },
                {"$ref": "#/components/parameters/limit"},
            ],
            "security": _security(desc, "read"),
            "responses": {
                "200": _ok(
                    "A page of changes",
                    {
                        "type": "object",
                        "required": ["data", "pagination"],
                        "properties": {
                            "data": {"type": "array", "items": entry},
                            "pagination": pagination,
                        },
                    },
                ),
                **_errors(*auth_errors, 404, 410),
            },
        }
    }


def _batch_schemas(schema_name, desc):
    """The body of POST /<path>/batch: items that are each a create (with
    the create body) or an update (with the record and the update body),
    told apart by `op`, as api.resource._api_batch validates them."""
    variants = {}
    if desc.get("create_schema") is not None:
        variants[f"{schema_name}BatchCreate"] = {
            "type": "object",
            "required": ["op", "data"],
            "properties": {
                "op": {"type": "string", "enum": ["create"]},
                "data": _ref(f"{schema_name}Create"),
            },
            "additionalProperties": False,
        }
    if desc.get("update_schema") is not None:
        variants[f"{schema_name}BatchUpdate"] = {
            "type": "object",
            "required": ["op", "id", "data"],
            "properties": {
                "op": {"type": "string", "enum": ["update"]},
                "id": {
                    "type": "string",
                    "description": "The record: id, ref:<value> or xid:<module.name>",
                    "pattern": f"^(?:{ident_pattern(desc.get('external_ref'))})$",
                },
                "data": _ref(f"{schema_name}Update"),
            },
            "additionalProperties": False,
        }
    body = {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 200,
                "items": {"oneOf": [_ref(name) for name in variants]},
            }
        },
        "additionalProperties": False,
    }
    return {**variants, f"{schema_name}Batch": body}


def _add_request_scope(paths):
    """Declare the company and timezone headers on every authenticated
    operation (those with a security requirement: every route of
    auth="api_v1"), those of the sibling addons included."""
    refs = [{"$ref": f"#/components/parameters/{name}"} for name in REQUEST_SCOPE_PARAMETERS]
    for item in paths.values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not operation or not operation.get("security", True):
                continue
            parameters = operation.setdefault("parameters", [])
            declared = {param.get("$ref") for param in parameters}
            parameters.extend(ref for ref in refs if ref["$ref"] not in declared)


def build_document(base_url, descriptors, scopes, extra_paths=None, oauth2=None, webhooks=None):
    """The OpenAPI 3.1 document (a dict) for these resource descriptors."""
    components = _components_base()
    paths = {
        "/me": {
            "get": {
                "operationId": "me",
                "summary": "Who am I: user, auth method, scopes, key expiry",
                "tags": ["me"],
                "parameters": [{"$ref": "#/components/parameters/AcceptLanguage"}],
                "security": [{"bearerApiKey": []}, {"sessionCookie": []}, {"oauth2": []}],
                "responses": {
                    "200": _ok("The authenticated user", {"type": "object"}),
                    **_errors(400, 401, 403, 429, 500),
                },
            }
        }
    }
    for desc in descriptors:
        resource_paths, schemas, parameters = _resource_paths(desc)
        paths.update(resource_paths)
        components["schemas"].update(schemas)
        components["parameters"].update(parameters)
    paths.update(extra_paths or {})
    _add_request_scope(paths)
    security_schemes = {
        "bearerApiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An Odoo API key (Preferences > Account Security > New API Key)",
        },
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "session_id",
            "description": "The session of /web/session/authenticate",
        },
    }
    security_schemes["oauth2"] = oauth2 or {
        "type": "oauth2",
        "description": "OAuth2 access tokens (see my_oauth_provider)",
        "flows": {
            "clientCredentials": {
                "tokenUrl": f"{base_url}/oauth2/token",
                "scopes": dict(scopes),
            }
        },
    }
    components["securitySchemes"] = security_schemes
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Odoo REST API",
            "version": API_VERSION,
            "description": "Errors always use the envelope "
            '{"error": {"code", "message", "details", "request_id"}} with the matching '
            "HTTP status. Every response carries X-Request-Id and RateLimit-* headers. "
            + COMPANIES_AND_TIMEZONES,
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "paths": paths,
        "components": components,
        "security": [{"bearerApiKey": []}, {"sessionCookie": []}],
    }
    if webhooks:
        document["webhooks"] = webhooks
    return document


# ------------------------------------------------------------------ reads
def _read_components():
    """The request parameters every read shares: If-None-Match, and the
    language (Accept-Language or lang=) of every authenticated call."""
    return {
        "IfNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "description": "The ETag of the copy you hold (or several, comma-separated; * "
            "for any): 304 without a body while it is current. A page's ETag covers its "
            "rows and its pagination; W/ tags compare equal to their strong form",
            "schema": {"type": "string"},
        },
        "AcceptLanguage": {
            "name": "Accept-Language",
            "in": "header",
            "description": "Preferred languages with quality values (fr-BE, fr;q=0.8, "
            "en;q=0.5), for translated names: the best installed one is used and answered "
            "in Content-Language; none installed, or a malformed value: your user's "
            "language. lang= wins over it",
            "schema": {"type": "string"},
        },
        "lang": {
            "name": "lang",
            "in": "query",
            "description": "The language of this call (fr_BE or fr-BE; fr: an installed "
            "French), among the installed ones; else as Accept-Language says",
            "schema": {"type": "string"},
        },
    }


def _order_parameter(desc):
    """order=: one sort key or two, each - for descending."""
    return {
        "name": "order",
        "in": "query",
        "description": f"Sort keys, comma-separated (up to {reads.MAX_ORDER_KEYS}), - for "
        f"descending (default {desc['default_order']}); ties are broken by id. Cursor "
        "pages (next_cursor) follow a single key: with two, page with offset",
        "schema": {"type": "string", "enum": reads.order_values(desc["orders"])},
    }


def _csv_parameter(name, values, description):
    """A comma-separated list of distinct `values` (style form, not exploded)."""
    return {
        "name": name,
        "in": "query",
        "description": description,
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(values)},
            "minItems": 1,
            "uniqueItems": True,
        },
    }


def _read_parameters(desc, listing):
    """fields=, expand= and If-None-Match of a list or a detail, and on a
    list q= and the filter operators the resource declares."""
    info = desc.get("reads")
    if not info:
        return []
    params = [
        _csv_parameter(
            "fields",
            info["fields"],
            "Only these fields of each record (id always); 400 for a field the resource "
            "does not have. An expanded relation is kept whatever fields says",
        )
    ]
    if info["expand"]:
        params.append(
            _csv_parameter(
                "expand",
                info["expand"],
                "Relations to render in full, by their own resource (a.b: b within a, at "
                f"most {reads.EXPAND_MAX_DEPTH} levels), with your rights: one you may not "
                "read stays its {id, name} reference; expanding to a resource needs its "
                "read scope",
            )
        )
    params.append({"$ref": "#/components/parameters/IfNoneMatch"})
    # the language of every call, documented on the reads (and /me) that show names
    params.append({"$ref": "#/components/parameters/AcceptLanguage"})
    params.append({"$ref": "#/components/parameters/lang"})
    if not listing:
        return params
    if info.get("search"):
        params.append(
            {
                "name": "q",
                "in": "query",
                "description": "Text search: records whose text fields contain it "
                "(case-insensitive)",
                "schema": {
                    "type": "string",
                    "maxLength": 256,
                    "pattern": f"^{reads.TEXT_VALUE_PATTERN}$",
                },
            }
        )
    for name, declared in sorted(info["operators"].items()):
        for operator in declared["operators"]:
            params.append(_operator_parameter(name, declared["spec"], operator))
    return params


def _operator_parameter(name, spec, operator):
    """`name[operator]`: one declared operator of one filter."""
    param = {
        "name": f"{name}[{operator}]",
        "in": "query",
        "description": f"{name}: {reads.OPERATORS[operator]}",
    }
    if operator == "in":
        if spec.enum is not None:
            item = "|".join(spec.enum)
        elif spec.type == "integer":
            item = reads.POSITIVE_INT4_PATTERN
        else:
            limit = spec.max_length or 256
            item = f"[^,\\x00-\\x1f\\x7f]{{1,{limit}}}"
        param["schema"] = {"type": "string", "pattern": reads.in_pattern(item)}
    elif operator == "ilike":
        param["schema"] = {
            "type": "string",
            "maxLength": spec.max_length or 256,
            "pattern": f"^{reads.TEXT_VALUE_PATTERN}$",
        }
    else:
        param["schema"] = json_schema(spec, "query")
        param["schema"].pop("description", None)
    if spec.format == "date-time" and operator != "in":
        param["description"] += f" ({DATE_FILTER_RULE})"
    return param


def _expandable(schema, desc):
    """The row schema, where expand= may replace a reference by another
    resource's row: either the reference or that row (anyOf)."""
    info = desc.get("reads") or {}
    for path, target in sorted(info.get("expand", {}).items()):
        if target is None:
            continue
        *parents, last = path.split(".")
        node = schema
        for part in parents:
            node = node.get("properties", {}).get(part, {})
            node = node.get("items", node)
        props = node.get("properties", {})
        if last in props:
            props[last] = {"anyOf": [props[last], _ref(target)]}
    return schema
