"""Benchmark of inbound webhook intake: verified events accepted per second.

    python3 bench/webhooks_inbound.py --db-host /tmp/pg --db-port 5432 --db-user odoo \\
        [--template base_db] [--events 3000] [--concurrency 8]

Creates (once) a database `bench_webhooks_in` with my_webhooks installed
(copied from `--template` when given, which must hold the addons'
dependencies), and in it a generic-scheme source (`sha256=` HMAC over the
raw body, handler none, queued processing). Starts Odoo on 127.0.0.1 with
`--workers` HTTP processes (by default Odoo's sizing rule for production,
2 x CPU cores + 1; 0 for the threaded server, whose single process is
bound to one core by Python's GIL) and no cron thread, so that only intake
is measured: each request is routed, verified, parsed, inserted with ON
CONFLICT DO NOTHING, checks for a pending wake-up of the (absent) cron and
is logged in the /api/v1 request log.

`--request-log` sets my_api's request log for the run (`all`, the
default, writes one log row per request in a transaction of its own).

Then posts `--events` distinct signed events from `--concurrency` client
threads (keep-alive sessions), and as many again byte-identical, which are
answered as duplicates, and as many to an unknown source: a 404 that costs
Odoo's dispatch and the request log but no intake work, the floor the
other figures compare with. Prints requests per second and latency
percentiles of each phase; every answer must be the expected one.
"""

import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import threading
import time
import urllib.parse

from common import db_exists, db_parser, odoo, odoo_db_args, odoo_server, pct, pg_command, shell

SECRET = "whsec_bench_secret"  # noqa: S105 - the bench source's own test secret
SLUG = "bench"

SETUP = f"""
env['ir.config_parameter'].set_param('my_api.rate_limit', '100000000')
env['ir.config_parameter'].set_param('my_api.request_log', '{{request_log}}')
source = env['webhook.source'].with_context(active_test=False).search([('slug', '=', '{SLUG}')])
source.unlink()
env['webhook.event'].search([]).unlink()
env['webhook.source'].create({{'name': 'Bench', 'slug': '{SLUG}', 'scheme': 'generic',
    'signature_header': 'X-Signature', 'secret': '{SECRET}', 'handler': 'none'}})
env.cr.commit()
print('READY')
"""

COUNT = """
print('EVENTS=%s' % env['webhook.event'].search_count([]))
print('DUPLICATES=%s' % sum(env['webhook.event'].search([]).mapped('duplicate_count')))
"""


def body_of(i):
    return json.dumps(
        {"id": f"evt_bench_{i}", "type": "payment_intent.succeeded", "data": {"amount": i}},
        separators=(",", ":"),
    ).encode()


def deliver_all(url, db, bodies, concurrency, expected, expected_status=200):
    """Post every body once, from `concurrency` threads; return (seconds, latencies ms)."""
    latencies = []
    failures = []
    lock = threading.Lock()
    chunks = [bodies[i::concurrency] for i in range(concurrency)]

    def worker(chunk):
        # http.client: a keep-alive connection and little client CPU, so that
        # the 2 cores measure the server rather than the client
        parsed = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        mine = []
        for body in chunk:
            signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "Content-Type": "application/json",
                "X-Odoo-Database": db,
                "X-Signature": f"sha256={signature}",
            }
            start = time.perf_counter()
            connection.request("POST", parsed.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            mine.append((time.perf_counter() - start) * 1000)
            document = json.loads(answer)
            if response.status != expected_status or (
                expected and document.get("status") != expected
            ):
                with lock:
                    failures.append((response.status, answer[:200]))
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} unexpected answers, e.g. {failures[:3]}")
    return elapsed, latencies


def main():
    parser = db_parser(__doc__.split("\n\n")[0], "bench_webhooks_in")
    parser.add_argument("--template", help="database to copy (holding the dependencies)")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--request-log",
        choices=("all", "errors", "none"),
        default="all",
        help="my_api.request_log during the run (the product's default: all)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="Odoo HTTP worker processes (default 2 x CPU cores + 1; 0: threaded)",
    )
    options = parser.parse_args()
    db_args = odoo_db_args(options)
    db = options.db
    if not db_exists(options, db):
        if options.template:
            subprocess.run(
                [*pg_command("createdb", options), "-T", options.template, db],
                check=True,
            )
        print(f"installing my_webhooks into {db} ...", flush=True)
        install = ["server", "-d", db, "-i", "my_webhooks", "--stop-after-init"]
        install += ["--log-level", "warn", "--no-http"]
        if odoo(install, db_args).returncode:
            raise SystemExit("install failed")
    else:
        update = ["server", "-d", db, "-u", "my_webhooks", "--stop-after-init"]
        update += ["--log-level", "warn", "--no-http"]
        if odoo(update, db_args).returncode:
            raise SystemExit("update failed")
    assert "READY" in shell(SETUP.replace("{request_log}", options.request_log), db_args, db)

    with odoo_server(db_args, db, workers=options.workers) as base:
        url = f"{base}/api/v1/webhooks/{SLUG}"
        # warm-up: routing map, registry caches, connections
        deliver_all(url, db, [body_of(-i) for i in range(1, 51)], options.concurrency, "accepted")
        bodies = [body_of(i) for i in range(options.events)]
        results = {
            "new events (accepted)": deliver_all(url, db, bodies, options.concurrency, "accepted"),
            "retries (duplicate)": deliver_all(url, db, bodies, options.concurrency, "duplicate"),
            "unknown source (404)": deliver_all(
                f"{base}/api/v1/webhooks/nobody", db, bodies, options.concurrency, None, 404
            ),
        }
    counts = dict(
        line.split("=", 1) for line in shell(COUNT, db_args, db).splitlines() if "=" in line
    )
    mode = f"{options.workers} workers" if options.workers else "threaded"
    print(
        f"\n{options.events} events, {options.concurrency} client threads, "
        f"Odoo {mode} (--workers {options.workers}), no cron thread, "
        f"request log: {options.request_log}"
    )
    print(f"{'phase':<24} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, (elapsed, latencies) in results.items():
        print(
            f"{name:<24} {len(latencies) / elapsed:>9.0f} {pct(latencies, 0.5):>8.1f} "
            f"{pct(latencies, 0.95):>8.1f} {statistics.mean(latencies):>8.1f}"
        )
    print(f"stored events: {counts.get('EVENTS')}, duplicates counted: {counts.get('DUPLICATES')}")


if __name__ == "__main__":
    main()
