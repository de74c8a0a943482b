"""Request plumbing shared by every /api/v1 route.

`ApiError` is the only way an /api/v1 route reports a problem: it is a
werkzeug HTTPException, so Odoo's dispatcher renders it (our JSON envelope)
and rolls the transaction back whatever stage raised it (authentication,
parsing, business code). `api_endpoint` wraps a controller method: it turns
ORM exceptions into ApiErrors with the right status, flushes before
answering so that constraint errors surface here and not after the response
is built, and stamps every response with X-Request-Id.

Idempotency-Key: the route claims the key itself, by calling
`idempotency_checkpoint()` once it has checked the caller's scopes and
access rights, so that a replay only ever answers a call the caller may
still make (a token that lost its scope, a user who lost a group, gets 403
and not the stored answer).

Odoo's own retry: on a serialization failure Odoo rolls the request's
transaction back and runs the whole request again, on the same `request`
object, up to five times (odoo.service.model.retrying). What the API writes
on connections of its own is committed at once and so not undone with the
try that wrote it; each such statement is made safe for the re-run:

- a rate-limit hit counts the client's request once, not each try
  (`once_per_request`: the ApiContext lives on `request` and outlives a try);
- an Idempotency-Key claim is released when the request's transaction rolls
  back (a postrollback hook), so that the next try, or the client's own
  retry after a failed commit, claims it again; a try whose release failed
  leaves its claim to the next try, which recognises it by the request's
  token;
- a success's request log line is written in the request's transaction, so
  it is committed with the answer or not at all (an error's, final whatever
  becomes of the transaction, at once on a side connection); a failure that
  escapes `api_endpoint` (the commit, every try failed) is answered and
  logged by ir.http._handle_error (`answer_failure`).
"""

import datetime
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps

import psycopg2
import werkzeug.exceptions
from psycopg2 import errorcodes
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import (
    AccessDenied,
    AccessError,
    ConcurrencyError,
    MissingError,
    UserError,
    ValidationError,
)
from odoo.http import Response, request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from .lib import timestamps
from .lib.body import BodyTooLarge, loads, read_limited
from .lib.errors import error_document

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
DEFAULT_MAX_BODY_BYTES = 1048576
KEY_COLUMNS_RE = re.compile(r"^Key \((.+?)\)=\(")
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
# what Odoo runs a request again for (odoo.service.model.retrying)
RETRIED_EXCEPTIONS = (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError)


@dataclass
class Credential:
    """Who is calling and how they proved it.

    `scopes` is None when the credential is not restricted by scopes
    (session, unscoped API key); otherwise the set of granted scopes.
    """

    uid: int
    method: str  # "session", "api_key", "oauth2"
    key_id: int | None = None
    scopes: frozenset | None = None
    expires_at: datetime.datetime | None = None
    client_id: str | None = None
    extra: dict = field(default_factory=dict)

    def has_scope(self, scope):
        return self.scopes is None or scope in self.scopes

    @property
    def bucket(self):
        """What rate limits and idempotency keys are counted per."""
        if self.method == "api_key":
            return f"key:{self.key_id}"
        if self.method == "oauth2":
            return f"oauth2:{self.client_id}:{self.uid}"
        return f"user:{self.uid}"

    @property
    def label(self):
        """How the request log names the credential (never the secret)."""
        if self.method == "api_key":
            return f"API key #{self.key_id}"
        if self.method == "oauth2":
            return f"OAuth2 client {self.client_id}"
        return "session"


@dataclass
class ApiContext:
    """Per-request state, stored on `request.api_context`.

    One per client request: Odoo keeps `request` when it runs the request
    again after a serialization failure, so the tries of one request share
    it (see the module docstring).
    """

    request_id: str
    started: float
    credential: Credential | None = None
    headers: dict = field(default_factory=dict)
    logged: bool = False
    # Idempotency-Key: whether the route may claim one, whether it did, the claim's row
    idempotent: bool = False
    idempotency_checked: bool = False
    claim: int | None = None
    # Names the client request across its tries (X-Request-Id is the client's
    # choice, not unique): the Idempotency-Key claim is made in its name.
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    # results of the side statements already committed for this request (once())
    done: dict = field(default_factory=dict)

    def once(self, name, func):
        """`func()` the first time for this client request, its result on
        the next tries (see once_per_request)."""
        if name not in self.done:
            self.done[name] = func()
        return self.done[name]


