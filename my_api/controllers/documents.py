"""Routes of /api/v1 documents: a record's PDF, its attachments, and the
Postman collection of the docs page. Thin, as main.py's: parse, check,
call one resource method (models/api_resource_documents.py), answer.

Files are answered as downloads (`Content-Disposition: attachment`, the
stored type, `X-Content-Type-Options: nosniff` and a sandboxing CSP), so
that no file opens as a page of this origin.
"""

import io

from werkzeug.formparser import MultiPartParser

from odoo import http
from odoo.http import Response, request

from ..core import (
    API_PREFIX,
    ApiError,
    api_endpoint,
    ensure_context,
    json_response,
    read_json_body,
    request_body,
)
from ..core.io import max_body_bytes
from ..lib import documents
from ..lib.postman import collection
from .main import (
    API_ROUTE,
    _authorize_write,
    _check_scope,
    _openapi_document,
    readonly_reads,
    require_method,
)

UPLOAD_FIELDS = {"name", "mimetype", "data"}
# Rendering a report may write (the report's asset bundles on their first
# use, a report that saves its PDF as an attachment): a read/write cursor,
# as Odoo's own /report/pdf route has.
PDF_ROUTE = {**API_ROUTE, "readonly": False}


def _file_headers(etag, extra=None):
    ctx = ensure_context()
    headers = [("X-Request-Id", ctx.request_id), *ctx.headers.items(), ("ETag", etag)]
    headers.extend((extra or {}).items())
    return headers


def _not_modified(etag):
    return Response(status=304, headers=_file_headers(etag))


def _file_response(content, mimetype, name, etag):
    return Response(
        content,
        status=200,
        headers=_file_headers(
            etag,
            {
                "Content-Type": mimetype,
                "Content-Disposition": documents.content_disposition(name),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, no-cache",
            },
        ),
    )


def _upload_refused(field, issue, message, status=400):
    code = "unsupported_media_type" if status == 415 else "validation_error"
    return ApiError(status, message, code, [{"field": field, "issue": issue}])


def _read_upload():
    """(name, mimetype or None, bytes) of an upload: multipart/form-data
    with a `file` part (and optional `name`, `mimetype` fields), or a JSON
    object {name, mimetype?, data: base64}. Either is read within the
    request body limit (413 past it)."""
    httprequest = request.httprequest
    if httprequest.mimetype != "multipart/form-data":
        body = read_json_body()
        unknown = sorted(set(body) - UPLOAD_FIELDS)
        if unknown:
            raise _upload_refused(
                unknown[0], "unknown_field", f"unknown field(s): {', '.join(unknown)}"
            )
        mimetype = body.get("mimetype")
        if mimetype is not None and not isinstance(mimetype, str):
            raise _upload_refused("mimetype", "invalid_type", "mimetype must be a string")
        try:
            raw = documents.decode_base64(body.get("data"))
        except documents.DocumentError as exc:
            raise _upload_refused(exc.field, exc.issue, str(exc)) from None
        return body.get("name"), mimetype, raw
    limit = max_body_bytes()
    raw_body = request_body(limit)
    boundary = httprequest.mimetype_params.get("boundary", "")
    if not boundary:
        raise ApiError(400, "multipart/form-data without a boundary", "bad_request")
    try:
        form, files = MultiPartParser(max_form_memory_size=limit).parse(
            io.BytesIO(raw_body), boundary.encode("latin-1"), len(raw_body)
        )
    except (ValueError, UnicodeError):
        raise ApiError(400, "the multipart body could not be read", "bad_request") from None
    upload = files.get("file")
    if upload is None:
        raise _upload_refused("file", "required", "send the file in a part named file")
    content = upload.read()
    if not content:
        raise _upload_refused("file", "required", "the file is empty")
    name = form.get("name") or upload.filename
    mimetype = form.get("mimetype") or upload.content_type or None
    return name, mimetype, content


class ApiV1DocumentsController(http.Controller):
    @http.route(
        f"{API_PREFIX}/postman.json",
        type="http",
        auth="public",
        csrf=False,
        readonly=readonly_reads,
    )
    @api_endpoint
    def postman(self, **_params):
        require_method("GET")
        response = json_response(collection(_openapi_document()))
        response.headers["Content-Disposition"] = documents.content_disposition(
            "odoo-rest-api.postman_collection.json"
        )
        return response

    @http.route(f"{API_PREFIX}/<string:resource_path>/<string:ident>/pdf", **PDF_ROUTE)
    @api_endpoint
    def pdf(self, resource_path, ident, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*(("GET",) if resource._api_pdf_report else ()))
        _check_scope(resource, "read")
        if_none_match = request.httprequest.headers.get("If-None-Match")
        etag, pdf, filename = resource._api_pdf(ident, if_none_match)
        if pdf is None:
            return _not_modified(etag)
        return _file_response(pdf, "application/pdf", filename, etag)

    @http.route(f"{API_PREFIX}/<string:resource_path>/<string:ident>/attachments", **API_ROUTE)
    @api_endpoint
    def attachments(self, resource_path, ident, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*(("GET", "POST") if resource._api_attachments else ()))
        if request.httprequest.method == "GET":
            _check_scope(resource, "read")
            rows, pagination = resource._api_attachment_list(ident, request.httprequest.args)
            return json_response({"data": rows, "pagination": pagination})
        _check_scope(resource, "write")
        resource._api_attachment_record(ident)  # 404 before anything is claimed
        _authorize_write(resource, "action", ident=ident)
        name, mimetype, content = _read_upload()
        attachment = resource._api_attachment_create(ident, name, mimetype, content)
        row = resource._api_attachment_rows(attachment)[0]
        location = f"{API_PREFIX}/{resource_path}/{ident}/attachments/{attachment.id}"
        return json_response({"data": row}, status=201, headers={"Location": location})

    @http.route(
        f"{API_PREFIX}/<string:resource_path>/<string:ident>/attachments/<string:attachment_id>",
        **API_ROUTE,
    )
    @api_endpoint
    def attachment(self, resource_path, ident, attachment_id, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*(("GET",) if resource._api_attachments else ()))
        _check_scope(resource, "read")
        attachment = resource._api_attachment_get(ident, attachment_id)
        etag = f'"{attachment.checksum or attachment.id}"'
        if documents.etag_matches(request.httprequest.headers.get("If-None-Match"), etag):
            return _not_modified(etag)
        mimetype = attachment.mimetype or "application/octet-stream"
        if documents.never_served(mimetype):  # stored by other means than this API
            mimetype = "application/octet-stream"
        return _file_response(attachment.raw or b"", mimetype, attachment.name or "file", etag)
