"""A request that fails on a serialization error and that Odoo runs again.

On a serialization failure Odoo rolls the request's transaction back and
runs the whole request again (odoo.service.model.retrying, up to five
tries). What /api/v1 commits on connections of its own (the rate-limit hit,
the request log line, the Idempotency-Key claim) must count the client's
request once: the client gets the answer of the try that committed, its
Idempotency-Key holds that answer, the rate limit moved by one, the request
log has one line with the status the client got.

The failures are real PostgreSQL ones, on a real server: a concurrent
transaction of the test updating the row the request waits for (the request
fails in its route), or a trigger that fails once after the route answered
(in Odoo's pre-commit work, or at COMMIT itself, which Odoo does not retry).
An inbound webhook stored by the queued intake (a statement of its own) is
accepted once too. Needs ODOO_DSN (see conftest.py).
"""

import hashlib
import hmac
import json
import threading
import time
import uuid

import psycopg2
import pytest
import requests
from conftest import odoo_shell as shell
from psycopg2 import sql

TIMEOUT = 120


@pytest.fixture(scope="module")
def client():
    """A salesman with an API key of their own (so that the rate-limit
    counter of the user is this file's alone), a customer and a product."""
    marker = uuid.uuid4().hex
    out = shell(
        "import json\n"
        "groups = [env.ref('base.group_user').id,"
        " env.ref('sales_team.group_sale_salesman_all_leads').id]\n"
        "user = env['res.users'].create({'name': 'E2E retry', "
        f"'login': 'e2e-retry-{marker}', 'group_ids': [(6, 0, groups)]}})\n"
        "import datetime\n"
        "from odoo import fields\n"
        "expiry = fields.Datetime.now() + datetime.timedelta(days=30)\n"
        "key = env['res.users.apikeys'].with_user(user).sudo()._generate("
        "None, 'e2e retry', expiry)\n"
        f"partner = env['res.partner'].create({{'name': 'E2E retry customer {marker}'}})\n"
        f"product = env['product.product'].create({{'name': 'E2E retry widget {marker}',"
        " 'list_price': 5.0})\n"
        f"print('{marker}' + json.dumps({{'uid': user.id, 'key': key,"
        " 'partner_id': partner.id, 'product_id': product.id}))\n"
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise RuntimeError(f"no client in odoo shell output: {out[-500:]}")


def call(odoo_url, client, method, path, body=None, headers=None):
    return requests.request(
        method,
        f"{odoo_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {client['key']}", **(headers or {})},
        timeout=TIMEOUT,
    )