class ApiError(werkzeug.exceptions.HTTPException):
    """An error answered with the /api/v1 envelope and a real HTTP status."""

    def __init__(self, status, message, code=None, details=None, headers=None):
        super().__init__(description=message)
        self.code = status
        self.message = message
        self.error_code = code
        self.details = details
        self.extra_headers = dict(headers or {})

    def get_response(self, environ=None, scope=None):
        ctx = current_context()
        request_id = ctx.request_id if ctx else new_request_id()
        body = error_document(self.code, self.message, self.error_code, self.details, request_id)
        headers = [*JSON_HEADERS, ("X-Request-Id", request_id)]
        if ctx:
            headers.extend(ctx.headers.items())
        headers.extend(self.extra_headers.items())
        return Response(json.dumps(body), status=self.code, headers=headers)


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


class _BookkeepingConnections:
    """Autocommit connections for one-statement bookkeeping writes.

    A rate-limit hit, a request-log line or a key's last use is a single
    statement that must commit whatever the request does. On a connection
    in autocommit mode that is one round trip, where a cursor borrowed from
    Odoo's pool costs a reset, a BEGIN, the statement, a COMMIT and a
    rollback on close. Each process (never sharing them across a fork)
    keeps at most MAX_IDLE idle connections per database, closes those idle
    for IDLE_TIMEOUT, and opens at most MAX_OPEN in all: beyond, `execute`
    answers None and the caller uses Odoo's pool instead.
    """

    MAX_IDLE = 8  # per database: a threaded server's concurrent requests
    MAX_OPEN = 16  # per process, all databases
    IDLE_TIMEOUT = 600  # seconds, as Odoo's own pool

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = {}  # dbname -> [(connection, last used)]
        self._open = 0  # connections of this process, idle or in use
        self._pid = os.getpid()

    def _take(self, dbname, fresh=False):
        """An idle connection (a new one if `fresh` or none is idle), or
        None when MAX_OPEN are open."""
        now = time.monotonic()
        stale = []
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours
                self._idle, self._open, self._pid = {}, 0, os.getpid()
            for name, idle in self._idle.items():
                keep = []
                for cnx, used in idle:
                    old = fresh and name == dbname
                    (stale if old or now - used > self.IDLE_TIMEOUT else keep).append((cnx, used))
                idle[:] = keep
            self._open -= len(stale)
            idle = self._idle.setdefault(dbname, [])
            cnx = idle.pop()[0] if idle else None
            if cnx is None:
                if self._open >= self.MAX_OPEN:
                    return None
                self._open += 1
        for old, _used in stale:
            old.close()
        if cnx is None:
            try:
                _db, info = sql_db.connection_info_for(dbname)
                cnx = psycopg2.connect(**info)
                cnx.autocommit = True
            except Exception:
                self._forget()
                raise
        return cnx

    def _forget(self):
        with self._lock:
            self._open -= 1

    def _give_back(self, dbname, cnx):
        with self._lock:
            idle = self._idle.setdefault(dbname, [])
            if not cnx.closed and len(idle) < self.MAX_IDLE and self._pid == os.getpid():
                idle.append((cnx, time.monotonic()))
                return
        self._discard(cnx)

    def _discard(self, cnx):
        cnx.close()
        self._forget()

    def close_all(self):
        with self._lock:
            idle, self._idle = self._idle, {}
            self._open -= sum(len(connections) for connections in idle.values())
        for connections in idle.values():
            for cnx, _used in connections:
                cnx.close()

    def execute(self, dbname, query, fetch):
        """Run `query`; return (first row or None,), or None when no
        connection may be opened now."""
        for attempt in (1, 2):
            # after a lost connection, the idle ones of that database are
            # likely lost too (server restart): retry on a new one
            cnx = self._take(dbname, fresh=attempt == 2)
            if cnx is None:
                return None
            try:
                with cnx.cursor() as cur:
                    cur.execute(query.code, query.params)
                    row = cur.fetchone() if fetch else None
            except psycopg2.Error:
                if not cnx.closed:  # autocommit: the connection is still usable
                    self._give_back(dbname, cnx)
                    raise
                self._discard(cnx)
                if attempt == 1:
                    continue  # closed by the server (restart, terminated backend)
                raise
            except Exception:
                self._discard(cnx)
                raise
            self._give_back(dbname, cnx)
            return (row,)
        return None


