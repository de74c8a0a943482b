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
            self.user_id, self.name, self.scope, self.expiration_date
        )
        return self.env["apikey.show.wizard"]._action_show_key(
            key,
            self.env._(
                "Key for %(login)s, valid until %(date)s. It is shown only now.",
                login=self.user_id.login,
                date=self.expiration_date,
            ),
        )
