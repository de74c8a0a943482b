"""The request log: one line per client request of /api/v1, at most once.

Owns when and how the line is written. An answer that stands whatever
becomes of the request's transaction (an error) is logged at once on a
side connection (`log_request`); a success, or a replay, only if that
transaction commits, so its line is written in the transaction itself
(`log_answer`): when Odoo rolls a try back to run the request again, the
next try logs the answer the client gets. An answer that a side statement
decides has its line written by that very statement (`side_execute_logged`).
What the line holds is api.request.log's business (`_insert_query`).

Imports my_api.core.context and my_api.core.bookkeeping only (and the
parameter table my_api.settings): never the
errors, io, idempotency or endpoint modules (the endpoint logs through
this one, and a log line never raises an ApiError).
"""

import logging
import time

import psycopg2

from odoo.http import request
from odoo.tools import SQL

from ..settings import setting
from .bookkeeping import side_execute
from .context import current_context

_logger = logging.getLogger(__name__)


def _log_query(status, code=None):
    """The request log INSERT of this request, or None when it is not to be
    logged (or already was); `code` is the error envelope's code, if any.
    Whoever writes it calls _mark_logged(), so that the request is not
    logged twice."""
    ctx = current_context()
    if ctx is None or ctx.logged or not request.db:
        return None
    mode = setting(request.env, "request_log")
    if mode == "none" or (mode == "errors" and status < 400):
        return None
    credential = ctx.credential
    httprequest = request.httprequest
    values = {
        "method": httprequest.method,
        "path": httprequest.path[:1024],
        "status": status,
        "duration_ms": round((time.monotonic() - ctx.started) * 1000, 1),
        "user_id": credential.uid if credential else None,
        "auth_method": credential.method if credential else None,
        "credential": credential.label if credential else None,
        "request_id": ctx.request_id,
        "ip": httprequest.remote_addr,
        "error_code": code,
    }
    return request.env["api.request.log"]._insert_query(values)


def _mark_logged():
    """Mark the request as logged (see _log_query)."""
    ctx = current_context()
    if ctx is not None:
        ctx.logged = True


def log_request(status, code=None):
    """Write the request log line of this request (once), at once on a side
    connection: for an answer that stands whatever becomes of the request's
    transaction (an error: the transaction is rolled back anyway, and Odoo
    does not run the request again)."""
    query = _log_query(status, code)
    _mark_logged()  # even if writing fails: a request is logged at most once
    if query is not None:
        _write_log_line(query, request.env, current_context().request_id)


def _write_log_line(query, env, request_id):
    try:
        side_execute(query, env=env)
    except psycopg2.Error:
        # the log is bookkeeping: never fail or alter the answer because of it
        _logger.warning("could not write the /api/v1 request log (request_id=%s)", request_id)


def log_answer(status):
    """Write the request log line of an answer that stands only if the
    request's transaction commits (a success, a replay).

    Odoo may still roll that transaction back, to run the request again
    after a serialization failure or because the commit failed: the line is
    written in the transaction itself, so that it is committed with the
    answer or not at all. A read-only transaction cannot hold it: there it
    is written once the transaction has committed. Either way a rollback
    lets the next try (or answer_failure) write the line of the answer that
    the client gets.
    """
    query = _log_query(status)
    if query is None:
        return
    ctx = current_context()
    env = request.env
    if env.cr.readonly:
        env.cr.postcommit.add(lambda: _write_log_line(query, env, ctx.request_id))
    else:
        env.cr.execute(query)
    ctx.logged = True

    def forget():
        ctx.logged = False

    env.cr.postrollback.add(forget)


def side_execute_logged(query, status, *, code=None, ctes=None, fetch=False):
    """Run `query` as side_execute does, and write this request's log line
    (answer `status`) in the same statement: for an answer that the
    statement decides, committed at once with it whatever becomes of the
    request's transaction (a webhook stored, a refusal counted), at the
    cost of no extra round trip.

    The log INSERT joins the statement as one more data-modifying CTE,
    `logged`, after `ctes`: the statement's own WITH list (without the
    WITH), if it has one. Data-modifying CTEs must stand at the top level,
    so the WITH is written here and `query` is the statement that follows
    it. The request counts as logged once the statement has succeeded;
    when the request is not to be logged, or already was, the statement
    runs alone. Returns what side_execute returns.
    """
    log = _log_query(status, code)
    with_list = [cte for cte in (ctes, log and SQL("logged AS (%s)", log)) if cte]
    statement = SQL("WITH %s %s", SQL(", ").join(with_list), query) if with_list else query
    result = side_execute(statement, fetch=fetch)
    if log is not None:
        _mark_logged()
    return result
