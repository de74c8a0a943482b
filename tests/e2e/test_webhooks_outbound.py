"""Outbound webhooks end to end: a real Odoo server (scripts/test.sh starts it
with --workers 0 --max-cron-threads 1, so its cron thread is the delivery
worker) and a real HTTP receiver on 127.0.0.1.

Records are changed through the REST API (each request is one transaction);
endpoints and deliveries are read and adjusted through JSON-2 as the
administrator; extra delivery workers are `odoo shell` processes.
"""

import hashlib
import hmac
import json
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

WAIT = 60  # seconds to wait for something the server should do soon


class Receiver:
    """Records every POST; per-path behaviour: scripted statuses, a delay, a hang."""

    def __init__(self, port=0):
        self.requests = []
        self.statuses = {}  # path -> list of statuses to answer first
        self.delay = {}  # path -> seconds to sleep before answering
        self.hang = {}  # path -> Event the first request waits for
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                entry = {"path": self.path, "headers": dict(self.headers), "body": body}
                with receiver.lock:
                    receiver.requests.append(entry)
                    scripted = receiver.statuses.get(self.path) or []
                    status = scripted.pop(0) if scripted else 200
                    hang = receiver.hang.pop(self.path, None)
                if hang is not None:
                    hang.wait(WAIT)
                time.sleep(receiver.delay.get(self.path, 0))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    self.close_connection = True  # the sender is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def wait_for(self, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.2)
        return predicate()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cron(rpc):
    """Run the delivery cron now, in the server (as "Run manually" does)."""
    (cron_id,) = rpc(
        "ir.model.data",
        "search_read",
        domain=[["module", "=", "my_webhooks"], ["name", "=", "ir_cron_webhook_delivery"]],
        fields=["res_id"],
    )
    cron_id = cron_id["res_id"]
    for _ in range(20):
        try:
            rpc("ir.cron", "method_direct_trigger", ids=[cron_id])
            return
        except AssertionError:  # the cron thread is running it right now
            time.sleep(0.5)
    raise AssertionError("the delivery cron stayed busy")


def deliveries(rpc, endpoint_id, fields=("state", "event_id", "attempt_count", "res_id")):
    return rpc(
        "webhook.delivery",
        "search_read",
        domain=[["endpoint_id", "=", endpoint_id]],
        fields=list(fields),
        order="id",
    )


def assert_verified(request, secret):
    headers = {k.lower(): v for k, v in request["headers"].items()}
    body = request["body"]
    Webhook(secret).verify(body, headers)  # Standard Webhooks, reference library
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-odoo-signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["id"] == headers["webhook-id"]
    assert headers["x-odoo-event"] == payload["event"]
    return payload


def partner(api, **vals):
    response = api("POST", "/partners", vals)
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def email_field(rpc):
    return rpc(
        "ir.model.fields", "search", domain=[["model", "=", "res.partner"], ["name", "=", "email"]]
    )


def test_create_write_unlink_each_deliver_one_verified_event(
    api, receiver, make_endpoint, email_field
):
    tag = "out" + uuid.uuid4().hex[:8]
    on_create = make_endpoint(tag, receiver.url(f"/{tag}/create"))
    on_write = make_endpoint(
        tag, receiver.url(f"/{tag}/write"), trigger="write", watched_field_ids=email_field
    )
    on_unlink = make_endpoint(tag, receiver.url(f"/{tag}/unlink"), trigger="unlink")
    pid = partner(api, name="E2E outbound", ref=f"{tag}-1", email="first@example.com")
    other = partner(api, name="Not matching", ref=f"x{tag}-1")
    assert api("PATCH", f"/partners/{pid}", {"phone": "+32 2 555 00 00"}).status_code == 200
    assert api("PATCH", f"/partners/{pid}", {"email": "second@example.com"}).status_code == 200
    assert api("DELETE", f"/partners/{pid}").status_code in (200, 204)

    for kind in ("create", "write", "unlink"):
        assert receiver.wait_for(lambda k=kind: receiver.events(f"/{tag}/{k}")), kind
    time.sleep(2)  # anything duplicated or late would arrive meanwhile
    created = receiver.events(f"/{tag}/create")
    assert len(created) == 1
    payload = assert_verified(created[0], on_create["secret"])
    assert (payload["event"], payload["model"], payload["data"]["id"]) == (
        "create",
        "res.partner",
        pid,
    )
    assert payload["data"]["email"] == "first@example.com"
    assert other not in [json.loads(r["body"])["data"]["id"] for r in created]
    written = receiver.events(f"/{tag}/write")
    assert len(written) == 1  # the phone change is not watched: only the email change
    payload = assert_verified(written[0], on_write["secret"])
    assert (payload["event"], payload["data"]["email"]) == ("write", "second@example.com")
    unlinked = receiver.events(f"/{tag}/unlink")
    assert len(unlinked) == 1
    payload = assert_verified(unlinked[0], on_unlink["secret"])
    assert (payload["event"], payload["data"]["id"]) == ("unlink", pid)
    assert payload["data"]["name"] == "E2E outbound"  # read before the deletion


