import datetime
import json
import logging
import time
import uuid

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.my_api.public import (
    current_context,
    once_per_request,
    side_execute,
    to_json_value,
)

from ..lib import events, outbound, retry, subscription
from ..lib.signing import generate_secret
from ..settings import SETTINGS, setting

_logger = logging.getLogger(__name__)

# endpoint trigger -> base.automation trigger of the rule it owns
RULE_TRIGGERS = {"create": "on_create", "write": "on_write", "unlink": "on_unlink"}
# the fields of an endpoint its automation rule mirrors
RULE_FIELDS = {"name", "model_id", "trigger", "domain", "watched_field_ids", "active"}
# rule fields whose change recomputes the rule's other fields (base.automation
# resets the trigger with the model, and the domain and watched fields with
# the trigger): with one of them, all the rule's values are written again
RULE_RESETTING_FIELDS = {"model_id", "trigger"}
# Rewriting an endpoint's automation rule reloads the registry of every
# worker (or clears their caches): such writes have a bucket of their own,
# `endpoint_write_limit` per window and user, whichever way they come
WRITE_WINDOW = 60  # seconds
# the fields of an endpoint that decide what its owner reads, checked
# against the rights of a user who is no administrator
SUBSCRIPTION_FIELDS = {
    "model_id",
    "watched_field_ids",
    "payload_field_ids",
    "domain",
    "user_id",
    "event_types",
}
# the fields of an endpoint the business event rules depend on (see
# _sync_event_rules): which types some active endpoint subscribes to
EVENT_RULE_FIELDS = {"event_types", "active"}
# headers a custom header may not override: the signature set and the framing
RESERVED_HEADERS = {
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
    "x-odoo-event",
    "x-odoo-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
}
# field types a default payload reads (binaries, x2many, non-stored and
# company-dependent fields are left out: a payload should be small and cheap
# to build inside the user's transaction)
DEFAULT_PAYLOAD_TYPES = {
    "char",
    "text",
    "integer",
    "float",
    "monetary",
    "boolean",
    "date",
    "datetime",
    "selection",
    "many2one",
}
# the period of an endpoint's success rate and latency on its kanban card
HEALTH_WINDOW = datetime.timedelta(hours=24)
# kanban colours (web's ColorList indexes) of the endpoints' health: an
# active endpoint with this many dead deliveries, or this many waiting ones
# (pending or retrying), is red whether its last attempt failed or not
HEALTH_COLORS = {"disabled": 0, "alert": 1, "failing": 2, "healthy": 10}
HEALTH_DEAD_ALERT = 10
HEALTH_BACKLOG_ALERT = 100
DEFAULT_PAYLOAD_SKIP = {"create_uid", "write_uid", "create_date", "message_main_attachment_id"}


def _json_default(value):
    """Values json cannot write: timestamps in the API's format (UTC, Z),
    anything else as its text."""
    rendered = to_json_value(value)
    return str(value) if rendered is value else rendered