def new_order(odoo_url, client):
    response = call(
        odoo_url,
        client,
        "POST",
        "/api/v1/orders",
        {
            "partner_id": client["partner_id"],
            "lines": [{"product_id": client["product_id"], "quantity": 2}],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def rate_hits(db, client):
    """All requests counted against the client's user, whatever the window."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT COALESCE(sum(hits), 0) FROM api_rate_counter WHERE bucket = %s",
            [f"user:{client['uid']}"],
        )
        return cur.fetchone()[0]


def log_statuses(db, request_id):
    with db.cursor() as cur:
        cur.execute(
            "SELECT status FROM api_request_log WHERE request_id = %s ORDER BY id", [request_id]
        )
        return [row[0] for row in cur.fetchall()]


def claims(db, key):
    """(claim id, stored status or None) of every claim of `key`."""
    with db.cursor() as cur:
        cur.execute(
            """
            SELECT k.id, r.status FROM api_idempotency_key k
              LEFT JOIN api_idempotency_response r ON r.key_id = k.id
             WHERE k.key = %s ORDER BY k.id
            """,
            [key],
        )
        return cur.fetchall()


DDL_LOCK_TIMEOUT = "500ms"
DDL_DEADLINE = 60  # seconds


def table_ddl(db, statement):
    """Run `statement`, DDL that locks a table the server uses (CREATE or
    DROP TRIGGER), without ever queueing behind a holder for long.

    A lock that DDL waits for blocks every later lock of the table, however
    weak. Odoo's cron thread keeps the transaction that picked a job (it
    deleted the job's ir_cron_trigger rows) open while it runs the job in
    another one; when that job (the autovacuum) reads ir_cron_trigger behind
    our waiting DROP TRIGGER, each waits for the other through a connection
    PostgreSQL cannot see, and nothing ever ends. Giving up after a short
    `lock_timeout` and trying again lets the job through.
    """
    deadline = time.monotonic() + DDL_DEADLINE
    while True:
        try:
            with db.cursor() as cur:
                cur.execute("SET lock_timeout = %s", [DDL_LOCK_TIMEOUT])
                try:
                    cur.execute(statement)
                finally:
                    cur.execute("RESET lock_timeout")
            return
        except psycopg2.errors.LockNotAvailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def fail_once(db):
    """Install a trigger that raises one serialization failure (SQLSTATE
    40001) for the rows `condition` selects; return how often it fired.

    `fail_once(table, condition, args, deferred=False)`: `condition` is a
    PL/pgSQL expression on NEW and TG_ARGV (the text `args`). A deferred
    one fires at COMMIT. Removed after the test.
    """
    name = f"e2e_retry_{uuid.uuid4().hex[:12]}"
    installed = []

    def install(table, condition, args, deferred=False):
        with db.cursor() as cur:
            cur.execute(sql.SQL("CREATE SEQUENCE {}").format(sql.Identifier(name)))
            cur.execute(
                sql.SQL(
                    """
                    CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF ({condition}) AND nextval({sequence}::regclass) = 1 THEN
                            RAISE EXCEPTION 'could not serialize access (injected by the test)'
                                USING ERRCODE = 'serialization_failure';
                        END IF;
                        RETURN NEW;
                    END $$
                    """
                ).format(
                    function=sql.Identifier(name),
                    condition=sql.SQL(condition),
                    sequence=sql.Literal(name),
                )
            )
            installed.append(table)
            timing = (
                sql.SQL("CONSTRAINT TRIGGER {} AFTER INSERT ON {} DEFERRABLE INITIALLY DEFERRED")
                if deferred
                else sql.SQL("TRIGGER {} BEFORE INSERT ON {}")
            ).format(sql.Identifier(name), sql.Identifier(table))
        table_ddl(
            db,
            sql.SQL("CREATE {} FOR EACH ROW EXECUTE FUNCTION {}({})").format(
                timing,
                sql.Identifier(name),
                sql.SQL(", ").join(sql.Literal(str(arg)) for arg in args),
            ),
        )

        def fired():
            with db.cursor() as cur:
                cur.execute(
                    sql.SQL("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {}").format(
                        sql.Identifier(name)
                    )
                )
                return cur.fetchone()[0]

        return fired

    yield install
    for table in installed:
        table_ddl(
            db,
            sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                sql.Identifier(name), sql.Identifier(table)
            ),
        )
    with db.cursor() as cur:
        cur.execute(sql.SQL("DROP FUNCTION IF EXISTS {}()").format(sql.Identifier(name)))
        cur.execute(sql.SQL("DROP SEQUENCE IF EXISTS {}").format(sql.Identifier(name)))


def assert_answered_once(odoo_url, client, db, path, key, request_id, first, hits_before):
    """The properties of a client request that Odoo ran more than once."""
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert rate_hits(db, client) - hits_before == 1, "counted once per client request"
    assert log_statuses(db, request_id) == [200], "one log line, with the status answered"
    (claim,) = claims(db, key)
    assert claim[1] == 200, "the claim holds the answer"
    replay = call(odoo_url, client, "POST", path, headers={"Idempotency-Key": key})
    assert replay.status_code == 200, replay.text
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()


def wait_until_blocked_by(db, pid, thread, timeout=60):
    """Wait until a backend waits for a lock held by backend `pid`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert thread.is_alive(), "the request ended without waiting for the lock"
        with db.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
            )
            if cur.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the request never waited for the row lock")


def test_request_retried_after_a_concurrent_update_answers_once(odoo_url, client, db):
    """The request waits for a row that a concurrent transaction updates and
    commits: its REPEATABLE READ transaction fails, Odoo runs it again."""
    order_id = new_order(odoo_url, client)
    path = f"/api/v1/orders/{order_id}/confirm"
    key, request_id, ref = (f"e2e-retry-{uuid.uuid4().hex}" for _ in range(3))
    hits_before = rate_hits(db, client)
    other = psycopg2.connect(db.dsn)
    try:
        with other.cursor() as cur:
            cur.execute("SELECT id FROM sale_order WHERE id = %s FOR UPDATE", [order_id])
        answers = []
        thread = threading.Thread(
            target=lambda: answers.append(
                call(
                    odoo_url,
                    client,
                    "POST",
                    path,
                    headers={"Idempotency-Key": key, "X-Request-Id": request_id},
                )
            )
        )
        thread.start()
        try:
            wait_until_blocked_by(db, other.get_backend_pid(), thread)
            with other.cursor() as cur:
                cur.execute(
                    "UPDATE sale_order SET client_order_ref = %s WHERE id = %s", [ref, order_id]
                )
            other.commit()
        finally:
            other.rollback()
            thread.join(TIMEOUT)
    finally:
        other.close()
    (first,) = answers
    assert_answered_once(odoo_url, client, db, path, key, request_id, first, hits_before)
    data = first.json()["data"]
    assert data["state"] == "sale"
    assert data["external_ref"] == ref, "the answer is the retry's, which saw the update"


def test_retry_after_the_route_answered_completes_the_claim(odoo_url, client, db, fail_once):
    """The first try answered and stored its answer, then failed in Odoo's
    pre-commit work (the order's tracking message): the retry must not find
    the first try's claim and answer 409."""
    order_id = new_order(odoo_url, client)
    fired = fail_once(
        "mail_tracking_value",
        "EXISTS (SELECT 1 FROM mail_message m WHERE m.id = NEW.mail_message_id"
        " AND m.model = 'sale.order' AND m.res_id = TG_ARGV[0]::int)",
        [order_id],
    )
    path = f"/api/v1/orders/{order_id}/confirm"
    key, request_id = f"e2e-retry-{uuid.uuid4().hex}", f"e2e-retry-{uuid.uuid4().hex}"
    hits_before = rate_hits(db, client)
    first = call(
        odoo_url, client, "POST", path, headers={"Idempotency-Key": key, "X-Request-Id": request_id}
    )
    assert_answered_once(odoo_url, client, db, path, key, request_id, first, hits_before)
    assert fired() >= 2, "the first try failed, a retry ran"
    assert first.json()["data"]["state"] == "sale"


def test_request_failing_at_commit_frees_its_key(odoo_url, client, db, fail_once):
    """The COMMIT itself fails (Odoo does not retry then): nothing was
    applied, the client gets a JSON 409 to retry, and its retry with the
    same key runs (not 409 for as long as the claim would otherwise last)."""
    order_id = new_order(odoo_url, client)
    path = f"/api/v1/orders/{order_id}/confirm"
    key = f"e2e-retry-{uuid.uuid4().hex}"
    # the answer stored for a key claimed after this point: the claim is
    # committed on a side connection, which the request's own snapshot may
    # predate, so the trigger tells the key by its id, not by a lookup
    with db.cursor() as cur:
        cur.execute("SELECT COALESCE(max(id), 0) FROM api_idempotency_key")
        (last_key_id,) = cur.fetchone()
    fired = fail_once(
        "api_idempotency_response",
        "NEW.key_id > TG_ARGV[0]::int",
        [str(last_key_id)],
        deferred=True,
    )
    failed_id, retry_id = f"e2e-retry-{uuid.uuid4().hex}", f"e2e-retry-{uuid.uuid4().hex}"
    hits_before = rate_hits(db, client)
    failed = call(
        odoo_url, client, "POST", path, headers={"Idempotency-Key": key, "X-Request-Id": failed_id}
    )
    assert fired() == 1
    assert failed.status_code == 409, failed.text
    assert failed.headers["Content-Type"].startswith("application/json")
    assert failed.json()["error"]["code"] == "conflict"
    assert failed.json()["error"]["request_id"] == failed_id
    assert int(failed.headers["Retry-After"]) > 0
    assert log_statuses(db, failed_id) == [409]
    assert rate_hits(db, client) - hits_before == 1
    assert claims(db, key) == [], "a failed request leaves no claim"
    order = call(odoo_url, client, "GET", f"/api/v1/orders/{order_id}").json()["data"]
    assert order["state"] == "draft", "nothing of the failed request was applied"
    hits_before = rate_hits(db, client)
    retry = call(
        odoo_url, client, "POST", path, headers={"Idempotency-Key": key, "X-Request-Id": retry_id}
    )
    assert_answered_once(odoo_url, client, db, path, key, retry_id, retry, hits_before)


WEBHOOK_SECRET = "whsec_e2e_retry_secret"


@pytest.fixture(scope="module")
def queued_source():
    """A generic-scheme source that stores events for the processing cron
    (queued intake) and does nothing with them; its slug and the cron's id."""
    slug = f"e2e-retry-{uuid.uuid4().hex[:10]}"
    marker = uuid.uuid4().hex
    out = shell(
        "source = env['webhook.source'].create({"
        f"'name': {slug!r}, 'slug': {slug!r}, 'scheme': 'generic', "
        f"'signature_header': 'X-Signature', 'secret': {WEBHOOK_SECRET!r}, "
        "'handler': 'none', 'processing': 'async'})\n"
        f"print('{marker}', source.id, env.ref('my_webhooks.webhook_event_cron').id)\n"
    )
    for line in out.splitlines():
        if line.startswith(marker):
            source_id, cron_id = line.split()[1:]
            return slug, int(source_id), int(cron_id)
    raise RuntimeError(f"no source in odoo shell output: {out[-500:]}")


def test_queued_webhook_retried_by_odoo_is_accepted_once(odoo_url, db, fail_once, queued_source):
    """The queued intake stores the event in a statement of its own, then
    wakes the cron in the request's transaction; when that fails on a
    serialization error (a cron run updating its row, here injected), Odoo
    runs the intake again: it must answer "accepted", not "duplicate" of the
    event its first try stored, and count no duplicate."""
    slug, source_id, cron_id = queued_source
    with db.cursor() as cur:  # no trigger pending: the intake makes one
        cur.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", [cron_id])
    fired = fail_once("ir_cron_trigger", "NEW.cron_id = TG_ARGV[0]::int", [cron_id])
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex}", "type": "e2e.retry"}).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    request_id = f"e2e-retry-{uuid.uuid4().hex}"
    response = requests.post(
        f"{odoo_url}/api/v1/webhooks/{slug}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Signature": f"sha256={signature}",
            "X-Request-Id": request_id,
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted", response.text
    assert fired() >= 2, "the first try failed, a retry ran"
    with db.cursor() as cur:
        cur.execute(
            "SELECT count(*), sum(duplicate_count) FROM webhook_event WHERE source_id = %s",
            [source_id],
        )
        assert cur.fetchone() == (1, 0)
    assert log_statuses(db, request_id) == [200]
