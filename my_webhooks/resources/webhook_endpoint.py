"""/api/v1/webhook-endpoints: an integration manages its own outbound
webhook subscriptions.

Guarded by the single OAuth2 scope `webhooks:manage` (reading and writing)
and by Odoo's access rights (group Webhooks / Manager, own endpoints only).
Every write counts against a rate limit of its own
(`my_webhooks.endpoint_write_limit` per minute and user), which JSON-2 and
the web client share for the writes that rewrite automation rules: each may
reload every worker's registry. The signing secret
is write-only: required on create, settable on update, never rendered (a
POST answer may be stored by the Idempotency-Key machinery).
"""

from odoo import api, models

from odoo.addons.my_api.public import (
    ApiError,
    current_context,
    eq,
    ilike,
    s,
    validation_error,
)

from ..lib import events
from ..lib.signing import SECRET_PREFIX, check_secret
from ..models.webhook_endpoint import WRITE_WINDOW

TRIGGERS = ["create", "write", "unlink"]
# ---- business events (see lib/events.py): what an endpoint may subscribe to
SUBSCRIBABLE_TYPES = sorted(name for name in events.EVENT_TYPES if name != events.PING)
PAYLOAD_VERSIONS = sorted(events.PAYLOAD_VERSIONS)
EVENT_TYPES_DESCRIPTION = (
    "Business events sent (GET /api/v1/event-types); an endpoint has either event_types "
    "or model and trigger"
)
# ----
# what check_secret accepts: the prefix, then base64 of at least 24 bytes
SIGNING_KEY_SHAPE = (
    f"{SECRET_PREFIX}(?:[A-Za-z0-9+/]{{4}}){{8,}}(?:[A-Za-z0-9+/]{{2}}==|[A-Za-z0-9+/]{{3}}=)?"
)

ENDPOINT_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string"),
        "url": s.Field("string", format="uri"),
        "model": s.Field(
            "string",
            nullable=True,
            example="res.partner",
            description="Technical model name (null: an endpoint of event types)",
        ),
        "trigger": s.Field("string", enum=TRIGGERS, nullable=True),
        "event_types": s.Array(
            s.Field("string", enum=SUBSCRIBABLE_TYPES), description=EVENT_TYPES_DESCRIPTION
        ),
        "payload_version": s.Field(
            "string", enum=PAYLOAD_VERSIONS, description="The business event payload version"
        ),
        "active": s.Field("boolean"),
        "domain": s.Field(
            "string", nullable=True, description="Domain filter: only matching records send"
        ),
        "watched_fields": s.Array(
            s.Field("string"), description="For updates: only a change of these fields sends"
        ),
        "payload_fields": s.Array(
            s.Field("string"), description="Fields sent in `data` (empty: the default set)"
        ),
        "timeout": s.Field("integer"),
        "max_attempts": s.Field("integer"),
        "last_status": s.Field("string", nullable=True),
        "last_error": s.Field("string", nullable=True),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def _write_schema(create):
    return s.Object(
        {
            "name": s.Field("string", required=create, max_length=256),
            "url": s.Field("string", required=create, max_length=2048),
            "model": s.Field(
                "string",
                max_length=128,
                example="res.partner",
                description="With trigger; not with event_types (one of the two on create)",
            ),
            "trigger": s.Field("string", enum=TRIGGERS),
            "event_types": s.Array(
                s.Field("string", enum=SUBSCRIBABLE_TYPES),
                max_items=len(SUBSCRIBABLE_TYPES),
                description=EVENT_TYPES_DESCRIPTION,
            ),
            "payload_version": s.Field(
                "string",
                enum=PAYLOAD_VERSIONS,
                description=f"Default {events.CURRENT_VERSION}, the current one",
            ),
            "active": s.Field("boolean"),
            "domain": s.Field("string", nullable=True, max_length=4096),
            "watched_fields": s.Array(s.Field("string"), max_items=200),
            "payload_fields": s.Array(s.Field("string"), max_items=500),
            "timeout": s.Field("integer", minimum=1, maximum=30),
            "max_attempts": s.Field("integer", minimum=1, maximum=50),
            "secret": s.Field(
                "string",
                required=create,
                max_length=512,
                pattern=SIGNING_KEY_SHAPE,
                pattern_hint=f"be {SECRET_PREFIX} followed by the base64 of at least 24 bytes",
                description=f"Write-only signing secret: `{SECRET_PREFIX}` + base64 of at "
                "least 24 random bytes. Never returned.",
            ),
        }
    )


