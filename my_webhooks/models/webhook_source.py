"""Senders of inbound webhooks: how to verify each one, what handles its events.

A source is configuration: the slug it posts to, its signature scheme and
secrets, where the event id and type are read, its limits and its handler.
Receiving a delivery (verifying it, storing the event, answering
duplicates, counting refusals, waking the processing cron) is the intake
service's, `services/intake.py`: it reads a source through
`_webhook_config` (cached by each worker), and the processing of an event
calls back `_webhook_handle` (webhook.event).
"""

import re

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from odoo.addons.my_api.public import API_PREFIX

from ..lib.signing import generate_secret
from ..lib.verify import DEFAULT_TOLERANCE, SCHEME_DEFAULTS

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
WEBHOOKS_PATH = f"{API_PREFIX}/webhooks"
DEFAULT_REPLAY_WINDOW_HOURS = 72  # Stripe's retries span 3 days, Shopify's 2, GitHub's none
MAX_REPLAY_WINDOW_HOURS = 90 * 24
# the secret the demo source had before it got a random one: still public
PUBLIC_DEMO_SECRET = "whsec_your_secret"  # noqa: S105 - a known value, searched to replace it
# read in one query by intake (_webhook_config)
INTAKE_FIELDS = [
    "scheme",
    "signature_header",
    "secret",
    "previous_secret",
    "tolerance",
    "id_header",
    "id_path",
    "type_header",
    "type_path",
    "processing",
    "max_body_kb",
    "replay_window_hours",
]


