from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    api_rate_limit = fields.Integer(
        "API requests per window",
        config_parameter="my_api.rate_limit",
        help="Default number of /api/v1 requests a credential may make per window (0: no limit).",
    )
    api_rate_limit_window = fields.Integer(
        "API rate window (seconds)", config_parameter="my_api.rate_limit_window"
    )
    api_rate_limit_anonymous = fields.Integer(
        "API requests without authentication per minute",
        config_parameter="my_api.rate_limit_anonymous",
        help="Requests a client address may make per minute without a valid credential "
        "(0: no limit); past it they are answered 429 and unknown keys are not even checked.",
    )
    api_max_page_size = fields.Integer(
        "API maximum page size", config_parameter="my_api.max_page_size"
    )
    api_count_limit = fields.Integer(
        "API exact count limit",
        config_parameter="my_api.count_limit",
        help="An offset page's total is exact up to this many records and a lower bound "
        "above (unless the call sends count=exact); 0 always counts every record.",
    )
    api_max_body_bytes = fields.Integer(
        "API maximum body size (bytes)", config_parameter="my_api.max_body_bytes"
    )
    api_apikey_cache_ttl = fields.Integer(
        "API key cache (seconds)",
        config_parameter="my_api.apikey_cache_ttl",
        help="How long a worker trusts an API key it verified; a revoked key stops "
        "working everywhere within this time.",
    )
    api_request_log = fields.Selection(
        [("all", "All requests"), ("errors", "Errors only"), ("none", "Nothing")],
        "API request log",
        config_parameter="my_api.request_log",
    )
    api_request_log_days = fields.Integer(
        "Keep API request log (days)", config_parameter="my_api.request_log_days"
    )
