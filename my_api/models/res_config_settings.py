from odoo import api, fields, models

from ..settings import SETTINGS


class ResConfigSettings(models.TransientModel):
    """The REST API's system parameters; their keys and the defaults shown
    while a parameter is unset come from the table in my_api/settings.py."""

    _inherit = "res.config.settings"

    api_rate_limit = fields.Integer(
        "API requests per window",
        help="Default number of /api/v1 requests a credential may make per window (0: no limit).",
        **SETTINGS.field("rate_limit"),
    )
    api_rate_limit_window = fields.Integer(
        "API rate window (seconds)", **SETTINGS.field("rate_limit_window")
    )
    api_rate_limit_anonymous = fields.Integer(
        "API requests without authentication per minute",
        help="Requests a client address may make per minute without a valid credential "
        "(0: no limit); past it they are answered 429 and unknown keys are not even checked.",
        **SETTINGS.field("rate_limit_anonymous"),
    )
    api_max_page_size = fields.Integer("API maximum page size", **SETTINGS.field("max_page_size"))
    api_count_limit = fields.Integer(
        "API exact count limit",
        help="An offset page's total is exact up to this many records and a lower bound "
        "above (unless the call sends count=exact); 0 always counts every record.",
        **SETTINGS.field("count_limit"),
    )
    api_max_body_bytes = fields.Integer(
        "API maximum body size (bytes)", **SETTINGS.field("max_body_bytes")
    )
    api_apikey_cache_ttl = fields.Integer(
        "API key cache (seconds)",
        help="How long a worker trusts an API key it verified; a revoked key stops "
        "working everywhere within this time.",
        **SETTINGS.field("apikey_cache_ttl"),
    )
    # Not a config_parameter field: unticked, Odoo would delete the
    # parameter, which reads as the default (on). Stored as True/False.
    api_refuse_keys_without_expiry = fields.Boolean(
        "Refuse API keys without expiry",
        help="/api/v1 answers 401 key_without_expiry to an API key that never expires "
        "(Odoo lets administrators make such keys). On in a new database; off after an "
        "upgrade from an earlier version until turned on here.",
    )
    api_request_log = fields.Selection(
        [("all", "All requests"), ("errors", "Errors only"), ("none", "Nothing")],
        "API request log",
        **SETTINGS.field("request_log"),
    )
    api_request_log_days = fields.Integer(
        "Keep API request log (days)", **SETTINGS.field("request_log_days")
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        values["api_refuse_keys_without_expiry"] = SETTINGS.get(
            self.env, "refuse_keys_without_expiry"
        )
        return values

    def set_values(self):
        super().set_values()
        # sudo: Settings is for administrators; system parameters are theirs
        self.env["ir.config_parameter"].sudo().set_param(
            SETTINGS.key("refuse_keys_without_expiry"),
            str(bool(self.api_refuse_keys_without_expiry)),
        )
