"""The log of verified inbound webhook deliveries and their processing.

One row per (source, event id), enforced by a unique constraint: see
services/intake.py for how deliveries get here. Processing happens after the
sender's answer, by the "Webhooks: process inbound events" cron that intake
wakes with `ir.cron._trigger()`:

- a worker claims one due event with `SELECT ... FOR NO KEY UPDATE SKIP
  LOCKED` in a transaction of its own (the cron commits after each
  event), so any number of cron workers (or servers) can run side by side
  and an event is never handled twice at once; a worker that dies
  releases its lock and the event is due again. A run of the cron that
  finds only locked due events (a duplicate being counted on one) waits
  for them briefly, or wakes the cron again (see `_claim_due`);
- the handler runs in a savepoint of that transaction: on success the event
  is `done` (handler changes and state commit together); on failure the
  handler's changes are rolled back, the event is `failed` with the error,
  and is due again after a backoff (lib/retry.py) until the source's
  maximum number of attempts; then it stays failed until someone presses
  Reprocess.

Handlers run as superuser, like Odoo's own "On webhook" automation rules:
the sender is a machine whose signature was verified, not a user.
"""

import datetime
import json
import logging
import traceback

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.my_api.public import read_committed

from ..lib.retry import INBOUND_SCHEDULE, retry_delay
from ..settings import setting

_logger = logging.getLogger(__name__)

CRON_BATCH = 500  # events processed by one cron run before it re-triggers itself
ERROR_LIMIT = 4000
# how long the cron waits for a due event another transaction holds (see _claim_due)
CLAIM_LOCK_TIMEOUT = "2s"


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
    def _claim_due(self, event_id=None, wait=False):
        """Lock and return one due event (or the given one, if due), or an
        empty recordset when none is.

        Rows another transaction holds are skipped (SKIP LOCKED): claimers
        never queue behind each other. With `wait` (the cron), a due row
        that is locked is waited for, up to CLAIM_LOCK_TIMEOUT, when no due
        row is free; LockNotAvailable is raised if it is still locked then.
        """
        cr = self.env.cr
        restrict = SQL("AND id = %s", event_id) if event_id else SQL()
        while True:
            due = SQL(
                "(state = 'received' OR (state = 'failed' AND next_attempt_at <= %s))",
                fields.Datetime.now(),
            )
            cr.execute(
                SQL(
                    """
                    SELECT id FROM webhook_event
                     WHERE %s %s
                     ORDER BY id
                     LIMIT 1
                     FOR NO KEY UPDATE SKIP LOCKED
                    """,
                    due,
                    restrict,
                )
            )
            row = cr.fetchone()
            if row or not wait:
                break
            # None free: is one due but locked? The cron must not skip it and
            # stop. Odoo runs one run of a cron job at a time (it locks the
            # job), so the lock is not another run's. It is a duplicate's:
            # intake's `count_duplicate` updates the event in the duplicate's
            # request, which holds the row until it commits.
            #
            # That duplicate's intake found the trigger that woke this run
            # still pending, so it made none; the run deleted that trigger as
            # it started (ir.cron `_clear_schedule`). Had the run skipped the
            # row and found nothing else, no trigger would be left and the
            # event would wait for the cron's regular run (10 minutes).
            #
            # Waiting here rather than making each holder of the row keep a
            # trigger for it: the cron is the one place that knows a run is
            # ending with a due event left, whoever holds it (a duplicate's
            # count, a Reprocess, a handler run from a shell), and intake
            # keeps its single statement.
            cr.execute(SQL("SELECT id FROM webhook_event WHERE %s ORDER BY id LIMIT 1", due))
            busy = cr.fetchone()
            if not busy:
                break
            # The run waits for the row (a request holds it for milliseconds)
            # and takes it. Re-triggering at once without waiting would spin
            # the cron for as long as the lock lasts.
            #
            # The row is read again once locked (READ COMMITTED): if it is no
            # longer due (processed by a Reprocess that held it), the claim
            # starts over, as other rows may have been freed meanwhile.
            with cr.savepoint(flush=False):
                cr.execute(SQL("SET LOCAL lock_timeout = %s", CLAIM_LOCK_TIMEOUT))
                cr.execute(
                    SQL(
                        "SELECT id FROM webhook_event WHERE id = %s AND %s FOR NO KEY UPDATE",
                        busy[0],
                        due,
                    ),
                    log_exceptions=False,
                )
                row = cr.fetchone()
                cr.execute(SQL("SET LOCAL lock_timeout TO DEFAULT"))
            if row:
                break
        return self.browse(row[0] if row else ())

    @api.model
    def _process_one(self, event_id=None, wait=False):
        """Claim one due event (or the given one, if due) and process it in
        the current transaction. Return True if an event was processed.
        `wait`: see `_claim_due`."""
        # handlers run as superuser (module docstring), whoever calls
        event = self.sudo()._claim_due(event_id, wait=wait)
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
        cron = self.env.ref("my_webhooks.webhook_event_cron")
        # ends the cron's own bookkeeping transaction: READ COMMITTED must be
        # the first statement of the next one
        time_left = self.env["ir.cron"]._commit_progress(0)
        while done < CRON_BATCH and time_left > 0:
            read_committed(self.env.cr)
            try:
                if not self._process_one(wait=True):
                    return done
            except errors.LockNotAvailable:
                # A due event still locked after CLAIM_LOCK_TIMEOUT (a request
                # that hangs after counting a duplicate, a slow handler run by
                # Reprocess) ends the run with a trigger for a new one,
                # notified at once: the next run waits for it again.
                #
                # While such a lock lasts the cron thus runs once per
                # CLAIM_LOCK_TIMEOUT, neither spinning nor leaving the event
                # to its regular run should the holder roll back.
                _logger.info("inbound webhook events due but locked: processing them later")
                cron._trigger()
                return done
            done += 1
            time_left = self.env["ir.cron"]._commit_progress(1)
        # more may be due: let the next run (right away) take them
        cron._trigger()
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
        days = setting(self.env, "event_retention_days")
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
            delay = retry_delay(self.attempts, INBOUND_SCHEDULE, jitter=0)
            next_at = fields.Datetime.now() + datetime.timedelta(seconds=delay)
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
