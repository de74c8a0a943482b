import datetime

from odoo import api, fields, models

from odoo.addons.base.models.res_users import check_identity


class ApikeyMintWizard(models.TransientModel):
    _name = "apikey.mint.wizard"
    _description = "Mint an API Key"

    user_id = fields.Many2one(
        "res.users", "User", required=True, domain=[("share", "=", False)], ondelete="cascade"
    )
    name = fields.Char("Description", required=True, help="Which system uses it, e.g. Shop sync")
    scope = fields.Selection(
        [("api", "REST API only (/api/v1)"), ("rpc", "All external APIs (JSON-2, RPC, REST)")],
        required=True,
        default="api",
    )
    expiration_date = fields.Datetime(
        "Expires On", required=True, default=lambda self: self._default_expiration()
    )
    # restrictions of a REST API key (see my_api's res.users.apikeys)
    api_scopes = fields.Char(
        "Scopes",
        help="Space-separated, as for OAuth2 clients (e.g. orders:read partners:write). "
        "Empty: every scope the user's rights allow.",
    )
    scope_help = fields.Text("Available Scopes", compute="_compute_scope_help")
    read_only = fields.Boolean(help="The key may only read (GET) on /api/v1.")
    allowed_networks = fields.Char(
        "Allowed Addresses",
        help="Client address ranges (CIDR), separated by commas, e.g. 192.168.0.0/24, "
        "2001:db8::/32. Empty: any address.",
    )
    rate_limit = fields.Integer(
        "Requests per Minute", help="The key's own rate limit. 0: its user's (or the default)."
    )

    _rate_limit_positive = models.Constraint(
        "CHECK(rate_limit >= 0)", "The rate limit cannot be negative."
    )

    def _compute_scope_help(self):
        scopes = self.env["api.resource"]._api_scopes()
        text = "\n".join(f"{name}: {label}" for name, label in scopes.items())
        for wizard in self:
            wizard.scope_help = text

    @api.model
    def _default_expiration(self):
        days = self.env["res.users.apikeys"]._max_lifetime_days(self.user_id or None)
        return fields.Datetime.now() + datetime.timedelta(days=days)

    @check_identity
    def action_mint(self):
        """Mint and show the key. A key is a password for someone else's
        account: the administrator's password is asked again, as for Odoo's
        own New API Key."""
        self.ensure_one()
        key = self.env["res.users.apikeys"]._mint_for_user(
            self.user_id,
            self.name,
            self.scope,
            self.expiration_date,
            restrictions={
                "api_scopes": self.api_scopes,
                "read_only": self.read_only,
                "allowed_networks": self.allowed_networks,
                "rate_limit": self.rate_limit,
            },
        )
        return self.env["apikey.show.wizard"]._action_show_key(
            key,
            self.env._(
                "Key for %(login)s, valid until %(date)s. It is shown only now.",
                login=self.user_id.login,
                date=self.expiration_date,
            ),
        )
