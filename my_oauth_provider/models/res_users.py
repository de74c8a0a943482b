from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    # Fields added to Odoo's own models keep the my_ prefix: no future Odoo
    # field can take their column, and integrations read them by name.
    my_is_integration = fields.Boolean(
        "Integration User",
        help="A technical user that an external system uses through API keys or OAuth2.",
    )
    my_integration_responsible_id = fields.Many2one(
        "res.users",
        "Integration Responsible",
        help="Who is reminded before this integration's API keys expire and told when one "
        "rotates itself.",
    )

    def _api_key_responsible(self):
        """Who hears about this user's API keys (expiry reminders, a key
        rotating itself): the integration's responsible; a person, for
        their own keys; else the administrator."""
        self.ensure_one()
        responsible = self.my_integration_responsible_id.filtered("active")
        return (
            responsible or (not self.my_is_integration and self) or self.env.ref("base.user_admin")
        )