_bookkeeping = _BookkeepingConnections()


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


def once_per_request(name, func):
    """Run `func` (a side statement: committed on its own, at once) once per
    client request of /api/v1, and give its result again to the next tries
    when Odoo runs the request again after a serialization failure: a
    rate-limit hit must not count the request once per try. An exception
    stores nothing (the statement did not commit: the next try runs it).
    """
    ctx = current_context()
    return func() if ctx is None else ctx.once(name, func)


def read_committed(cr):
    """Run this cursor's transaction at READ COMMITTED.

    Odoo's cursors are REPEATABLE READ, under which two workers upserting
    the same counter row fail with a serialization error; the atomic upserts
    of side transactions are correct and never fail at READ COMMITTED.
    Test cursors share the test's transaction and are left as they are.
    """
    if isinstance(cr, sql_db.Cursor):
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")


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


def new_request_id():
    return uuid.uuid4().hex


def current_context():
    """The ApiContext of the current request, if it is an /api/v1 request."""
    try:
        return getattr(request, "api_context", None)
    except RuntimeError:  # outside of a request
        return None


def ensure_context():
    ctx = current_context()
    if ctx is None:
        incoming = request.httprequest.headers.get("X-Request-Id", "")
        ctx = ApiContext(
            request_id=incoming if REQUEST_ID_RE.match(incoming) else new_request_id(),
            started=time.monotonic(),
        )
        request.api_context = ctx
    return ctx


def to_json_value(value):
    """Render ORM values in the API's wire format (UTC timestamps with Z)."""
    if isinstance(value, datetime.datetime):
        return timestamps.format_timestamp(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _json_default(value):
    rendered = to_json_value(value)
    if rendered is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return rendered


def json_response(payload, status=200, headers=None):
    ctx = ensure_context()
    all_headers = [*JSON_HEADERS, ("X-Request-Id", ctx.request_id)]
    all_headers.extend(ctx.headers.items())
    all_headers.extend((headers or {}).items())
    body = json.dumps(payload, default=_json_default, separators=(",", ":"))
    return Response(body, status=status, headers=all_headers)


def parse_datetime(value, name):
    """A timestamp with its UTC offset as a naive UTC datetime, or a 400
    naming `name` (the rules: lib/timestamps.py)."""
    try:
        return timestamps.parse_timestamp(value)
    except timestamps.TimestampError as exc:
        raise ApiError(
            400, f"{name} {exc}", "validation_error", [{"field": name, "issue": exc.issue}]
        ) from None


def max_body_bytes():
    """The largest /api/v1 request body accepted (system parameter)."""
    value = request.env["ir.config_parameter"].sudo().get_param("my_api.max_body_bytes")
    try:
        return max(0, int(value)) if value else DEFAULT_MAX_BODY_BYTES
    except ValueError:
        return DEFAULT_MAX_BODY_BYTES


def _werkzeug_request():
    """The werkzeug Request behind Odoo's HTTPRequest. The proxy exposes a
    fixed list of attributes that lacks `stream`; its `get_data` is the
    werkzeug request's own bound method, which leads to it."""
    return request.httprequest.get_data.__self__


def request_body(limit):
    """The raw request body, or 413 when it has more than `limit` bytes.

    A body announced larger than the limit is refused before reading; a
    chunked one (no Content-Length) is read in chunks and refused as soon as
    it passes the limit (see lib/body.py), never buffered whole first. The
    bytes are then cached as werkzeug's get_data(cache=True) caches them, so
    that everyone after us (the route, the Idempotency-Key fingerprint, a
    retry of the request after a serialization failure) reads the same body
    and nobody reads the stream again.
    """
    httprequest = request.httprequest
    length = httprequest.content_length
    if length is not None and length > limit:
        raise ApiError(413, f"request body exceeds {limit} bytes", "payload_too_large")
    wrapped = _werkzeug_request()
    if getattr(wrapped, "_cached_data", None) is None:
        try:
            wrapped._cached_data = read_limited(wrapped.stream, limit)
        except BodyTooLarge as exc:
            raise ApiError(413, str(exc), "payload_too_large") from None
        except OSError:  # werkzeug's reading of a broken chunked encoding
            raise ApiError(
                400, "the request body could not be read (invalid chunked encoding)", "bad_request"
            ) from None
    raw = httprequest.get_data(cache=True)
    if len(raw) > limit:  # read earlier under a larger limit
        raise ApiError(413, f"request body exceeds {limit} bytes", "payload_too_large")
    return raw


def read_json_body(required=True):
    """Return the request body decoded as a JSON object, or raise 400/413/415."""
    httprequest = request.httprequest
    raw = request_body(max_body_bytes())
    if not raw.strip():
        if required:
            raise ApiError(400, "request body is required (a JSON object)", "bad_request")
        return {}
    mimetype = httprequest.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(
            415,
            "send the body as JSON with Content-Type: application/json",
            "unsupported_media_type",
        )
    try:
        body = loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}", "bad_request") from None
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object", "bad_request")
    return body


