"""Intake of inbound webhooks: from the raw request to a stored event.

`POST /api/v1/webhooks/<slug>` hands the raw request to `receive`, which
runs these steps:

1. find the active source of that slug (404 otherwise);
2. refuse a body over the source's limit (413);
3. verify the signature over the raw bytes with the source's scheme and
   secrets (401); a refused request stores nothing but a counter on the
   source, written at most once a second by a statement of its own (see
   `SourceIntake.count_rejection`), so that an attacker can neither fill any table nor
   make each forgery cost a write;
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

The source model stays what a source is: its fields and checks, the intake
settings of a slug (`webhook.source._webhook_config`, cached by each
worker) and the handler an event is processed with (`_webhook_handle`,
called by webhook.event).
"""

import json
import logging
from functools import partial

import psycopg2
from psycopg2 import errors
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from odoo import SUPERUSER_ID, fields, sql_db
from odoo.tools import SQL

from odoo.addons.my_api.public import (
    ApiError,
    once_per_request,
    read_committed,
    side_execute_logged,
)

from ..lib.verify import (
    BODY_ONLY_SCHEMES,
    VerificationError,
    body_digest,
    event_identity,
    redact_headers,
    verify,
)
from ..models.webhook_source import SLUG_RE

_logger = logging.getLogger(__name__)

DUPLICATE_LOCK_TIMEOUT = "2s"
REJECTION_COUNT_SECONDS = 1  # the source's refusal counter is written at most this often


def receive(env, slug, body, headers, request_id=None, content_length=None):
    """Verify and store one delivery; return (status, answer document).

    Raises ApiError for every refusal. `body` is the raw bytes, or a
    callable that takes the size limit and returns them (raising 413
    past it, so that a chunked body is never read beyond the limit);
    `headers` the request headers (werkzeug Headers or a dict);
    `content_length` the announced length, if any.
    """
    Source = env["webhook.source"]
    config = Source._webhook_config(slug) if SLUG_RE.match(slug) else None
    if not config:
        raise ApiError(404, f"no active webhook source {slug!r}", "not_found")
    # sudo: no user is logged in: the sender is anonymous until its
    # signature is checked; its source writes its own log as superuser
    intake = SourceIntake(Source.sudo().browse(config["id"]))
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
        intake.count_rejection(exc.reason)
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
        _read_committed(env)
        new_id = intake.store(values)
    else:
        new_id = intake.store_queued(values)
    if new_id is None:
        _read_committed(env)
        original_id = intake.count_duplicate(event_id, values.get("body_digest"))
        return 200, {"status": "duplicate", "event_id": original_id}
    if config["processing"] == "sync":
        # the insert above holds the new row's lock: nobody else takes it
        env["webhook.event"]._process_one(new_id)
    return 200, {"status": "accepted", "event_id": event_id}


def _read_committed(env):
    """Run the rest of this request's transaction at READ COMMITTED (see
    the module docstring). Nothing was written in it yet: if Odoo has
    already sent a query, it is started anew."""
    cr = env.cr
    if isinstance(cr, sql_db.Cursor):  # a test cursor shares the test's transaction
        if cr.connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
            cr.rollback()
        read_committed(cr)


