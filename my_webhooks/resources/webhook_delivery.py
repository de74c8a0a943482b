"""/api/v1/webhook-deliveries: an integration operates its outbound
webhooks from code, as GitHub, Stripe and Svix let it: which deliveries
went out and how each attempt went, send one again, ping a receiver,
recover what a receiver missed during an outage, rotate the signing secret.

Guarded like the endpoints (my_webhooks/resources/webhook_endpoint.py): the
OAuth2 scope `webhooks:manage`, and Odoo's access rights and record rules,
which show a webhook manager the deliveries of their own endpoints only
and an administrator all of them. A delivery or endpoint the caller may
not see is a 404, never a 403: its existence is not the caller's to learn.

Webhook managers may read deliveries, not write them (the outbox is the
system's): the writes here (redeliver, recover) need write access to the
delivery's endpoint, then change the outbox rows as the system (sudo).
The routes themselves are in controllers/webhooks_api.py.
"""

import json
import time
import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from odoo.addons.my_api.public import DATE_FILTER_RULE, ApiError, eq, s, to_json_value

from ..lib import outbound
from ..lib.signing import signature_headers

STATES = ["pending", "retrying", "delivered", "dead"]
# what recover sends again: the deliveries that did not succeed and are not
# waiting for their first attempt (dead: out of attempts; retrying: failed
# and waiting for the next one, which recover brings forward)
RECOVERABLE_STATES = ("dead", "retrying")
PING_TIMEOUT = 10  # seconds at most, whatever the endpoint's timeout: the caller waits
PING_VERSION = "1"

ATTEMPT = s.Object(
    {
        "attempt": s.Field("integer", description="1 for the first attempt"),
        "at": s.Field("string", format="date-time", description="When it started (UTC)"),
        "status": s.Field(
            "integer", nullable=True, description="The receiver's HTTP status; null: no answer"
        ),
        "duration_ms": s.Field("integer"),
        "error": s.Field("string", nullable=True),
        "response_excerpt": s.Field(
            "string", nullable=True, description="The beginning of the receiver's answer"
        ),
    }
)

DELIVERY_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "endpoint_id": s.Field("integer"),
        "event_id": s.Field(
            "string", description="The event id (`webhook-id`), the same on every attempt"
        ),
        "event": s.Field("string", example="create"),
        "model": s.Field("string", example="res.partner"),
        "record_id": s.Field("integer", nullable=True),
        "state": s.Field("string", enum=STATES),
        "attempt_count": s.Field("integer"),
        "next_attempt_at": s.Field("string", format="date-time", nullable=True),
        "delivered_at": s.Field("string", format="date-time", nullable=True),
        "last_status": s.Field("integer", nullable=True),
        "last_error": s.Field("string", nullable=True),
        "created_at": s.Field("string", format="date-time"),
        "attempts": s.Array(ATTEMPT, description="Detail only: every attempt, oldest first"),
    }
)


