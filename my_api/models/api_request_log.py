from odoo import api, fields, models
from odoo.tools import SQL

from ..settings import setting


class ApiRequestLog(models.Model):
    """One line per /api/v1 request: who, what, how it ended, how long.

    No secrets and no bodies. Written at the end of the request, one line
    per client request with the status it was answered: a success in the
    request's own transaction (committed with the answer, or not at all when
    Odoo runs the request again or its commit fails), an error in a
    transaction of its own (failed requests are logged too). What is logged
    is set by the system parameter my_api.request_log (all / errors / none)
    and kept my_api.request_log_days days (default 30).
    """

    _name = "api.request.log"
    _description = "REST API Request Log"
    _log_access = False
    _order = "id desc"
    _rec_name = "request_id"

    create_date = fields.Datetime("Date", readonly=True, index=True)
    method = fields.Char(readonly=True)
    path = fields.Char(readonly=True)
    status = fields.Integer(readonly=True, index=True)
    duration_ms = fields.Float("Duration (ms)", readonly=True, digits=(16, 1))
    user_id = fields.Many2one("res.users", "User", readonly=True, ondelete="set null", index=True)
    auth_method = fields.Char(readonly=True)
    credential = fields.Char(readonly=True, help="Which key or client, never the secret itself.")
    request_id = fields.Char("Request ID", readonly=True, index=True)
    ip = fields.Char("IP Address", readonly=True)
    error_code = fields.Char(
        readonly=True, index="btree_not_null", help="The error code of a refused request."
    )

    @api.model
    def _insert_query(self, values):
        """The INSERT of one log line (see my_api.core.request_log: log_request and
        log_answer). Dated when it is written, the end of the request: in
        the request's transaction, now() would be when that began.

        The path is the client's (percent-decoded): PostgreSQL refuses the
        NUL characters it may hold, which the log shows as U+FFFD."""
        values = dict(values, path=values["path"].replace("\x00", "\ufffd"))
        return SQL(
            """
                INSERT INTO api_request_log (create_date, method, path, status, duration_ms,
                       user_id, auth_method, credential, request_id, ip, error_code)
                VALUES (statement_timestamp() at time zone 'utc',
                        %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
            values["method"],
            values["path"],
            values["status"],
            values["duration_ms"],
            values["user_id"],
            values["auth_method"],
            values["credential"],
            values["request_id"],
            values["ip"],
            values.get("error_code"),
        )

    @api.autovacuum
    def _gc_old_entries(self):
        days = setting(self.env, "request_log_days")
        self.env.cr.execute(
            SQL(
                "DELETE FROM api_request_log"
                " WHERE create_date < now() at time zone 'utc' - make_interval(days => %s)",
                days,
            )
        )
