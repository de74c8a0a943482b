"""Idempotency-Key support (draft-ietf-httpapi-idempotency-key-header).

A POST that carries `Idempotency-Key` claims the key for its credential in a
transaction of its own, committed at once, so that a concurrent request with
the same key sees the claim and gets 409. The response is stored in the
request's own transaction, atomically with the business change it reports:
either both are committed or neither. A request that fails releases its
claim, so the client can retry with the same key. Keys expire after 24 h.
"""

import json

from odoo import api, fields, models
from odoo.tools import SQL

from ..core import ApiError

KEY_TTL_HOURS = 24


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
    state = fields.Selection(
        [("processing", "Processing"), ("done", "Done")], required=True, readonly=True
    )
    status = fields.Integer(readonly=True)
    response_body = fields.Text(readonly=True)
    response_headers = fields.Text(readonly=True)
    created_at = fields.Datetime(required=True, readonly=True)
    expires_at = fields.Datetime(required=True, readonly=True, index=True)

    _bucket_key_unique = models.Constraint(
        "UNIQUE(bucket, key)", "An idempotency key is used once."
    )

    @api.model
    def _claim(self, bucket, key, fingerprint):
        """Claim `key`; return (row id, None) or (None, stored response).

        Must run on a cursor of its own that is committed right after, so
        that the claim is visible to concurrent requests.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                DELETE FROM api_idempotency_key
                 WHERE bucket = %s AND key = %s AND expires_at < now() at time zone 'utc'
                """,
                bucket,
                key,
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO api_idempotency_key
                       (bucket, key, fingerprint, state, created_at, expires_at)
                VALUES (%s, %s, %s, 'processing', now() at time zone 'utc',
                        now() at time zone 'utc' + make_interval(hours => %s))
                ON CONFLICT (bucket, key) DO NOTHING
                RETURNING id
                """,
                bucket,
                key,
                fingerprint,
                KEY_TTL_HOURS,
            )
        )
        row = cr.fetchone()
        if row:
            return row[0], None
        cr.execute(
            SQL(
                """
                SELECT fingerprint, state, status, response_body, response_headers
                  FROM api_idempotency_key WHERE bucket = %s AND key = %s
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
        stored_fingerprint, state, status, body, headers = found
        if stored_fingerprint != fingerprint:
            raise ApiError(
                422,
                "this Idempotency-Key was already used with another request body or path",
                "idempotency_key_reused",
            )
        if state == "processing":
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
                UPDATE api_idempotency_key
                   SET state = 'done', status = %s, response_body = %s, response_headers = %s
                 WHERE id = %s
                """,
                status,
                body,
                json.dumps(headers),
                row_id,
            )
        )

    @api.model
    def _release(self, row_id):
        """Forget a claim whose request failed (on a cursor of its own)."""
        self.env.cr.execute(
            SQL("DELETE FROM api_idempotency_key WHERE id = %s AND state = 'processing'", row_id)
        )

    @api.autovacuum
    def _gc_expired(self):
        self.env.cr.execute(
            "DELETE FROM api_idempotency_key WHERE expires_at < now() at time zone 'utc'"
        )