class SourceIntake:
    """Storing and counting the deliveries of one source.

    Built by `receive` around the source as superuser: the sender is no
    Odoo user.
    """

    def __init__(self, source):
        source.ensure_one()
        self.source = source
        self.env = source.env

    def _insert_ctes(self, values):
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
            self.source.id,
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
            self.source.id,
            digest,
            values["event_id"],
            values["replay_window_hours"],
            event,
        )

    def _original_query(self, values):
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
            self.source.id,
            digest,
            values["event_id"],
        )

    def store(self, values):
        """Insert the event unless it is a duplicate, in the request's
        transaction (sync processing); return its id or None."""
        cr = self.env.cr
        cr.execute(SQL("WITH %s SELECT id FROM new_event", self._insert_ctes(values)))
        row = cr.fetchone()
        return row[0] if row else None

    def store_queued(self, values):
        """Store an event for the processing cron; return its id or None.

        One statement in a transaction of its own, committed at once
        (my_api's side_execute_logged: one round trip, while the request's own
        transaction stays read-only): the body's digest (body-only schemes),
        the insert, the check for a due trigger of the processing cron and
        the request's log line. The comments below say how that check keeps
        the cron from missing the event.
        """
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id("my_webhooks.webhook_event_cron")
        # the answer is 200 from here on, new event or duplicate: its request
        # log line goes in the same statement
        # `pending`: a due trigger of the cron is enough to wake it. Making one
        # (`ir.cron._trigger()`) costs a trigger row and, after commit, a new
        # connection to NOTIFY the cron workers.
        #
        # `call_at <= now`: only a due trigger wakes the cron now; a later one
        # (the retry time of a failed event) does not count.
        #
        # FOR KEY SHARE: the lock on the trigger found is held until the
        # statement commits, so until the event is visible. It keeps a starting
        # cron run from deleting that trigger (its first step, ir.cron
        # `_clear_schedule`) before then: that run sees the event.
        #
        # SKIP LOCKED: a trigger a starting run is already deleting is locked.
        # It will wake nobody: skipped, it does not count as pending.
        #
        # `original_state`: the state of the original, for a duplicate. NULL
        # when it is gone, or not in this statement's snapshot (a concurrent
        # delivery's, committed while the insert waited for it).
        store = partial(
            side_execute_logged,
            SQL(
                """
                SELECT (SELECT id FROM new_event), EXISTS (SELECT 1 FROM pending),
                       (SELECT state FROM webhook_event
                         WHERE source_id = %s AND event_id = %s)
                """,
                self.source.id,
                self._original_query(values),
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
                self._insert_ctes(values),
                cron_id,
                fields.Datetime.now(),
            ),
            fetch=True,
        )
        # Odoo runs the request again after a serialization failure (waking the
        # cron can meet one): the next try reuses the statement's result. The
        # event its first try stored is this request's, not a duplicate.
        new_id, pending, original_state = once_per_request("webhook_store_queued", store)
        # Seeing the event is not enough for a run to take it: a duplicate
        # being counted holds its row (count_duplicate), and that duplicate
        # made no trigger either, having found this one pending. The run waits
        # for such a row rather than skip it (webhook.event `_claim_due`).
        #
        # A duplicate of an event still waiting wakes the cron too: its
        # original's request may have died before it could (then this retry
        # by the sender is what gets the event processed).
        #
        # Only when no trigger is pending is one made, in the request's
        # transaction: the cron is notified after its commit. Were that commit
        # to fail, the sender's retry, answered as a duplicate, makes it;
        # without a retry the event waits for the cron's next regular run.
        if not pending and (new_id or original_state in (None, "received")):
            # sudo: waking a system cron is no business of the sender's rights
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()
        return new_id

    def count_duplicate(self, event_id, digest=None):
        """Count a duplicate on the original event (best effort); return the
        original's event id (that of the first delivery of this body, for a
        body replayed under a new id).

        The original is committed by now (ON CONFLICT waited for it); it may
        be gone (events are deleted before digests): nothing is counted then.
        """
        cr = self.env.cr
        if digest:
            values = {"event_id": event_id, "body_digest": digest}
            cr.execute(SQL("SELECT %s", self._original_query(values)))
            event_id = cr.fetchone()[0]
        try:
            with cr.savepoint(flush=False):
                # While a cron worker processes the original, its row is locked:
                # wait at most DUPLICATE_LOCK_TIMEOUT, then give up rather than
                # keep the sender waiting (the answer is the same either way).
                cr.execute(SQL("SET LOCAL lock_timeout = %s", DUPLICATE_LOCK_TIMEOUT))
                # The count holds the row until this request commits. A cron run
                # that finds it locked meanwhile waits for it (webhook.event
                # `_claim_due`): this duplicate, seeing a trigger pending, woke
                # no run of its own.
                cr.execute(
                    SQL(
                        """
                        UPDATE webhook_event
                           SET duplicate_count = duplicate_count + 1,
                               last_duplicate_at = now() AT TIME ZONE 'UTC'
                         WHERE source_id = %s AND event_id = %s
                        """,
                        self.source.id,
                        event_id,
                    ),
                    log_exceptions=False,
                )
                cr.execute(SQL("SET LOCAL lock_timeout TO DEFAULT"))
        except errors.LockNotAvailable:
            _logger.info(
                "duplicate of event %s of source %s not counted: busy", event_id, self.source.id
            )
        return event_id

    def count_rejection(self, reason):
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
            self.source.id,
            REJECTION_COUNT_SECONDS,
        )
        # the answer is 401 from here on: its log line goes in the same statement
        try:
            side_execute_logged(count, 401)
        except psycopg2.Error:
            # bookkeeping: the refusal is answered whatever happens to its count
            _logger.warning(
                "could not count a refused request on webhook source %s", self.source.id
            )
