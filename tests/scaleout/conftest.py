"""Fixtures of the scale-out scenario that scripts/test.sh sets up.

Two Odoo servers in multi-process mode (ODOO_URL_A, ODOO_URL_B: workers 2
and one cron worker each) serve one database of the suite's throwaway
PostgreSQL (ODOO_DSN), with a hot standby made by pg_basebackup as their
read replica (ODOO_REPLICA_DSN; ODOO_REPLICA_PG_CTL is `pg_ctl -D <its data>`,
to stop it). ODOO_SHELL, ODOO_LOGIN and ODOO_PASSWORD as for tests/e2e;
ODOO_LOG_A and ODOO_LOG_B are the two servers' log files.
"""

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import odoo_shell

REQUIRED = (
    "ODOO_URL_A",
    "ODOO_URL_B",
    "ODOO_DB",
    "ODOO_SHELL",
    "ODOO_DSN",
    "ODOO_REPLICA_DSN",
    "ODOO_REPLICA_PG_CTL",
)


def pytest_collection_modifyitems(config, items):
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        skip = pytest.mark.skip(reason=f"no scale-out setup ({', '.join(missing)} unset)")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def servers():
    """The base URLs of the two servers, A first."""
    return [os.environ["ODOO_URL_A"].rstrip("/"), os.environ["ODOO_URL_B"].rstrip("/")]


def mint_key(name, limit=None):
    """A new API key of the administrator (as Odoo mints them); with
    `limit`, a rate-limit rule of its own: `limit` requests a minute."""
    marker = "KEY:"
    out = odoo_shell(
        "import datetime\n"
        "from odoo import fields\n"
        "admin = env.ref('base.user_admin')\n"
        "expiry = fields.Datetime.now() + datetime.timedelta(days=1)\n"
        "Keys = env['res.users.apikeys'].with_user(admin).sudo()\n"
        f"key = Keys._generate(None, {name!r}, expiry)\n"
        f"row = Keys.search([('name', '=', {name!r})], order='id desc', limit=1)\n"
        + (
            f"env['api.rate.limit'].create({{'apikey_id': row.id, 'limit': {limit}, "
            "'window': 60})\n"
            if limit
            else ""
        )
        + f"print({marker!r} + str(row.id) + ':' + key)\n"
    )
    for line in out.splitlines():
        if line.startswith(marker):
            key_id, key = line[len(marker) :].split(":", 1)
            return int(key_id), key
    raise RuntimeError(f"no key in odoo shell output: {out[-500:]}")


@pytest.fixture(scope="module")
def admin_key():
    return mint_key("scale-out admin")[1]


@pytest.fixture
def db():
    """Autocommit connections to the primary and to the replica."""
    import psycopg2  # noqa: PLC0415 - only these tests need it

    primary = psycopg2.connect(os.environ["ODOO_DSN"])
    replica = psycopg2.connect(os.environ["ODOO_REPLICA_DSN"])
    primary.autocommit = replica.autocommit = True
    yield primary, replica
    primary.close()
    replica.close()


def query(connection, sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 at once and counts
    the deliveries of each event id (the `webhook-id` header)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event_id = self.headers.get("webhook-id")
                with receiver.lock:
                    receiver.seen[event_id] = receiver.seen.get(event_id, 0) + 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.seen) >= count:
                    return True
            time.sleep(0.5)
        return False

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