INTEGRITY_ISSUES = {
    errorcodes.UNIQUE_VIOLATION: "duplicate",
    errorcodes.FOREIGN_KEY_VIOLATION: "invalid_reference",
    errorcodes.NOT_NULL_VIOLATION: "required",
    errorcodes.CHECK_VIOLATION: "invalid",
}


def _integrity_error(exc, env=None):
    """The 409 of a constraint violation, without PostgreSQL's DETAIL line.

    The DETAIL quotes key values (`Key (email)=(someone@else.example)
    already exists`): those of another row, which the caller may not read.
    The answer names the constraint, says what kind of violation it is, adds
    the model's own message for the constraint when it declares one, and
    the fields when they are known: the column of a missing value, or the
    column names of the DETAIL's key (its values are dropped). Nothing is
    logged. Reads no database: the transaction is aborted at this point.
    """
    diag = exc.diag
    constraint = diag.constraint_name
    issue = INTEGRITY_ISSUES[exc.pgcode]
    columns = [diag.column_name] if diag.column_name else []
    detail = diag.message_detail or ""
    referenced = exc.pgcode == errorcodes.FOREIGN_KEY_VIOLATION and "still referenced" in detail
    if not columns and not referenced and (match := KEY_COLUMNS_RE.match(detail)):
        columns = [name.strip() for name in match.group(1).split(",")]
        columns = [name for name in columns if IDENTIFIER_RE.match(name)]
    fields_text = ", ".join(columns)
    if referenced:
        message = "the record is still used by other records"
    elif exc.pgcode == errorcodes.UNIQUE_VIOLATION:
        message = f"a record with the same {fields_text or 'values'} already exists"
    elif exc.pgcode == errorcodes.FOREIGN_KEY_VIOLATION:
        message = f"{fields_text or 'a field'} refers to a record that does not exist"
    elif exc.pgcode == errorcodes.NOT_NULL_VIOLATION:
        message = f"{fields_text or 'a field'} is required"
    else:
        message = "the values break a rule of the data"
    declared = _declared_constraint_message(env, diag.table_name, constraint)
    if declared:
        message = f"{message}: {declared}"
    if constraint:
        message = f"{message} (constraint {constraint})"
    details = [] if referenced else [{"field": name, "issue": issue} for name in columns]
    return ApiError(409, message, "conflict", details)


def _declared_constraint_message(env, table, constraint):
    """The message a model declares for one of its constraints (a static
    text only: a callable one may format the values in the way)."""
    if env is None:
        try:
            env = request.env
        except RuntimeError:  # outside of a request
            return None
    if not table or not constraint:
        return None
    for model_class in env.registry.values():
        if model_class._table == table and not model_class._abstract:
            definition = model_class._table_objects.get(constraint)
            message = getattr(definition, "message", None)
            return message if isinstance(message, str) else None
    return None


