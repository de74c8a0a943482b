"""The request log: one line per client request of /api/v1, at most once.

Owns when and how the line is written. An answer that stands whatever
becomes of the request's transaction (an error) is logged at once on a
side connection (`log_request`); a success, or a replay, only if that
transaction commits, so its line is written in the transaction itself
(`log_answer`): when Odoo rolls a try back to run the request again, the
next try logs the answer the client gets. What the line holds is
api.request.log's business (`_insert_query`).

Imports my_api.core.context and my_api.core.bookkeeping only: never
ApiError or the endpoint decorator (both log through here).
"""

import logging
import time

import psycopg2

from odoo.http import request

from .bookkeeping import side_execute
from .context import current_context

_logger = logging.getLogger(__name__)


def request_log_query(status):
    """The request log INSERT of this request, or None when it is not to be
    logged (or already was). For callers that write the line together with
    a statement of their own: once that statement succeeded, they call
    request_logged() so that the request is not logged twice."""
    ctx = current_context()
    if ctx is None or ctx.logged or not request.db:
        return None
    mode = request.env["ir.config_parameter"].sudo().get_param("my_api.request_log", "all")
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
    }
    return request.env["api.request.log"]._insert_query(values)


def request_logged():
    """Mark the request as logged (see request_log_query)."""
    ctx = current_context()
    if ctx is not None:
        ctx.logged = True


def log_request(status):
    """Write the request log line of this request (once), at once on a side
    connection: for an answer that stands whatever becomes of the request's
    transaction (an error: the transaction is rolled back anyway, and Odoo
    does not run the request again)."""
    query = request_log_query(status)
    request_logged()  # even if writing fails: a request is logged at most once
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
    query = request_log_query(status)
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
