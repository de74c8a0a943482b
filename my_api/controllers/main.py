"""Routes of /api/v1. Thin: parse, authenticate (auth="api_v1"), call one
resource method, render. Every route accepts every method and answers 405
itself, so that even a wrong method gets the JSON envelope."""

from odoo import http
from odoo.http import Response, request

from ..core import (
    API_PREFIX,
    ApiError,
    api_endpoint,
    idempotency_checkpoint,
    json_read_response,
    json_response,
    read_json_body,
)
from ..lib.docs import render_docs
from ..lib.prefer import wants_primary

READ_METHODS = ("GET", "HEAD")


def readonly_reads(_controller, _rule, _args):
    """Reads may run on a replica (Odoo's db_replica_host); a client that
    must see its own write at once sends `Prefer: read-your-writes` and is
    read from the primary (README.md, "Running several servers")."""
    if request.httprequest.method not in READ_METHODS:
        return False
    return not wants_primary(request.httprequest.headers.get("Prefer"))


def _method_not_allowed(allowed):
    return ApiError(
        405,
        f"method {request.httprequest.method} is not allowed here; use {', '.join(allowed)}",
        "method_not_allowed",
        headers={"Allow": ", ".join(allowed)},
    )


def require_method(*allowed):
    """405 (with Allow) unless the request's method is one of `allowed`,
    the methods the document lists for this path (none: it has no such
    path, 404)."""
    if not allowed:
        raise ApiError(
            404, f"no route {request.httprequest.path}; see {API_PREFIX}/docs", "not_found"
        )
    if request.httprequest.method not in allowed:
        raise _method_not_allowed(allowed)


def _check_scope(resource, access):
    """OAuth2 scopes (`<path>:read` / `<path>:write`, or the resource's own
    `_api_scope`) on top of access rights."""
    credential = request.api_context.credential
    scope = resource._api_required_scope(access)
    if not credential.has_scope(scope):
        raise ApiError(
            403,
            f"this token lacks the {scope} scope",
            "insufficient_scope",
            headers={
                "WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", '
                f'scope="{scope}"'
            },
        )


def _authorize_write(resource, operation, body=None, ident=None):
    """Everything that decides whether the caller may make this write call,
    then the Idempotency-Key claim. In that order: a replay must answer only
    a call the caller may still make (a token's scopes, a user's groups and
    the records their rules let them change all change; the stored answer
    does not)."""
    _check_scope(resource, "write")
    resource._api_check_allowed(operation, body, ident)
    idempotency_checkpoint()


# The routing of an authenticated /api/v1 route (auth="api_v1": see
# ir.http._api_authenticate): no CSRF token, no session saved, read-only
# cursor for GET and HEAD. Public: sibling addons route with it too.
API_ROUTE = {
    "type": "http",
    "auth": "api_v1",
    "csrf": False,
    "save_session": False,
    "readonly": readonly_reads,
}


def _openapi_document():
    base_url = request.env["api.resource"].get_base_url().rstrip("/")  # web.base.url, not headers
    return request.env["api.resource"]._api_openapi_document(base_url)


