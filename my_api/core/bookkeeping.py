"""Side statements: bookkeeping that must not share the request's fate.

Owns `side_env` and `side_execute` (a statement committed at once, on a
transaction of its own: rate counters, Idempotency-Key claims, the request
log of an error, an API key's last use) and `read_committed`, the isolation
level of transactions that upsert shared rows. What such a statement writes
is not undone when Odoo rolls the request back to run it again: a statement
that must count once per client request goes through
`my_api.core.context.once_per_request`.

Imports only my_api.core.connections (its private pool): knows nothing of
ApiErrors, answers or the request log's format.
"""

from contextlib import contextmanager

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import SUPERUSER_ID, api, sql_db
from odoo.http import request

from .connections import _bookkeeping


@contextmanager
def side_env(env=None):
    """An environment on a cursor of its own, committed when the block ends.

    For bookkeeping that must not share the request's fate: rate counters
    and idempotency claims must be visible to concurrent requests at once,
    the request log and key usage must survive a failed request, and a
    read-only request must stay read-only. Superuser because these rows are
    the system's own records, written whatever the caller may do. `env`:
    see side_execute.
    """
    with (env or request.env).registry.cursor() as cr:
        if isinstance(cr, sql_db.Cursor):
            # A cursor of its own, which has sent nothing yet: psycopg2 then
            # opens its transaction with "BEGIN ISOLATION LEVEL READ
            # COMMITTED", a round trip fewer than read_committed()'s SET.
            # The next cursor on this connection is set back by Odoo.
            cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
        yield api.Environment(cr, SUPERUSER_ID, {})


def side_execute(query, fetch=False, env=None):
    """Run one SQL statement (an `odoo.tools.SQL`) in a transaction of its
    own, committed at once; return its first row when `fetch`.

    Same purpose as side_env() for single statements, at a fraction of the
    cost. Under Odoo's test mode, where every cursor is a TestCursor sharing
    the test's transaction, and when this process has as many bookkeeping
    connections open as it may, it runs on a side_env() cursor instead.
    `env`: the request's environment, for a caller that runs once the
    request has let go of it (a hook of its cursor); request.env otherwise.
    A statement whose result must count once per client request goes
    through once_per_request.
    """
    env = env or request.env
    if isinstance(env.cr, sql_db.Cursor):  # not a TestCursor
        result = _bookkeeping.execute(env.cr.dbname, query, fetch)
        if result is not None:
            return result[0]
    with side_env(env) as side:
        side.cr.execute(query)
        return side.cr.fetchone() if fetch else None


def read_committed(cr):
    """Run this cursor's transaction at READ COMMITTED.

    Odoo's cursors are REPEATABLE READ, under which two workers upserting
    the same counter row fail with a serialization error; the atomic upserts
    of side transactions are correct and never fail at READ COMMITTED.
    Test cursors share the test's transaction and are left as they are.
    """
    if isinstance(cr, sql_db.Cursor):
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
