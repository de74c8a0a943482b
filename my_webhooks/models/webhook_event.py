"""The log of verified inbound webhook deliveries and their processing.

One row per (source, event id), enforced by a unique constraint: see
webhook_source.py for how deliveries get here. Processing happens after the
sender's answer, by the "Webhooks: process inbound events" cron that intake
wakes with `ir.cron._trigger()`:

- a worker claims one due event with `SELECT ... FOR NO KEY UPDATE SKIP
  LOCKED` in a transaction of its own (the cron commits after each
  event), so any number of cron workers (or servers) can run side by side
  and an event is never handled twice at once; a worker that dies
  releases its lock and the event is due again;
- the handler runs in a savepoint of that transaction: on success the event
  is `done` (handler changes and state commit together); on failure the
  handler's changes are rolled back, the event is `failed` with the error,
  and is due again after a backoff (RETRY_DELAYS) until the source's
  maximum number of attempts; then it stays failed until someone presses
  Reprocess.

Handlers run as superuser, like Odoo's own "On webhook" automation rules:
the sender is a machine whose signature was verified, not a user.
"""

import datetime
import json
import logging
import traceback

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.my_api.core import read_committed

_logger = logging.getLogger(__name__)

# seconds to wait before attempt n + 1 after attempt n failed
RETRY_DELAYS = (30, 120, 600, 3600, 4 * 3600, 12 * 3600)
CRON_BATCH = 500  # events processed by one cron run before it re-triggers itself
ERROR_LIMIT = 4000
DEFAULT_RETENTION_DAYS = 30


def retry_delay(attempts):
    """Seconds before the next attempt once `attempts` attempts failed."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


class WebhookEvent(models.Model):
    """One verified delivery of an inbound webhook."""

    _name = "webhook.event"
    _description = "Inbound Webhook Event"
    _order = "id desc"
    _rec_name = "event_id"

    # indexed by the (source_id, event_id) unique constraint
    source_id = fields.Many2one("webhook.source", required=True, ondelete="cascade", readonly=True)
    event_id = fields.Char("Event ID", required=True, readonly=True)
    event_type = fields.Char(readonly=True, index=True)
    payload = fields.Text(readonly=True, help="The body exactly as received.")
    headers = fields.Text(readonly=True, help="Request headers, signatures redacted.")
    request_id = fields.Char(readonly=True, help="X-Request-Id of the delivery.")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("processing", "Processing"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        required=True,
        default="received",
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(
        readonly=True, help="When a failed event is tried again; empty once retries are spent."
    )
    processed_at = fields.Datetime(readonly=True)
    error = fields.Text(readonly=True)
    duplicate_count = fields.Integer(
        "Duplicates", readonly=True, help="Deliveries of the same event answered as duplicates."
    )
    last_duplicate_at = fields.Datetime(readonly=True)

    _source_event_uniq = models.Constraint(
        "UNIQUE(source_id, event_id)", "This source already delivered an event with this id."
    )

    def _payload(self):
        self.ensure_one()
        return json.loads(self.payload or "null")

    # ------------------------------------------------------------- claiming

    @api.model
    def _claim_due(self, event_id=None):
        """Lock and return one due event (or the given one, if due), or an
        empty recordset when none is free."""
        restrict = SQL("AND id = %s", event_id) if event_id else SQL()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM webhook_event
                 WHERE (state = 'received' OR (state = 'failed' AND next_attempt_at <= %s))
                   %s
                 ORDER BY id
                 LIMIT 1
                 FOR NO KEY UPDATE SKIP LOCKED
                """,
                fields.Datetime.now(),
                restrict,
            )
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0] if row else ())

    @api.model
    def _process_one(self, event_id=None):
        """Claim one due event (or the given one, if due) and process it in
        the current transaction. Return True if an event was processed."""
        # handlers run as superuser (module docstring), whoever calls
        event = self.sudo()._claim_due(event_id)
        if not event:
            return False
        event._process_locked()
        return True

    @api.model
    def _cron_process(self):
        """Cron: process due events, each in a transaction of its own at
        READ COMMITTED (intake counts duplicates on these rows meanwhile),
        until none is due or the cron's time is up."""
        done = 0
        # ends the cron's own bookkeeping transaction: READ COMMITTED must be
        # the first statement of the next one
        time_left = self.env["ir.cron"]._commit_progress(0)
        while done < CRON_BATCH and time_left > 0:
            read_committed(self.env.cr)
            if not self._process_one():
                return done
            done += 1
            time_left = self.env["ir.cron"]._commit_progress(1)
        # more may be due: let the next run (right away) take them
        self.env.ref("my_webhooks.webhook_event_cron")._trigger()
        return done

    @api.autovacuum
    def _gc_done_events(self):
        """Delete processed events older than `my_webhooks.event_retention_days`
        (default 30; 0 keeps them forever). Failed and waiting events stay.
        A sender's retry of a deleted event would be taken as new: keep
        events longer than any sender retries (Stripe: 3 days). The schemes
        that sign the body only do not depend on it: their body digests
        (webhook.event.digest) stay for the source's replay window, however
        soon events go."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("my_webhooks.event_retention_days", DEFAULT_RETENTION_DAYS)
        )
        if days <= 0:
            return
        limit = fields.Datetime.now() - datetime.timedelta(days=days)
        self.search([("state", "=", "done"), ("received_at", "<", limit)]).unlink()

    # ----------------------------------------------------------- processing

    def _process_locked(self):
        """Run the handler on this event, whose row lock the caller holds."""
        self.ensure_one()
        source = self.source_id
        self.write({"state": "processing", "attempts": self.attempts + 1})
        try:
            with self.env.cr.savepoint():
                source._webhook_handle(self, self._payload())
                self.env.flush_all()
        except Exception as exc:  # any handler error fails the event (and is retried)
            self._record_failure(exc)
            return False
        self.write(
            {
                "state": "done",
                "processed_at": fields.Datetime.now(),
                "next_attempt_at": False,
                "error": False,
            }
        )
        return True

    def _record_failure(self, exc):
        source = self.source_id
        retry = self.attempts < source.max_attempts
        next_at = False
        if retry:
            next_at = fields.Datetime.now() + datetime.timedelta(seconds=retry_delay(self.attempts))
            self.env.ref("my_webhooks.webhook_event_cron")._trigger(next_at)
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        self.write(
            {
                "state": "failed",
                "error": message[:ERROR_LIMIT],
                "next_attempt_at": next_at,
            }
        )
        _logger.info(
            "inbound webhook event %s (source %s) failed, attempt %s/%s%s: %s",
            self.id,
            source.slug,
            self.attempts,
            source.max_attempts,
            f", next at {next_at}" if retry else ", no retry left",
            message.splitlines()[-1] if message else type(exc).__name__,
        )

    def action_reprocess(self):
        """Run the handler again now, whatever the attempts so far."""
        events = self.filtered(lambda event: event.state in ("failed", "received"))
        if not events:
            raise UserError(self.env._("Only failed or waiting events can be reprocessed."))
        # lock the rows: a cron worker busy with one of them finishes first
        self.env.cr.execute(
            SQL(
                "SELECT id FROM webhook_event WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                tuple(events.ids),
            )
        )
        for event in events.sudo():  # handlers run as superuser, as from the cron
            event.write({"attempts": 0, "next_attempt_at": False})
            event._process_locked()
        return True
