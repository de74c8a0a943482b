"""Senders of inbound webhooks and the intake of their deliveries.

`POST /api/v1/webhooks/<slug>` hands the raw request to
`webhook.source._webhook_receive`, which runs these steps:

1. find the active source of that slug (404 otherwise);
2. refuse a body over the source's limit (413);
3. verify the signature over the raw bytes with the source's scheme and
   secrets (401); a refused request stores nothing but a counter on the
   source, written at most once a second by a statement of its own (see
   `_webhook_count_rejection`), so that an attacker can neither fill any
   table nor make each forgery cost a write;
4. parse the body as JSON (400);
5. insert the event with `ON CONFLICT (source_id, event_id) DO NOTHING`:
   the unique constraint decides, in PostgreSQL, which of several concurrent
   identical deliveries is the original; every other one is answered
   `{"status": "duplicate"}` and counted on the original. For the schemes
   that sign the body only (generic, Shopify, GitHub), the same statement
   first records the body's SHA-256 in `webhook.event.digest`, unique per
   source: a byte-identical body received within the source's replay window
   is a duplicate too, whatever its id header says, and no event is
   inserted for it;
6. wake the processing cron (async, the default) or process at once (sync).

Queued (async) intake inserts the event in a statement of its own,
committed at once, on one of my_api's bookkeeping connections
(`side_execute`): PostgreSQL runs it at READ COMMITTED, where
`ON CONFLICT DO NOTHING` waits for a concurrent insert of the same event
and then skips it. Sync intake, and the counting of a duplicate, run in the
request's own transaction, restarted at READ COMMITTED first: Odoo's
REPEATABLE READ would turn a conflict with an original committed after the
transaction's snapshot into a serialization failure (and a replay of the
whole request), and would not see that original to count the duplicate on.
"""

import json
import logging
import re
from functools import partial

import psycopg2
from psycopg2 import errors
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from odoo import SUPERUSER_ID, api, fields, models, sql_db, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.my_api.public import (
    API_PREFIX,
    ApiError,
    once_per_request,
    read_committed,
    side_execute_logged,
)

from ..lib.signing import generate_secret
from ..lib.verify import (
    BODY_ONLY_SCHEMES,
    DEFAULT_TOLERANCE,
    SCHEME_DEFAULTS,
    VerificationError,
    body_digest,
    event_identity,
    redact_headers,
    verify,
)

