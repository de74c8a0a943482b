"""`/api/v1/webhooks/<source>`: intake of inbound webhooks.

No Odoo session: the signature is the credential (auth="none", no CSRF token,
no session saved). The route is more specific than my_api's
`/api/v1/<resource_path>/<ident>`, so werkzeug matches it first. Thin:
parse, hand the raw request to the intake service (`services/intake.py`:
verify, store, enqueue), render. Every method reaches it and answers 405
itself, so that even a wrong method gets the JSON envelope.
"""

from odoo import http
from odoo.http import request

from odoo.addons.my_api.public import (
    ApiError,
    api_endpoint,
    ensure_context,
    json_response,
    request_body,
    require_method,
)

from ..models.webhook_source import WEBHOOKS_PATH
from ..services import intake


class WebhookInboundController(http.Controller):
    @http.route(
        f"{WEBHOOKS_PATH}/<string:source>",
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
        # an auth="none" route is read-only unless it says otherwise: with a
        # read replica (db_replica_host) that would be a replica cursor, and
        # waking the processing cron writes in the request's transaction
        readonly=False,
    )
    @api_endpoint
    def receive(self, source, **_params):
        require_method("POST")
        if not request.db:
            raise ApiError(404, "no database selected (send X-Odoo-Database)", "not_found")
        httprequest = request.httprequest
        status, answer = intake.receive(
            request.env,
            source,
            request_body,  # read once the source's limit is known, never past it
            httprequest.headers,
            request_id=ensure_context().request_id,
            content_length=httprequest.content_length,
        )
        return json_response(answer, status=status)