class WebhookEndpoint(models.Model):
    """A receiver of signed webhooks for one model and trigger, or for
    named business events (`event_types`, see lib/events.py).

    Each endpoint owns one automation rule (base.automation) whose only
    action is a "Send signed webhook" server action pointing back to the
    endpoint: the rule decides *when* (trigger, domain filter, watched
    fields), the action writes the event to the outbox (webhook.delivery)
    in the transaction of the change, and the delivery cron sends it after
    commit. The rule is created, updated and deleted with the endpoint.

    An endpoint subscribed to business events owns no rule: the suite keeps
    one rule per event type that some active endpoint subscribes to (its
    action "Send business event" enqueues the event for every such
    endpoint), so that a second subscriber rewrites no rule and reloads no
    registry. Its payload is `{type, id, created_at, version, data}`, data
    rendered by the matching /api/v1 resource with the owner's rights, in
    the payload version the endpoint pins.
    """

    _name = "webhook.endpoint"
    _description = "Webhook Endpoint"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    url = fields.Char(
        "URL", required=True, tracking=True, help="HTTPS address that receives the events."
    )
    secret = fields.Char(
        required=True,
        copy=False,
        default=lambda self: generate_secret(),
        groups="base.group_system",
        help="Signs every delivery (X-Odoo-Signature and webhook-signature).",
    )
    previous_secret = fields.Char(
        copy=False,
        groups="base.group_system",
        help="The secret before the last rotation; it signs too until the overlap ends.",
    )
    previous_secret_expires_at = fields.Datetime(
        "Previous secret valid until", copy=False, readonly=True
    )
    rotation_overlap_hours = fields.Integer(
        default=24,
        help="After a rotation, how long deliveries are signed with the old secret as well.",
    )
    model_id = fields.Many2one(
        "ir.model",
        "Model",
        ondelete="cascade",
        help="With a trigger: every matching change of its records is sent (not with event types).",
    )
    model_name = fields.Char(related="model_id.model", string="Model name")
    trigger = fields.Selection(
        [("create", "Created"), ("write", "Updated"), ("unlink", "Deleted")],
        required=True,
        default="create",
        tracking=True,
    )
    # ------------------------------------------------- business events
    event_types = fields.Char(
        "Event types",
        tracking=True,
        help="Business events sent, comma-separated (the catalog: GET /api/v1/event-types), "
        "e.g. sale.order.confirmed, res.partner.created. An endpoint has either event "
        "types or a model and trigger.",
    )
    payload_version = fields.Selection(
        "_selection_payload_version",
        default=events.CURRENT_VERSION,
        help="The version of the business event payload this endpoint receives (the catalog "
        "documents each); it changes only when you change it. Empty: the current one.",
    )
    # -----------------------------------------------------------------
    domain = fields.Char(
        "Only records matching",
        help="Domain filter: only matching records send an event (empty: all records).",
    )
    watched_field_ids = fields.Many2many(
        "ir.model.fields",
        "webhook_endpoint_watched_field_rel",
        "endpoint_id",
        "field_id",
        string="Watched fields",
        domain="[('model_id', '=', model_id), ('store', '=', True)]",
        help="For updates: send an event only when one of these fields changes (empty: any field).",
    )
    payload_field_ids = fields.Many2many(
        "ir.model.fields",
        "webhook_endpoint_payload_field_rel",
        "endpoint_id",
        "field_id",
        string="Payload fields",
        domain="[('model_id', '=', model_id)]",
        help="Fields sent in `data` (empty: the record's stored plain fields, "
        "relations as {id, name}).",
    )
    custom_headers = fields.Text(
        groups="base.group_system",
        help="Extra request headers, one `Name: value` per line (e.g. an Authorization header).",
    )
    timeout = fields.Integer(
        "Timeout (s)", default=15, help="Deadline of each whole attempt, 1 to 30 seconds."
    )
    max_attempts = fields.Integer(default=8, help="Attempts before a delivery is dead.")
    retry_schedule = fields.Char(
        help="Seconds to wait after each failed attempt, comma-separated (the last one "
        "repeats), before jitter. Empty: the system default (parameter "
        "my_webhooks.retry_schedule, else 1 min, 5 min, 30 min, 2 h, 8 h, 16 h, 24 h).",
    )
    retry_schedule_display = fields.Char("Attempts at", compute="_compute_retry_schedule_display")
    active = fields.Boolean(default=True, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        "Owner",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        default=lambda self: self.env.user,
        help="Payloads are read with this user's access rights (an administrator's "
        "endpoint reads everything); told by an activity when the endpoint is disabled "
        "for failing. Only an administrator gives an endpoint to somebody else.",
    )
    automation_id = fields.Many2one(
        "base.automation", "Automation rule", readonly=True, copy=False, ondelete="set null"
    )
    delivery_ids = fields.One2many("webhook.delivery", "endpoint_id", "Deliveries")
    delivery_count = fields.Integer(compute="_compute_delivery_count")
    failing_since = fields.Datetime(readonly=True, copy=False)
    last_status = fields.Char(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    # health at a glance (kanban): computed for a page of endpoints at once
    health_state = fields.Selection(
        [("healthy", "Healthy"), ("failing", "Failing"), ("disabled", "Disabled")],
        compute="_compute_health",
    )
    health_color = fields.Integer(compute="_compute_health")
    health_attempt_count = fields.Integer("Attempts (24 h)", compute="_compute_health")
    health_success_rate = fields.Float(
        "Success rate (24 h)",
        compute="_compute_health",
        help="Share of the attempts of the last 24 hours answered with a 2xx status.",
    )
    health_p95_ms = fields.Integer(
        "p95 latency (ms, 24 h)",
        compute="_compute_health",
        help="95 % of the attempts of the last 24 hours took at most this long.",
    )
    health_backlog = fields.Integer(
        "Backlog", compute="_compute_health", help="Deliveries waiting: pending or retrying."
    )
    health_dead_count = fields.Integer(
        "Dead deliveries",
        compute="_compute_health",
        help="Deliveries given up on, kept until someone resends or deletes them.",
    )

    _timeout_range = models.Constraint(
        "CHECK(timeout BETWEEN 1 AND 30)", "The timeout must be between 1 and 30 seconds."
    )
    _max_attempts_range = models.Constraint(
        "CHECK(max_attempts BETWEEN 1 AND 50)", "Max attempts must be between 1 and 50."
    )

    # ------------------------------------------------------------ computes
    @api.depends("max_attempts", "retry_schedule")
    def _compute_retry_schedule_display(self):
        for endpoint in self:
            endpoint.retry_schedule_display = retry.describe_schedule(
                endpoint._schedule(), endpoint.max_attempts
            )

    def _compute_delivery_count(self):
        counts = dict(
            self.env["webhook.delivery"]._read_group(
                [("endpoint_id", "in", self.ids)], ["endpoint_id"], ["__count"]
            )
        )
        for endpoint in self:
            endpoint.delivery_count = counts.get(endpoint, 0)

    @api.depends("active", "failing_since")
    def _compute_health(self):
        """The figures of the kanban cards, for all the endpoints of a page
        with one query (see _health_figures), not one per card."""
        figures = self._health_figures()
        for endpoint in self:
            backlog, dead, attempts, ok, p95 = figures.get(endpoint.id, (0, 0, 0, 0, None))
            if not endpoint.active:
                state = color = "disabled"
            else:
                state = color = "failing" if endpoint.failing_since else "healthy"
                if dead >= HEALTH_DEAD_ALERT or backlog >= HEALTH_BACKLOG_ALERT:
                    color = "alert"
            endpoint.health_state = state
            endpoint.health_color = HEALTH_COLORS[color]
            endpoint.health_attempt_count = attempts
            endpoint.health_success_rate = ok / attempts if attempts else 0.0
            endpoint.health_p95_ms = round(p95) if p95 is not None else 0
            endpoint.health_backlog = backlog
            endpoint.health_dead_count = dead

    def _health_figures(self):
        """{endpoint id: (backlog, dead, attempts, successful attempts, p95
        duration in ms)} of these endpoints, the attempts of the last
        HEALTH_WINDOW, in one grouped query.

        Raw SQL on the endpoints' own ids: `self` is what the ORM let the
        user read (a manager's own endpoints), and the deliveries and
        attempts of an endpoint are readable by whoever reads the endpoint,
        so the figures tell nothing the record rules hide. The waiting and
        dead rows come from partial indexes, the recent attempts from the
        index on their date.
        """
        ids = [id_ for id_ in self.ids if isinstance(id_, int)]
        if not ids:
            return {}
        self.env["webhook.delivery"].flush_model(["endpoint_id", "state"])
        self.env["webhook.delivery.attempt"].flush_model(
            ["delivery_id", "date", "duration_ms", "status_code"]
        )
        self.env.cr.execute(
            SQL(
                """WITH queue AS (
                       SELECT endpoint_id,
                              count(*) FILTER (WHERE state IN ('pending', 'retrying')) AS backlog,
                              count(*) FILTER (WHERE state = 'dead') AS dead
                         FROM webhook_delivery
                        WHERE endpoint_id = ANY(%(ids)s)
                          AND state IN ('pending', 'retrying', 'dead')
                        GROUP BY endpoint_id),
                   recent AS (
                       SELECT d.endpoint_id,
                              count(*) AS attempts,
                              count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299) AS ok,
                              percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms) AS p95
                         FROM webhook_delivery_attempt a
                         JOIN webhook_delivery d ON d.id = a.delivery_id
                        WHERE d.endpoint_id = ANY(%(ids)s) AND a.date >= %(since)s
                        GROUP BY d.endpoint_id)
                   SELECT e.id, COALESCE(q.backlog, 0), COALESCE(q.dead, 0),
                          COALESCE(r.attempts, 0), COALESCE(r.ok, 0), r.p95
                     FROM unnest(%(ids)s::int[]) AS e(id)
                     LEFT JOIN queue q ON q.endpoint_id = e.id
                     LEFT JOIN recent r ON r.endpoint_id = e.id""",
                ids=ids,
                since=fields.Datetime.now() - HEALTH_WINDOW,
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    # --------------------------------------------------------- constraints
    @api.constrains("url")
    def _check_url(self):
        allow_list = self._allow_list()
        for endpoint in self:
            try:
                outbound.encode_url(endpoint.url)  # it must have a form that can be sent
                outbound.check_url(endpoint.url, allow_list)
            except outbound.TargetRefused as exc:
                raise ValidationError(
                    self.env._(
                        "Webhook URL %(url)s refused: %(reason)s", url=endpoint.url, reason=exc
                    )
                ) from exc

    @api.constrains("retry_schedule")
    def _check_retry_schedule(self):
        for endpoint in self:
            text = endpoint.retry_schedule or ""
            parts = [part.strip() for part in text.split(",")]
            if text and not all(part.isdigit() for part in parts):
                raise ValidationError(
                    self.env._(
                        "The retry schedule is a comma-separated list of seconds, e.g. 60,300,1800."
                    )
                )

    @api.constrains("custom_headers")
    def _check_custom_headers(self):
        for endpoint in self.sudo():
            endpoint._parse_custom_headers()

    # name: always written on create, so that an endpoint with neither is checked too
    @api.constrains(
        "name", "model_id", "event_types", "domain", "watched_field_ids", "payload_field_ids"
    )
    def _check_event_types(self):
        """Either business events or a model (with its trigger, filter and
        fields), never both, never neither."""
        for endpoint in self:
            if endpoint.event_types and endpoint.model_id:
                raise ValidationError(
                    self.env._(
                        "Endpoint %(name)s: choose either event types or a model and trigger, "
                        "not both.",
                        name=endpoint.name,
                    )
                )
            if not endpoint.event_types and not endpoint.model_id:
                raise ValidationError(
                    self.env._(
                        "Endpoint %(name)s: choose a model and trigger, or event types.",
                        name=endpoint.name,
                    )
                )
            if endpoint.event_types and (
                endpoint.domain or endpoint.watched_field_ids or endpoint.payload_field_ids
            ):
                raise ValidationError(
                    self.env._(
                        "Endpoint %(name)s: a domain filter, watched fields and payload fields "
                        "are for a model and trigger; an event's data is its resource's.",
                        name=endpoint.name,
                    )
                )
            if events.PING in endpoint._event_type_names():
                raise ValidationError(
                    self.env._("ping is sent on request to any endpoint; it is not subscribed to.")
                )

    @api.model
    def _selection_payload_version(self):
        """Every payload version of the catalog (lib/events.py)."""
        return [(name, f"Version {name}") for name in events.PAYLOAD_VERSIONS]

    @api.model
    def _normalize_event_types(self, vals):
        """`event_types` as stored: known names, sorted, comma-separated."""
        if "event_types" not in vals:
            return vals
        try:
            names = events.parse_types(vals["event_types"] or "")
        except ValueError as exc:
            raise ValidationError(self.env._("Invalid event types: %(error)s", error=exc)) from None
        return dict(vals, event_types=",".join(names) or False)

    def _event_type_names(self):
        self.ensure_one()
        return [name for name in (self.event_types or "").split(",") if name]

    @api.constrains("model_id")
    def _check_model_id(self):
        for endpoint in self:
            if endpoint.model_id and subscription.matches(
                endpoint.model_id.model, subscription.OWN_MODELS
            ):
                raise ValidationError(
                    self.env._(
                        "Endpoints cannot subscribe to %(model)s: the records of the "
                        "integration suite itself (endpoints, deliveries, keys, tokens) are "
                        "never sent, and an endpoint on deliveries would feed itself.",
                        model=endpoint.model_id.model,
                    )
                )

    @api.constrains("domain", "model_id")
    def _check_domain(self):
        """The filter is a literal domain valid on the model. It is parsed,
        never evaluated: the automation rule evaluates what is stored, and a
        webhook manager is not trusted with code."""
        for endpoint in self:
            if not endpoint.domain or not endpoint.model_id:
                continue  # a filter without a model: see _check_event_types
            try:
                domain = subscription.parse_domain(endpoint.domain)
                # sudo: only the shape of the filter is checked here; whether
                # the user may filter on its fields is _check_subscription's
                with self.env.cr.savepoint():
                    self.env[endpoint.model_id.model].sudo().search_count(domain, limit=1)
            except Exception as exc:
                raise ValidationError(
                    self.env._(
                        "Invalid domain filter %(domain)s: %(error)s",
                        domain=endpoint.domain,
                        error=exc,
                    )
                ) from exc

    @api.constrains("watched_field_ids", "payload_field_ids", "model_id")
    def _check_fields_model(self):
        for endpoint in self:
            fields_ = endpoint.watched_field_ids | endpoint.payload_field_ids
            if fields_.filtered(lambda f, e=endpoint: f.model_id != e.model_id):
                raise ValidationError(
                    self.env._(
                        "Watched and payload fields must belong to %(model)s.",
                        model=endpoint.model_id.model,
                    )
                )

    @api.model
    def _restricted_models(self):
        """Glob patterns of the models only an administrator subscribes to."""
        return subscription.RESTRICTED_MODELS

    def _check_subscription(self):
        """Refuse, to a user who is no administrator, an endpoint that would
        read more than the user may: a technical or secret-bearing model, a
        model, field or filter field the user cannot read, or an endpoint
        owned by somebody else (an administrator's endpoint reads
        everything, so owning is reading)."""
        if self.env.su or self.env.user._is_system():
            return
        user = self.env.user
        # sudo: the endpoint's own values, checked against the user's rights below
        for endpoint in self.sudo():
            if endpoint.user_id != user:
                raise AccessError(
                    self.env._(
                        "You can only own your webhook endpoints yourself; an administrator "
                        "can give an endpoint to somebody else."
                    )
                )
            for name in endpoint._event_type_names():
                # an event's data is read with the owner's rights: subscribing
                # to it is reading its model
                event = events.EVENT_TYPES[name]
                if event.model:
                    self.env[event.model].check_access("read")  # as the user
            if not endpoint.model_id:
                continue
            model_name = endpoint.model_id.model
            if subscription.matches(model_name, self._restricted_models()):
                raise AccessError(
                    self.env._(
                        "Only an administrator can subscribe to %(model)s: its records hold "
                        "technical settings, messages or secrets.",
                        model=model_name,
                    )
                )
            Model = self.env[model_name]  # as the user
            Model.check_access("read")
            for field in endpoint.watched_field_ids | endpoint.payload_field_ids:
                if field.name in Model._fields:
                    Model._check_field_access(Model._fields[field.name], "read")
            if endpoint.domain:
                # searching checks the user's access to every field of the filter
                Model.search_count(subscription.parse_domain(endpoint.domain), limit=1)

    def _check_machinery(self, vals_list):
        """The automation rule is the endpoint's own: pointing an endpoint at
        another rule would rewrite that rule, and delete it with the endpoint."""
        if not self.env.su and any("automation_id" in vals for vals in vals_list):
            raise AccessError(
                self.env._("The automation rule of a webhook endpoint cannot be chosen.")
            )

    # ------------------------------------------------------------- CRUD
    @api.model_create_multi
    def create(self, vals_list):
        self._check_machinery(vals_list)
        vals_list = [self._normalize_event_types(vals) for vals in vals_list]
        endpoints = super().create(vals_list)
        endpoints._check_subscription()
        endpoints._sync_automation()
        return endpoints

    def write(self, vals):
        self._check_machinery([vals])
        vals = self._normalize_event_types(vals)
        res = super().write(vals)
        if SUBSCRIPTION_FIELDS & set(vals):
            self._check_subscription()
        if (RULE_FIELDS | EVENT_RULE_FIELDS) & set(vals):
            self._sync_automation()
        return res

    def unlink(self):
        rules = self.automation_id
        if rules:
            self._count_automation_change()
        subscribed = any(self.mapped("event_types"))
        res = super().unlink()
        # the rule exists only for its endpoint; sudo: an administrator or a
        # webhook manager may manage endpoints without being an automation
        # rules manager
        rules.sudo().unlink()
        if subscribed:
            self._sync_event_rules()
        return res

    def copy_data(self, default=None):
        vals_list = super().copy_data(default)
        return [
            dict(vals, name=self.env._("%(name)s (copy)", name=vals["name"])) for vals in vals_list
        ]

    def _rule_values(self):
        """What the endpoint's automation rule should hold. The filter is the
        literal the endpoint parsed, written back as such: base.automation
        evaluates filter_domain, and what it evaluates is never the text a
        user typed."""
        self.ensure_one()
        domain = subscription.parse_domain(self.domain) if self.domain else []
        return {
            "name": self.env._("Webhook: %(name)s", name=self.name),
            "model_id": self.model_id.id,
            "trigger": RULE_TRIGGERS[self.trigger],
            "filter_domain": repr(domain) if domain else False,
            "filter_pre_domain": False,
            "trigger_field_ids": self.watched_field_ids.ids if self.trigger == "write" else [],
            "active": self.active,
        }

    @api.model
    def _changed_values(self, record, vals):
        """The part of `vals` that differs from `record` (relations as ids)."""
        changed = {}
        for name, value in vals.items():
            current = record[name]
            field = record._fields[name]
            if field.type == "many2one":
                current = current.id
            elif field.type in ("one2many", "many2many"):
                if set(current.ids) != set(value):
                    changed[name] = [Command.set(value)]
                continue
            if (current or False) != (value or False):
                changed[name] = value
        return changed

    def _sync_automation(self):
        """Create or update the automation rule each endpoint owns.

        Writing a rule's model, trigger or active flag reloads the registry
        of every worker, and writing its action clears their caches: only
        the values that changed are written, so that saving an endpoint
        unchanged (or renaming it) reloads nothing.
        """
        # sudo: the rule and its action are the endpoint's own machinery; the
        # endpoint itself is restricted to administrators and webhook managers
        # by its ACL, and a webhook manager has no right on automation rules
        counted = False

        def count():
            nonlocal counted
            if not counted:
                self._count_automation_change()
                counted = True

        for endpoint in self:
            if not endpoint.model_id:
                # business events: the suite's rules (below), none of its own
                if endpoint.automation_id:
                    count()
                    # sudo: as above, the endpoint's own machinery
                    endpoint.automation_id.sudo().unlink()
                continue
            rule_vals = endpoint._rule_values()
            action_vals = {
                "name": self.env._("Send signed webhook to %(name)s", name=endpoint.name),
                "model_id": endpoint.model_id.id,
                "state": "webhook_signed",
                "webhook_endpoint_id": endpoint.id,
                "usage": "base_automation",
            }
            rule = endpoint.automation_id.sudo()
            if rule:
                changed = self._changed_values(rule, rule_vals)
                if RULE_RESETTING_FIELDS & set(changed):
                    changed = dict(
                        rule_vals,
                        trigger_field_ids=[Command.set(rule_vals["trigger_field_ids"])],
                    )
                elif "filter_domain" in changed:
                    # base.automation recomputes the watched fields with the filter
                    changed["trigger_field_ids"] = [Command.set(rule_vals["trigger_field_ids"])]
                if changed:
                    count()
                    rule.write(changed)
                actions = rule.action_server_ids.filtered(
                    lambda a, e=endpoint: a.webhook_endpoint_id == e
                )
                if actions:
                    for action in actions:
                        if action_changed := self._changed_values(action, action_vals):
                            count()
                            action.write(action_changed)
                else:
                    count()
                    endpoint._create_rule_action(rule, action_vals)
            else:
                count()
                rule_vals["trigger_field_ids"] = [Command.set(rule_vals["trigger_field_ids"])]
                rule = self.env["base.automation"].sudo().create(rule_vals)
                endpoint._create_rule_action(rule, action_vals)
                # sudo: automation_id is set by nobody but the endpoint itself
                endpoint.sudo().automation_id = rule
        self._sync_event_rules(count)

    @api.model
    def _event_rule_values(self, name):
        """The automation rule that dispatches event type `name`: its
        catalog trigger, and the record's state before and after the change
        (the resource's own domain included: an invoice event is about
        invoices, not about every journal entry)."""
        event = events.EVENT_TYPES[name]
        model = self.env["ir.model"]._get(event.model)
        resource = self.env["api.resource"]._api_get_resource(event.resource)
        post = [*event.post, *resource._api_base_domain()]
        watched = self.env["ir.model.fields"].search(
            [("model_id", "=", model.id), ("name", "in", list(event.watched))]
        )
        return {
            "name": self.env._("Business event: %(name)s", name=name),
            "model_id": model.id,
            "trigger": event.trigger,
            "filter_pre_domain": repr(list(event.pre)) if event.pre else False,
            "filter_domain": repr(post) if post else False,
            "trigger_field_ids": [Command.set(watched.ids)],
            "active": True,
        }

    @api.model
    def _sync_event_rules(self, count=None):
        """One active automation rule per event type that some active
        endpoint subscribes to; the others' rules are deactivated (kept:
        turning them on again is one write). Only what changes is written,
        as each write reloads the registry of every worker."""
        count = count or self._count_automation_change
        # sudo: the rules and the subscriptions are the suite's machinery,
        # whoever saves an endpoint
        endpoints = self.sudo().search([("active", "=", True), ("event_types", "!=", False)])
        wanted = {name for endpoint in endpoints for name in endpoint._event_type_names()}
        actions = (
            self.env["ir.actions.server"]
            .sudo()
            .with_context(active_test=False)
            .search([("state", "=", "webhook_event")])
        )
        rules = {action.webhook_event_type: action.base_automation_id for action in actions}
        for name, event in events.EVENT_TYPES.items():
            if not event.model or event.model not in self.env:
                continue
            rule = rules.get(name)
            needed = name in wanted
            if needed and not rule:
                count()
                # sudo: as above
                rule = self.env["base.automation"].sudo().create(self._event_rule_values(name))
                self.env["ir.actions.server"].sudo().create(
                    {
                        "name": self.env._("Send business event %(name)s", name=name),
                        "model_id": rule.model_id.id,
                        "state": "webhook_event",
                        "webhook_event_type": name,
                        "usage": "base_automation",
                        "base_automation_id": rule.id,
                    }
                )
            elif rule and rule.active != needed:
                count()
                rule.active = needed

    def _create_rule_action(self, rule, action_vals):
        """The rule's "Send signed webhook" action, created on its own: server
        actions refuse sudo one2many commands (Command.create on the rule runs
        as the request's user), so the rule's sudo would not reach it."""
        # sudo: as in _sync_automation, the action is the endpoint's own machinery
        return (
            self.env["ir.actions.server"]
            .sudo()
            .create(dict(action_vals, base_automation_id=rule.id))
        )

    @api.model
    def _write_bucket_hit(self):
        """Count one endpoint write against the user's bucket, with the
        request rate limit's counters (a row per bucket and window, shared by
        all workers, counted in a transaction of its own, once per client
        request of /api/v1: not again when Odoo runs it again). Returns
        (hits, limit, seconds until the window ends), None without a limit."""
        limit = setting(self.env, "endpoint_write_limit")
        if limit <= 0:
            return None
        now = time.time()
        window_start = int(now // WRITE_WINDOW * WRITE_WINDOW)
        start = datetime.datetime.fromtimestamp(window_start, datetime.UTC).replace(tzinfo=None)
        bucket = f"webhook-endpoint-write:user:{self.env.uid}"
        counter = self.env["api.rate.counter"]
        hits = once_per_request(
            "webhook_endpoint_write",
            lambda: side_execute(counter._hit_query(bucket, start), fetch=True, env=self.env)[0],
        )
        return hits, limit, max(1, window_start + WRITE_WINDOW - int(now))

    def _count_automation_change(self):
        """A change that rewrites automation rules (created, deleted, or
        given another model, trigger, filter, state or name) reloads the
        registry of every worker or clears their caches: made by a user who
        is no administrator in an HTTP request (JSON-2, XML-RPC, the web
        client), it counts against the endpoint write limit. /api/v1 counts
        every endpoint write of its own (see api.resource.webhook_endpoint);
        the system's own writes (the worker disabling an endpoint, shell,
        upgrades) are not limited."""
        if (
            self.env.su
            or not request
            or current_context() is not None
            or self.env.user._is_system()
        ):
            return
        hit = self._write_bucket_hit()
        if hit and hit[0] > hit[1]:
            _hits, limit, reset = hit
            raise UserError(
                self.env._(
                    "Too many changes of webhook endpoints: at most %(limit)s a minute "
                    "(each reloads the automation rules of every worker). Retry in "
                    "%(seconds)s s.",
                    limit=limit,
                    seconds=reset,
                )
            )

    # ------------------------------------------------------------ helpers
    @api.model
    def _allow_list(self):
        text = setting(self.env, "allowed_targets")
        try:
            return outbound.parse_allow_list(text)
        except ValueError:
            _logger.warning("Ignoring invalid %s: %r", SETTINGS.key("allowed_targets"), text)
            return ()

    @api.model
    def _retry_schedule(self):
        return setting(self.env, "retry_schedule")

    def _schedule(self):
        """This endpoint's delays between attempts (its own, else the default)."""
        self.ensure_one()
        if self.retry_schedule:
            return retry.parse_schedule(self.retry_schedule)
        return self._retry_schedule()

    def _parse_custom_headers(self):
        self.ensure_one()
        headers = {}
        for line in (self.custom_headers or "").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not name or any(c in name for c in " \t\r\n") or "\r" in value:
                raise ValidationError(
                    self.env._("Custom header line %(line)r must read `Name: value`.", line=line)
                )
            if name.lower() in RESERVED_HEADERS:
                raise ValidationError(
                    self.env._("Header %(name)s is set by the webhook itself.", name=name)
                )
            try:
                outbound.check_header(name, value)  # what HTTP can carry: latin-1, no controls
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "Custom header %(name)s cannot be sent: %(reason)s", name=name, reason=exc
                    )
                ) from None
            headers[name] = value
        return headers

    def _signing_secrets(self, now=None):
        """The secrets that sign now: the current one, and the previous one
        during the overlap after a rotation."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        secrets_ = [self.secret]
        if self.previous_secret and (
            not self.previous_secret_expires_at or self.previous_secret_expires_at > now
        ):
            secrets_.append(self.previous_secret)
        return secrets_

    def _payload_fields(self):
        """Names of the fields read into `data`."""
        self.ensure_one()
        if self.payload_field_ids:
            return self.payload_field_ids.mapped("name")
        model = self.env[self.model_id.model]
        return [
            name
            for name, field in model._fields.items()
            if field.store
            and field.type in DEFAULT_PAYLOAD_TYPES
            and name not in DEFAULT_PAYLOAD_SKIP
            and not name.startswith(("message_", "activity_"))
            and not field.groups
            and not field.company_dependent
        ]

    def _reader(self, records):
        """`records` as the endpoint's owner may read them: with the owner's
        rights and companies, without those the owner cannot read, and
        without those that match the filter only as superuser.

        The event is built in the transaction of whoever changed the records,
        but the receiver is the owner's: an endpoint never reads more than
        its owner could in Odoo. Only an administrator's endpoint reads as
        superuser. The automation rule evaluates the filter as superuser, so
        a filter through a relation (`child_ids.email`) would test records
        the owner cannot read, and whether an event arrives would tell what
        they hold: the filter is applied again, as the owner. An archived
        owner reads nothing, as Odoo runs no scheduled action as one.
        """
        self.ensure_one()
        # sudo: the endpoint's owner, whoever changed the records
        owner = self.sudo().user_id
        if not owner:
            return records.browse()
        if owner._is_superuser():
            # sudo: OdooBot, the superuser, is archived and reads everything
            return records.sudo()
        if not owner.active:
            return records.browse()
        if owner._is_system():
            # sudo: an administrator's endpoint reads what the administrator chose
            return records.sudo()
        # sudo: the owner's companies, not those the user of the change works in
        companies = owner.sudo().company_ids
        as_owner = records.with_user(owner).with_context(allowed_company_ids=companies.ids)
        # sudo: the filter, a literal checked when it was stored
        domain = self.sudo().domain
        if not domain:
            return as_owner._filtered_access("read")
        try:
            # the records' own order is kept; archived records matched the
            # rule too; searching applies the owner's record rules to every
            # relation of the filter
            found = as_owner.with_context(active_test=False).search(
                [("id", "in", as_owner.ids), *subscription.parse_domain(domain)]
            )
        except (AccessError, ValueError):
            # the owner may no longer read a field of the filter
            return records.browse()
        matching = set(found.ids)
        return as_owner.browse([id_ for id_ in as_owner.ids if id_ in matching])

    @api.model
    def _read_rows(self, records, names):
        """`records.read(names)`, leaving out the fields whose computation the
        reader may not do: the payload is built inside somebody else's change,
        which must go through whatever the endpoint's owner may read."""
        try:
            return records.read(names)
        except AccessError:
            rows = [{"id": record.id} for record in records]
            for name in names:
                try:
                    values = records.read([name])
                except AccessError:
                    continue
                for row, value in zip(rows, values, strict=True):
                    row[name] = value[name]
            return rows

    @api.model
    def _line_rows(self, records, names):
        """{field: {id: row}} of the one2many payload fields whose records an
        /api/v1 resource renders in payloads (see api.resource
        `_api_payload_rows`): a picking's moves as /api/v1/stock-moves rows.
        Rendered at once for all `records`, with the reader's rights; a
        field the reader may not render in full is left to {id, name}."""
        lines = {}
        for name in names:
            field = records._fields[name]
            if field.type != "one2many":
                continue
            renderer = self.env["api.resource"]._api_payload_renderer(field.comodel_name)
            if renderer is None:
                continue
            related = records[name]._filtered_access("read")
            try:
                rows = renderer.with_env(related.env)._api_rows(related)
            except AccessError:
                continue
            lines[name] = {row["id"]: row for row in rows}
        return lines

    def _company_field(self, records):
        """The company field of `records`' model (`company_id`, a many2one to
        res.company), or None: a payload says whose books its record is in,
        whatever fields the endpoint reads."""
        field = records._fields.get("company_id")
        if field is None or field.type != "many2one" or field.comodel_name != "res.company":
            return None
        return "company_id"

    def _serialize(self, records):
        """`data` of each record the owner may read, in order: {field: value},
        relations as {id, name}; fields the owner may not read are left out."""
        self.ensure_one()
        records = self._reader(records)
        if not records:
            return []
        model_fields = records._fields
        names = [
            name
            for name in self._payload_fields()
            if name in model_fields and records._has_field_access(model_fields[name], "read")
        ]
        rows = self._read_rows(records, names)
        lines = self._line_rows(records, names)
        company_field = self._company_field(records)
        result = []
        for record, row in zip(records, rows, strict=True):
            # sudo: names as Odoo renders a many2one, for records the reader may read
            data = {"id": record.id, "display_name": record.sudo().display_name}
            for name, value in row.items():
                if name == "id":
                    continue
                field = model_fields[name]
                if field.type == "many2one":
                    value = {"id": value[0], "name": value[1]} if value else None
                elif name in lines:
                    value = [lines[name][rel.id] for rel in record[name] if rel.id in lines[name]]
                elif field.type in ("one2many", "many2many"):
                    related = record[name]._filtered_access("read")
                    # sudo: as for the record's own name above
                    value = [{"id": rel.id, "name": rel.display_name} for rel in related.sudo()]
                elif field.type in ("date", "datetime"):
                    # the API's wire format: a datetime is UTC with Z
                    value = to_json_value(value) if value else None
                elif field.type == "binary":
                    value = value.decode() if isinstance(value, bytes) else value
                data[name] = value
            if company_field:
                # sudo: the name, as for the record's own name above
                company = record.sudo()[company_field]
                data["company"] = {"id": company.id, "name": company.name} if company else None
            result.append(data)
        return result

    def _delivery_vals(self, event, model, res_id, data, now):
        """Values of one outbox row: the body is frozen here, as sent later."""
        event_id = "evt_" + uuid.uuid4().hex
        envelope = {
            "id": event_id,
            "event": event,
            "model": model,
            "timestamp": to_json_value(now),
            "data": data,
        }
        return self._outbox_vals(event_id, event, model, res_id, envelope, now)

    def _outbox_vals(self, event_id, event, model, res_id, envelope, now):
        """One outbox row of this endpoint, its body `envelope` as JSON."""
        body = json.dumps(
            envelope, default=_json_default, separators=(",", ":"), ensure_ascii=False
        )
        return {
            "endpoint_id": self.id,
            "event_id": event_id,
            "event": event,
            "model": model,
            "res_id": res_id,
            "payload": body,
            "next_attempt_at": now,
        }

    def _enqueue(self, records, event):
        """Write one outbox row per record for this endpoint (batched)."""
        self.ensure_one()
        if not records:
            return self.env["webhook.delivery"]
        now = fields.Datetime.now()
        vals_list = [
            self._delivery_vals(event, records._name, data["id"], data, now)
            for data in self._serialize(records)
        ]
        if not vals_list:
            return self.env["webhook.delivery"]
        # sudo: the outbox row is the system's own record, written whatever
        # the user who changed the business record may do
        deliveries = self.env["webhook.delivery"].sudo()._insert_outbox(vals_list)
        deliveries._trigger_worker()
        return deliveries

    # ---------------------------------------------------- business events
    def _event_delivery_vals(self, event_type, model, res_id, data, now):
        """Values of one outbox row of a business event, in the payload
        version the endpoint pins: the body is frozen here, as sent later.
        Also for `ping` (any endpoint), with the data its sender gives."""
        self.ensure_one()
        event_id = "evt_" + uuid.uuid4().hex
        version = events.PAYLOAD_VERSIONS[self.payload_version or events.CURRENT_VERSION]
        envelope = version.envelope(event_type, event_id, to_json_value(now), data)
        return self._outbox_vals(event_id, event_type, model, res_id, envelope, now)

    def _event_rows(self, event, records):
        """[(id, data)] of `records` for this endpoint: rendered by the
        event's /api/v1 resource (as GET /<path>/<id> renders one: the
        detail, an order's lines included) with the owner's
        rights, without the records the owner may not read; a record whose
        rendering the owner may not do in full is left out."""
        self.ensure_one()
        reader = self._reader(records)
        if not reader:
            return []
        resource = self.env["api.resource"]._api_get_resource(event.resource)
        resource = resource.with_env(reader.env)
        try:
            rows = resource._api_rows(reader, detail=True)
        except AccessError:
            rows = []
            for record in reader:
                try:
                    rows.extend(resource._api_rows(record, detail=True))
                except AccessError:
                    continue
        return [(row["id"], row) for row in rows]

    @api.model
    def _defer_event(self, event_type, records):
        """Note that `records` had event `event_type`; the events are
        enqueued when the transaction commits (see _flush_events).

        A change fires a rule several times (each stored computed field of
        a record is recomputed apart and base.automation runs its write
        rules for each), and its payload must be what committed: the events
        of a transaction are merged, one per type and record, and rendered
        at commit. An update of a record created in the same transaction
        is no event of its own: the creation renders its final state. A
        deletion cannot wait (the record is gone at commit): it is enqueued
        at once, with the record's last rendering."""
        pending = self.env.cr.precommit.data.setdefault("webhook.business_events", {})
        if not pending:
            self.env.cr.precommit.add(self.sudo()._flush_events)
        ids = pending.setdefault((event_type, records._name), {})
        ids.update(dict.fromkeys(records.ids))

    @api.model
    def _flush_events(self):
        """Enqueue the events noted by _defer_event (a precommit hook)."""
        pending = self.env.cr.precommit.data.pop("webhook.business_events", {})
        created = {}
        for (event_type, model), ids in pending.items():
            if events.EVENT_TYPES[event_type].trigger == "on_create":
                created.setdefault(model, set()).update(ids)
        for (event_type, model), ids in pending.items():
            event = events.EVENT_TYPES[event_type]
            if event.trigger == "on_write" and not event.pre:
                ids = [id_ for id_ in ids if id_ not in created.get(model, ())]
            records = self.env[model].browse(list(ids)).exists()
            if records:
                self._enqueue_event(event_type, records)

    @api.model
    def _enqueue_event(self, event_type, records):
        """Write the outbox rows of business event `event_type` for
        `records`, for every active endpoint subscribed to it (batched:
        one INSERT for all of them)."""
        event = events.EVENT_TYPES.get(event_type)
        if not event or not event.resource or not records:
            return self.env["webhook.delivery"]
        # sudo: the subscribers, whoever changed the records; each reads
        # the records with its owner's rights (_event_rows)
        endpoints = self.sudo().search([("active", "=", True), ("event_types", "like", event_type)])
        now = fields.Datetime.now()
        vals_list = [
            endpoint._event_delivery_vals(event_type, records._name, res_id, data, now)
            for endpoint in endpoints
            if event_type in endpoint._event_type_names()
            for res_id, data in endpoint._event_rows(event, records)
        ]
        if not vals_list:
            return self.env["webhook.delivery"]
        # sudo: the outbox row is the system's own record
        deliveries = self.env["webhook.delivery"].sudo()._insert_outbox(vals_list)
        deliveries._trigger_worker()
        return deliveries

    # ------------------------------------------------------------ actions
    def action_send_test_event(self):
        self.ensure_one()
        if not self.active:
            raise UserError(self.env._("Activate the endpoint before sending a test event."))
        if not self.model_id:
            # an endpoint of business events gets a ping, in its envelope
            vals = self._event_delivery_vals(
                events.PING,
                self._name,
                self.id,
                {"endpoint": {"id": self.id, "name": self.name}, "message": "test"},
                fields.Datetime.now(),
            )
            # sudo: the outbox row is the system's own record
            delivery = self.env["webhook.delivery"].sudo().create(vals)
            delivery._trigger_worker()
            return self._test_event_notification(delivery)
        payload = {
            "id": 0,
            "display_name": self.env._("Test event from %(name)s", name=self.name),
            "test": True,
        }
        delivery = self._enqueue_data("test", self.model_id.model, 0, payload)
        return self._test_event_notification(delivery)

    def _test_event_notification(self, delivery):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Test event %(event)s queued; see the deliveries of this endpoint.",
                    event=delivery.event_id,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _enqueue_data(self, event, model, res_id, data):
        """One outbox row with the given data (test events)."""
        self.ensure_one()
        vals = self._delivery_vals(event, model, res_id, data, fields.Datetime.now())
        # sudo: the outbox row is the system's own record
        delivery = self.env["webhook.delivery"].sudo().create(vals)
        delivery._trigger_worker()
        return delivery

    def action_rotate_secret(self):
        """New secret now; the old one keeps signing during the overlap."""
        now = fields.Datetime.now()
        for endpoint in self:
            endpoint.write(
                {
                    "previous_secret": endpoint.secret,
                    "previous_secret_expires_at": now
                    + datetime.timedelta(hours=max(endpoint.rotation_overlap_hours, 0)),
                    "secret": generate_secret(),
                }
            )
            endpoint.message_post(body=self.env._("Secret rotated."))

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "my_webhooks.webhook_delivery_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action

    def action_view_delivery_graph(self):
        """The deliveries of this endpoint, graph first (by day and state)."""
        action = self.action_view_deliveries()
        action["views"] = sorted(action["views"], key=lambda view: view[1] != "graph")
        return action

    def action_view_automation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "base.automation",
            "res_id": self.automation_id.id,
            "view_mode": "form",
            "context": {"active_test": False},
        }

    # --------------------------------------------------- delivery feedback
    def _record_success(self, status):
        self.ensure_one()
        self.write({"last_status": str(status), "last_error": False, "failing_since": False})

    def _record_failure(self, status, error, gone=False):
        """Remember the failure; disable the endpoint on 410 Gone or after it
        has failed for longer than the configured time (a day by default)."""
        self.ensure_one()
        now = fields.Datetime.now()
        vals = {"last_status": str(status) if status else "error", "last_error": error}
        if not self.failing_since:
            vals["failing_since"] = now
        self.write(vals)
        hours = setting(self.env, "disable_after_hours")
        failing_too_long = now - self.failing_since >= datetime.timedelta(hours=hours)
        if gone or failing_too_long:
            self._disable(
                self.env._("the receiver answered 410 Gone")
                if gone
                else self.env._("it has failed for more than %(hours)s hours", hours=hours)
            )

    def _disable(self, reason):
        self.ensure_one()
        if not self.active:
            return
        _logger.info("Webhook endpoint %s (#%s) disabled: %s", self.name, self.id, reason)
        self.active = False
        message = self.env._(
            "Webhook endpoint %(name)s was disabled because %(reason)s. "
            "Fix the receiver, reactivate the endpoint and resend its dead deliveries.",
            name=self.name,
            reason=reason,
        )
        self.message_post(body=message)
        if self.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Webhook endpoint disabled"),
                note=message,
                user_id=self.user_id.id,
            )
