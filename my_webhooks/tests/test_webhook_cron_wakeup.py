import logging
import threading
import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import IrCron
from odoo.addons.my_api.public import read_committed

from ..services.intake import SourceIntake


@tagged("post_install", "-at_install")
class TestWebhookCronWakeup(TransactionCase):
    """A run of the processing cron against a duplicate being counted, on
    real connections outside the test's transaction (as in production: the
    event and the trigger are committed by intake, the duplicate's request
    holds the event's row lock until it commits, the cron runs on cursors of
    its own)."""

    def setUp(self):
        super().setUp()
        # as for the requests of HttpCase: the test holds the registry lock
        # (modules are loading) and the cron's thread must not wait for it
        self.patch(Registry, "_lock", DummyRLock())
        self.patch(self.registry, "check_signaling", lambda cr=None: self.registry)
        self.cron_id = self.env.ref("my_webhooks.webhook_event_cron").id
        self.event_id = f"evt_race_{uuid.uuid4().hex[:12]}"
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """SELECT nextcall, lastcall, failure_count,
                              (SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger),
                              (SELECT COALESCE(MAX(id), 0) FROM ir_cron_progress)
                         FROM ir_cron WHERE id = %s""",
                    self.cron_id,
                )
            )
            self.cron_state = cr.fetchone()
            env = api.Environment(cr, SUPERUSER_ID, {})
            source = env["webhook.source"].create(
                {"name": "cron race", "slug": f"race-{uuid.uuid4().hex[:8]}", "secret": "s3cret"}
            )
            self.source_id = source.id
            # what intake committed: the event, and the trigger that wakes the cron
            cr.execute(
                SQL(
                    """INSERT INTO webhook_event
                           (source_id, event_id, state, attempts, duplicate_count, received_at)
                       VALUES (%s, %s, 'received', 0, 0, now() AT TIME ZONE 'UTC')""",
                    self.source_id,
                    self.event_id,
                )
            )
            env["ir.cron"].browse(self.cron_id)._trigger()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        nextcall, lastcall, failure_count, last_trigger, last_progress = self.cron_state
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM webhook_source WHERE id = %s", self.source_id))
            cr.execute(
                SQL(
                    "DELETE FROM ir_cron_trigger WHERE cron_id = %s AND id > %s",
                    self.cron_id,
                    last_trigger,
                )
            )
            cr.execute(
                SQL(
                    "DELETE FROM ir_cron_progress WHERE cron_id = %s AND id > %s",
                    self.cron_id,
                    last_progress,
                )
            )
            cr.execute(
                SQL(
                    """UPDATE ir_cron SET nextcall = %s, lastcall = %s, failure_count = %s
                        WHERE id = %s""",
                    nextcall,
                    lastcall,
                    failure_count,
                    self.cron_id,
                )
            )
        self.registry.clear_cache()  # _webhook_config of the deleted source

    def count_duplicate(self):
        """A duplicate's request, after its count: the event's row is locked
        until this cursor commits. Return the cursor and its backend pid."""
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        read_committed(cr)
        env = api.Environment(cr, SUPERUSER_ID, {})
        SourceIntake(env["webhook.source"].browse(self.source_id)).count_duplicate(self.event_id)
        cr.execute("SELECT pg_backend_pid()")
        return cr, cr.fetchone()[0]

    def start_cron_run(self):
        """Run the cron job as a cron worker does, in a thread."""
        outcome = {}

        def run():
            try:
                with self.registry.cursor() as cron_cr:
                    job = IrCron._acquire_one_job(cron_cr, self.cron_id)
                    outcome["job"] = job
                    if job:
                        self.registry["ir.cron"]._process_job(cron_cr, job)
            except Exception as exc:  # reported by the test
                outcome["error"] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, outcome

    def wait_blocked_by(self, thread, pid, timeout=20):
        """Wait until the cron run is done or waits for a lock `pid` holds;
        return whether it waits."""
        deadline = time.monotonic() + timeout
        with self.registry.cursor() as cr:
            while thread.is_alive() and time.monotonic() < deadline:
                cr.execute(
                    SQL(
                        """SELECT 1 FROM pg_stat_activity
                            WHERE datname = current_database() AND wait_event_type = 'Lock'
                              AND %s = ANY(pg_blocking_pids(pid))""",
                        pid,
                    )
                )
                if cr.fetchone():
                    return True
                cr.rollback()
                time.sleep(0.02)
        return False

    def event_and_due_triggers(self):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """SELECT state, attempts, duplicate_count,
                              (SELECT COUNT(*) FROM ir_cron_trigger
                                WHERE cron_id = %s AND id > %s
                                  AND call_at <= now() AT TIME ZONE 'UTC')
                         FROM webhook_event WHERE source_id = %s AND event_id = %s""",
                    self.cron_id,
                    self.cron_state[3],
                    self.source_id,
                    self.event_id,
                )
            )
            return cr.fetchone()

    def test_run_meeting_an_event_locked_by_a_duplicate_count_processes_it(self):
        """The trigger that woke the run is consumed at its start; a
        duplicate counted meanwhile holds the event's row: the run must
        not end as if nothing were due (the event would wait for the
        cron's next regular run)."""
        counting, pid = self.count_duplicate()
        thread, outcome = self.start_cron_run()
        self.assertTrue(self.wait_blocked_by(thread, pid), "the run waits for the duplicate")
        counting.commit()  # the duplicate's request ends
        thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", outcome)
        self.assertTrue(outcome["job"], "the trigger made the job ready")
        state, attempts, duplicates, _due = self.event_and_due_triggers()
        self.assertEqual((state, attempts), ("done", 1), "processed by this run")
        self.assertEqual(duplicates, 1, "the duplicate is counted")

    def test_run_meeting_an_event_locked_for_long_leaves_a_trigger(self):
        """A row locked longer than the run waits for it (a duplicate's
        request stuck, someone's Reprocess): the run ends, but wakes the
        cron again rather than leave the event to the next regular run."""
        counting, _pid = self.count_duplicate()
        thread, outcome = self.start_cron_run()
        thread.join(30)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", outcome)
        state, _attempts, _duplicates, due = self.event_and_due_triggers()
        self.assertEqual(state, "received", "still locked by the duplicate's request")
        self.assertGreaterEqual(due, 1, "a due trigger wakes the cron again")
        counting.commit()
        # the next run, woken by that trigger, takes it
        thread, outcome = self.start_cron_run()
        thread.join(30)
        self.assertNotIn("error", outcome)
        self.assertEqual(self.event_and_due_triggers()[0], "done")

    def test_duplicate_of_an_event_a_cron_worker_holds_is_answered_uncounted(self):
        """While a cron worker holds the original (its handler running), the
        duplicate's count waits DUPLICATE_LOCK_TIMEOUT at most, then gives
        up: the sender is answered without waiting for the handler, and
        nothing is counted."""
        worker = self.registry.cursor()
        self.addCleanup(worker.close)
        worker.execute(
            SQL(
                """SELECT id FROM webhook_event
                    WHERE source_id = %s AND event_id = %s FOR NO KEY UPDATE""",
                self.source_id,
                self.event_id,
            )
        )
        self.assertTrue(worker.fetchone())
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        read_committed(cr)
        source = api.Environment(cr, SUPERUSER_ID, {})["webhook.source"].browse(self.source_id)
        started = time.monotonic()
        # logging.INFO, not "INFO": Odoo names its level 25 "INFO" too
        with self.assertLogs("odoo.addons.my_webhooks.services.intake", logging.INFO) as logs:
            original = SourceIntake(source).count_duplicate(self.event_id)
        self.assertLess(time.monotonic() - started, 10, "the count gave up")
        self.assertEqual(original, self.event_id)
        self.assertIn(f"of source {self.source_id} not counted: busy", logs.output[0])
        cr.commit()  # the duplicate's request ends
        worker.rollback()
        self.assertEqual(self.event_and_due_triggers()[2], 0, "nothing counted")
