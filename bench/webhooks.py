"""Benchmark of outbound webhooks: the writer's cost, the worker's throughput
and the commit-to-receipt latency.

    python3 bench/webhooks.py --db-host /tmp/pg --db-port 5432 --db-user odoo \\
        [--template base_template] [--rounds 5] [--records 1000]

Creates (once) a database `bench_webhooks` with my_webhooks installed (from
`--template` if given), starts a loopback receiver (a separate process,
HTTP/1.1 keep-alive), then:

(a) the writer: bulk creates of `--records` partners, committed, in
    interleaved rounds, with no rule on partners and the change log of
    /api/v1/<resource>/changes off (`none`), with the change log alone
    (`log`, as installed), and, the change log on, with one active endpoint
    on res.partner/create (our outbox, `ours`), with one endpoint subscribed
    to the business event res.partner.created (`events`: its rule, the
    resource's rendering at commit, the outbox), and with Odoo's native
    "Send Webhook Notification" server action on an automation rule
    (`native`: it posts after commit, in the writer's thread, one request
    per record);
(b) the worker: deliveries per second of one worker (`_deliver_due`, batches
    of 100) draining the outbox written in (a) to the receiver;
(c) latency: an Odoo server with one cron thread; one partner created and
    committed at a time; time from the end of the commit to the receiver
    getting the event (p50, p95).

Figures are ratios and rates measured in one run on one machine; only the
ratios carry over.

    python3 bench/webhooks.py --slow-receiver --db-host ... [--deliveries 3000] [--slow-rounds 2]

measures instead one worker (`_deliver_due` in a loop, default batches)
draining `--deliveries` outbox rows spread over three endpoints, side by
side in interleaved rounds: all three receivers healthy, then the third
answering after 2 s. The figure is the deliveries per second to the two
healthy endpoints (from the first row to the last one they receive); with
the slow receiver it must stay at 80 % or more of the all-healthy figure.

    python3 bench/webhooks.py --inbound --db-host ... [options of webhooks_inbound.py]

measures inbound intake instead (verified events per second at
/api/v1/webhooks/<source>): it runs bench/webhooks_inbound.py, which needs
a server without cron and a client of its own.
"""

import argparse
import json
import os
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from common import ROOT, free_port, pct


def odoo_addons_path():
    import odoo  # noqa: PLC0415 - only the driver process needs it

    paths = [str(ROOT)]
    for package_dir in odoo.__path__:
        extra = Path(package_dir).resolve().parent / "addons"
        if extra.is_dir():
            paths.insert(0, str(extra))
    return ",".join(paths)


# ------------------------------------------------------------------ receiver
SLOW_ANSWER = 2  # seconds the /slow receiver takes to answer


def serve_receiver(port):
    """The receiver process: answers 200 (after SLOW_ANSWER seconds on
    /slow), remembers when each event arrived."""
    arrivals = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.time()
            event_id = self.headers.get("webhook-id")
            if event_id is None:  # Odoo's native webhook: no id, count it by its record
                event_id = "native-%s" % json.loads(body).get("_id")
            with lock:
                arrivals.setdefault(self.path, {})[event_id] = now
            if self.path == "/slow":
                time.sleep(SLOW_ANSWER)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            with lock:
                if self.path == "/reset":
                    arrivals.clear()
                    data = b"{}"
                else:
                    data = json.dumps(arrivals).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


# ------------------------------------------------------------------ odoo side
class Odoo:
    def __init__(self, args):
        self.db = args.db
        self.db_args = [
            "--db_host",
            args.db_host,
            "--db_port",
            str(args.db_port),
            "--db_user",
            args.db_user,
            "--addons-path",
            odoo_addons_path(),
        ]
        if args.data_dir:
            self.db_args += ["--data-dir", args.data_dir]

    def run(self, args, **kwargs):
        return subprocess.run(
            [sys.executable, "-m", "odoo", *args, *self.db_args],
            text=True,
            check=False,
            **kwargs,
        )

    def shell(self, code):
        result = self.run(
            ["shell", "-d", self.db, "--no-http", "--log-level", "warn"],
            input=code + "\nenv.cr.commit()\n",
            capture_output=True,
            timeout=3600,
        )
        if result.returncode:
            raise SystemExit(result.stderr[-3000:])
        for line in result.stdout.splitlines():
            if line.startswith("BENCH "):
                return json.loads(line[6:])
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])

    def server(self, port, logfile):
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "odoo",
                "server",
                *self.db_args,
                "-d",
                self.db,
                "--db-filter",
                f"^{self.db}$",
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(port),
                "--workers",
                "0",
                "--max-cron-threads",
                "1",
                "--log-level",
                "warn",
                "--logfile",
                logfile,
            ]
        )


