"""The delivery worker against receivers that misbehave: one bad receiver,
row or endpoint never costs another delivery anything."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import SUPERUSER_ID, fields, sql_db
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from ..lib import outbound
from ..models.webhook_delivery import _Batch, _Lane
from .common import WebhookCase, insert_due_deliveries


def answer_ok(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"ok")


def answer_busy(retry_after):
    """503 with a raw `Retry-After` value (bytes, sent as they are)."""

    def answer(handler):
        handler.wfile.write(
            b"HTTP/1.1 503 Busy\r\nRetry-After: " + retry_after + b"\r\nContent-Length: 0\r\n\r\n"
        )

    return answer


def answer_drip(handler, every=0.3, budget=4):
    """A 200 written one byte at a time: each read gets a byte, the answer
    never ends (the receiver gives up after `budget` seconds)."""
    end = time.monotonic() + budget
    try:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
            if time.monotonic() > end:
                break
            handler.wfile.write(bytes([byte]))
            time.sleep(every)
    except OSError:
        pass  # the sender gave up: what the tests expect
    handler.close_connection = True


def answer_statuses(statuses):
    """The scripted statuses in order, then 200."""
    lock = threading.Lock()

    def answer(handler):
        with lock:
            status = statuses.pop(0) if statuses else 200
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


class FaultyReceiver:
    """A receiver on 127.0.0.1 whose behaviour is chosen per path."""

    def __init__(self):
        self.requests = []
        self.answers = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((self.path, dict(self.headers), body))
                receiver.answers.get(self.path, answer_ok)(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def paths(self):
        return [path for path, _headers, _body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestWebhookWorker(WebhookCase):
    def setUp(self):
        super().setUp()
        self.receiver = FaultyReceiver()
        self.addCleanup(self.receiver.close)
        self.cron = self.env.ref("my_webhooks.ir_cron_webhook_delivery")

    def endpoint(self, path, **vals):
        return self.make_endpoint(url=self.receiver.url(path), name=path, **vals)

    def set_column(self, endpoint, column, value):
        """Write a value the form would refuse, as old data would hold it."""
        self.env.cr.execute(
            SQL(
                "UPDATE webhook_endpoint SET %s = %s WHERE id = %s",
                SQL.identifier(column),
                value,
                endpoint.id,
            )
        )
        endpoint.invalidate_recordset()

    def triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

    # --------------------------------------------------- one bad delivery
    def test_malformed_retry_after_fails_only_its_own_delivery(self):
        superscript = self.endpoint("/superscript")
        digits = self.endpoint("/digits")
        healthy = self.endpoint("/healthy")
        self.receiver.answers["/superscript"] = answer_busy(b"\xb2")  # "²": isdigit() is True
        self.receiver.answers["/digits"] = answer_busy(b"9" * 400)
        self.env["res.partner"].create([{"name": "One"}, {"name": "Two"}])
        before = fields.Datetime.now()
        self.deliver()
        self.assertEqual(self.deliveries(healthy).mapped("state"), ["delivered", "delivered"])
        self.assertEqual(self.receiver.paths().count("/healthy"), 2)
        for endpoint in (superscript, digits):
            deliveries = self.deliveries(endpoint)
            self.assertEqual(deliveries.mapped("state"), ["retrying", "retrying"])
            self.assertEqual(deliveries.mapped("attempt_count"), [1, 1])
            self.assertEqual(deliveries.attempt_ids.mapped("status_code"), [503, 503])
        # a malformed value is ignored (the schedule applies), a huge one is a day
        self.assertLessEqual(
            max(self.deliveries(superscript).mapped("next_attempt_at")),
            before + timedelta(seconds=5),
        )
        for when in self.deliveries(digits).mapped("next_attempt_at"):
            self.assertGreaterEqual(when, before + timedelta(hours=23, minutes=59))
            self.assertLessEqual(when, before + timedelta(hours=24, seconds=5))

    def test_legacy_unencodable_url_or_header_fails_alone(self):
        non_ascii = self.endpoint("/healthy")
        self.set_column(non_ascii, "url", self.receiver.url("/hoök"))
        bad_host = self.endpoint("/unused")
        self.set_column(bad_host, "url", "http://" + "ä" * 70 + ".example/hook")
        bad_header = self.endpoint("/header")
        self.set_column(bad_header, "custom_headers", "X-Name: 名前")
        healthy = self.endpoint("/healthy")
        self.env["res.partner"].create({"name": "Legacy"})
        self.deliver()
        self.assertEqual(self.deliveries(healthy).state, "delivered")
        # a non-ASCII path goes out percent-encoded
        self.assertEqual(self.deliveries(non_ascii).state, "delivered")
        self.assertIn("/ho%C3%B6k", self.receiver.paths())
        for endpoint, error in ((bad_host, "refused"), (bad_header, "custom headers")):
            delivery = self.deliveries(endpoint)
            self.assertEqual((delivery.state, delivery.attempt_count), ("retrying", 1))
            self.assertIn(error, delivery.attempt_ids.error)
        self.assertNotIn("/header", self.receiver.paths())
        self.assertNotIn("名前", self.deliveries(bad_header).attempt_ids.error)

    def test_unencodable_url_and_header_refused_at_validation(self):
        for url in ("http://" + "ä" * 70 + ".example/hook", self.receiver.url("/a b")):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.make_endpoint(url=url)
        for headers in ("X-Name: 名前", "X-Control: a\x01b", "X-Ünicode: 1"):
            with self.subTest(headers=headers), self.assertRaises(ValidationError):
                self.make_endpoint(custom_headers=headers)
        # an address with a non-ASCII path is fine: it is sent encoded
        self.assertTrue(self.make_endpoint(url=self.receiver.url("/hoök")))
        self.assertTrue(self.make_endpoint(custom_headers="X-Name: caf\xe9"))

    def test_crash_mid_batch_keeps_the_attempts_already_made(self):
        class Crash(BaseException):
            """Stands for the process dying: nothing in the worker catches it."""

        endpoint = self.endpoint("/healthy")
        self.env["res.partner"].create([{"name": f"Crash {i}"} for i in range(3)])
        real_post = outbound.Transport.post
        calls = []

        def post(transport, *args, **kwargs):
            calls.append(args[0])
            if len(calls) == 3:
                raise Crash
            return real_post(transport, *args, **kwargs)

        # not assertRaises: it rolls back to a savepoint, the committed attempts too
        crashed = False
        with patch.object(outbound.Transport, "post", post):
            try:
                self.deliver()
            except Crash:
                crashed = True
        self.assertTrue(crashed)
        deliveries = self.deliveries(endpoint)
        self.assertEqual(deliveries.mapped("state"), ["delivered", "delivered", "pending"])
        self.assertEqual(len(deliveries.attempt_ids), 2)

    def test_error_while_recording_fails_only_that_delivery(self):
        broken = self.endpoint("/broken")
        healthy = self.endpoint("/healthy")
        self.receiver.answers["/broken"] = answer_statuses([500, 500])
        Endpoint = self.registry["webhook.endpoint"]

        def record_failure(endpoint, *args, **kwargs):
            raise RuntimeError("a bug while recording")

        self.env["res.partner"].create([{"name": "A"}, {"name": "B"}])
        with (
            patch.object(Endpoint, "_record_failure", record_failure),
            mute_logger("odoo.addons.my_webhooks.models.webhook_delivery"),
        ):
            self.deliver()
        self.assertEqual(self.deliveries(healthy).mapped("state"), ["delivered", "delivered"])
        rows = self.deliveries(broken)
        # each failure is counted all the same, and each row retried later
        self.assertEqual(rows.mapped("state"), ["retrying", "retrying"])
        self.assertEqual(rows.mapped("attempt_count"), [1, 1])
        self.assertEqual(rows.attempt_ids.mapped("status_code"), [500, 500])

    def test_unusable_endpoint_fails_only_its_own_rows(self):
        broken = self.endpoint("/broken")
        healthy = self.endpoint("/healthy")
        Endpoint = self.registry["webhook.endpoint"]
        real_schedule = Endpoint._schedule

        def schedule(endpoint):
            if endpoint == broken:
                raise ValueError("unreadable schedule")
            return real_schedule(endpoint)

        self.env["res.partner"].create([{"name": "A"}, {"name": "B"}])
        with patch.object(Endpoint, "_schedule", schedule):
            self.deliver()
        self.assertEqual(self.deliveries(healthy).mapped("state"), ["delivered", "delivered"])
        rows = self.deliveries(broken)
        self.assertEqual(rows.mapped("state"), ["retrying", "retrying"])
        self.assertEqual(rows.mapped("attempt_count"), [1, 1])
        self.assertTrue(all("unreadable schedule" in row.attempt_ids.error for row in rows))
        self.assertNotIn("/broken", self.receiver.paths())

    # ----------------------------------------------------- slow receivers
    def test_slow_receiver_is_cut_at_its_deadline_and_skipped(self):
        slow = self.endpoint("/drip", timeout=1)
        healthy = self.endpoint("/healthy")
        self.receiver.answers["/drip"] = answer_drip
        self.env["res.partner"].create([{"name": f"Slow {i}"} for i in range(3)])
        start = time.monotonic()
        self.deliver()
        self.assertLess(time.monotonic() - start, 6)
        self.assertEqual(self.deliveries(healthy).mapped("state"), ["delivered"] * 3)
        slow_rows = self.deliveries(slow)
        attempted = slow_rows.filtered("attempt_count")
        self.assertEqual(len(attempted), 1, "one timeout skips the endpoint for the batch")
        self.assertIn("timeout", attempted.attempt_ids.error)
        self.assertLess(attempted.attempt_ids.duration_ms, 1600)
        self.assertEqual((slow_rows - attempted).mapped("state"), ["pending", "pending"])

    def test_backlog_of_one_endpoint_does_not_delay_another(self):
        busy = self.endpoint("/backlog")
        other = self.endpoint("/other")
        now = fields.Datetime.now()
        Delivery = self.env["webhook.delivery"]
        Delivery._insert_outbox(
            [busy._delivery_vals("test", "res.partner", 0, {"n": n}, now) for n in range(120)]
        )
        late = other._enqueue_data("test", "res.partner", 0, {"n": 0})
        self.deliver()  # batches of 50
        self.assertEqual(late.state, "delivered")
        self.assertLessEqual(len(self.deliveries(busy).filtered("attempt_count")), 50)

    # ------------------------------------------------------ retry timing
    def test_retry_trigger_at_the_earliest_due_row_of_any_endpoint(self):
        flaky = self.endpoint("/flaky", retry_schedule="1", max_attempts=5)
        self.receiver.answers["/flaky"] = answer_statuses([500] * 20)
        self.env["res.partner"].create([{"name": f"Retry {i}"} for i in range(20)])
        # another endpoint's retry, due before the flaky ones and not in their batch
        other = self.endpoint("/other", retry_schedule="1")
        waiting = other._enqueue_data("test", "res.partner", 0, {"n": 0})
        waiting.write({"state": "retrying", "attempt_count": 1})

        def set_due(deliveries, when):
            self.env.cr.execute(
                SQL(
                    "UPDATE webhook_delivery SET next_attempt_at = %s WHERE id IN %s",
                    when,
                    tuple(deliveries.ids),
                )
            )
            deliveries.invalidate_recordset()

        set_due(waiting, fields.Datetime.now() + timedelta(seconds=30))
        self.triggers().unlink()  # the run that starts consumes the pending wake-up
        self.deliver()
        rows = self.deliveries(flaky)
        self.assertEqual(set(rows.mapped("state")), {"retrying"})
        # to the second, rounded up (see _schedule_next_run)
        (trigger,) = self.triggers()
        self.assertLessEqual(
            trigger.call_at, min(rows.mapped("next_attempt_at")) + timedelta(seconds=1)
        )
        self.assertFalse(trigger.call_at.microsecond)

        # time passes: half the retries are due, the other half (and the other
        # endpoint's) come a little later
        now = fields.Datetime.now()
        set_due(rows[:10], now - timedelta(seconds=1))
        set_due(rows[10:], now + timedelta(seconds=3))
        set_due(waiting, now + timedelta(seconds=2))
        self.triggers().unlink()
        self.deliver()
        self.assertEqual(rows[:10].mapped("state"), ["delivered"] * 10)
        self.assertEqual(set(rows[10:].mapped("state")), {"retrying"})
        # the batch had no retry of its own: the wake-up is at the earliest row
        # still waiting, whichever endpoint it belongs to
        (trigger,) = self.triggers()
        self.assertLessEqual(trigger.call_at, waiting.next_attempt_at)
        self.assertGreaterEqual(trigger.call_at, now)
        # nothing due: another run leaves that trigger alone and adds none
        self.deliver()
        self.assertEqual(self.triggers(), trigger)


@tagged("post_install", "-at_install")
class TestWebhookWorkerConcurrency(TransactionCase):
    """A lane against other transactions, on real connections outside the
    test's transaction (committed rows, real row locks)."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        with self.db.cursor() as cr:
            self.endpoint_id = insert_due_deliveries(
                cr, "deleted meanwhile", ["evt_deleted_meanwhile"]
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            cr.execute(SQL("DELETE FROM webhook_endpoint WHERE id = %s", self.endpoint_id))

    def test_endpoint_deleted_during_an_attempt_waits_instead_of_deadlocking(self):
        deleter_done, deleter_errors = threading.Event(), []

        def delete_endpoint():
            try:
                with self.db.cursor() as cr:
                    # as a user's unlink would end once retried: at READ
                    # COMMITTED, the row updated meanwhile is deleted
                    cr.execute(SQL("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))
                    cr.execute(SQL("DELETE FROM webhook_endpoint WHERE id = %s", self.endpoint_id))
            except Exception as exc:
                deleter_errors.append(exc)
            finally:
                deleter_done.set()

        def deleter_waits():
            with self.db.cursor() as cr:
                for _ in range(100):
                    cr.execute(
                        SQL(
                            """SELECT 1 FROM pg_stat_activity
                               WHERE wait_event_type = 'Lock'
                                 AND query LIKE 'DELETE FROM webhook_endpoint%%'"""
                        )
                    )
                    if cr.fetchone():
                        return True
                    time.sleep(0.05)
            return False

        class Transport:
            """The receiver fails while the endpoint is being deleted (the
            deletion waits for the row the lane holds)."""

            def post(self, url, body, headers, timeout=15):
                threading.Thread(target=delete_endpoint, daemon=True).start()
                assert deleter_waits(), "the deletion did not wait for the claimed row"
                return outbound.Result(500, 1)

        batch = _Batch([self.endpoint_id], 1, 5)
        lane = _Lane(self.registry, SUPERUSER_ID, batch, ())
        turn = batch.take()
        with self.assertNoLogs("odoo.addons.my_webhooks.models.webhook_delivery", "ERROR"):
            try:
                lane.turn(Transport(), *turn)
            finally:
                lane.close()
        self.assertTrue(deleter_done.wait(10))
        self.assertEqual(deleter_errors, [])

    def test_trigger_deleted_by_another_run_meanwhile_leaves_a_new_one(self):
        """Two cron processes: one run's cursor took its snapshot, then
        another run deleted the due trigger that woke it (its first step).
        Locking that trigger is a serialization failure under REPEATABLE
        READ; the run must neither fail nor log an error, and must leave a
        trigger, as none is pending any more."""
        cron = self.env.ref("my_webhooks.ir_cron_webhook_delivery")
        with self.db.cursor() as cr:
            cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger"))
            (last_trigger,) = cr.fetchone()
            cr.execute(
                SQL(
                    """INSERT INTO ir_cron_trigger (cron_id, call_at)
                       VALUES (%s, now() at time zone 'UTC' - interval '1 minute')
                       RETURNING id""",
                    cron.id,
                )
            )
            (trigger_id,) = cr.fetchone()
        self.addCleanup(self._delete_triggers_after, last_trigger)

        run = self.db.cursor()  # a cron run's cursor: REPEATABLE READ
        self.addCleanup(run.close)
        run.execute(SQL("SELECT id FROM ir_cron_trigger WHERE id = %s", trigger_id))
        self.assertTrue(run.fetchone(), "the trigger is in the run's snapshot")
        with self.db.cursor() as other_run:
            other_run.execute(SQL("DELETE FROM ir_cron_trigger WHERE id = %s", trigger_id))

        env = self.env(cr=run)
        with (
            self.assertNoLogs("odoo.sql_db", "ERROR"),
            self.assertNoLogs("odoo.addons.my_webhooks.models.webhook_delivery", "ERROR"),
        ):
            env["webhook.delivery"]._schedule_next_run()
        run.execute(
            SQL(
                "SELECT count(*) FROM ir_cron_trigger WHERE cron_id = %s AND id > %s",
                cron.id,
                trigger_id,
            )
        )
        self.assertEqual(run.fetchone()[0], 1, "a new trigger for the due delivery")
        run.execute(SQL("SELECT 1"))  # the run's transaction goes on

    def _delete_triggers_after(self, last_trigger):
        with self.db.cursor() as cr:
            cr.execute(SQL("DELETE FROM ir_cron_trigger WHERE id > %s", last_trigger))
