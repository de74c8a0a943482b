"""Helpers shared by the benchmarks: the database options, Odoo's command
line on this repository, and percentiles. Nothing here is timed."""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def db_parser(description, db):
    """An argument parser with the PostgreSQL options every bench takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--db", default=db)
    return parser


def odoo_db_args(options):
    """Odoo's command-line options for the database server of `options`."""
    return [
        "--db_host",
        options.db_host,
        "--db_port",
        options.db_port,
        "--db_user",
        options.db_user,
    ]


def pg_command(program, options):
    """A PostgreSQL client program (psql, createdb...) on that server."""
    return [program, "-h", options.db_host, "-p", options.db_port, "-U", options.db_user]


def db_exists(options, db):
    return bool(
        subprocess.run(
            [*pg_command("psql", options), "-d", "postgres", "-v", f"db={db}", "-tA"],
            input="SELECT 1 FROM pg_database WHERE datname = :'db'",
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo(args, db_args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "odoo", *args, *db_args, "--addons-path", str(ROOT)],
        text=True,
        check=False,
        **kwargs,
    )


@contextmanager
def odoo_server(db_args, db, workers=0):
    """Odoo on 127.0.0.1 serving only `db`, with `workers` HTTP processes (0:
    threaded) and no cron thread; yields its base URL once it answers
    /web/health, and stops it when the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["server", "-d", db, "--db-filter", f"^{db}$", "--http-interface", "127.0.0.1"]
    args += ["--http-port", str(port), "--workers", str(workers), "--max-cron-threads", "0"]
    args += ["--log-level", "warn"]
    server = subprocess.Popen(
        [sys.executable, "-m", "odoo", *args, *db_args, "--addons-path", str(ROOT)]
    )
    try:
        for _ in range(120):
            try:
                if requests.get(f"{url}/web/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def shell(code, db_args, db):
    """Run `code` in `odoo shell` on `db` (committed); return its output."""
    result = odoo(
        ["shell", "-d", db, "--no-http", "--log-level", "warn"],
        db_args,
        input=code + "\nenv.cr.commit()\n",
        capture_output=True,
        timeout=1800,
    )
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return result.stdout


def timed(func, rounds):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def interleaved(cases, rounds):
    """Check that every case answers 200, then time `rounds` rounds of all
    cases in turn (drift hits every case alike); return {case: samples ms}."""
    for func in cases.values():  # warm every path
        response = func()
        assert response.status_code == 200, response.text[:500]
    samples = {name: [] for name in cases}
    for _ in range(rounds):
        for name, func in cases.items():
            samples[name] += timed(func, 1)
    return samples


def print_tables(title, samples, ratios):
    """Print p50/p95 per case, then `ratios`: (name, (numerator case,
    denominator case), target or None), each a ratio of p50s."""
    p50 = {name: statistics.median(values) for name, values in samples.items()}
    print(f"\n{title}\n")
    print("| case | p50 ms | p95 ms |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {p50[name]:.1f} | {pct(values, 0.95):.1f} |")
    print("\n| ratio (p50) | value | target |\n|---|---:|---:|")
    for name, (numerator, denominator), target in ratios:
        value = p50[numerator] / p50[denominator]
        print(f"| {name} | {value:.2f} | {'<= %.1f' % target if target else '-'} |")