def ensure_db(odoo, args):
    import psycopg2  # noqa: PLC0415 - comes with Odoo
    from psycopg2 import sql  # noqa: PLC0415

    conn = psycopg2.connect(
        host=args.db_host, port=args.db_port, user=args.db_user, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db])
        if cr.fetchone():
            conn.close()
            return
        if args.template:
            cr.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(args.db), sql.Identifier(args.template)
                )
            )
    conn.close()
    if args.template and args.data_dir:
        src = Path(args.data_dir, "filestore", args.template)
        if src.is_dir():
            shutil.copytree(src, Path(args.data_dir, "filestore", args.db))
    result = odoo.run(
        ["-d", args.db, "-i", "my_webhooks", "--stop-after-init", "--no-http",
         "--log-level", "warn"]
    )  # fmt: skip
    if result.returncode:
        raise SystemExit("install failed")


SETUP = """
import json
env['ir.config_parameter'].set_param('my_webhooks.allowed_targets', '127.0.0.1')
Partner = env['ir.model']._get('res.partner')
for old in env['webhook.endpoint'].with_context(active_test=False).search([]):
    old.unlink()
env['base.automation'].with_context(active_test=False).search(
    [('name', '=', 'bench native webhook')]).unlink()
env['webhook.delivery'].search([]).unlink()
ours = env['webhook.endpoint'].create({{
    'name': 'bench', 'url': '{url}/ours', 'model_id': Partner.id, 'trigger': 'create',
    'active': False}})
events = env['webhook.endpoint'].create({{
    'name': 'bench events', 'url': '{url}/events', 'event_types': 'res.partner.created',
    'active': False}})
fields = env['ir.model.fields'].search([('model', '=', 'res.partner'),
    ('name', 'in', ['name', 'email', 'phone', 'ref', 'is_company', 'parent_id', 'city'])])
native = env['base.automation'].create({{
    'name': 'bench native webhook', 'model_id': Partner.id, 'trigger': 'on_create',
    'active': False,
    'action_server_ids': [(0, 0, {{'name': 'native', 'model_id': Partner.id,
        'state': 'webhook', 'webhook_url': '{url}/native',
        'webhook_field_ids': [(6, 0, fields.ids)]}})]}})
env.cr.commit()
print('BENCH ' + json.dumps({{'endpoint': ours.id, 'events': events.id, 'native': native.id}}))
"""

WRITER = """
import contextlib, json, time
from unittest.mock import patch
ours = env['webhook.endpoint'].browse({endpoint})
events = env['webhook.endpoint'].browse({events})
native = env['base.automation'].browse({native})
Resource = env.registry['api.resource']
def switch(case):
    ours.active = case == 'ours'
    events.active = case == 'events'
    native.active = case == 'native'
    env.cr.commit()
    env.registry.check_signaling()
times = {{case: [] for case in CASES}}
n = 0
for r in range({rounds}):
    for case in CASES:
        switch(case)
        vals = [{{'name': 'Bench %s' % (n + i), 'email': 'b%s@example.com' % (n + i),
                  'ref': 'bench-%s' % (n + i)}} for i in range({records})]
        n += {records}
        # none: the change log off (no model logged), as before it existed
        log = patch.object(Resource, '_api_change_models', lambda self: frozenset()) \
            if case == 'none' else contextlib.nullcontext()
        with log:
            start = time.perf_counter()
            env['res.partner'].create(vals)
            env.cr.commit()  # the native webhook posts here, after commit
            times[case].append(time.perf_counter() - start)
switch('none')
print('BENCH ' + json.dumps(times))
"""