class WebhookSource(models.Model):
    """A sender of inbound webhooks: how to verify it and what handles it."""

    _name = "webhook.source"
    _description = "Inbound Webhook Source"
    _order = "name, id"

    name = fields.Char(required=True)
    slug = fields.Char(
        "URL slug",
        required=True,
        copy=False,
        help="Last part of the address the sender posts to: /api/v1/webhooks/<slug>.",
    )
    active = fields.Boolean(default=True)
    url = fields.Char("URL", compute="_compute_url", help="Paste this address into the sender.")
    scheme = fields.Selection(
        [
            ("generic", "Generic (sha256=<hex> in a header)"),
            ("stripe", "Stripe (Stripe-Signature)"),
            ("shopify", "Shopify (X-Shopify-Hmac-Sha256)"),
            ("github", "GitHub (X-Hub-Signature-256)"),
            ("standard", "Standard Webhooks (webhook-signature)"),
        ],
        required=True,
        default="generic",
    )
    signature_header = fields.Char(
        compute="_compute_signature_header",
        store=True,
        readonly=False,
        help="Header that carries the signature (the generic scheme reads any header).",
    )
    secret = fields.Char(
        required=True,
        copy=False,
        groups="base.group_system",
        help="Signing secret given by the sender, used exactly as shown there "
        "(Standard Webhooks: the whsec_... value).",
    )
    previous_secret = fields.Char(
        "Previous secret",
        copy=False,
        groups="base.group_system",
        help="During a rotation, the old secret: signatures made with either secret are "
        "accepted. Empty it once the sender signs with the new one.",
    )
    tolerance = fields.Integer(
        "Timestamp tolerance (s)",
        default=DEFAULT_TOLERANCE,
        help="Signed timestamps further than this from now, in the past or the future, "
        "are refused (Stripe, Standard Webhooks). 0 disables the check.",
    )
    id_header = fields.Char(
        "Event id header",
        compute="_compute_id_header",
        store=True,
        readonly=False,
        help="Header holding the event id; read before the JSON path.",
    )
    id_path = fields.Char(
        "Event id JSON path",
        compute="_compute_id_path",
        store=True,
        readonly=False,
        help="Dotted path in the body (e.g. data.object.id). Without an id the SHA-256 of "
        "the raw body is the id, so a byte-identical retry is still a duplicate.",
    )
    type_header = fields.Char(
        "Event type header", compute="_compute_type_header", store=True, readonly=False
    )
    type_path = fields.Char(
        "Event type JSON path", compute="_compute_type_path", store=True, readonly=False
    )
    handler = fields.Selection(
        [
            ("none", "None (store only)"),
            ("action", "Server action"),
            ("automation", "Automation rule (On webhook)"),
            ("method", "Model method"),
        ],
        required=True,
        default="none",
    )
    action_id = fields.Many2one(
        "ir.actions.server",
        "Server action",
        ondelete="restrict",
        help="Runs with `payload` (the JSON body) and `webhook_event` in its evaluation "
        "context; on the event itself when the action's model is Inbound Webhook Event.",
    )
    automation_id = fields.Many2one(
        "base.automation",
        "Automation rule",
        ondelete="restrict",
        domain=[("trigger", "=", "on_webhook")],
        help="An automation rule with the native On webhook trigger, run with the payload "
        "once the signature is verified.",
    )
    handler_model = fields.Char(help="Technical name of the model, e.g. sale.order.")
    handler_method = fields.Char(
        help="Method called as env[model].<method>(payload, event), e.g. "
        "_webhook_stripe_payment_intent."
    )
    processing = fields.Selection(
        [("async", "After the answer (queued)"), ("sync", "Before the answer")],
        required=True,
        default="async",
        help="Queued processing answers the sender at once and retries failures; "
        "'before the answer' runs the handler first (its failure is still retried later "
        "and the sender still gets 200).",
    )
    max_attempts = fields.Integer(
        default=5, help="Attempts of a failing event before it stays failed for good."
    )
    max_body_kb = fields.Integer("Body limit (KiB)", default=1024)
    replay_window_hours = fields.Integer(
        "Replay window (h)",
        default=DEFAULT_REPLAY_WINDOW_HOURS,
        help="Generic, Shopify and GitHub sign the body only: a captured delivery re-sent "
        "with a new id header still verifies. A byte-identical body received again within "
        "this many hours is answered as a duplicate and not processed, whatever its id "
        "says (the body's SHA-256 is kept that long, however soon events are deleted). "
        "0 turns this off: then only the event id stops replays of these schemes. "
        "Stripe and Standard Webhooks sign a timestamp: their tolerance stops replays.",
    )
    event_ids = fields.One2many("webhook.event", "source_id", "Events")
    event_count = fields.Integer(compute="_compute_event_count")
    rejected_count = fields.Integer(
        "Rejected requests",
        readonly=True,
        copy=False,
        help="Requests refused at verification (nothing of them is stored), counted at most "
        "once a second: a flood of forged requests shows as a count growing by one a "
        "second, and costs the database no more than that.",
    )
    last_rejected_at = fields.Datetime(readonly=True, copy=False)
    last_rejected_reason = fields.Char(readonly=True, copy=False)

    _slug_uniq = models.Constraint("UNIQUE(slug)", "Another source already uses this URL slug.")

    @api.depends("slug")
    def _compute_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for source in self:
            source.url = f"{base_url.rstrip('/')}{WEBHOOKS_PATH}/{source.slug or ''}"

    def _set_scheme_default(self, name):
        # one compute per field: a value given for one of them at creation
        # must not keep the others from getting their defaults
        for source in self:
            source[name] = SCHEME_DEFAULTS[source.scheme or "generic"][name]

    @api.depends("scheme")
    def _compute_signature_header(self):
        self._set_scheme_default("signature_header")

    @api.depends("scheme")
    def _compute_id_header(self):
        self._set_scheme_default("id_header")

    @api.depends("scheme")
    def _compute_id_path(self):
        self._set_scheme_default("id_path")

    @api.depends("scheme")
    def _compute_type_header(self):
        self._set_scheme_default("type_header")

    @api.depends("scheme")
    def _compute_type_path(self):
        self._set_scheme_default("type_path")

    def _compute_event_count(self):
        counts = dict(
            self.env["webhook.event"]._read_group(
                [("source_id", "in", self.ids)], ["source_id"], ["__count"]
            )
        )
        for source in self:
            source.event_count = counts.get(source, 0)

    @api.constrains("slug")
    def _check_slug(self):
        for source in self:
            if not SLUG_RE.match(source.slug or ""):
                raise ValidationError(
                    self.env._(
                        "The URL slug %(slug)s must be 1 to 64 lower-case letters, digits, "
                        "'-' or '_', starting with a letter or digit.",
                        slug=source.slug,
                    )
                )

    @api.constrains("handler", "action_id", "automation_id", "handler_model", "handler_method")
    def _check_handler(self):
        for source in self:
            if source.handler == "action" and not source.action_id:
                raise ValidationError(self.env._("Choose the server action that handles events."))
            if source.handler == "automation":
                if not source.automation_id:
                    raise ValidationError(
                        self.env._("Choose the automation rule that handles events.")
                    )
                if source.automation_id.trigger != "on_webhook":
                    raise ValidationError(
                        self.env._(
                            "The automation rule %(rule)s must use the On webhook trigger.",
                            rule=source.automation_id.name,
                        )
                    )
            if source.handler == "method":
                model = source.handler_model or ""
                method = source.handler_method or ""
                if model not in self.env or not callable(getattr(self.env[model], method, None)):
                    raise ValidationError(
                        self.env._(
                            "The model %(model)s has no method %(method)s.",
                            model=model,
                            method=method,
                        )
                    )

    @api.constrains("tolerance", "max_attempts", "max_body_kb")
    def _check_limits(self):
        for source in self:
            if source.tolerance < 0 or source.max_attempts < 1 or source.max_body_kb < 1:
                raise ValidationError(
                    self.env._("Tolerance must be 0 or more; attempts and body limit at least 1.")
                )

    @api.constrains("replay_window_hours")
    def _check_replay_window(self):
        for source in self:
            if not 0 <= source.replay_window_hours <= MAX_REPLAY_WINDOW_HOURS:
                raise ValidationError(
                    self.env._(
                        "The replay window must be between 0 and %(max)s hours.",
                        max=MAX_REPLAY_WINDOW_HOURS,
                    )
                )

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("my_webhooks.webhook_event_action")
        action["domain"] = [("source_id", "=", self.id)]
        action["context"] = {"default_source_id": self.id}
        return action

    # --------------------------------------------------------- intake settings

    def _webhook_secrets(self):
        """The accepted secrets, current first. Read as superuser: the caller
        is an anonymous sender whose signature these secrets verify."""
        self.ensure_one()
        source = self.sudo()
        return [secret for secret in (source.secret, source.previous_secret) if secret]

    @api.model
    @tools.ormcache("slug")
    def _webhook_config(self, slug):
        """Intake settings of the active source `slug`, or None.

        Cached by each worker (intake then reads no source row at all) and
        cleared in every worker by any change of a source. Read as superuser:
        the secrets verify an anonymous sender. Never log this value.
        """
        source = self.sudo().search_fetch([("slug", "=", slug)], INTAKE_FIELDS, limit=1)
        if not source:
            return None
        config = {name: source[name] for name in INTAKE_FIELDS if not name.startswith("secret")}
        config["id"] = source.id
        config["secrets"] = tuple(source._webhook_secrets())
        return config

    @api.model_create_multi
    def create(self, vals_list):
        sources = super().create(vals_list)
        self.env.registry.clear_cache()  # _webhook_config
        sources._webhook_rotate_native_urls()
        return sources

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()  # _webhook_config
        if vals.get("automation_id"):
            self._webhook_rotate_native_urls()
        return result

    def _webhook_rotate_native_urls(self):
        """Give the handler rules of these sources a new `/web/hook/<uuid>`.

        A rule that moves behind a source may have been called at its native
        URL until now, unsigned: whoever knew that URL must not keep a way
        around the source's verification (the native route refuses such a
        rule anyway, see `_webhook_native_hook_refused`; a new uuid also
        keeps the old URL from telling anything once the rule leaves the
        source).
        """
        rules = self.automation_id
        if rules:
            # sudo: an administrator may link a rule without being an
            # automation rules manager; the uuid is the rule's own secret
            rules.sudo().action_rotate_webhook_uuid()

    @api.model
    def _webhook_native_hook_refused(self, rules):
        """Whether Odoo's own `/web/hook/<uuid>` route must refuse to run
        `rules`: a rule that handles the events of a source (archived or
        not) runs only for deliveries whose signature was verified, and a
        rule that sends signed webhooks (an endpoint's, or any rule with a
        "Send signed webhook" action) only when its records change. The
        native route runs any rule for anyone who has its uuid, unsigned.
        """
        # sudo: the native route is public; these are checks on the system's
        # own configuration, nothing of which is returned
        rules = rules.sudo().with_context(active_test=False)
        domain = [("automation_id", "in", rules.ids)]
        for model in ("webhook.source", "webhook.endpoint"):
            if rules.env[model].search_count(domain, limit=1):
                return True
        states = set(rules.action_server_ids.mapped("state"))
        return bool(states & {"webhook_signed", "webhook_event"})

    @api.model
    def _webhook_new_secret(self):
        """A random secret, for a source created by data files (the demo)."""
        return generate_secret()

    @api.model
    def _webhook_secure_demo_source(self):
        """Replace the public secret the demo source had before it was made
        random, on databases installed with it (run at every update of the
        demo data: the demo record itself is never updated)."""
        source = self.env.ref("my_webhooks.webhook_source_demo_stripe", raise_if_not_found=False)
        # sudo: the secret is an administrator-only field; this runs at update
        if source and source.sudo().secret == PUBLIC_DEMO_SECRET:
            source.sudo().secret = generate_secret()

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _webhook_config
        return result

    # -------------------------------------------------------------- handling

    def _webhook_handle(self, event, payload):
        """Run this source's handler on one event (raises on failure)."""
        self.ensure_one()
        if self.handler == "action":
            action = self.action_id.with_context(webhook_event_id=event.id)
            if action.model_id.model == event._name:
                action = action.with_context(
                    active_model=event._name, active_id=event.id, active_ids=event.ids
                )
            action.run()
        elif self.handler == "automation":
            self.automation_id.with_context(webhook_event_id=event.id)._execute_webhook(payload)
        elif self.handler == "method":
            getattr(self.env[self.handler_model], self.handler_method)(payload, event)
