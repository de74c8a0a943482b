"""A Postman collection (format v2.1, which Insomnia imports too) made from
the OpenAPI document, so that it lists exactly the operations the document
does: one request per operation, in one folder per tag, against
`{{baseUrl}}` with a bearer token `{{bearerToken}}` (an API key or an
OAuth2 access token), path parameters as `:name` variables, optional query
parameters present but disabled, and a JSON body prefilled with an example
built from its schema (`example_of`).
"""

import json

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
MAX_DEPTH = 6


def _resolve(document, node):
    """`node` with its `$ref` (to this document) followed."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        parts = node["$ref"].lstrip("#/").split("/")
        target = document
        for part in parts:
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
        seen += 1
    return node if isinstance(node, dict) else {}


def example_of(document, schema, depth=0):
    """An example value of `schema`: its example, else its first enum value,
    else one made from its type (objects: their required properties, or all
    of them when none is required)."""
    schema = _resolve(document, schema)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("oneOf", "anyOf", "allOf"):
        if schema.get(key):
            return example_of(document, schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if depth > MAX_DEPTH:
        return None
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        names = schema.get("required") or list(properties)
        return {
            name: example_of(document, properties[name], depth + 1)
            for name in names
            if name in properties and not _resolve(document, properties[name]).get("readOnly")
        }
    if kind == "array":
        return [example_of(document, schema.get("items", {}), depth + 1)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1.0)
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-01-31T06:00:00Z"
        if schema.get("format") == "date":
            return "2026-01-31"
        return "string"
    return None


def _parameters(document, item, operation):
    params = {}
    for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
        param = _resolve(document, param)
        if "name" in param:
            params[(param["name"], param.get("in"))] = param
    return list(params.values())


def _request(document, path, method, item, operation):
    params = _parameters(document, item, operation)
    segments = [
        f":{segment[1:-1]}" if segment.startswith("{") and segment.endswith("}") else segment
        for segment in path.strip("/").split("/")
    ]
    query = [
        {
            "key": param["name"],
            "value": "",
            "description": param.get("description", ""),
            "disabled": not param.get("required", False),
        }
        for param in params
        if param.get("in") == "query"
    ]
    variables = [
        {"key": param["name"], "value": "", "description": param.get("description", "")}
        for param in params
        if param.get("in") == "path"
    ]
    headers = [
        {
            "key": param["name"],
            "value": "",
            "description": param.get("description", ""),
            "disabled": True,
        }
        for param in params
        if param.get("in") == "header"
    ]
    raw_query = "&".join(f"{entry['key']}=" for entry in query if not entry["disabled"])
    request = {
        "method": method.upper(),
        "header": headers,
        "url": {
            "raw": "{{baseUrl}}/" + "/".join(segments) + (f"?{raw_query}" if raw_query else ""),
            "host": ["{{baseUrl}}"],
            "path": segments,
            "query": query,
            "variable": variables,
        },
        "description": operation.get("description") or operation.get("summary", ""),
    }
    body = _resolve(document, operation.get("requestBody", {}))
    content = body.get("content", {})
    if "application/json" in content:
        request["header"].insert(0, {"key": "Content-Type", "value": "application/json"})
        example = example_of(document, content["application/json"].get("schema", {}))
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(example, indent=2),
            "options": {"raw": {"language": "json"}},
        }
    elif "multipart/form-data" in content:
        request["body"] = {"mode": "formdata", "formdata": [{"key": "file", "type": "file"}]}
    if not operation.get("security", True):
        request["auth"] = {"type": "noauth"}
    return {"name": operation.get("summary") or f"{method.upper()} {path}", "request": request}


def collection(document):
    """The Postman v2.1 collection (a dict) of an OpenAPI 3.1 document."""
    folders = {}
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not operation:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            folders.setdefault(tag, []).append(_request(document, path, method, item, operation))
    info = document.get("info", {})
    servers = document.get("servers") or [{"url": ""}]
    return {
        "info": {
            "name": info.get("title", "API"),
            "description": info.get("description", ""),
            "version": info.get("version", ""),
            "schema": SCHEMA_URL,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{bearerToken}}", "type": "string"}],
        },
        "variable": [
            {"key": "baseUrl", "value": servers[0]["url"], "type": "string"},
            {"key": "bearerToken", "value": "", "type": "string"},
        ],
        "item": [{"name": tag, "item": items} for tag, items in sorted(folders.items())],
    }