def test_rolled_back_change_delivers_nothing(api, receiver, make_endpoint):
    tag = "rb" + uuid.uuid4().hex[:8]
    make_endpoint(tag, receiver.url(f"/{tag}"))
    # one request, one transaction: the invalid second item rolls the first back
    response = api(
        "POST",
        "/partners/batch",
        {
            "items": [
                {"op": "create", "data": {"name": "Rolled back", "ref": f"{tag}-rolled"}},
                {"op": "create", "data": {"name": "Bad", "ref": f"{tag}-bad", "email": "nope"}},
            ]
        },
    )
    assert response.status_code >= 400, response.text
    sentinel = partner(api, name="Committed", ref=f"{tag}-sentinel")
    assert receiver.wait_for(lambda: receiver.events(f"/{tag}"))
    time.sleep(2)
    refs = [json.loads(r["body"])["data"]["ref"] for r in receiver.events(f"/{tag}")]
    assert refs == [f"{tag}-sentinel"], refs
    assert json.loads(receiver.events(f"/{tag}")[0]["body"])["data"]["id"] == sentinel


def test_two_failures_then_delivered_on_the_third_attempt(api, rpc, receiver, make_endpoint):
    tag = "fl" + uuid.uuid4().hex[:8]
    receiver.statuses[f"/{tag}"] = [500, 500]
    endpoint = make_endpoint(tag, receiver.url(f"/{tag}"), retry_schedule="0")
    partner(api, name="Flaky", ref=f"{tag}-1")
    assert receiver.wait_for(lambda: len(receiver.events(f"/{tag}")) >= 3)

    def delivered():
        rows = deliveries(rpc, endpoint["id"])
        return rows if rows and rows[0]["state"] == "delivered" else None

    assert receiver.wait_for(delivered, 30)
    (row,) = delivered()
    assert row["attempt_count"] == 3
    attempts = rpc(
        "webhook.delivery.attempt",
        "search_read",
        domain=[["delivery_id.endpoint_id", "=", endpoint["id"]]],
        fields=["attempt_no", "status_code"],
        order="attempt_no",
    )
    assert [(a["attempt_no"], a["status_code"]) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
    requests_ = receiver.events(f"/{tag}")
    assert len(requests_) == 3
    assert {r["headers"]["webhook-id"] for r in requests_} == {row["event_id"]}
    for request in requests_:
        assert_verified(request, endpoint["secret"])


def test_receiver_down_then_back_gets_everything_once(api, rpc, make_endpoint):
    tag = "dn" + uuid.uuid4().hex[:8]
    port = free_port()  # nothing listens there yet
    endpoint = make_endpoint(tag, f"http://127.0.0.1:{port}/{tag}")
    for i in range(3):
        partner(api, name=f"Waiting {i}", ref=f"{tag}-{i}")

    def all_retrying():
        rows = deliveries(rpc, endpoint["id"])
        return len(rows) == 3 and all(r["state"] == "retrying" for r in rows)

    deadline = time.monotonic() + WAIT
    while not all_retrying() and time.monotonic() < deadline:
        time.sleep(0.5)
    rows = deliveries(rpc, endpoint["id"])
    assert [r["state"] for r in rows] == ["retrying"] * 3, rows
    back = Receiver(port)
    try:
        # the backoff has them wait a minute: make them due now instead of sleeping
        rpc(
            "webhook.delivery",
            "write",
            ids=[r["id"] for r in rows],
            vals={"next_attempt_at": "2000-01-01 00:00:00"},
        )
        run_cron(rpc)
        assert back.wait_for(lambda: len(back.events(f"/{tag}")) >= 3)
        time.sleep(1)
        ids = [r["headers"]["webhook-id"] for r in back.events(f"/{tag}")]
        assert sorted(ids) == sorted(r["event_id"] for r in rows)
        assert [r["state"] for r in deliveries(rpc, endpoint["id"])] == ["delivered"] * 3
    finally:
        back.close()


# ------------------------------------------------------- extra worker processes
def start_worker(flag_dir, name, code):
    """An `odoo shell` process that waits for `go`, then runs `code`."""
    script = (
        "import os, time\n"
        f"flag = {str(flag_dir)!r}\n"
        f"open(os.path.join(flag, {name!r} + '.ready'), 'w').close()\n"
        "deadline = time.time() + 120\n"
        "while not os.path.exists(os.path.join(flag, 'go')) and time.time() < deadline:\n"
        "    time.sleep(0.02)\n"
        "env.cr.rollback()\n"
        f"{code}\n"
        "env.cr.commit()\n"
    )
    return subprocess.Popen(
        shlex.split(os.environ["ODOO_SHELL"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # little is printed: waiting before reading cannot block
        text=True,
        start_new_session=True,
    ), script


def wait_ready(flag_dir, names, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((Path(flag_dir) / f"{name}.ready").exists() for name in names):
            return True
        time.sleep(0.1)
    return False


def parked_endpoint(rpc, make_endpoint, tag, url, count):
    """An endpoint with `count` committed deliveries, parked (inactive) so
    that no worker takes them before the test says so."""
    endpoint = make_endpoint(tag, url)
    rpc("webhook.endpoint", "write", ids=[endpoint["id"]], vals={"active": False})
    vals_list = []
    for i in range(count):
        event_id = f"evt_{tag}_{i}"
        body = {"id": event_id, "event": "test", "model": "res.partner", "data": {"n": i}}
        vals_list.append(
            {
                "endpoint_id": endpoint["id"],
                "event_id": event_id,
                "event": "test",
                "model": "res.partner",
                "payload": json.dumps(body),
            }
        )
    rpc("webhook.delivery", "create", vals_list=vals_list)
    return endpoint


def test_two_worker_processes_never_deliver_one_row_twice(rpc, receiver, make_endpoint):
    tag = "rc" + uuid.uuid4().hex[:8]
    receiver.delay[f"/{tag}"] = 0.05  # 3 s of work: both workers get a share
    endpoint = parked_endpoint(rpc, make_endpoint, tag, receiver.url(f"/{tag}"), 60)
    with tempfile.TemporaryDirectory() as flag_dir:
        code = (
            "done = 0\n"
            "for _ in range(200):\n"
            "    n = env['webhook.delivery']._deliver_due(limit=3)\n"
            "    done += n\n"
            "    if not n:\n"
            "        break\n"
            "print('DELIVERED', done)"
        )
        workers = [start_worker(flag_dir, f"w{i}", code) for i in range(2)]
        for process, script in workers:
            process.stdin.write(script)
            process.stdin.close()
        try:
            assert wait_ready(flag_dir, ["w0", "w1"]), "the worker shells did not start"
            rpc("webhook.endpoint", "write", ids=[endpoint["id"]], vals={"active": True})
            Path(flag_dir, "go").touch()
            for process, _ in workers:
                process.wait(timeout=180)
            outputs = [process.stdout.read() + process.stderr.read() for process, _ in workers]
        finally:
            for process, _ in workers:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
    counts = [
        int(line.split()[1]) for out in outputs for line in out.splitlines() if "DELIVERED" in line
    ]
    assert len(counts) == 2, outputs
    receiver.wait_for(lambda: len(receiver.events(f"/{tag}")) >= 60, 30)
    ids = Counter(r["headers"]["webhook-id"] for r in receiver.events(f"/{tag}"))
    assert len(ids) == 60
    assert max(ids.values()) == 1, ids.most_common(3)
    assert sum(counts) <= 60
    # both processes took part (the server's cron may have taken some too)
    assert all(count > 0 for count in counts), counts
    rows = deliveries(rpc, endpoint["id"])
    assert {r["state"] for r in rows} == {"delivered"}


def test_worker_killed_in_flight_redelivers_with_the_same_event_id(rpc, receiver, make_endpoint):
    tag = "kl" + uuid.uuid4().hex[:8]
    hang = threading.Event()
    receiver.hang[f"/{tag}"] = hang
    endpoint = parked_endpoint(rpc, make_endpoint, tag, receiver.url(f"/{tag}"), 10)
    with tempfile.TemporaryDirectory() as flag_dir:
        process, script = start_worker(
            flag_dir, "victim", "env['webhook.delivery']._deliver_due(limit=10)"
        )
        process.stdin.write(script)
        process.stdin.close()
        try:
            assert wait_ready(flag_dir, ["victim"]), "the worker shell did not start"
            rpc("webhook.endpoint", "write", ids=[endpoint["id"]], vals={"active": True})
            Path(flag_dir, "go").touch()
            assert receiver.wait_for(lambda: receiver.events(f"/{tag}"))
            os.killpg(process.pid, signal.SIGKILL)  # dies holding the claimed rows
            process.wait(30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            hang.set()
    first_id = receiver.events(f"/{tag}")[0]["headers"]["webhook-id"]
    rows = deliveries(rpc, endpoint["id"])
    assert {r["state"] for r in rows} == {"pending"}  # the dead worker's claim was released
    run_cron(rpc)
    assert receiver.wait_for(lambda: len(receiver.events(f"/{tag}")) >= 11)
    rows = deliveries(rpc, endpoint["id"])
    assert {r["state"] for r in rows} == {"delivered"}
    ids = Counter(r["headers"]["webhook-id"] for r in receiver.events(f"/{tag}"))
    assert ids[first_id] == 2  # at-least-once: the same event id again
    assert set(ids) == {r["event_id"] for r in rows}
