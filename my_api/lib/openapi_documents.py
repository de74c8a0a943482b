"""The document routes in the OpenAPI document: a record's PDF and its
attachments, for the resources whose descriptor says so (`pdf`,
`attachments`: see models/api_resource_documents.py).

Kept apart from lib/openapi.py so that the resource paths there and these
grow independently; `add_document_routes` is applied to a built document.
"""

from .openapi import _add_request_scope, _errors, _ok, _security

AUTH_ERRORS = (400, 401, 403, 404, 429, 500)
ATTACHMENT_ID_PATTERN = "[1-9][0-9]{0,18}"
BINARY = {"type": "string", "format": "binary"}


def _components():
    attachment = {
        "type": "object",
        "required": ["id", "name", "mimetype", "size", "checksum", "created"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "example": "signed-contract.pdf"},
            "mimetype": {"type": "string", "example": "application/pdf"},
            "size": {"type": "integer", "minimum": 0, "description": "Bytes"},
            "checksum": {
                "type": ["string", "null"],
                "description": "SHA-1 of the content, as Odoo stores it; the download's ETag",
            },
            "created": {"type": "string", "format": "date-time"},
        },
    }
    upload = {
        "type": "object",
        "required": ["name", "data"],
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "pattern": "^[^/\\\\\\x00-\\x1f\\x7f]+$",
                "description": "File name, without a path (no / or \\) or control characters",
                "example": "signed-contract.pdf",
            },
            "mimetype": {
                "type": "string",
                "description": "Default: guessed from the name, else from the content. One of "
                "the accepted types (my_api.attachment_mimetypes; never HTML, SVG or XML): "
                "415 otherwise",
                "example": "application/pdf",
            },
            "data": {
                "type": "string",
                "contentEncoding": "base64",
                "minLength": 4,
                "description": "The file, standard base64 with padding; the whole body is "
                "bounded by the request body limit (1 MiB by default: about 750 KiB of file)",
                "example": "JVBERi0xLjQK",
            },
        },
        "additionalProperties": False,
    }
    multipart = {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {**BINARY, "description": "The file; its name is the part's filename"},
            "name": {"type": "string", "description": "Another name than the part's filename"},
            "mimetype": {"type": "string", "description": "Another type than the part's"},
        },
    }
    return {
        "schemas": {
            "Attachment": attachment,
            "AttachmentUpload": upload,
            "AttachmentUploadForm": multipart,
        },
        "parameters": {
            "IfNoneMatch": {
                "name": "If-None-Match",
                "in": "header",
                "description": "ETag of the copy you have: 304 without a body if it is current",
                "schema": {"type": "string"},
            },
            "AttachmentId": {
                "name": "attachment_id",
                "in": "path",
                "required": True,
                "description": "An attachment of this record (another's: 404)",
                "schema": {"type": "string", "pattern": f"^{ATTACHMENT_ID_PATTERN}$"},
            },
        },
        "responses": {
            "NotModified": {"description": "Not modified: your copy (If-None-Match) is current"},
            "Error503": {
                "description": "503 service_unavailable: PDF rendering is not available on this "
                "server (wkhtmltopdf missing or broken)",
                "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }


def _file_response(description, media_type):
    ok = _ok(description, BINARY, ("ETag",))
    ok["headers"]["Content-Disposition"] = {"schema": {"type": "string"}}
    ok["content"] = {media_type: {"schema": BINARY}}
    return ok


def _pdf_path(desc, ident):
    return {
        "parameters": [ident],
        "get": {
            "operationId": f"pdf_{desc['path']}",
            "summary": f"The PDF of one of the {desc['description']} (Odoo's own report)",
            "description": "Rendered by Odoo with your rights: the same 403 and 404 as the "
            "record's detail. The ETag changes with the record; If-None-Match answers 304.",
            "tags": [desc["path"]],
            "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
            "security": _security(desc, "read"),
            "responses": {
                "200": _file_response("The PDF", "application/pdf"),
                "304": {"$ref": "#/components/responses/NotModified"},
                **_errors(*AUTH_ERRORS),
                "503": {"$ref": "#/components/responses/Error503"},
            },
        },
    }


def _attachments_paths(desc, ident):
    path = desc["path"]
    page = {
        "type": "object",
        "required": ["data", "pagination"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
            "pagination": {"$ref": "#/components/schemas/Pagination"},
        },
    }
    one = {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"$ref": "#/components/schemas/Attachment"}},
    }
    collection = {
        "parameters": [ident],
        "get": {
            "operationId": f"list_{path}_attachments",
            "summary": "The files attached to the record, newest first",
            "tags": [path],
            "parameters": [
                {"$ref": "#/components/parameters/limit"},
                {"$ref": "#/components/parameters/offset"},
            ],
            "security": _security(desc, "read"),
            "responses": {"200": _ok("A page of attachments", page), **_errors(*AUTH_ERRORS)},
        },
        "post": {
            "operationId": f"attach_{path}",
            "summary": "Attach a file to the record (you must be allowed to change it)",
            "description": "multipart/form-data (a `file` part) with an API key or token, or "
            "JSON with the file in base64 (the one form a browser session may send). The "
            "body limit applies to the whole body (413); a type not accepted is a 415.",
            "tags": [path],
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "security": _security(desc, "write"),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/AttachmentUpload"}
                    },
                    "multipart/form-data": {
                        "schema": {"$ref": "#/components/schemas/AttachmentUploadForm"}
                    },
                },
            },
            "responses": {
                "201": _ok("Attached", one, ("Location",)),
                **_errors(*AUTH_ERRORS, 409, 413, 415, 422),
            },
        },
    }
    item = {
        "parameters": [ident, {"$ref": "#/components/parameters/AttachmentId"}],
        "get": {
            "operationId": f"download_{path}_attachment",
            "summary": "The file of one attachment of the record, as stored",
            "description": "Sent as a download (Content-Disposition: attachment) with its "
            "stored type; ETag is its checksum (If-None-Match: 304).",
            "tags": [path],
            "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
            "security": _security(desc, "read"),
            "responses": {
                "200": _file_response("The file", "*/*"),
                "304": {"$ref": "#/components/responses/NotModified"},
                **_errors(*AUTH_ERRORS),
            },
        },
    }
    return {
        f"/{path}/{{ident}}/attachments": collection,
        f"/{path}/{{ident}}/attachments/{{attachment_id}}": item,
    }


def add_document_routes(document, descriptors):
    """Add to `document` (built by lib/openapi.build_document from
    `descriptors`) the PDF and attachment routes of the resources that
    declare them, with their components; return the document."""
    paths = {}
    for desc in descriptors:
        ident = {"$ref": f"#/components/parameters/{desc['title']}Ident"}
        if desc.get("pdf"):
            paths[f"/{desc['path']}/{{ident}}/pdf"] = _pdf_path(desc, ident)
        if desc.get("attachments"):
            paths.update(_attachments_paths(desc, ident))
    if not paths:
        return document
    _add_request_scope(paths)
    document["paths"].update(paths)
    for section, entries in _components().items():
        document["components"].setdefault(section, {}).update(entries)
    return document