WORKER = """
import json, time
Delivery = env['webhook.delivery']
ours = env['webhook.endpoint'].browse({endpoint})
ours.active = True
env.cr.commit()
total = Delivery.search_count([('state', '=', 'pending')])
start = time.perf_counter()
done = 0
for _ in range(10000):
    n = Delivery._deliver_due(limit=100)
    done += n
    if not n or done >= {limit}:
        break
elapsed = time.perf_counter() - start
env.cr.commit()  # a fresh snapshot: the worker's cursors changed these rows
Delivery.search([('state', '=', 'pending')]).unlink()
env.cr.commit()
print('BENCH ' + json.dumps({{'done': done, 'seconds': elapsed, 'pending_before': total}}))
"""

LATENCY = """
import json, time
commits = {{}}
Partner = env['res.partner']
time.sleep(2)
for i in range({samples}):
    partner = Partner.create({{'name': 'Latency %s' % i}})
    delivery = env['webhook.delivery'].search([('res_id', '=', partner.id)], limit=1)
    event_id = delivery.event_id
    env.cr.commit()
    commits[event_id] = time.time()
    time.sleep(0.25)
print('BENCH ' + json.dumps(commits))
"""

SLOW = """
import json, time, urllib.request
from odoo import fields
Endpoint = env['webhook.endpoint']
Delivery = env['webhook.delivery']
Partner = env['ir.model']._get('res.partner')
for old in Endpoint.with_context(active_test=False).search([]):
    old.unlink()
Delivery.search([]).unlink()
# on deletion of a partner that does not exist: the rows are written below
endpoints = Endpoint.create([{{
    'name': 'bench %s' % name, 'url': '{url}/%s' % name, 'model_id': Partner.id,
    'trigger': 'unlink', 'domain': "[('id', '=', 0)]"}} for name in ('h1', 'h2', 'h3')])
env.cr.commit()
def get(path):
    return json.loads(urllib.request.urlopen('{url}' + path, timeout=30).read() or b'{{}}')
results = {{'healthy': [], 'slow': []}}
for r in range({rounds}):
    for case in ('healthy', 'slow'):
        third = 'h3' if case == 'healthy' else 'slow'
        endpoints[2].url = '{url}/' + third
        now = fields.Datetime.now()
        Delivery._insert_outbox([
            endpoint._delivery_vals('test', 'res.partner', 0, {{'n': n}}, now)
            for n in range({per_endpoint}) for endpoint in endpoints])
        env.cr.commit()
        get('/reset')
        start = time.time()
        while True:
            Delivery._deliver_due()
            env.cr.rollback()  # a fresh snapshot: the worker's cursors changed the rows
            if not Delivery.search_count([('endpoint_id', 'in', endpoints[:2].ids),
                                          ('state', 'in', ('pending', 'retrying'))]):
                break
        arrivals = get('/stats')
        healthy = [when for path in ('/h1', '/h2') for when in arrivals.get(path, {{}}).values()]
        seconds = max(healthy) - start
        results[case].append({{
            'healthy': len(healthy), 'seconds': seconds, 'rate': len(healthy) / seconds,
            'third': len(arrivals.get('/' + third, {{}}))}})
        Delivery.search([]).unlink()
        env.cr.commit()
endpoints.unlink()
env.cr.commit()
print('BENCH ' + json.dumps(results))
"""


WRITER_CASES = ("none", "log", "ours", "events", "native")


def slow_receiver_case(odoo, args, url):
    per_endpoint = args.deliveries // 3
    results = odoo.shell(SLOW.format(url=url, rounds=args.slow_rounds, per_endpoint=per_endpoint))
    rate = {case: statistics.median(r["rate"] for r in runs) for case, runs in results.items()}
    print(
        f"\none worker, {3 * per_endpoint} rows over 3 endpoints, "
        f"{args.slow_rounds} interleaved rounds (median)"
    )
    print("| third receiver | deliveries/s to the two healthy endpoints | rounds (/s) |")
    print("|---|---|---|")
    for case, label in (("healthy", "healthy"), ("slow", f"answers after {SLOW_ANSWER} s")):
        rounds = ", ".join(f"{r['rate']:.0f}" for r in results[case])
        print(f"| {label} | {rate[case]:.0f} | {rounds} |")
    thirds = [r["third"] for r in results["slow"]]
    print(f"\nratio slow / healthy: {rate['slow'] / rate['healthy']:.2f} (target >= 0.80); "
          f"the slow receiver got {thirds} meanwhile")  # fmt: skip


