import re

from odoo import api, fields, models
from odoo.exceptions import UserError


class IntegrationUserWizard(models.TransientModel):
    _name = "integration.user.wizard"
    _description = "Create an Integration User"

    name = fields.Char(required=True, help="The external system, e.g. Shopify")
    login = fields.Char(
        compute="_compute_login", readonly=False, store=True, precompute=True, required=True
    )
    group_ids = fields.Many2many(
        "res.groups",
        string="Access",
        help="Only these groups (plus Internal User). Pick the least the integration needs, "
        "e.g. Sales / User and Inventory / User.",
    )
    allow_admin = fields.Boolean(
        "Administrator", help="Give full administrator rights. Avoid this for integrations."
    )
    responsible_id = fields.Many2one(
        "res.users",
        "Responsible",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        help="Reminded before this integration's API keys expire and told when one rotates itself.",
    )

    @api.depends("name")
    def _compute_login(self):
        domain = (self.env.company.email or "").partition("@")[2] or "integration.invalid"
        for wizard in self:
            slug = re.sub(r"[^a-z0-9]+", "-", (wizard.name or "").lower()).strip("-")
            wizard.login = f"api-{slug}@{domain}" if slug else False

    def action_create(self):
        self.ensure_one()
        self.env["res.users.apikeys"]._check_can_manage_keys()
        admin_groups = self.env.ref("base.group_system") | self.env.ref("base.group_erp_manager")
        risky = self.group_ids.filtered(lambda g: (g | g.all_implied_ids) & admin_groups)
        if risky and not self.allow_admin:
            raise UserError(
                self.env._(
                    "%(groups)s give administrator rights: tick Administrator to confirm.",
                    groups=", ".join(risky.mapped("name")),
                )
            )
        groups = self.env.ref("base.group_user") | self.group_ids
        if self.allow_admin:
            groups |= self.env.ref("base.group_system")
        user = self.env["res.users"].create(
            {
                "name": self.name,
                "login": self.login,
                "group_ids": [(6, 0, groups.ids)],
                "my_is_integration": True,
                "my_integration_responsible_id": self.responsible_id.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users",
            "res_id": user.id,
            "view_mode": "form",
            "target": "current",
        }