class ApiResourceWebhookDelivery(models.AbstractModel):
    _name = "api.resource.webhook_delivery"
    _inherit = "api.resource"
    _description = "REST API resource: webhook deliveries"

    _api_path = "webhook-deliveries"
    _api_scope = "webhooks:manage"
    _api_model = "webhook.delivery"
    _api_description = "outbound webhook deliveries and their attempts"
    _api_operations = ("list", "get")
    _api_filters = {
        "endpoint_id": (
            s.Id(description="Only the deliveries of this endpoint"),
            eq("endpoint_id"),
        ),
        "state": (s.Field("string", enum=STATES), eq("state")),
        "event": (
            s.Field("string", max_length=64, description="create, write, unlink, test, ..."),
            eq("event"),
        ),
        "since": (
            s.Field(
                "string",
                format="date-time",
                description=f"Created at or after this time. {DATE_FILTER_RULE}: "
                "since=2026-01-31 is from the start of that day.",
            ),
            lambda span: [("create_date", ">=", span.start)],
        ),
    }
    _api_orders = {"id": "id", "created_at": "create_date"}
    _api_default_order = "-id"
    _api_read_schema = DELIVERY_READ

    @api.model
    def _api_descriptor(self):
        return dict(super()._api_descriptor(), title="WebhookDelivery")

    @api.model
    def _api_render(self, records, detail=False):
        rows = []
        for delivery in records:
            row = {
                "id": delivery.id,
                "endpoint_id": delivery.endpoint_id.id,
                "event_id": delivery.event_id,
                "event": delivery.event,
                "model": delivery.model,
                "record_id": delivery.res_id or None,
                "state": delivery.state,
                "attempt_count": delivery.attempt_count,
                "next_attempt_at": delivery.next_attempt_at
                if delivery.state in ("pending", "retrying")
                else None,
                "delivered_at": delivery.delivered_at or None,
                "last_status": delivery.last_status_code or None,
                "last_error": delivery.last_error or None,
                "created_at": delivery.create_date,
            }
            if detail:
                row["attempts"] = [
                    {
                        "attempt": attempt.attempt_no,
                        "at": attempt.date,
                        "status": attempt.status_code or None,
                        "duration_ms": attempt.duration_ms,
                        "error": attempt.error or None,
                        "response_excerpt": attempt.response_excerpt or None,
                    }
                    for attempt in attempt_rows(delivery)
                ]
            rows.append(row)
        return rows

    # ------------------------------------------------------------ lookups
    @api.model
    def _api_resolve(self, ident):
        # GET /webhook-deliveries/{id} too: another user's delivery is a 404
        return self._api_resolve_hidden(super(), ident)

    @api.model
    def _api_resolve_hidden(self, resource, ident):
        """`resource`'s record `ident`, with a 404 (not a 403) for a record
        the caller's rules hide: another user's endpoint or delivery. A
        caller without any right on the model is told so (403)."""
        resource._api_records().check_access("read")
        try:
            return resource._api_resolve(ident)
        except AccessError:
            raise ApiError(404, f"{resource._api_path} {ident} not found", "not_found") from None

    @api.model
    def _api_endpoint_record(self, ident, access="read"):
        endpoint_resource = self.env["api.resource.webhook_endpoint"]
        endpoint = self._api_resolve_hidden(endpoint_resource, ident)
        if access == "write":
            endpoint.check_access("write")
        return endpoint

    @api.model
    def _api_delivery_record(self, ident, access="read"):
        delivery = self._api_resolve_hidden(self, ident)
        if access == "write":
            # a manager may not write the outbox: the right that counts is
            # the one on the endpoint the delivery belongs to
            delivery.endpoint_id.check_access("write")
        return delivery

    # ------------------------------------------------------------ actions
    @api.model
    def _api_endpoint_deliveries(self, ident, args):
        """(rows, pagination) of GET /webhook-endpoints/{id}/deliveries: the
        list of this resource, for one endpoint."""
        endpoint = self._api_endpoint_record(ident)
        if "endpoint_id" in args:
            raise ApiError(
                400,
                "endpoint_id: the endpoint is the one of the path",
                "validation_error",
                [{"field": "endpoint_id", "issue": "unknown_parameter"}],
            )
        args = args.copy()
        args["endpoint_id"] = str(endpoint.id)
        return self._api_list(args)

    @api.model
    def _api_redeliver(self, delivery):
        """Queue `delivery` again, with its event id (receivers dedupe on
        it) and a fresh attempt budget; its attempt log stays. Any state:
        a delivered one too (a receiver that lost what it acknowledged asks
        for it again, as GitHub's redelivery allows)."""
        # sudo: the caller may write the delivery's endpoint (checked by
        # _api_delivery_record); the outbox row is the system's
        delivery.sudo().action_resend()
        return delivery

    @api.model
    def _api_recover(self, endpoint, since):
        """Queue again every delivery of `endpoint` created at or after
        `since` that did not succeed (RECOVERABLE_STATES); return how many."""
        # sudo: as _api_redeliver, for the endpoint the caller may write
        failed = (
            self.env["webhook.delivery"]
            .sudo()
            .search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("create_date", ">=", since),
                    ("state", "in", RECOVERABLE_STATES),
                ]
            )
        )
        if failed:
            failed.action_resend()
        return len(failed)

    @api.model
    def _api_ping_payload(self, event_id, now):
        """The body of a ping: the business event shape, type `ping`."""
        return {
            "type": "ping",
            "id": event_id,
            "created_at": to_json_value(now),
            "version": PING_VERSION,
            "data": {"message": "ping from Odoo"},
        }

    @api.model
    def _api_ping(self, endpoint):
        """POST a signed `ping` event to `endpoint` now and report how the
        receiver answered: {ok, status, latency_ms, error, event_id}.

        Synchronous and not stored (no outbox row, no attempt, no change of
        the endpoint's health): a ping tells the caller whether the
        receiver is up and checks its signatures, nothing else. Bounded by
        the endpoint's timeout and PING_TIMEOUT; the target is checked as
        every delivery's (allowed targets, resolved once). Never raises:
        a receiver that is down or slow is an answer with `ok` false.
        """
        event_id = "evt_" + uuid.uuid4().hex
        body = json.dumps(
            self._api_ping_payload(event_id, fields.Datetime.now()), separators=(",", ":")
        ).encode()
        # sudo: the signing secrets and custom headers are administrator-only;
        # the caller may write this endpoint (checked by the route), and
        # they sign and go with the ping, never back to the caller
        secrets_ = endpoint.sudo()._signing_secrets()
        try:
            headers = endpoint.sudo()._parse_custom_headers()
        except ValidationError:
            # the message quotes the header line: it may hold a credential
            headers = None
        if headers is None:
            result = outbound.Result(
                None, 0, error="the endpoint's custom headers are invalid; correct them"
            )
        else:
            headers["X-Odoo-Event"] = "ping"
            headers.update(signature_headers(secrets_, event_id, time.time(), body))
            timeout = min(endpoint.timeout or PING_TIMEOUT, PING_TIMEOUT)
            allow_list = self.env["webhook.endpoint"]._allow_list()
            with outbound.Transport(allow_list=allow_list) as transport:
                result = transport.post(endpoint.url, body, headers, timeout=timeout)
        error = result.error or None
        if not error and not result.ok:
            error = f"the receiver answered {result.status}"
        return {
            "ok": result.ok and not result.error,
            "event_id": event_id,
            "status": result.status,
            "latency_ms": result.duration_ms,
            "error": error,
            "response_excerpt": result.excerpt[:500] or None,
        }

    @api.model
    def _api_rotate_secret(self, endpoint):
        """Rotate the endpoint's signing secret (the model's own rotation:
        the old secret keeps signing for the overlap); return the new secret,
        shown once, with the old one's end. Rotating again within the
        overlap drops the oldest secret at once: only two sign."""
        # sudo: the secret fields are administrator-only; the caller may
        # write this endpoint (checked by the route) and receives the new
        # secret once, as it set one on create
        endpoint = endpoint.sudo()
        endpoint.action_rotate_secret()
        return {
            "secret": endpoint.secret,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at,
            "overlap_hours": endpoint.rotation_overlap_hours,
        }


def attempt_rows(delivery):
    """The delivery's attempts, oldest first."""
    return delivery.attempt_ids.sorted(lambda attempt: (attempt.attempt_no, attempt.id))