def main():
    if "--inbound" in sys.argv[1:]:
        sys.argv = [str(Path(__file__).with_name("webhooks_inbound.py"))] + [
            arg for arg in sys.argv[1:] if arg != "--inbound"
        ]
        runpy.run_path(sys.argv[0], run_name="__main__")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--db", default="bench_webhooks")
    parser.add_argument("--template", default=None, help="create the database from this one")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--slow-receiver", action="store_true", help="the slow-receiver case only")
    parser.add_argument("--slow-rounds", type=int, default=2)
    parser.add_argument("--writer-only", action="store_true", help="case (a) only")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        serve_receiver(args.receiver)
        return

    odoo = Odoo(args)
    ensure_db(odoo, args)
    odoo.run(["-d", args.db, "-u", "my_api,my_webhooks", "--stop-after-init", "--no-http",
              "--log-level", "warn"])  # fmt: skip
    port = free_port()
    receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(port)])
    url = f"http://127.0.0.1:{port}"
    server = None
    try:
        for _ in range(50):
            try:
                requests.get(f"{url}/reset", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        if args.slow_receiver:
            slow_receiver_case(odoo, args, url)
            return
        ids = odoo.shell(SETUP.format(url=url))

        # (a) the writer
        writer = f"CASES = {list(WRITER_CASES)!r}\n" + WRITER.format(
            rounds=args.rounds, records=args.records, **ids
        )
        times = odoo.shell(writer)
        med = {case: statistics.median(values) for case, values in times.items()}
        print(f"\n(a) bulk create of {args.records} partners, committed, {args.rounds} rounds")
        print("| case | median s | ratio to none | target |")
        print("|---|---|---|---|")
        for case in WRITER_CASES:
            target = "<= 1.15" if case in ("ours", "events") else "-"
            print(f"| {case} | {med[case]:.3f} | {med[case] / med['none']:.2f} | {target} |")

        if args.writer_only:
            return

        # (b) the worker
        requests.get(f"{url}/reset", timeout=5)
        worker = odoo.shell(WORKER.format(limit=args.deliveries, **ids))
        got = len(requests.get(f"{url}/stats", timeout=30).json().get("/ours", {}))
        rate = worker["done"] / worker["seconds"]
        print(f"\n(b) one worker: {worker['done']} deliveries in {worker['seconds']:.2f} s "
              f"= {rate:.0f}/s (receiver got {got})")  # fmt: skip

        # (c) latency, with a server whose cron thread is the worker
        requests.get(f"{url}/reset", timeout=5)
        http_port = free_port()
        logfile = Path(tempfile.gettempdir(), f"{args.db}-server.log")
        server = odoo.server(http_port, str(logfile))
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{http_port}/web/health", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        commits = odoo.shell(LATENCY.format(samples=args.samples))
        time.sleep(3)
        arrivals = requests.get(f"{url}/stats", timeout=30).json().get("/ours", {})
        latencies = [
            (arrivals[event_id] - committed) * 1000
            for event_id, committed in commits.items()
            if event_id in arrivals
        ]
        print(f"\n(c) commit-to-receipt, {len(latencies)}/{len(commits)} events received")
        if latencies:
            print(f"p50 {pct(latencies, 0.5):.0f} ms, p95 {pct(latencies, 0.95):.0f} ms")
    finally:
        if server:
            server.terminate()
            server.wait(30)
        receiver.terminate()
        receiver.wait(10)
        odoo.shell(
            "for e in env['webhook.endpoint'].with_context(active_test=False).search([]):\n"
            "    e.active = False\n"
            "print('BENCH {}')"
        )


if __name__ == "__main__":
    main()
