from odoo import api, fields, models
from odoo.tools import SQL


class ApiRateCounter(models.Model):
    """Fixed-window request counters, shared by every worker and server.

    One row per credential bucket and window, incremented with an atomic
    upsert in a transaction of its own; old windows are vacuumed.
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

    @api.autovacuum
    def _gc_counters(self):
        self.env.cr.execute(
            "DELETE FROM api_rate_counter"
            " WHERE window_start < now() at time zone 'utc' - interval '1 day'"
        )
