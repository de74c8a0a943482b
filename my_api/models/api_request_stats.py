from odoo import api, fields, models
from odoo.orm.models import parse_read_group_spec
from odoo.tools import SQL

# measure -> the percentile of the requests' durations it reports
PERCENTILES = {"p50_ms": 0.5, "p95_ms": 0.95}

# a path segment that names one record: an id, an external reference
RECORD_SEGMENT = r"/([0-9]+|(xid|ref):[^/]*)(?=/|$)"


class ApiRequestStats(models.Model):
    """The request log as an administrator reads it in a graph or a pivot:
    one row per logged request, with the route it took (the path, its record
    ids replaced by `{id}`, so that /orders/7 and /orders/8 count together)
    and its status class (2xx, 4xx, 5xx).

    A view over api.request.log, not columns of it: the log is written by
    one INSERT per request (see `ApiRequestLog._insert_query`) and stays as
    cheap as it is; the grouping keys are derived when someone looks.

    Percentiles are not averages of averages: `p50_ms` and `p95_ms` are
    computed by PostgreSQL over the requests of each cell of the pivot
    (`percentile_cont`), at every level of the grouping, totals included,
    rather than summed or averaged from the rows below (which would be
    wrong for a percentile).
    """

    _name = "api.request.stats"
    _description = "REST API Request Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "route"

    date = fields.Datetime(readonly=True)
    method = fields.Char(readonly=True)
    route = fields.Char(readonly=True, help="Method and path, record ids replaced by {id}.")
    status = fields.Integer(readonly=True, aggregator=None)
    status_class = fields.Char("Status Class", readonly=True)
    error_code = fields.Char(readonly=True)
    user_id = fields.Many2one("res.users", "User", readonly=True)
    auth_method = fields.Char(readonly=True)
    credential = fields.Char(readonly=True)
    duration_ms = fields.Float("Average Duration (ms)", readonly=True, aggregator="avg")
    p50_ms = fields.Float("Median Duration (ms)", readonly=True, aggregator="avg")
    p95_ms = fields.Float("p95 Duration (ms)", readonly=True, aggregator="avg")
    max_ms = fields.Float("Longest Duration (ms)", readonly=True, aggregator="max")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT log.id,
                   log.create_date AS date,
                   log.method,
                   log.method || ' ' || regexp_replace(log.path, %(segment)s, '/{id}', 'g')
                       AS route,
                   log.status,
                   (log.status / 100)::text || 'xx' AS status_class,
                   log.error_code,
                   log.user_id,
                   log.auth_method,
                   COALESCE(log.credential, 'none') AS credential,
                   log.duration_ms,
                   log.duration_ms AS p50_ms,
                   log.duration_ms AS p95_ms,
                   log.duration_ms AS max_ms
              FROM api_request_log log
            """,
            segment=RECORD_SEGMENT,
        )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec != "__count":
            fname, _property, _func = parse_read_group_spec(aggregate_spec)
            if fname in PERCENTILES:
                self._check_field_access(self._fields[fname], "read")
                return SQL(
                    "percentile_cont(%s) WITHIN GROUP (ORDER BY %s)",
                    PERCENTILES[fname],
                    self._field_to_sql(self._table, "duration_ms", query),
                )
        return super()._read_group_select(aggregate_spec, query)
