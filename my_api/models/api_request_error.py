from odoo import fields, models
from odoo.tools import SQL


class ApiRequestError(models.Model):
    """The top errors of the REST API: the refused requests of the request
    log (status 400 and above) counted per route, status and error code,
    the most frequent first, with when each was last seen and the request
    id of its latest occurrence to find it in the log.

    Over what the log keeps (my_api.request_log_days). Routes are those of
    api.request.stats, which this view reads: one derivation of a route.
    """

    _name = "api.request.error"
    _description = "REST API Top Errors"
    _auto = False
    _order = "count desc, last_seen desc"
    _rec_name = "route"

    route = fields.Char(readonly=True)
    status = fields.Integer(readonly=True, aggregator=None)
    status_class = fields.Char("Status Class", readonly=True)
    error_code = fields.Char(readonly=True)
    count = fields.Integer("Requests", readonly=True)
    credential_count = fields.Integer("Credentials", readonly=True, aggregator="max")
    first_seen = fields.Datetime(readonly=True, aggregator="min")
    last_seen = fields.Datetime(readonly=True, aggregator="max")
    last_request_id = fields.Char("Last Request ID", readonly=True)

    @property
    def _table_query(self):
        stats = self.env["api.request.stats"]._table_query
        return SQL(
            """
            SELECT min(stats.id) AS id,
                   stats.route,
                   stats.status,
                   min(stats.status_class) AS status_class,
                   stats.error_code,
                   count(*) AS count,
                   count(DISTINCT stats.credential) AS credential_count,
                   min(stats.date) AS first_seen,
                   max(stats.date) AS last_seen,
                   (array_agg(log.request_id ORDER BY stats.id DESC))[1] AS last_request_id
              FROM (%s) stats
              JOIN api_request_log log ON log.id = stats.id
             WHERE stats.status >= 400
             GROUP BY stats.route, stats.status, stats.error_code
            """,
            stats,
        )
