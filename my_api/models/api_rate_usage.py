import datetime

from odoo import fields, models
from odoo.tools import SQL

from ..settings import setting

ANONYMOUS_WINDOW = 60  # seconds: requests without a credential are counted per minute


class ApiRateUsage(models.Model):
    """Each rate-limited credential's latest window: how many requests it
    made there against the limit that applies to it, so that an
    administrator sees who is close to being refused (429) before they are.

    A view over api.rate.counter (one row per bucket: its latest window).
    The limit is the one the API enforces (`ir.http._api_rate_policy`:
    the key's rule, then the user's, then the default), so this screen and
    the answers never disagree. A window that has ended counts no request.
    """

    _name = "api.rate.usage"
    _description = "REST API Rate Limit Usage"
    _auto = False
    _order = "window_start desc, bucket"
    _rec_name = "bucket"

    bucket = fields.Char("Counted Per", readonly=True)
    kind = fields.Selection(
        [("user", "User"), ("key", "API key"), ("ip", "Client address"), ("oauth2", "OAuth2")],
        readonly=True,
    )
    user_id = fields.Many2one("res.users", "User", readonly=True)
    apikey_id = fields.Many2one("res.users.apikeys", "API Key", readonly=True)
    window_start = fields.Datetime("Window Start", readonly=True)
    hits = fields.Integer("Requests in Window", readonly=True)
    limit = fields.Integer("Limit", compute="_compute_usage")
    window = fields.Integer("Per (seconds)", compute="_compute_usage")
    current_hits = fields.Integer("Requests Now", compute="_compute_usage")
    usage_percent = fields.Float("Usage (%)", compute="_compute_usage")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT DISTINCT ON (counter.bucket)
                   counter.id,
                   counter.bucket,
                   split_part(counter.bucket, ':', 1) AS kind,
                   COALESCE(users.id, apikey.user_id) AS user_id,
                   apikey.id AS apikey_id,
                   counter.window_start,
                   counter.hits
              FROM api_rate_counter counter
              LEFT JOIN res_users users ON counter.bucket = 'user:' || users.id
              LEFT JOIN res_users_apikeys apikey ON counter.bucket = 'key:' || apikey.id
             ORDER BY counter.bucket, counter.window_start DESC
            """
        )

    def _policy(self):
        """(limit, window seconds) that applies to this row's bucket; limit 0: none."""
        self.ensure_one()
        http = self.env["ir.http"]
        if self.kind == "user" and self.user_id:
            return http._api_rate_policy(self.user_id.id, None)
        if self.kind == "key" and self.apikey_id:
            return http._api_rate_policy(self.apikey_id.user_id.id, self.apikey_id.id)
        if self.kind == "ip":
            return setting(self.env, "rate_limit_anonymous"), ANONYMOUS_WINDOW
        return 0, 0

    def _compute_usage(self):
        now = fields.Datetime.now()
        for row in self:
            limit, window = row._policy()
            ended = not window or row.window_start + datetime.timedelta(seconds=window) <= now
            row.limit, row.window = limit, window
            row.current_hits = 0 if ended else row.hits
            row.usage_percent = 100.0 * row.current_hits / limit if limit else 0.0