class ApiResourceWebhookEndpoint(models.AbstractModel):
    _name = "api.resource.webhook_endpoint"
    _inherit = "api.resource"
    _description = "REST API resource: webhook endpoints"

    _api_path = "webhook-endpoints"
    _api_scope = "webhooks:manage"
    _api_model = "webhook.endpoint"
    _api_description = "outbound webhook endpoints (subscriptions)"
    _api_operations = ("list", "get", "create", "update", "delete")
    _api_filters = {
        "name": (s.Field("string", description="Part of the name"), ilike("name")),
        "model": (s.Field("string", description="Technical model name"), eq("model_id.model")),
        "trigger": (s.Field("string", enum=TRIGGERS), eq("trigger")),
        "active": (s.Field("boolean"), eq("active")),
    }
    _api_orders = {"id": "id", "name": "name", "updated_at": "write_date"}
    _api_default_order = "id"
    _api_read_schema = ENDPOINT_READ
    _api_create_schema = _write_schema(True)
    _api_update_schema = _write_schema(False)

    @api.model
    def _api_descriptor(self):
        return dict(super()._api_descriptor(), title="WebhookEndpoint")

    @api.model
    def _api_records(self):
        # an integration also sees (and may reactivate) the endpoints that
        # were disabled for failing
        return self.env[self._api_model].with_context(active_test=False)

    @api.model
    def _api_render(self, records, detail=False):
        # never the secret fields: they are write-only through the API
        return [
            {
                "id": endpoint.id,
                "name": endpoint.name,
                "url": endpoint.url,
                "model": endpoint.model_id.model or None,
                "trigger": endpoint.trigger if endpoint.model_id else None,
                "event_types": endpoint._event_type_names(),
                "payload_version": endpoint.payload_version or events.CURRENT_VERSION,
                "active": endpoint.active,
                "domain": endpoint.domain or None,
                "watched_fields": endpoint.watched_field_ids.mapped("name"),
                "payload_fields": endpoint.payload_field_ids.mapped("name"),
                "timeout": endpoint.timeout,
                "max_attempts": endpoint.max_attempts,
                "last_status": endpoint.last_status or None,
                "last_error": endpoint.last_error or None,
                "updated_at": endpoint.write_date,
            }
            for endpoint in records
        ]

    # ------------------------------------------------------------ writing
    @api.model
    def _api_count_write(self):
        """Count one endpoint write against the user's write bucket (the
        model's, which JSON-2 and the web client share); 429 beyond."""
        if current_context() is None:
            return
        hit = self.env["webhook.endpoint"]._write_bucket_hit()
        if hit and hit[0] > hit[1]:
            _hits, limit, reset = hit
            raise ApiError(
                429,
                f"webhook endpoint write limit of {limit} per {WRITE_WINDOW} s exceeded; "
                f"retry in {reset} s",
                "rate_limited",
                headers={"Retry-After": str(reset)},
            )

    @api.model
    def _api_model_record(self, name):
        model = self.env["ir.model"]._get(name) if name else self.env["ir.model"]
        if not model:
            raise validation_error("model", "not_found", f"unknown model {name!r}")
        return model

    @api.model
    def _api_field_ids(self, model, names, key):
        found = self.env["ir.model.fields"].search(
            [("model_id", "=", model.id), ("name", "in", names)]
        )
        unknown = sorted(set(names) - set(found.mapped("name")))
        if unknown:
            raise validation_error(
                key, "not_found", f"{key}: no field {', '.join(unknown)} on {model.model}"
            )
        return found.ids

    @api.model
    def _api_values(self, body, model):
        values = {
            key: body[key]
            for key in ("name", "url", "trigger", "active", "timeout", "max_attempts")
            if key in body
        }
        if "domain" in body:
            values["domain"] = body["domain"] or False
        if "model" in body:
            values["model_id"] = model.id
        # ---- business events
        if "event_types" in body:
            values["event_types"] = ",".join(body["event_types"]) or False
        if "payload_version" in body:
            values["payload_version"] = body["payload_version"]
        # ----
        for key, field_name in (
            ("watched_fields", "watched_field_ids"),
            ("payload_fields", "payload_field_ids"),
        ):
            if key in body:
                values[field_name] = [(6, 0, self._api_field_ids(model, body[key], key))]
        return values

    @api.model
    def _api_before_write(self, operation):
        # every create, update and delete counts, a refused one too
        self._api_count_write()

    @api.model
    def _api_check_body(self, body, record=None):
        if "secret" not in body:
            return
        try:
            check_secret(body["secret"])
        except ValueError as exc:
            raise validation_error("secret", "invalid_value", f"secret: {exc}") from None

    @api.model
    def _api_prepare_create(self, body):
        # the model's own create (the base pipeline's) then creates the
        # endpoint's automation rule
        model = self._api_model_record(body["model"]) if "model" in body else None
        return self._api_values(body, model or self.env["ir.model"])

    @api.model
    def _api_prepare_update(self, record, body):
        # the model's own write then keeps the automation rule in step
        model = self._api_model_record(body["model"]) if "model" in body else record.model_id
        return self._api_values(body, model)

    @api.model
    def _api_after_write(self, record, body, created):
        # the secret (required on create) is no ORM value of the caller's:
        # see _api_set_secret
        if "secret" in body:
            self._api_set_secret(record, body["secret"])

    @api.model
    def _api_set_secret(self, endpoint, secret):
        # sudo: the secret fields are administrator-only (groups=) so that a
        # webhook manager can never read them back; the API lets the manager
        # set the secret the receiver was given, the user's write access to
        # the endpoint having been checked just before
        endpoint.check_access("write")
        endpoint.sudo().secret = secret
