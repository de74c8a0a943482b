from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    my_is_integration = fields.Boolean(
        "Integration User",
        help="A technical user that an external system uses through API keys or OAuth2.",
    )
    my_integration_responsible_id = fields.Many2one(
        "res.users",
        "Integration Responsible",
        help="Who is reminded before this integration's API keys expire.",
    )