def translate_exception(exc, env=None):
    """Map an exception raised by business code to an ApiError (or None).
    `env` is only needed outside of a request (to name a constraint)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, AccessDenied):
        return ApiError(401, "authentication required", "unauthorized")
    if isinstance(exc, AccessError):
        return ApiError(403, str(exc.args[0]) if exc.args else "access denied", "forbidden")
    if isinstance(exc, MissingError):
        return ApiError(404, "the record does not exist or was deleted", "not_found")
    if isinstance(exc, ValidationError):
        return ApiError(400, str(exc.args[0]) if exc.args else "invalid data", "validation_error")
    if isinstance(exc, UserError):
        return ApiError(409, str(exc.args[0]) if exc.args else "conflict", "conflict")
    if isinstance(exc, psycopg2.IntegrityError) and exc.pgcode in (
        errorcodes.UNIQUE_VIOLATION,
        errorcodes.FOREIGN_KEY_VIOLATION,
        errorcodes.NOT_NULL_VIOLATION,
        errorcodes.CHECK_VIOLATION,
    ):
        return _integrity_error(exc, env)
    if isinstance(exc, werkzeug.exceptions.HTTPException) and exc.code:
        return ApiError(exc.code, exc.description or exc.name)
    return None


def answer_failure(exc):
    """The answer to an /api/v1 request whose failure escaped api_endpoint
    (see ir.http._handle_error): every try Odoo made failed on a
    serialization error, the commit failed, or something after the route
    raised. Whatever the route answered was not committed: nothing of the
    request is applied. A concurrency failure is a 409 to retry, an error
    of the ORM what api_endpoint answers for it, anything else a 500; it is
    the request's log line.
    """
    ctx = current_context()
    env = request.env
    usable = env is not None and not env.cr.closed
    if usable:
        # Odoo rolls back when it closes the cursor, after this answer is
        # built: run the rollback hooks now (the claim is released, the line
        # of an answer not given is forgotten) and get a cursor that works.
        env.cr.rollback()
    # Odoo turns any failure of an authentication method into AccessDenied;
    # ours refuses with ApiErrors, so an AccessDenied hides an internal error
    translated = None if isinstance(exc, AccessDenied) else translate_exception(exc)
    if isinstance(exc, RETRIED_EXCEPTIONS):
        _logger.info(
            "/api/v1 request not applied, concurrent changes (request_id=%s): %s",
            ctx.request_id,
            exc,
        )
        error = ApiError(
            409,
            "the request conflicted with concurrent changes and was not applied; retry it",
            "conflict",
            headers={"Retry-After": "1"},
        )
    elif translated is not None:
        error = translated
    else:
        _logger.error(
            "/api/v1 internal error, request_id=%s %s %s",
            ctx.request_id,
            request.httprequest.method,
            request.httprequest.path,
            exc_info=exc,
        )
        error = ApiError(
            500,
            f"internal error; quote request id {ctx.request_id} to the administrator",
            "internal_error",
        )
    # logged above if at all, as api_endpoint would: Odoo's request handler
    # logs an exception at its `loglevel`, and then without a traceback
    exc.loglevel = logging.DEBUG
    if usable:
        log_request(error.code)
    return error


class _IdempotentReplay(Exception):
    """Raised by idempotency_checkpoint() to answer with the stored response."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _idempotency_key_sent(ctx):
    httprequest = request.httprequest
    return (
        httprequest.method == "POST"
        and "Idempotency-Key" in httprequest.headers
        and ctx.credential is not None
    )


def idempotency_checkpoint():
    """Claim the request's Idempotency-Key, if it sent one: call this once
    the route has checked everything that decides whether the caller may
    make this call (scopes, access rights), and before changing anything.

    A first request claims the key and goes on; a replay of a completed
    one ends here with the stored answer; a concurrent twin or another
    body with the same key gets 409 or 422. A no-op after the first call,
    outside of an idempotent `api_endpoint` route and without the header.
    """
    ctx = current_context()
    if ctx is None or not ctx.idempotent or ctx.idempotency_checked:
        return
    ctx.idempotency_checked = True
    if not _idempotency_key_sent(ctx):
        return
    ctx.claim, replay = _idempotency_claim(ctx)
    if replay is not None:
        raise _IdempotentReplay(replay)


