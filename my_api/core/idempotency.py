"""Idempotency-Key: a POST retried by its client is applied once.

Owns the claim of a key and the replay of its stored answer. The route
claims the key itself, by calling `idempotency_checkpoint()` once it has
checked the caller's scopes and access rights, so that a replay only ever
answers a call the caller may still make (a token that lost its scope, a
user who lost a group, gets 403 and not the stored answer). The claim is
committed at once and released when the request's transaction rolls back,
so that the next try of the request, or the client's own retry after a
failed commit, claims it again; the rows are api.idempotency.key's.

Imports my_api.core's context, errors, io and bookkeeping: never the
endpoint decorator, which calls it.
"""

import hashlib
import logging
import re

import psycopg2

from odoo.http import Response, request

from .bookkeeping import side_env, side_execute
from .context import JSON_HEADERS, current_context
from .errors import ApiError
from .io import max_body_bytes, request_body

_logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


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
