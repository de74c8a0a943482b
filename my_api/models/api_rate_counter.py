from odoo import api, fields, models
from odoo.tools import SQL


class ApiRateCounter(models.Model):
    """Fixed-window request counters, shared by every worker and server.

    One row per bucket (`user:<id>`, `key:<id>`, `ip:<address>`, ...) and
    window, incremented with an atomic upsert in a transaction of its own;
    old windows are vacuumed.
    """

    _name = "api.rate.counter"
    _description = "REST API Rate Counter"
    _log_access = False

    bucket = fields.Char(required=True, readonly=True)
    window_start = fields.Datetime(required=True, readonly=True)
    hits = fields.Integer(required=True, readonly=True, default=0)

    _bucket_window_unique = models.Constraint(
        "UNIQUE(bucket, window_start)", "One counter per window."
    )

    @api.model
    def _hit(self, bucket, window_start):
        """Count one request; return the number of requests in the window."""
        self.env.cr.execute(self._hit_query(bucket, window_start))
        return self.env.cr.fetchone()[0]

    @api.model
    def _hit_query(self, bucket, window_start):
        """The atomic upsert behind _hit, returning the window's count."""
        return SQL(
            """
                INSERT INTO api_rate_counter (bucket, window_start, hits) VALUES (%s, %s, 1)
                ON CONFLICT (bucket, window_start)
                DO UPDATE SET hits = api_rate_counter.hits + 1
                RETURNING hits
                """,
            bucket,
            window_start,
        )

    @api.model
    def _hits_query(self, buckets):
        """One atomic upsert counting a request in several buckets at once
        (`buckets`: distinct (bucket, window_start) pairs). Its one row holds
        {bucket: count in its window}. Rows are locked in bucket order, the
        same in every request: two requests never wait for each other in a
        cycle."""
        values = SQL(", ").join(
            SQL("(%s, %s, 1)", bucket, start) for bucket, start in sorted(buckets)
        )
        return SQL(
            """
                WITH hit AS (
                    INSERT INTO api_rate_counter (bucket, window_start, hits) VALUES %s
                    ON CONFLICT (bucket, window_start)
                    DO UPDATE SET hits = api_rate_counter.hits + 1
                    RETURNING bucket, hits
                )
                SELECT json_object_agg(bucket, hits) FROM hit
                """,
            values,
        )

    @api.model
    def _count(self, bucket, window_start):
        """The requests counted in a window so far (read only)."""
        self.env.cr.execute(
            SQL(
                "SELECT hits FROM api_rate_counter WHERE bucket = %s AND window_start = %s",
                bucket,
                window_start,
            )
        )
        row = self.env.cr.fetchone()
        return row[0] if row else 0

    @api.autovacuum
    def _gc_counters(self):
        self.env.cr.execute(
            "DELETE FROM api_rate_counter"
            " WHERE window_start < now() at time zone 'utc' - interval '1 day'"
        )
