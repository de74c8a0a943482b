"""The outbox against misbehaving receivers, end to end: a real Odoo server
(--workers 0 --max-cron-threads 1: its cron thread is the delivery worker)
and receivers on 127.0.0.1 that answer badly, slowly or late.

What is checked is what a healthy receiver sees beside them (every event,
exactly once, within seconds) and that retries come at their time, not at
the cron's fallback interval.
"""

import itertools
import json
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import wait_for

WAIT = 30


class Receiver:
    """Records every POST (path, webhook-id, arrival time); answers per path
    with a behaviour: 'ok', 'busy' (503 with the malformed `Retry-After: ²`),
    'drip' (a 200 written a byte every half second), or 'flaky' (500 to the
    first two posts of each event, then 200)."""

    def __init__(self):
        self.posts = []
        self.behaviour = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event_id = self.headers.get("webhook-id")
                with receiver.lock:
                    seen = sum(1 for p in receiver.posts if p[1] == event_id)
                    receiver.posts.append((self.path, event_id, time.monotonic()))
                behaviour = receiver.behaviour.get(self.path, "ok")
                try:
                    if behaviour == "busy":
                        self.wfile.write(
                            b"HTTP/1.1 503 Busy\r\nRetry-After: \xb2\r\nContent-Length: 0\r\n\r\n"
                        )
                    elif behaviour == "drip":
                        self.close_connection = True
                        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[:20]:
                            self.wfile.write(bytes([byte]))
                            time.sleep(0.5)
                    else:
                        status = 500 if behaviour == "flaky" and seen < 2 else 200
                        self.send_response(status)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                except OSError:
                    self.close_connection = True  # the sender gave up

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path):
        with self.lock:
            return [(event_id, when) for p, event_id, when in self.posts if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def create_partners(api, tag, count):
    """`count` partners in one request, so one transaction: their events are
    written together."""
    response = api(
        "POST",
        "/partners/batch",
        {
            "items": [
                {"op": "create", "data": {"name": f"Outbox {tag} {i}", "ref": f"{tag}-{i}"}}
                for i in range(count)
            ]
        },
    )
    assert response.status_code < 300, response.text


def deliveries(rpc, endpoint_id):
    return rpc(
        "webhook.delivery",
        "search_read",
        domain=[["endpoint_id", "=", endpoint_id]],
        fields=["state", "event_id", "attempt_count"],
        order="id",
    )


def attempts(rpc, endpoint_id):
    return rpc(
        "webhook.delivery.attempt",
        "search_read",
        domain=[["delivery_id.endpoint_id", "=", endpoint_id]],
        fields=["status_code", "error", "duration_ms"],
    )


def test_healthy_endpoint_gets_every_event_once_beside_broken_receivers(
    api, rpc, receiver, make_endpoint
):
    tag = "fx" + uuid.uuid4().hex[:8]
    receiver.behaviour[f"/{tag}/busy"] = "busy"
    receiver.behaviour[f"/{tag}/drip"] = "drip"
    busy = make_endpoint(tag, receiver.url(f"/{tag}/busy"), retry_schedule="60")["id"]
    drip = make_endpoint(tag, receiver.url(f"/{tag}/drip"), retry_schedule="60", timeout=2)["id"]
    healthy = make_endpoint(tag, receiver.url(f"/{tag}/healthy"))["id"]
    start = time.monotonic()
    create_partners(api, tag, 5)

    assert wait_for(lambda: len(receiver.at(f"/{tag}/healthy")) >= 5, WAIT), receiver.posts
    assert time.monotonic() - start < 15
    time.sleep(4)  # a second copy of anything would arrive meanwhile
    received = [event_id for event_id, _ in receiver.at(f"/{tag}/healthy")]
    rows = deliveries(rpc, healthy)
    assert sorted(received) == sorted(row["event_id"] for row in rows)
    assert {row["state"] for row in rows} == {"delivered"}

    # the broken ones failed alone, each failure counted as that row's attempt
    busy_rows = deliveries(rpc, busy)
    assert len(busy_rows) == 5 and {row["state"] for row in busy_rows} == {"retrying"}
    assert {a["status_code"] for a in attempts(rpc, busy)} == {503}
    cut = [a for a in attempts(rpc, drip) if "timeout" in (a["error"] or "")]
    assert cut, attempts(rpc, drip)
    assert all(a["duration_ms"] < 3500 for a in cut)
    # park the broken ones: the next tests need the worker to themselves
    rpc("webhook.endpoint", "write", ids=[busy, drip], vals={"active": False})


def test_retries_on_a_one_second_schedule_come_on_time(api, rpc, receiver, make_endpoint):
    tag = "rt" + uuid.uuid4().hex[:8]
    path = f"/{tag}/flaky"
    receiver.behaviour[path] = "flaky"
    endpoint = make_endpoint(tag, receiver.url(path), retry_schedule="1", max_attempts=5)["id"]
    create_partners(api, tag, 20)

    def all_delivered():
        rows = deliveries(rpc, endpoint)
        return len(rows) == 20 and {row["state"] for row in rows} == {"delivered"}

    assert wait_for(all_delivered, 60), deliveries(rpc, endpoint)
    posts = defaultdict(list)
    for event_id, when in receiver.at(path):
        posts[event_id].append(when)
    assert len(posts) == 20
    gaps = []
    for times in posts.values():
        assert len(times) == 3, json.dumps(posts)
        gaps += [later - earlier for earlier, later in itertools.pairwise(times)]
    # 1 s +-20 % of jitter, plus the cron's wake-up: a few seconds at most,
    # never the cron's 5-minute interval nor its 1-minute poll
    assert max(gaps) < 5, sorted(gaps)[-5:]