_logger = logging.getLogger(__name__)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
WEBHOOKS_PATH = f"{API_PREFIX}/webhooks"
DUPLICATE_LOCK_TIMEOUT = "2s"
DEFAULT_REPLAY_WINDOW_HOURS = 72  # Stripe's retries span 3 days, Shopify's 2, GitHub's none
MAX_REPLAY_WINDOW_HOURS = 90 * 24
REJECTION_COUNT_SECONDS = 1  # the source's refusal counter is written at most this often
# the secret the demo source had before it got a random one: still public
PUBLIC_DEMO_SECRET = "whsec_your_secret"  # noqa: S105 - a known value, searched to replace it
# read in one query by intake
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

    # ------------------------------------------------------------------ intake

    def _webhook_secrets(self):
        """The accepted secrets, current first. Read as superuser: the caller
        is an anonymous sender whose signature these secrets verify."""
        self.ensure_one()
        source = self.sudo()
        return [secret for secret in (source.secret, source.previous_secret) if secret]

    @api.model
    def _webhook_receive(self, slug, body, headers, request_id=None, content_length=None):
        """Verify and store one delivery; return (status, answer document).

        Raises ApiError for every refusal. `body` is the raw bytes, or a
        callable that takes the size limit and returns them (raising 413
        past it, so that a chunked body is never read beyond the limit);
        `headers` the request headers (werkzeug Headers or a dict);
        `content_length` the announced length, if any.
        """
        config = self._webhook_config(slug) if SLUG_RE.match(slug) else None
        if not config:
            raise ApiError(404, f"no active webhook source {slug!r}", "not_found")
        # No user is logged in: the sender is anonymous until its signature
        # is checked; its source writes its own log as superuser.
        source = self.sudo().browse(config["id"])
        limit = config["max_body_kb"] * 1024
        if (content_length or 0) > limit:
            raise ApiError(413, f"request body exceeds {limit} bytes", "payload_too_large")
        if callable(body):
            body = body(limit)
        if len(body) > limit:
            raise ApiError(413, f"request body exceeds {limit} bytes", "payload_too_large")
        try:
            verify(
                config["scheme"],
                config["secrets"],
                body,
                headers,
                header_name=config["signature_header"],
                tolerance=config["tolerance"],
            )
        except VerificationError as exc:
            source._webhook_count_rejection(exc.reason)
            raise ApiError(401, exc.message, "unauthorized") from None
        try:
            text = body.decode("utf-8")
            document = json.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"the body is not UTF-8 JSON: {exc}", "bad_request") from None
        except RecursionError:  # `[` * 100000: a 400 like any malformed body
            raise ApiError(
                400, "the body is not UTF-8 JSON: it is nested too deeply", "bad_request"
            ) from None
        event_id, event_type = event_identity(
            body,
            document,
            headers,
            id_header=config["id_header"],
            id_path=config["id_path"],
            type_header=config["type_header"],
            type_path=config["type_path"],
        )
        values = {
            "event_id": event_id,
            "event_type": event_type,
            "payload": text,
            "headers": json.dumps(
                redact_headers(headers, config["scheme"], config["signature_header"]), indent=1
            ),
            "request_id": request_id,
        }
        if config["scheme"] in BODY_ONLY_SCHEMES and config["replay_window_hours"] > 0:
            values["body_digest"] = body_digest(body)
            values["replay_window_hours"] = config["replay_window_hours"]
        if config["processing"] == "sync":
            self._webhook_read_committed()
            new_id = source._webhook_store(values)
        else:
            new_id = source._webhook_store_queued(values)
        if new_id is None:
            self._webhook_read_committed()
            original_id = source._webhook_count_duplicate(event_id, values.get("body_digest"))
            return 200, {"status": "duplicate", "event_id": original_id}
        if config["processing"] == "sync":
            # the insert above holds the new row's lock: nobody else takes it
            self.env["webhook.event"]._process_one(new_id)
        return 200, {"status": "accepted", "event_id": event_id}

    @api.model
    def _webhook_read_committed(self):
        """Run the rest of this request's transaction at READ COMMITTED (see
        the module docstring). Nothing was written in it yet: if Odoo has
        already sent a query, it is started anew."""
        cr = self.env.cr
        if isinstance(cr, sql_db.Cursor):  # a test cursor shares the test's transaction
            if cr.connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
                cr.rollback()
            read_committed(cr)

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
        return "webhook_signed" in rules.action_server_ids.mapped("state")

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

    def _webhook_insert_ctes(self, values):
        """The CTEs that store one delivery, for a top-level WITH (a WITH
        holding an INSERT cannot nest): `new_event`, the INSERT of the event
        unless (source, event id) exists, RETURNING its id; before it, when
        `values` has a `body_digest`, `digest`, the record of that body.

        The digest row is inserted, or taken over when it is older than the
        replay window; a body received within the window inserts nothing,
        and then neither does `new_event` (it reads `digest`, so it runs
        after it). Two concurrent identical bodies: the unique index makes
        the second wait for the first to commit, then finds its row.
        """
        self.ensure_one()
        digest = values.get("body_digest")
        event = SQL(
            """
            INSERT INTO webhook_event (
                source_id, event_id, event_type, payload, headers, request_id,
                state, attempts, duplicate_count, received_at,
                create_uid, create_date, write_uid, write_date)
            SELECT %s, %s, %s, %s, %s, %s, 'received', 0, 0, t.now, %s, t.now, %s, t.now
              FROM (SELECT now() AT TIME ZONE 'UTC' AS now) t
             %s
            ON CONFLICT (source_id, event_id) DO NOTHING
            RETURNING id
            """,
            self.id,
            values["event_id"],
            values["event_type"],
            values["payload"],
            values["headers"],
            values["request_id"],
            SUPERUSER_ID,
            SUPERUSER_ID,
            SQL("WHERE EXISTS (SELECT 1 FROM digest)") if digest else SQL(),
        )
        if not digest:
            return SQL("new_event AS (%s)", event)
        return SQL(
            """
            digest AS (
                INSERT INTO webhook_event_digest AS d (source_id, digest, event_id, received_at)
                VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC')
                ON CONFLICT (source_id, digest) DO UPDATE
                   SET event_id = EXCLUDED.event_id, received_at = EXCLUDED.received_at
                 WHERE d.received_at < EXCLUDED.received_at - make_interval(hours => %s)
                RETURNING 1),
            new_event AS (%s)
            """,
            self.id,
            digest,
            values["event_id"],
            values["replay_window_hours"],
            event,
        )

    def _webhook_original_query(self, values):
        """The event id of the original of a duplicate: the event first
        received with this body when the body is remembered, else the id
        sent."""
        digest = values.get("body_digest")
        if not digest:
            return SQL("%s", values["event_id"])
        return SQL(
            """
            COALESCE((SELECT event_id FROM webhook_event_digest
                       WHERE source_id = %s AND digest = %s), %s)
            """,
            self.id,
            digest,
            values["event_id"],
        )

    def _webhook_store(self, values):
        """Insert the event unless it is a duplicate, in the request's
        transaction (sync processing); return its id or None."""
        cr = self.env.cr
        cr.execute(SQL("WITH %s SELECT id FROM new_event", self._webhook_insert_ctes(values)))
        row = cr.fetchone()
        return row[0] if row else None

    def _webhook_store_queued(self, values):
        """Store an event for the processing cron; return its id or None.

        One statement in a transaction of its own, committed at once
        (my_api.core.side_execute: one round trip, while the request's own
        transaction stays read-only): the body's digest (body-only schemes),
        the insert, and the check for a due
        trigger of the processing cron. `ir.cron._trigger()` costs a trigger
        row and, after commit, a new connection to NOTIFY the cron workers;
        a due trigger already pending is enough: the KEY SHARE lock taken on
        it, held until the statement commits and so until the event is
        visible, keeps a starting cron run from deleting it (its first step)
        before then, so that run sees the event. A trigger already being
        deleted by a running job is locked, hence skipped, and a new one is
        made. Seeing the event is not enough to take it: a duplicate being
        counted holds its row (see `_webhook_count_duplicate`), and that
        duplicate made no trigger either, having found this one pending; the
        run waits for such a row rather than skip it (webhook.event
        `_claim_due`). The request log line of the
        delivery (status 200: the event is stored whatever follows) is
        written by the same statement. Only when no trigger is pending is
        one created, in the request's transaction (then the cron is notified
        after its commit). Were that commit to fail, the sender's retry,
        answered as a duplicate, creates it; without a retry the event waits
        for the cron's next regular run. When Odoo runs the request again
        after a serialization failure (waking the cron can meet one), the
        next try reuses the statement's result (once_per_request): the event
        its first try stored is this request's, not a duplicate.
        """
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id("my_webhooks.webhook_event_cron")
        # the answer is 200 from here on, new event or duplicate: its request
        # log line goes in the same statement
        store = partial(
            side_execute_logged,
            SQL(
                """
                SELECT (SELECT id FROM new_event), EXISTS (SELECT 1 FROM pending),
                       (SELECT state FROM webhook_event
                         WHERE source_id = %s AND event_id = %s)
                """,
                self.id,
                self._webhook_original_query(values),
            ),
            200,
            ctes=SQL(
                """
                %s,
                pending AS (
                    SELECT 1 FROM ir_cron_trigger
                     WHERE cron_id = %s AND call_at <= %s
                     LIMIT 1
                     FOR KEY SHARE SKIP LOCKED)
                """,
                self._webhook_insert_ctes(values),
                cron_id,
                fields.Datetime.now(),
            ),
            fetch=True,
        )
        new_id, pending, original_state = once_per_request("webhook_store_queued", store)
        # A duplicate of an event still waiting wakes the cron too: its
        # original's request may have died before it could (then this retry
        # by the sender is what gets the event processed).
        if not pending and (new_id or original_state in (None, "received")):
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()
        return new_id

    def _webhook_count_duplicate(self, event_id, digest=None):
        """Count a duplicate on the original event (best effort); return the
        original's event id (that of the first delivery of this body, for a
        body replayed under a new id).

        The original is committed by now (ON CONFLICT waited for it). While a
        cron worker processes it, its row is locked: the count waits at most
        DUPLICATE_LOCK_TIMEOUT, then gives up rather than keep the sender
        waiting (the answer is the same either way). The original may be
        gone (events are deleted before digests): nothing is counted then.
        The count holds the row until this request commits: a cron run that
        finds it locked meanwhile waits for it (webhook.event `_claim_due`),
        as this duplicate, seeing a trigger pending, woke no run of its own.
        """
        self.ensure_one()
        cr = self.env.cr
        if digest:
            values = {"event_id": event_id, "body_digest": digest}
            cr.execute(SQL("SELECT %s", self._webhook_original_query(values)))
            event_id = cr.fetchone()[0]
        try:
            with cr.savepoint(flush=False):
                cr.execute(SQL("SET LOCAL lock_timeout = %s", DUPLICATE_LOCK_TIMEOUT))
                cr.execute(
                    SQL(
                        """
                        UPDATE webhook_event
                           SET duplicate_count = duplicate_count + 1,
                               last_duplicate_at = now() AT TIME ZONE 'UTC'
                         WHERE source_id = %s AND event_id = %s
                        """,
                        self.id,
                        event_id,
                    ),
                    log_exceptions=False,
                )
                cr.execute(SQL("SET LOCAL lock_timeout TO DEFAULT"))
        except errors.LockNotAvailable:
            _logger.info("duplicate of event %s of source %s not counted: busy", event_id, self.id)
        return event_id

    def _webhook_count_rejection(self, reason):
        """Count a refused request on the source, at most once a second.

        A forger needs no secret to post: each refusal must cost the
        database as little as possible, and never a write of its own. The
        counter is bumped by one statement on a bookkeeping connection
        (side_execute), together with the request's log line, so a refusal
        costs one round trip and the request's own transaction writes
        nothing. That statement updates the source row only if its last
        refusal is REJECTION_COUNT_SECONDS old, and skips it when another
        transaction holds it (an administrator saving the form, a
        concurrent refusal being counted): a flood writes the row once a
        second at most, and no refusal waits for a lock. `rejected_count`
        is therefore a count of the seconds with refusals, not of requests.
        The statement's own clock (statement_timestamp) is used: under the
        test suite's shared transaction, now() would never move.
        """
        self.ensure_one()
        count = SQL(
            """
            UPDATE webhook_source
               SET rejected_count = COALESCE(rejected_count, 0) + 1,
                   last_rejected_at = statement_timestamp() AT TIME ZONE 'UTC',
                   last_rejected_reason = %s
             WHERE id = (
                   SELECT id FROM webhook_source
                    WHERE id = %s
                      AND (last_rejected_at IS NULL
                           OR last_rejected_at <= statement_timestamp() AT TIME ZONE 'UTC'
                                                  - make_interval(secs => %s))
                      FOR NO KEY UPDATE SKIP LOCKED)
            """,
            reason,
            self.id,
            REJECTION_COUNT_SECONDS,
        )
        # the answer is 401 from here on: its log line goes in the same statement
        try:
            side_execute_logged(count, 401)
        except psycopg2.Error:
            # bookkeeping: the refusal is answered whatever happens to its count
            _logger.warning("could not count a refused request on webhook source %s", self.id)

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
