import collections
import datetime
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2.errors
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED, TRANSACTION_STATUS_IDLE

from odoo import api, fields, models, sql_db
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

from ..lib import outbound, retry, wakeup
from ..lib.signing import signature_headers
from ..settings import setting
from .ir_actions_server import NO_ENQUEUE

_logger = logging.getLogger(__name__)

DUE_STATES = ("pending", "retrying")
TRIGGER_FLAG = "my_webhooks.worker_triggered"
# a batch stops starting attempts after this many seconds (or `batch_size`
# attempts), unless an attempt started before is still running
BATCH_SECONDS = 5
CANDIDATES = 25  # due rows of an endpoint read at once, then locked one at a time
ERROR_LIMIT = 1000
# process-wide: wakes the cron workers at the next retry time (see _schedule_next_run)
ALARMS = wakeup.AlarmClock()


def _now():
    """The current UTC time with its microseconds (fields.Datetime.now()
    drops them: a row due at 12:00:00.5 would look not due until 12:00:01,
    and a cron woken for it at 12:00:00.5 would find nothing to do)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]


def _error_text(result):
    return result.error or f"HTTP {result.status}"


def _outcome(result, attempt_no, schedule, max_attempts):
    """The row's new state after attempt number `attempt_no`: delivered on a
    2xx, dead on 410 Gone or after the last attempt, else retried after the
    schedule's delay (or the receiver's Retry-After on 429/502/503/504)."""
    vals = {
        "state": "retrying",
        "next": None,
        "delivered": None,
        "last_error": None if result.ok and not result.error else _error_text(result),
    }
    if result.ok:
        vals.update(state="delivered", delivered=fields.Datetime.now())
    elif result.status == 410 or attempt_no >= max_attempts:
        vals.update(state="dead")
    else:
        retry_after = None
        if result.status in (429, 502, 503, 504):
            retry_after = outbound.parse_retry_after(result.headers.get("retry-after"))
        delay = retry.retry_delay(attempt_no, schedule, retry_after=retry_after)
        vals.update(next=_now() + datetime.timedelta(seconds=delay))
    return vals


class WebhookDelivery(models.Model):
    """One event for one endpoint: the transactional outbox row.

    The row is written by the endpoint's automation rule in the transaction
    of the change, with its JSON body frozen at that moment, so that a
    rolled-back change leaves nothing to send and a committed one is never
    lost. The delivery cron claims due rows with FOR NO KEY UPDATE SKIP
    LOCKED and keeps each locked while it posts it, so any number of
    workers can run at once and none sends a row another one is sending. A
    worker that dies mid-way releases its lock with its transaction: the row
    is sent again later, with the same event id (at-least-once; receivers
    dedupe on `webhook-id`).

    One receiver must never cost another delivery anything, so each attempt
    is a transaction of its own (claim one row, post it, record the outcome,
    commit: a crash loses no recorded attempt, and a failure of any kind is
    that row's failed attempt), endpoints are served round-robin by a few
    lanes in parallel (a slow receiver holds one lane, up to its deadline),
    and an endpoint that timed out is left alone for the rest of the batch.
    """

    _name = "webhook.delivery"
    _description = "Webhook Delivery"
    _order = "id desc"
    _rec_name = "event_id"

    endpoint_id = fields.Many2one(
        "webhook.endpoint", required=True, ondelete="cascade", index=True, readonly=True
    )
    event_id = fields.Char("Event ID", required=True, readonly=True, copy=False)
    event = fields.Char(required=True, readonly=True)
    model = fields.Char(required=True, readonly=True, index=True)
    res_id = fields.Integer("Record ID", readonly=True, index=True)
    payload = fields.Text(required=True, readonly=True, help="The JSON body, as sent.")
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("retrying", "Retrying"),
            ("delivered", "Delivered"),
            ("dead", "Dead"),
        ],
        required=True,
        default="pending",
        readonly=True,
        index=True,
    )
    attempt_count = fields.Integer("Attempts", readonly=True, default=0)
    next_attempt_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    delivered_at = fields.Datetime(readonly=True)
    last_status_code = fields.Integer("Last status", readonly=True)
    last_duration_ms = fields.Integer(
        "Last duration (ms)",
        readonly=True,
        aggregator="avg",
        help="How long the last attempt took: the latency the deliveries' graph and "
        "pivot average. Written with the attempt, by the worker's one statement.",
    )
    last_error = fields.Text(readonly=True)
    attempt_ids = fields.One2many("webhook.delivery.attempt", "delivery_id", "Attempt log")

    _event_id_unique = models.UniqueIndex("(event_id, endpoint_id)")
    _due_index = models.Index("(next_attempt_at, id) WHERE state IN ('pending', 'retrying')")
    _endpoint_due_index = models.Index(
        "(endpoint_id, next_attempt_at, id) WHERE state IN ('pending', 'retrying')"
    )
    # the dead rows of an endpoint, counted by its health figures (a few rows
    # at most: the outbox never inserts one, only the worker's last attempt)
    _endpoint_dead_index = models.Index("(endpoint_id) WHERE state = 'dead'")

    def _auto_init(self):
        """On upgrade, rows from before `last_duration_ms` get the duration of
        their last logged attempt, so the latency figures cover them too."""
        cr = self.env.cr
        if table_exists(cr, self._table) and not column_exists(cr, self._table, "last_duration_ms"):
            create_column(cr, self._table, "last_duration_ms", "int4")
            self._fill_last_duration()
        return super()._auto_init()

    def _fill_last_duration(self):
        """Set `last_duration_ms` of the rows without one from their attempt log."""
        self.env.cr.execute(
            SQL(
                """UPDATE webhook_delivery d
                      SET last_duration_ms = a.duration_ms
                     FROM (SELECT DISTINCT ON (delivery_id) delivery_id, duration_ms
                             FROM webhook_delivery_attempt
                            ORDER BY delivery_id, attempt_no DESC, id DESC) a
                    WHERE a.delivery_id = d.id AND d.last_duration_ms IS NULL"""
            )
        )

    # ------------------------------------------------------------- enqueue
    def _trigger_worker(self):
        """Wake the delivery cron once this transaction commits.

        `ir.cron._trigger()` writes its trigger row in the transaction (a
        rollback removes it with the deliveries) and notifies the cron
        workers after commit; it runs once per transaction, at commit time.
        """
        cr = self.env.cr
        if cr.precommit.data.get(TRIGGER_FLAG):
            return
        cr.precommit.data[TRIGGER_FLAG] = True
        cron = self.env.ref("my_webhooks.ir_cron_webhook_delivery", raise_if_not_found=False)
        if cron:
            # sudo: waking a system cron is no business of the user's rights
            cr.precommit.add(cron.sudo()._trigger)

    @api.model
    def _insert_outbox(self, vals_list):
        """Write outbox rows with one INSERT, however many there are.

        The rows are written inside the transaction of the user's change, so
        their cost is paid by every bulk write on a watched model: one
        INSERT ... SELECT FROM unnest() instead of the ORM's per-record
        create machinery (these rows have no computed field, default or
        constraint in Python to honour).
        """
        if not vals_list:
            return self.browse()
        now = fields.Datetime.now()  # whole seconds, as the ORM stores datetimes
        uid = self.env.uid
        columns = ("endpoint_id", "event_id", "event", "model", "res_id", "payload")
        self.env.cr.execute(
            SQL(
                """INSERT INTO webhook_delivery
                       (endpoint_id, event_id, event, model, res_id, payload, state,
                        attempt_count, next_attempt_at, create_uid, create_date,
                        write_uid, write_date)
                   SELECT endpoint_id, event_id, event, model, res_id, payload, 'pending',
                          0, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                   FROM unnest(%(endpoint)s::int[], %(event_id)s::varchar[],
                               %(event)s::varchar[], %(model)s::varchar[],
                               %(res_id)s::int[], %(payload)s::text[])
                        AS t(endpoint_id, event_id, event, model, res_id, payload)
                   RETURNING id""",
                now=now,
                uid=uid,
                endpoint=[vals[columns[0]] for vals in vals_list],
                event_id=[vals[columns[1]] for vals in vals_list],
                event=[vals[columns[2]] for vals in vals_list],
                model=[vals[columns[3]] for vals in vals_list],
                res_id=[vals[columns[4]] for vals in vals_list],
                payload=[vals[columns[5]] for vals in vals_list],
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    # -------------------------------------------------------------- worker
    @api.model
    def _cron_deliver(self):
        """Cron entry point: deliver one batch, tell the cron what remains.

        Odoo's cron runner calls this again while rows remain and time is
        left. Once the cron's time share is used, this run reports nothing
        remaining and ends: the trigger left for what is still due starts
        the next run at once, after the other jobs that are ready.
        """
        done, remaining = self._deliver_batch()
        if self.env.context.get("ir_cron_progress_id"):
            if time.monotonic() >= self.env.context.get("cron_end_time", float("inf")):
                remaining = 0
            self.env["ir.cron"]._commit_progress(done, remaining=remaining)
        return done

    @api.model
    def _count_due(self):
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FROM webhook_delivery d
                   JOIN webhook_endpoint e ON e.id = d.endpoint_id
                   WHERE d.state IN %s AND d.next_attempt_at <= %s AND e.active""",
                DUE_STATES,
                _now(),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _deliver_due(self, limit=None):
        """Deliver one batch of due rows; returns how many were attempted."""
        return self._deliver_batch(limit)[0]

    @api.model
    def _deliver_batch(self, limit=None):
        """Attempt about `limit` due deliveries, each in a transaction of its
        own, in a few lanes (threads) that serve the endpoints with due rows
        round-robin; then leave the cron a trigger for the next due row.
        Returns (attempted, still due now).

        The transactions are on cursors of their own, never the caller's.
        """
        if limit is None:
            limit = setting(self.env, "batch_size")
        lanes = setting(self.env, "worker_lanes")
        registry = self.env.registry
        with registry.cursor() as cr:
            # sudo: the worker is the system delivering its own outbox
            env = self.env(cr=cr, su=True, context={**self.env.context, NO_ENQUEUE: True})
            endpoint_ids = env["webhook.delivery"]._due_endpoints()
            allow_list = env["webhook.endpoint"]._allow_list()
        attempted = 0
        if endpoint_ids:
            batch = _Batch(endpoint_ids, limit, BATCH_SECONDS)
            with ThreadPoolExecutor(lanes, thread_name_prefix="webhook-delivery") as pool:
                futures = [
                    pool.submit(_Lane(registry, self.env.uid, batch, allow_list).run)
                    for _lane in range(lanes)
                ]
            for future in futures:
                future.result()  # a lane only fails on what no delivery caused
            attempted = batch.attempted
        with registry.cursor() as cr:
            env = self.env(cr=cr, su=True, context={**self.env.context, NO_ENQUEUE: True})
            remaining = env["webhook.delivery"]._count_due()
            env["webhook.delivery"]._schedule_next_run()
        return attempted, remaining

    @api.model
    def _due_endpoints(self):
        """Active endpoints with due rows, the one waiting longest first."""
        self.env.cr.execute(
            SQL(
                """SELECT e.id FROM webhook_endpoint e
                   CROSS JOIN LATERAL (
                       SELECT d.next_attempt_at FROM webhook_delivery d
                       WHERE d.endpoint_id = e.id AND d.state IN %s AND d.next_attempt_at <= %s
                       ORDER BY d.next_attempt_at LIMIT 1) first_due
                   WHERE e.active
                   ORDER BY first_due.next_attempt_at, e.id""",
                DUE_STATES,
                _now(),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _claim_due(self, limit):
        """Lock due rows of active endpoints, skipping rows locked elsewhere."""
        self.env.cr.execute(
            SQL(
                """SELECT d.id FROM webhook_delivery d
                   JOIN webhook_endpoint e ON e.id = d.endpoint_id
                   WHERE d.state IN %s AND d.next_attempt_at <= %s AND e.active
                   ORDER BY d.next_attempt_at, d.id
                   LIMIT %s
                   FOR NO KEY UPDATE OF d SKIP LOCKED""",
                DUE_STATES,
                _now(),
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _due_ids(self, endpoint_id, after=None, skip_ids=(), limit=CANDIDATES):
        """The next due rows of this endpoint, in order, as (id,
        next_attempt_at): candidates, locked one at a time by the query of
        _claim_row_query().

        One ordered scan per `limit` rows, not per row: right after a burst
        the table's statistics are stale, the planner may scan all of the
        endpoint's rows and sort them, and the rows just delivered leave dead
        entries at the head of the due index until a vacuum. `after`, where
        the previous call stopped, starts the scan past them: the
        (next_attempt_at, id) of its last candidate, in the scan's order,
        the reverse of a candidate's.
        """
        self.env.cr.execute(
            SQL(
                """SELECT d.id, d.next_attempt_at FROM webhook_delivery d
                   WHERE d.endpoint_id = %s AND d.state IN %s AND d.next_attempt_at <= %s
                     AND d.id != ALL(%s::int[]) %s
                   ORDER BY d.next_attempt_at, d.id
                   LIMIT %s""",
                endpoint_id,
                DUE_STATES,
                _now(),
                list(skip_ids),
                SQL("AND (d.next_attempt_at, d.id) > (%s, %s)", *after) if after else SQL(),
                limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _claim_row_query(self, delivery_id):
        """The query that locks this row if it is still due on an active
        endpoint and no one else holds it, and returns what sending it needs
        (run by the lane as the first statement of the attempt)."""
        return SQL(
            """SELECT d.id, d.event_id, d.event, d.payload, d.attempt_count, e.write_date
               FROM webhook_delivery d
               JOIN webhook_endpoint e ON e.id = d.endpoint_id
               WHERE d.id = %s AND d.state IN %s AND d.next_attempt_at <= %s AND e.active
               FOR NO KEY UPDATE OF d SKIP LOCKED""",
            delivery_id,
            DUE_STATES,
            _now(),
        )

    @api.model
    def _endpoint_settings(self, endpoint_id):
        """What sending to this endpoint needs, read once per batch and lane
        (until the endpoint is written or a previous secret expires).

        Old data the form would now refuse must fail only the deliveries of
        its endpoint: unusable custom headers are kept as an error, sent as
        each delivery's failed attempt.
        """
        endpoint = self.env["webhook.endpoint"].browse(endpoint_id)
        try:
            headers, error = endpoint._parse_custom_headers(), None
        except ValidationError:
            # the message quotes the header line: it may hold a credential
            headers, error = None, "the endpoint's custom headers are invalid; correct them"
        return {
            "id": endpoint.id,
            "name": endpoint.name,
            "url": endpoint.url,
            "timeout": endpoint.timeout,
            "headers": headers,
            "error": error,
            "secrets": endpoint._signing_secrets(),
            "valid_until": endpoint.previous_secret_expires_at,
            "schedule": endpoint._schedule(),
            "max_attempts": endpoint.max_attempts,
            "last_status": endpoint.last_status,
            "last_error": endpoint.last_error,
            "failing_since": endpoint.failing_since,
            "write_date": endpoint.write_date,
            "feedback": True,
        }

    @api.model
    def _post_row(self, transport, settings, row):
        """POST one claimed row; never raises: a failure of any kind is this
        row's failed attempt."""
        try:
            if settings["error"]:
                return outbound.Result(None, 0, error=settings["error"])
            body = row["payload"].encode()
            headers = dict(settings["headers"], **{"X-Odoo-Event": row["event"]})
            headers.update(
                signature_headers(settings["secrets"], row["event_id"], time.time(), body)
            )
            return transport.post(settings["url"], body, headers, timeout=settings["timeout"])
        except Exception as exc:  # any failure is this delivery's attempt
            return outbound.Result(None, 0, error=f"cannot send: {_describe(exc)}")

    @api.model
    def _record_attempt_query(self, row, result, started, settings):
        """The attempt log line and the row's new state, in one statement
        (the row is locked by the caller): (query, new state)."""
        attempt_no = (row["attempt_count"] or 0) + 1
        vals = _outcome(result, attempt_no, settings["schedule"], settings["max_attempts"])
        now = fields.Datetime.now()
        query = SQL(
            """WITH attempt AS (
                       INSERT INTO webhook_delivery_attempt
                           (delivery_id, attempt_no, date, duration_ms, status_code, error,
                            response_excerpt, create_uid, create_date, write_uid, write_date)
                       VALUES (%(id)s, %(no)s, %(started)s, %(ms)s, %(status)s, %(error)s,
                               %(excerpt)s, %(uid)s, %(now)s, %(uid)s, %(now)s))
                   UPDATE webhook_delivery
                      SET attempt_count = %(no)s, state = %(state)s,
                          next_attempt_at = COALESCE(%(next)s, next_attempt_at),
                          delivered_at = COALESCE(%(delivered)s, delivered_at),
                          last_status_code = %(status)s, last_duration_ms = %(ms)s,
                          last_error = %(last_error)s,
                          write_uid = %(uid)s, write_date = %(now)s
                    WHERE id = %(id)s""",
            id=row["id"],
            no=attempt_no,
            started=started,
            ms=result.duration_ms,
            status=result.status or 0,
            error=result.error or None,
            excerpt=result.excerpt or None,
            uid=self.env.uid,
            now=now,
            **vals,
        )
        _logger.info(
            "Webhook %s to %s: attempt %s -> %s",
            row["event_id"],
            settings["name"],
            attempt_no,
            result.status or result.error,
        )
        return query, vals["state"]

    @api.model
    def _feedback_needed(self, settings, result):
        """Whether the endpoint must hear of this answer: when it changes what
        the endpoint shows, or may disable it. Not a write per delivery."""
        if result.ok:
            return settings["last_status"] != str(result.status) or bool(settings["failing_since"])
        if result.status == 410 or not settings["failing_since"]:
            return True
        status = str(result.status) if result.status else "error"
        if (settings["last_status"], settings["last_error"]) != (status, _error_text(result)):
            return True
        hours = setting(self.env, "disable_after_hours")
        return fields.Datetime.now() - settings["failing_since"] >= datetime.timedelta(hours=hours)

    @api.model
    def _lock_endpoint(self, endpoint_id):
        """Lock the endpoint's row (waiting for whoever holds it); False if it
        is gone meanwhile."""
        self.env.cr.execute(
            SQL("SELECT id FROM webhook_endpoint WHERE id = %s FOR NO KEY UPDATE", endpoint_id)
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _endpoint_feedback(self, settings, result):
        """Record the answer on the endpoint (which may disable it)."""
        endpoint = self.env["webhook.endpoint"].browse(settings["id"])
        if result.ok:
            endpoint._record_success(result.status)
        else:
            endpoint._record_failure(result.status, _error_text(result), gone=result.status == 410)
        settings.update(
            last_status=endpoint.last_status,
            last_error=endpoint.last_error,
            failing_since=endpoint.failing_since,
            write_date=endpoint.write_date,
        )

    # ------------------------------------------------------------ wake-ups
    @api.model
    def _schedule_next_run(self):
        """Leave the delivery cron a trigger at the earliest next attempt of
        everything still due, whatever its endpoint, unless a trigger at or
        before then is pending already; and wake the cron workers then."""
        cr = self.env.cr
        # The earliest of everything still due, not of the batch's own
        # retries: rows that were not in the batch (another endpoint's, or
        # retries whose jitter put them after the run) would wait for the
        # cron's interval.
        cr.execute(
            SQL(
                """SELECT min(d.next_attempt_at) FROM webhook_delivery d
                   JOIN webhook_endpoint e ON e.id = d.endpoint_id
                   WHERE d.state IN %s AND e.active""",
                DUE_STATES,
            )
        )
        at = cr.fetchone()[0]
        cron = self.env.ref("my_webhooks.ir_cron_webhook_delivery", raise_if_not_found=False)
        if at is None or not cron:
            return
        now = _now()
        # Whole seconds, rounded up: a cron run clears the triggers due when
        # it starts to the second (call_at <= now without microseconds), so
        # a trigger at 12:00:00.5 would outlive the run it starts and wake
        # nobody again.
        at = max(at, now)
        if at.microsecond:
            at = at.replace(microsecond=0) + datetime.timedelta(seconds=1)
        # A trigger pending at or before `at` does: the run it starts leaves
        # the next one.
        #
        # SKIP LOCKED: the triggers a starting cron run is deleting (its
        # first step, committed at its end) are locked, and will wake nobody.
        #
        # KEY SHARE keeps the one found from being deleted before this
        # transaction commits.
        #
        # In a savepoint: under REPEATABLE READ (a cron run's cursor),
        # PostgreSQL refuses to lock a trigger that another run deleted
        # after this transaction's snapshot (a serialization failure). That
        # trigger has woken its run already: none is pending, so a new one is
        # left, and the run goes on. Not logged: it is no error.
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        """SELECT call_at FROM ir_cron_trigger
                           WHERE cron_id = %s AND call_at <= %s
                           ORDER BY call_at LIMIT 1
                           FOR KEY SHARE SKIP LOCKED""",
                        cron.id,
                        at,
                    ),
                    log_exceptions=False,
                )
                row = cr.fetchone()
        except psycopg2.errors.SerializationFailure:
            row = None
        wake_at = row[0] if row else at
        if not row:
            cron._trigger(at)
        # A trigger in the future is only seen when a cron worker polls,
        # about once a minute: an alarm in this process (ALARMS) notifies the
        # cron workers at that time, once this transaction commits.
        #
        # At once if the trigger found is due already: nothing says a run is
        # coming for it (a cron run that started in the same second leaves
        # it behind, see the whole seconds above).
        dbname = cr.dbname
        ring_at = max(wake_at, now).replace(tzinfo=datetime.timezone.utc).timestamp() + 0.2
        cr.postcommit.add(lambda: ALARMS.set(dbname, ring_at, lambda: _notify_cron(dbname)))

    # ------------------------------------------------------------- actions
    def action_resend(self):
        """Send again (same event id, so receivers can dedupe), with a fresh
        attempt budget; the attempt log is kept."""
        self.write(
            {
                "state": "pending",
                "attempt_count": 0,
                "next_attempt_at": fields.Datetime.now(),
            }
        )
        self._trigger_worker()
        return True

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ----------------------------------------------------------- retention
    @api.autovacuum
    def _gc_delivered(self):
        """Delete delivered rows older than the retention (30 days by
        default); dead ones stay until someone resends or deletes them."""
        days = setting(self.env, "retention_days")
        limit = fields.Datetime.now() - datetime.timedelta(days=days)
        old = self.search([("state", "=", "delivered"), ("delivered_at", "<", limit)])
        old.unlink()


# ----------------------------------------------------------------- lanes
class _Batch:
    """What the lanes of one batch share: the round-robin queue of endpoints,
    the rows of each already attempted, and when to stop.

    A lane takes the endpoint at the head of the queue, attempts one of its
    rows, and puts it back at the end, unless the endpoint is done for this
    batch: nothing more due (it may come back), or it timed out or is gone
    (it may not). An endpoint is in the queue or in one lane, never in two.

    The batch stops starting attempts after `limit` of them or `seconds`,
    except while an attempt started within those limits is still running (a
    slow receiver): the other lanes keep going meanwhile, and when they run
    out of work they look again for endpoints with rows due since (every
    REFRESH seconds) instead of waiting idle for the slow one to finish.
    """

    REFRESH = 0.5

    def __init__(self, endpoint_ids, limit, seconds):
        self.queue = collections.deque(endpoint_ids)
        self.members = set(endpoint_ids)  # queued or held by a lane
        self.excluded = set()  # timed out or gone: not again in this batch
        # per endpoint, read and written only by the lane holding it: rows
        # attempted and due again (not twice in a batch), the candidates
        # read, and where their scan stopped, (next_attempt_at, id)
        self.tried = collections.defaultdict(list)
        self.candidates = collections.defaultdict(collections.deque)
        self.position = {}
        self.limit = max(1, limit)
        self.ends_at = time.monotonic() + seconds
        self.next_refresh = time.monotonic() + self.REFRESH
        self.attempted = 0
        self.running = 0  # attempts in progress
        self.running_within_limits = 0
        self.changed = threading.Condition()

    def take(self):
        """The next turn: (endpoint id, within limits), the string "refresh"
        (look for newly due endpoints, then `add()` them), or None: the lane
        is done."""
        with self.changed:
            while True:
                now = time.monotonic()
                within = self.attempted < self.limit and now < self.ends_at
                if not within and not self.running_within_limits:
                    return None
                if self.queue:
                    endpoint_id = self.queue.popleft()
                    self.attempted += 1
                    self.running += 1
                    self.running_within_limits += within
                    return endpoint_id, within
                if not self.running:
                    return None  # nothing queued, nothing to come back
                if now >= self.next_refresh:
                    self.next_refresh = now + self.REFRESH
                    return "refresh"
                self.changed.wait(self.next_refresh - now)

    def add(self, endpoint_ids):
        with self.changed:
            for endpoint_id in endpoint_ids:
                if endpoint_id not in self.members and endpoint_id not in self.excluded:
                    self.members.add(endpoint_id)
                    self.queue.append(endpoint_id)
            self.changed.notify_all()

    def give_back(self, endpoint_id, within, row, keep, due_again):
        delivery_id = row["id"] if row else None
        with self.changed:
            self.running -= 1
            self.running_within_limits -= within
            if delivery_id is None:
                self.attempted -= 1  # nothing was left to claim: no attempt
            elif due_again:
                self.tried[endpoint_id].append(delivery_id)
            kept = delivery_id is not None and keep
            if kept:
                self.queue.append(endpoint_id)
            else:
                self.members.discard(endpoint_id)
                if delivery_id is not None:
                    self.excluded.add(endpoint_id)
            # waiting lanes care when there is work the giver will not take
            # back itself, or when the batch may be over
            within = self.attempted < self.limit and time.monotonic() < self.ends_at
            if not kept or len(self.queue) > 1 or not (within or self.running_within_limits):
                self.changed.notify_all()


# settings of an endpoint whose record cannot be read as it should (old
# data): each of its rows gets a failed attempt, retried as by default
_UNUSABLE_ENDPOINT = {
    "url": None,
    "timeout": 15,
    "headers": None,
    "secrets": (),
    "valid_until": None,
    "schedule": retry.DEFAULT_SCHEDULE,
    "max_attempts": 8,
    "write_date": None,
    "feedback": False,
}


class _Lane:
    """One lane of a batch, run in a thread of its own: its own cursor, its
    own Transport, and the settings of the endpoints it served.

    Each attempt is a transaction of its own, in two round trips: the BEGIN
    and the claim of the row, then the recorded outcome and the COMMIT (the
    lane's connection is in autocommit mode and sends each pair in one
    message: Odoo's cursor would add a BEGIN and a COMMIT of their own, and
    a round trip is most of an attempt's cost on a busy database). Under
    Odoo's test mode, where every cursor is a test cursor sharing the test's
    transaction and lock, the lane opens one per attempt and commits it.
    """

    def __init__(self, registry, uid, batch, allow_list):
        self.registry = registry
        self.uid = uid
        self.batch = batch
        self.allow_list = allow_list
        self.settings = {}  # endpoint id -> _endpoint_settings()
        self.cr = None
        self.manual = False  # autocommit connection, transactions by hand

    def run(self):
        threading.current_thread().dbname = self.registry.db_name
        try:
            with outbound.Transport(allow_list=self.allow_list) as transport:
                while (turn := self.batch.take()) is not None:
                    if turn == "refresh":
                        self.refresh()
                    else:
                        self.turn(transport, *turn)
        finally:
            self.close()

    # ------------------------------------------------------- transactions
    def env(self):
        if self.cr is None:
            self.cr = self.registry.cursor()
            self.manual = isinstance(self.cr, sql_db.Cursor)
            if self.manual:
                # READ COMMITTED: a row another worker has just delivered and
                # committed is re-checked and skipped instead of raising a
                # serialization error (also for the transactions psycopg2
                # opens itself, see feedback())
                self.cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
                self.cr.connection.autocommit = True
        # sudo: the worker is the system delivering its own outbox; what it
        # writes (attempts, states, endpoint status) enqueues nothing
        return api.Environment(self.cr, self.uid, {NO_ENQUEUE: True}, su=True)

    def begin(self, query):
        """Run `query` as the first statement of a new transaction."""
        if self.manual:
            self.cr.execute(SQL("BEGIN ISOLATION LEVEL READ COMMITTED; %s", query))
        else:
            self.cr.execute(query)

    def commit(self, query):
        """Run `query` and commit: the attempt's outcome is durable, and the
        row's lock released, before the next row is taken."""
        if self.manual:
            self.cr.execute(SQL("%s; COMMIT", query))
        else:
            self.cr.execute(query)
            self.cr.commit()
            self.close()  # a test cursor holds the test's lock: give it back

    def rollback(self):
        if self.cr is None:
            return
        if not self.manual:
            self.cr.rollback()
            self.close()
        elif self.cr.connection.get_transaction_status() != TRANSACTION_STATUS_IDLE:
            self.cr.execute(SQL("ROLLBACK"))

    def close(self):
        if self.cr is None:
            return
        cr, self.cr = self.cr, None
        if self.manual and not cr.closed:
            try:
                if cr.connection.get_transaction_status() != TRANSACTION_STATUS_IDLE:
                    cr.execute(SQL("ROLLBACK"))
                cr.connection.autocommit = False  # as the pool lends it
            except Exception:
                # a connection in an unknown state must not go back to the pool
                cr.connection.close()
        cr.close()

    # ----------------------------------------------------------- attempts
    def turn(self, transport, endpoint_id, within):
        """One attempt: claim the endpoint's next due row, post it, record
        the outcome and commit; then, if its status changes, tell the
        endpoint."""
        row, keep, due_again, tell = None, False, False, False
        try:
            Delivery = self.env()["webhook.delivery"]
            row = self.claim_next(Delivery, endpoint_id)
            if row:
                settings = self.settings.get(endpoint_id)
                if (
                    settings is None
                    or settings["write_date"] != row["write_date"]
                    or (settings["valid_until"] and settings["valid_until"] <= _now())
                ):
                    Delivery.env.invalidate_all()  # an autocommit cursor keeps its cache
                    settings = self.settings[endpoint_id] = self.endpoint_settings(
                        Delivery, endpoint_id
                    )
                started = fields.Datetime.now()
                result = Delivery._post_row(transport, settings, row)
                query, state = Delivery._record_attempt_query(row, result, started, settings)
                tell = settings["feedback"] and Delivery._feedback_needed(settings, result)
                self.commit(query)
                # an endpoint disabled meanwhile (failing for too long) has no
                # row to claim next time: it leaves the queue then
                keep = not result.timed_out and result.status != 410
                due_again = state in DUE_STATES
            if tell:
                self.feedback(endpoint_id, settings, result)
        except Exception:
            # not the delivery's doing (that is recorded as its attempt): the
            # database failed; leave this endpoint for the next batch
            _logger.exception("Webhook endpoint %s: delivery failed", endpoint_id)
            keep = False
            try:
                self.rollback()
            except Exception:
                self.close()
        finally:
            self.batch.give_back(endpoint_id, within, row, keep, due_again)

    def claim_next(self, Delivery, endpoint_id):
        """Lock the endpoint's next due row, in a new transaction (the lane
        holds the endpoint: its candidates are its own). Candidates are read
        CANDIDATES at a time, then locked one by one; those taken or
        delivered by another worker meanwhile are passed."""
        batch = self.batch
        candidates = batch.candidates[endpoint_id]
        while True:
            if not candidates:
                due = Delivery._due_ids(
                    endpoint_id, batch.position.get(endpoint_id), batch.tried[endpoint_id]
                )
                if not due:
                    return None
                candidates.extend(due)
                last_id, last_at = due[-1]
                batch.position[endpoint_id] = (last_at, last_id)
            self.begin(Delivery._claim_row_query(candidates.popleft()[0]))
            row = self.cr.dictfetchone()
            if row:
                return row
            self.rollback()
            Delivery = self.env()["webhook.delivery"]  # a test cursor is a new one

    def feedback(self, endpoint_id, settings, result):
        """Tell the endpoint, in a transaction of its own once the attempt is
        committed and its row released: a transaction deleting the endpoint
        holds it while it waits for its rows, so updating it while holding
        a row would deadlock. A plain ORM transaction (rare: when the
        status changes)."""
        try:
            Delivery = self.env()["webhook.delivery"]
            if self.manual:
                self.cr.connection.autocommit = False
            Delivery.env.invalidate_all()
            if Delivery._lock_endpoint(endpoint_id):
                Delivery._endpoint_feedback(settings, result)
            self.cr.commit()
        except Exception:
            # the attempt is recorded; only the endpoint's status is not
            _logger.exception("Webhook endpoint %s: status not updated", endpoint_id)
            self.settings.pop(endpoint_id, None)
            self.cr.rollback()
        finally:
            if self.manual:
                self.cr.connection.autocommit = True
            else:
                self.close()

    @staticmethod
    def endpoint_settings(Delivery, endpoint_id):
        try:
            return Delivery._endpoint_settings(endpoint_id)
        except Exception as exc:  # the endpoint's data is unusable: its rows fail
            return dict(
                _UNUSABLE_ENDPOINT,
                id=endpoint_id,
                name=str(endpoint_id),
                error=f"cannot use the endpoint: {_describe(exc)}",
            )

    def refresh(self):
        try:
            self.batch.add(self.env()["webhook.delivery"]._due_endpoints())
            self.rollback()
        except Exception:
            _logger.exception("Webhook delivery: cannot look for due endpoints")
            self.close()


def _notify_cron(dbname):
    """Wake the cron workers (as ir.cron._notifydb does after a commit)."""
    with sql_db.db_connect("postgres").cursor() as cr:
        cr.execute(
            SQL("SELECT %s('cron_trigger', %s)", SQL.identifier(ODOO_NOTIFY_FUNCTION), dbname)
        )
