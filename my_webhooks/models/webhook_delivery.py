import datetime
import logging
import time

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.my_api.core import read_committed

from ..lib import outbound
from ..lib.signing import signature_headers

_logger = logging.getLogger(__name__)

DUE_STATES = ("pending", "retrying")
PARAM_BATCH_SIZE = "my_webhooks.batch_size"
PARAM_RETENTION_DAYS = "my_webhooks.retention_days"
TRIGGER_FLAG = "my_webhooks.worker_triggered"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the transactional outbox row.

    The row is written by the endpoint's automation rule in the transaction
    of the change, with its JSON body frozen at that moment, so that a
    rolled-back change leaves nothing to send and a committed one is never
    lost. The delivery cron claims due rows with FOR UPDATE SKIP LOCKED and
    keeps them locked while it posts them, so any number of workers can run
    at once and none sends a row another one is sending. A worker that dies
    mid-way releases its lock with its transaction: the row is sent again
    later, with the same event id (at-least-once; receivers dedupe on
    `webhook-id`).
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
    last_error = fields.Text(readonly=True)
    attempt_ids = fields.One2many("webhook.delivery.attempt", "delivery_id", "Attempt log")

    _event_id_unique = models.UniqueIndex("(event_id, endpoint_id)")
    _due_index = models.Index("(next_attempt_at, id) WHERE state IN ('pending', 'retrying')")

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
        left, and reschedules itself at once when time ran out.
        """
        done, remaining = self._deliver_batch()
        if self.env.context.get("ir_cron_progress_id"):
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
                fields.Datetime.now(),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _deliver_due(self, limit=None):
        """Deliver one batch of due rows; returns how many were attempted."""
        return self._deliver_batch(limit)[0]

    @api.model
    def _deliver_batch(self, limit=None):
        """Claim up to `limit` due deliveries on a cursor of their own, send
        them, record the outcome, commit. Returns (attempted, still due)."""
        if limit is None:
            # sudo: a system parameter
            limit = int(self.env["ir.config_parameter"].sudo().get_param(PARAM_BATCH_SIZE, 50))
        with self.env.registry.cursor() as cr:
            # READ COMMITTED: a row another worker has just delivered and
            # committed is re-checked and skipped instead of raising a
            # serialization error, as it would under REPEATABLE READ.
            read_committed(cr)
            # sudo: the worker is the system delivering its own outbox; what
            # it writes (attempts, states, endpoint status) enqueues nothing
            env = self.env(cr=cr, su=True, context=dict(self.env.context, webhook_no_enqueue=True))
            deliveries = env["webhook.delivery"]._claim_due(limit)
            if not deliveries:
                return 0, 0
            deliveries._send()
            env.flush_all()
            return len(deliveries), env["webhook.delivery"]._count_due()

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
                fields.Datetime.now(),
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _send(self):
        """Post each delivery (locked by the caller) and record the outcome."""
        if not self:
            return
        Endpoint = self.env["webhook.endpoint"]
        attempts = []
        outcome = {}  # endpoint -> (status, error, gone) of its last attempt
        with outbound.Transport(allow_list=Endpoint._allow_list()) as transport:
            for delivery in self:
                endpoint = delivery.endpoint_id
                if endpoint in outcome and outcome[endpoint][2]:
                    continue  # 410 Gone earlier in this batch: the endpoint is disabled
                result, started = delivery._post(transport)
                attempts.append(delivery._attempt_vals(result, started))
                delivery._apply_result(result, endpoint._schedule())
                outcome[endpoint] = (result.status, result.ok, result.status == 410, result.error)
        self.env["webhook.delivery.attempt"].create(attempts)
        for endpoint, (status, ok, gone, error) in outcome.items():
            if ok:
                if endpoint.last_status != str(status) or endpoint.failing_since:
                    endpoint._record_success(status)
            else:
                endpoint._record_failure(status, error or f"HTTP {status}", gone=gone)
        retry_at = [d.next_attempt_at for d in self if d.state == "retrying"]
        if retry_at:
            cron = self.env.ref("my_webhooks.ir_cron_webhook_delivery", raise_if_not_found=False)
            if cron:
                cron._trigger(min(retry_at))

    def _post(self, transport):
        self.ensure_one()
        endpoint = self.endpoint_id
        body = self.payload.encode()
        headers = endpoint._parse_custom_headers()
        headers["X-Odoo-Event"] = self.event
        headers.update(
            signature_headers(endpoint._signing_secrets(), self.event_id, time.time(), body)
        )
        started = fields.Datetime.now()
        result = transport.post(endpoint.url, body, headers, timeout=endpoint.timeout)
        return result, started

    def _attempt_vals(self, result, started):
        return {
            "delivery_id": self.id,
            "attempt_no": self.attempt_count + 1,
            "date": started,
            "duration_ms": result.duration_ms,
            "status_code": result.status or 0,
            "error": result.error or False,
            "response_excerpt": result.excerpt or False,
        }

    def _apply_result(self, result, schedule):
        self.ensure_one()
        attempt_no = self.attempt_count + 1
        vals = {
            "attempt_count": attempt_no,
            "last_status_code": result.status or 0,
            "last_error": result.error or (False if result.ok else f"HTTP {result.status}"),
        }
        if result.ok:
            vals.update(state="delivered", delivered_at=fields.Datetime.now())
        elif result.status == 410 or attempt_no >= self.endpoint_id.max_attempts:
            vals.update(state="dead")
        else:
            retry_after = None
            if result.status in (429, 502, 503, 504):
                retry_after = outbound.parse_retry_after(result.headers.get("retry-after"))
            delay = outbound.retry_delay(attempt_no, schedule, retry_after=retry_after)
            vals.update(
                state="retrying",
                next_attempt_at=fields.Datetime.now() + datetime.timedelta(seconds=delay),
            )
        _logger.info(
            "Webhook %s to %s: attempt %s -> %s",
            self.event_id,
            self.endpoint_id.name,
            attempt_no,
            result.status or result.error,
        )
        self.write(vals)

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
        # sudo: a system parameter
        days = int(self.env["ir.config_parameter"].sudo().get_param(PARAM_RETENTION_DAYS, 30))
        limit = fields.Datetime.now() - datetime.timedelta(days=days)
        old = self.search([("state", "=", "delivered"), ("delivered_at", "<", limit)])
        old.unlink()
