"""The decorator of every /api/v1 route, and the answer to what escapes it.

`api_endpoint` wraps a controller method: it turns the exceptions of
business code into ApiErrors with the right status, flushes before
answering so that constraint errors surface here and not after the response
is built, completes the Idempotency-Key claim, writes the request log line,
and stamps every response with X-Request-Id. `answer_failure` answers, for
ir.http._handle_error, a failure that escaped it.

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

The top of the package: it may import every other module of my_api.core,
none of which may import it.
"""

import logging
from functools import wraps

from odoo.exceptions import AccessDenied
from odoo.http import request

from .context import current_context, ensure_context
from .errors import RETRIED_EXCEPTIONS, ApiError, translate_exception
from .idempotency import _idempotency_key_sent, _IdempotentReplay
from .io import compress_response
from .request_log import log_answer, log_request

_logger = logging.getLogger(__name__)


def _internal_error(ctx, exc):
    """The 500 of a failure nobody foresaw: logged with its traceback and
    the request id, answered with the request id only."""
    _logger.error(
        "/api/v1 internal error, request_id=%s %s %s",
        ctx.request_id,
        request.httprequest.method,
        request.httprequest.path,
        exc_info=exc,
    )
    return ApiError(
        500,
        f"internal error; quote request id {ctx.request_id} to the administrator",
        "internal_error",
    )


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
        error = _internal_error(ctx, exc)
    # logged above if at all, as api_endpoint would: Odoo's request handler
    # logs an exception at its `loglevel`, and then without a traceback
    exc.loglevel = logging.DEBUG
    if usable:
        log_request(error.status, error.code)
    return error


def api_endpoint(func=None, *, refuse_idempotency_key=False):
    """Wrap an /api/v1 controller method (see module docstring).

    A route that accepts POST must call `idempotency_checkpoint()` after
    its authorization checks: a POST that sent an Idempotency-Key and
    succeeded without passing it is a bug of the route, answered 500
    rather than silently not idempotent. `refuse_idempotency_key=True` for
    routes whose answer must never be stored (it holds a secret): an
    Idempotency-Key sent to them is refused with 400.
    """
    if func is None:
        return lambda f: api_endpoint(f, refuse_idempotency_key=refuse_idempotency_key)
    idempotent = not refuse_idempotency_key

    @wraps(func)
    def wrapper(*args, **kwargs):
        ctx = ensure_context()
        # a retried request (serialization failure) starts over
        ctx.idempotent, ctx.idempotency_checked, ctx.claim = idempotent, False, None
        try:
            if refuse_idempotency_key and "Idempotency-Key" in request.httprequest.headers:
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
                return compress_response(replay.response)
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
            return compress_response(response)
        except RETRIED_EXCEPTIONS:
            raise  # let Odoo retry the whole request (the claim is released on rollback)
        except Exception as exc:
            api_exc = translate_exception(exc)
            if api_exc is None:
                api_exc = _internal_error(ctx, exc)
            log_request(api_exc.status, api_exc.code)  # the claim is released on rollback
            raise api_exc from None

    return wrapper
