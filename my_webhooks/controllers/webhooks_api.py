"""Routes that operate outbound webhooks from code (see
resources/webhook_delivery.py for what each does and who may).

Thin, as my_api's routes: method, scope (`webhooks:manage`, for reading
and writing), the records the caller may see (404 otherwise) and write,
then the Idempotency-Key claim, then one resource call. The delivery
detail and the list of every delivery are the resource framework's own
routes (GET /webhook-deliveries, GET /webhook-deliveries/{id}).
"""

from odoo import http
from odoo.http import request

from odoo.addons.my_api.public import (
    API_PREFIX,
    API_ROUTE,
    ApiError,
    api_endpoint,
    check_scope,
    idempotency_checkpoint,
    json_response,
    parse_datetime,
    require_method,
)

ENDPOINTS = f"{API_PREFIX}/webhook-endpoints/<string:ident>"
DELIVERIES = f"{API_PREFIX}/webhook-deliveries/<string:ident>"


def _deliveries():
    return request.env["api.resource.webhook_delivery"]


def _authorized_endpoint(ident):
    """The endpoint of a write route, once the caller may write it."""
    resource = _deliveries()
    check_scope(resource, "write")
    endpoint = resource._api_endpoint_record(ident, access="write")
    idempotency_checkpoint()
    return endpoint


class WebhooksApiController(http.Controller):
    @http.route(f"{ENDPOINTS}/deliveries", **API_ROUTE)
    @api_endpoint
    def endpoint_deliveries(self, ident, **_params):
        require_method("GET")
        resource = _deliveries()
        check_scope(resource, "read")
        rows, pagination = resource._api_endpoint_deliveries(ident, request.httprequest.args)
        return json_response({"data": rows, "pagination": pagination})

    @http.route(f"{DELIVERIES}/redeliver", **API_ROUTE)
    @api_endpoint
    def redeliver(self, ident, **_params):
        require_method("POST")
        resource = _deliveries()
        check_scope(resource, "write")
        delivery = resource._api_delivery_record(ident, access="write")
        idempotency_checkpoint()
        resource._api_redeliver(delivery)
        return json_response({"data": resource._api_rows(delivery, detail=True)[0]}, status=202)

    @http.route(f"{ENDPOINTS}/ping", **API_ROUTE)
    @api_endpoint
    def ping(self, ident, **_params):
        require_method("POST")
        endpoint = _authorized_endpoint(ident)
        return json_response({"data": _deliveries()._api_ping(endpoint)})

    @http.route(f"{ENDPOINTS}/recover", **API_ROUTE)
    @api_endpoint
    def recover(self, ident, **_params):
        require_method("POST")
        args = request.httprequest.args
        unknown = sorted(set(args) - {"since"})
        if unknown or "since" not in args or len(args.getlist("since")) > 1:
            raise ApiError(
                400,
                "recover takes one query parameter, since=<ISO 8601 timestamp with its offset>",
                "validation_error",
                [{"field": name, "issue": "unknown_parameter"} for name in unknown]
                or [{"field": "since", "issue": "required"}],
            )
        since = parse_datetime(args["since"], "since")
        endpoint = _authorized_endpoint(ident)
        count = _deliveries()._api_recover(endpoint, since)
        return json_response(
            {"data": {"endpoint_id": endpoint.id, "since": since, "requeued": count}}, status=202
        )

    @http.route(f"{ENDPOINTS}/rotate-secret", **API_ROUTE)
    @api_endpoint(refuse_idempotency_key=True)
    def rotate_secret(self, ident, **_params):
        require_method("POST")
        endpoint = _authorized_endpoint(ident)
        return json_response({"data": _deliveries()._api_rotate_secret(endpoint)})
