from odoo import api, fields, models


class ApiRateLimit(models.Model):
    """A rate-limit rule for one user or one API key (overrides the default).

    The most specific rule wins: API key, then user, then the default of
    Settings (system parameters my_api.rate_limit / my_api.rate_limit_window).
    """

    _name = "api.rate.limit"
    _description = "REST API Rate Limit"
    _order = "user_id, apikey_id"

    user_id = fields.Many2one("res.users", "User", ondelete="cascade")
    apikey_id = fields.Many2one("res.users.apikeys", "API Key", ondelete="cascade")
    limit = fields.Integer("Requests", required=True, default=600)
    window = fields.Integer("Per (seconds)", required=True, default=60)

    _limit_positive = models.Constraint(
        'CHECK("limit" > 0 AND "window" > 0)', "Limits must be positive."
    )
    _target = models.Constraint(
        "CHECK(user_id IS NOT NULL OR apikey_id IS NOT NULL)", "A rule needs a user or an API key."
    )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
