from odoo import api, fields, models


class ApikeyShowWizard(models.TransientModel):
    """Shows a new API key once.

    The key travels in the action's context as a default value and the form
    has no save button, so no record holding it is ever written.
    """

    _name = "apikey.show.wizard"
    _description = "New API Key"

    key = fields.Char(readonly=True)
    note = fields.Text(readonly=True)

    @api.model
    def _action_show_key(self, key, note=""):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Copy your new API key now"),
            "res_model": "apikey.show.wizard",
            "view_mode": "form",
            "views": [(self.env.ref("my_oauth_provider.apikey_show_wizard_view_form").id, "form")],
            "target": "new",
            "context": {"default_key": key, "default_note": note},
        }
