"""Idempotency-Key support (draft-ietf-httpapi-idempotency-key-header).

A POST that carries `Idempotency-Key` claims the key for its credential in a
transaction of its own, committed at once, so that a concurrent request with
the same key sees the claim and gets 409. The response is stored in the
request's own transaction, atomically with the business change it reports:
either both are committed or neither. It is a row of its own
(`api.idempotency.response`), inserted, never an update of the claim: the
request's transaction took its snapshot before the claim was committed and
cannot see (let alone update) the claim row. A request whose transaction
rolls back (it failed, or Odoo runs it again after a serialization failure,
or its commit failed) releases its claim, so the next try or the client's
retry claims the key again (my_api.core.idempotency: `_release_on_rollback`). The claim
is made in the name of the request (`request_token`, the same for all the
tries of one client request): a try whose claim could not be released
leaves it to the next try, never to another request. A claim left behind by
a crashed worker is taken over after STALE_CLAIM_MINUTES. Keys expire after
24 h.
"""

import json

from odoo import api, fields, models
from odoo.tools import SQL

from ..core import ApiError

KEY_TTL_HOURS = 24
STALE_CLAIM_MINUTES = 10  # longer than any request may run (limit_time_real)


class ApiIdempotencyKey(models.Model):
    _name = "api.idempotency.key"
    _description = "REST API Idempotency Key"
    _log_access = False
    _order = "id desc"

    bucket = fields.Char(required=True, readonly=True, help="The credential the key belongs to.")
    key = fields.Char(required=True, readonly=True)
    fingerprint = fields.Char(
        required=True, readonly=True, help="SHA-256 of method, path and body."
    )
    request_token = fields.Char(
        readonly=True, help="The request that claimed the key (the same for all its tries)."
    )
    created_at = fields.Datetime(required=True, readonly=True)
    expires_at = fields.Datetime(required=True, readonly=True, index=True)

    _bucket_key_unique = models.Constraint(
        "UNIQUE(bucket, key)", "An idempotency key is used once."
    )

    @api.model
    def _claim(self, bucket, key, fingerprint, token):
        """Claim `key` for the request `token`; return (row id, None) or
        (None, stored response). A claim of `token` still in progress is
        its own, left by an earlier try of the request: it is returned.

        Must run on a cursor of its own that is committed right after, so
        that the claim is visible to concurrent requests.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                DELETE FROM api_idempotency_key k
                 WHERE k.bucket = %s AND k.key = %s
                   AND (k.expires_at < now() at time zone 'utc'
                        OR (k.created_at < now() at time zone 'utc' - make_interval(mins => %s)
                            AND NOT EXISTS (SELECT 1 FROM api_idempotency_response r
                                             WHERE r.key_id = k.id)))
                """,
                bucket,
                key,
                STALE_CLAIM_MINUTES,
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO api_idempotency_key
                       (bucket, key, fingerprint, request_token, created_at, expires_at)
                VALUES (%s, %s, %s, %s, now() at time zone 'utc',
                        now() at time zone 'utc' + make_interval(hours => %s))
                ON CONFLICT (bucket, key) DO NOTHING
                RETURNING id
                """,
                bucket,
                key,
                fingerprint,
                token,
                KEY_TTL_HOURS,
            )
        )
        row = cr.fetchone()
        if row:
            return row[0], None
        cr.execute(
            SQL(
                """
                SELECT k.id, k.fingerprint, k.request_token, r.status, r.body, r.headers
                  FROM api_idempotency_key k
                  LEFT JOIN api_idempotency_response r ON r.key_id = k.id
                 WHERE k.bucket = %s AND k.key = %s
                """,
                bucket,
                key,
            )
        )
        found = cr.fetchone()
        if found is None:  # released between our insert and select: a retry will claim it
            raise ApiError(
                409, "a request with this Idempotency-Key just finished; retry", "conflict"
            )
        row_id, stored_fingerprint, stored_token, status, body, headers = found
        if stored_fingerprint != fingerprint:
            raise ApiError(
                422,
                "this Idempotency-Key was already used with another request body or path",
                "idempotency_key_reused",
            )
        if status is None and stored_token == token:
            return row_id, None
        if status is None:
            raise ApiError(
                409,
                "a request with this Idempotency-Key is still being processed; retry later",
                "conflict",
                headers={"Retry-After": "1"},
            )
        return None, {"status": status, "body": body, "headers": json.loads(headers or "{}")}

    @api.model
    def _complete(self, row_id, status, body, headers):
        """Store the response (in the request's own transaction)."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO api_idempotency_response (key_id, status, body, headers)
                VALUES (%s, %s, %s, %s)
                """,
                row_id,
                status,
                body,
                json.dumps(headers),
            )
        )

    @api.model
    def _release_query(self, row_id):
        """The statement that forgets a claim whose request did not commit
        (run on a connection of its own, my_api.core.side_execute). A claim
        that holds an answer stays."""
        return SQL(
            """
            DELETE FROM api_idempotency_key k WHERE k.id = %s
               AND NOT EXISTS (SELECT 1 FROM api_idempotency_response r WHERE r.key_id = k.id)
            """,
            row_id,
        )

    @api.autovacuum
    def _gc_expired(self):
        self.env.cr.execute(
            "DELETE FROM api_idempotency_key WHERE expires_at < now() at time zone 'utc'"
        )
        self.env.cr.execute(
            """
            DELETE FROM api_idempotency_response r
             WHERE NOT EXISTS (SELECT 1 FROM api_idempotency_key k WHERE k.id = r.key_id)
            """
        )


class ApiIdempotencyResponse(models.Model):
    """The stored answer of a completed idempotent request (see above)."""

    _name = "api.idempotency.response"
    _description = "REST API Idempotent Response"
    _log_access = False

    key_id = fields.Integer(required=True, readonly=True, index=True)
    status = fields.Integer(required=True, readonly=True)
    body = fields.Text(readonly=True)
    headers = fields.Text(readonly=True)

    _key_unique = models.Constraint("UNIQUE(key_id)", "One response per idempotency key.")