def _idempotency_claim(ctx):
    """Claim the request's Idempotency-Key; return (row id, replay response)."""
    httprequest = request.httprequest
    key = httprequest.headers.get("Idempotency-Key")
    if not IDEMPOTENCY_KEY_RE.match(key):
        raise ApiError(
            400, "Idempotency-Key must be 1 to 255 visible ASCII characters", "bad_request"
        )
    digest = hashlib.sha256()
    digest.update(f"{httprequest.method} {httprequest.full_path}\n".encode())
    digest.update(request_body(max_body_bytes()))
    with side_env() as env:
        row_id, stored = env["api.idempotency.key"]._claim(
            ctx.credential.bucket, key, digest.hexdigest(), ctx.token
        )
    if stored is None:
        _release_on_rollback(row_id)
        return row_id, None
    headers = [*JSON_HEADERS, ("X-Request-Id", ctx.request_id), ("Idempotent-Replayed", "true")]
    headers.extend(ctx.headers.items())
    headers.extend(stored["headers"].items())
    return None, Response(stored["body"], status=stored["status"], headers=headers)


def _release_on_rollback(row_id):
    """Release the claim `row_id` when the request's transaction rolls back.

    The claim is committed at once, the answer stored in the request's
    transaction: if that transaction does not commit (an error, a try that
    Odoo runs again, a failed commit), the key must be free again for the
    next try or for the client's retry, not look in progress for
    STALE_CLAIM_MINUTES. After a commit the hook is dropped (and the
    release would delete nothing: it spares a claim that holds an answer).
    """
    env = request.env  # gone from `request` when the cursor closes
    query = env["api.idempotency.key"]._release_query(row_id)

    def release():
        try:
            side_execute(query, env=env)
        except psycopg2.Error:
            # the next try still takes its own claim over (by the request's
            # token); another request waits for the claim to go stale
            _logger.warning("could not release an Idempotency-Key claim (row %s)", row_id)

    env.cr.postrollback.add(release)


def api_endpoint(func=None, *, idempotent=True):
    """Wrap an /api/v1 controller method (see module docstring).

    An idempotent route (the default) that accepts POST must call
    `idempotency_checkpoint()` after its authorization checks: a POST that
    sent an Idempotency-Key and succeeded without passing it is a bug of
    the route, answered 500 rather than silently not idempotent.
    `idempotent=False` for routes whose answer must never be stored (it
    holds a secret): an Idempotency-Key sent to them is refused with 400.
    """
    if func is None:
        return lambda f: api_endpoint(f, idempotent=idempotent)

    @wraps(func)
    def wrapper(*args, **kwargs):
        ctx = ensure_context()
        # a retried request (serialization failure) starts over
        ctx.idempotent, ctx.idempotency_checked, ctx.claim = idempotent, False, None
        try:
            if not idempotent and "Idempotency-Key" in request.httprequest.headers:
                raise ApiError(
                    400,
                    "Idempotency-Key is not accepted here: the answer holds a secret "
                    "that is never stored",
                    "bad_request",
                )
            try:
                response = func(*args, **kwargs)
            except _IdempotentReplay as replay:
                log_answer(replay.response.status_code)
                return replay.response
            if idempotent and not ctx.idempotency_checked and _idempotency_key_sent(ctx):
                raise RuntimeError(
                    f"{func.__qualname__} answered an Idempotency-Key request "
                    "without calling idempotency_checkpoint()"
                )
            request.env.flush_all()
            if ctx.claim:
                kept = {k: v for k, v in response.headers.items() if k in ("Location", "ETag")}
                request.env["api.idempotency.key"]._complete(
                    ctx.claim, response.status_code, response.get_data(as_text=True), kept
                )
            log_answer(response.status_code)
            return response
        except RETRIED_EXCEPTIONS:
            raise  # let Odoo retry the whole request (the claim is released on rollback)
        except Exception as exc:
            api_exc = translate_exception(exc)
            if api_exc is None:
                _logger.exception(
                    "/api/v1 internal error, request_id=%s %s %s",
                    ctx.request_id,
                    request.httprequest.method,
                    request.httprequest.path,
                )
                api_exc = ApiError(
                    500,
                    f"internal error; quote request id {ctx.request_id} to the administrator",
                    "internal_error",
                )
            log_request(api_exc.code)  # the claim is released on rollback
            raise api_exc from None

    return wrapper