class ApiV1Controller(http.Controller):
    @http.route(
        f"{API_PREFIX}/openapi.json",
        type="http",
        auth="public",
        csrf=False,
        readonly=readonly_reads,
    )
    @api_endpoint
    def openapi(self, **_params):
        require_method("GET")
        return json_response(_openapi_document())

    @http.route(
        f"{API_PREFIX}/docs", type="http", auth="public", csrf=False, readonly=readonly_reads
    )
    @api_endpoint
    def docs(self, **_params):
        require_method("GET")
        return Response(
            render_docs(_openapi_document()),
            headers=[("Content-Type", "text/html; charset=utf-8")],
        )

    @http.route(f"{API_PREFIX}/me", **API_ROUTE)
    @api_endpoint
    def me(self, **_params):
        require_method("GET")
        return json_response(
            {"data": request.env["res.users"]._api_me(request.api_context.credential)}
        )

    @http.route(f"{API_PREFIX}/<string:resource_path>", **API_ROUTE)
    @api_endpoint
    def collection(self, resource_path, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*resource._api_allowed_methods("collection"))
        if request.httprequest.method == "GET":
            _check_scope(resource, "read")
            resource = resource._api_with_read_params(request.httprequest.args)
            rows, pagination = resource._api_list(request.httprequest.args)
            # the page's ETag: a digest of its body, rows and pagination
            return json_read_response({"data": rows, "pagination": pagination})
        _authorize_write(resource, "create")
        record, created = resource._api_create(read_json_body())
        data = resource._api_rows(record, detail=True)[0]
        headers = {"Location": f"{API_PREFIX}/{resource_path}/{record.id}"}
        return json_response({"data": data}, status=201 if created else 200, headers=headers)

    @http.route(f"{API_PREFIX}/<string:resource_path>/batch", **API_ROUTE)
    @api_endpoint
    def batch(self, resource_path, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*resource._api_allowed_methods("batch"))
        _check_scope(resource, "write")
        body = read_json_body()
        _authorize_write(resource, "batch", body)
        return json_response({"data": resource._api_batch(body)})

    @http.route(f"{API_PREFIX}/<string:resource_path>/aggregate", **API_ROUTE)
    @api_endpoint
    def aggregate(self, resource_path, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*resource._api_allowed_methods("aggregate"))
        _check_scope(resource, "read")
        return json_response(resource._api_aggregate_run(request.httprequest.args))

    @http.route(f"{API_PREFIX}/<string:resource_path>/changes", **API_ROUTE)
    @api_endpoint
    def changes(self, resource_path, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*resource._api_allowed_methods("changes"))
        _check_scope(resource, "read")
        return json_response(resource._api_changes_run(request.httprequest.args))

    @http.route(f"{API_PREFIX}/<string:resource_path>/<string:ident>", **API_ROUTE)
    @api_endpoint
    def item(self, resource_path, ident, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*resource._api_allowed_methods("item"))
        method = request.httprequest.method
        if_match = request.httprequest.headers.get("If-Match")
        if method == "GET":
            _check_scope(resource, "read")
            resource = resource._api_with_read_params(request.httprequest.args)
            data = resource._api_get(ident)
            return json_read_response({"data": data}, resource._api_etag(data))
        _check_scope(resource, "write")
        if method == "PUT":
            record, created = resource._api_upsert(ident, read_json_body(), if_match)
            data = resource._api_rows(record, detail=True)[0]
            headers = {"ETag": resource._api_etag(data)}
            if created:
                headers["Location"] = f"{API_PREFIX}/{resource_path}/{record.id}"
            return json_response({"data": data}, status=201 if created else 200, headers=headers)
        if method == "PATCH":
            record = resource._api_update(ident, read_json_body(), if_match)
            data = resource._api_rows(record, detail=True)[0]
            return json_response({"data": data}, headers={"ETag": resource._api_etag(data)})
        resource._api_delete(ident, if_match)
        return json_response({"data": {"deleted": True}})

    @http.route(f"{API_PREFIX}/<string:resource_path>/<string:ident>/<string:action>", **API_ROUTE)
    @api_endpoint
    def action(self, resource_path, ident, action, **_params):
        resource = request.env["api.resource"]._api_get_resource(resource_path)
        require_method(*resource._api_allowed_methods("action"))
        _authorize_write(resource, "action", ident=ident)
        record = resource._api_action(ident, action, read_json_body(required=False))
        return json_response({"data": resource._api_rows(record, detail=True)[0]})

    @http.route(
        [API_PREFIX, f"{API_PREFIX}/<path:_rest>"],
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
        readonly=readonly_reads,  # auth="none" alone would make every method read-only
    )
    @api_endpoint
    def not_found(self, **_params):
        raise ApiError(
            404, f"no route {request.httprequest.path}; see {API_PREFIX}/docs", "not_found"
        )
