"""GET /api/v1/event-types: the catalog of business events (lib/events.py),
each with the JSON Schema of its payload and an example. Public, as
/api/v1/openapi.json: it documents, it reads no record."""

from odoo import http
from odoo.http import request

from odoo.addons.my_api.public import (
    API_PREFIX,
    api_endpoint,
    json_response,
    readonly_reads,
    require_method,
)


class WebhookEventTypesController(http.Controller):
    @http.route(
        f"{API_PREFIX}/event-types",
        type="http",
        auth="public",
        csrf=False,
        readonly=readonly_reads,
    )
    @api_endpoint
    def event_types(self, **_params):
        require_method("GET")
        return json_response(request.env["api.resource"]._api_event_catalog())
