from odoo import api, fields, models


class MyApikeyShow(models.TransientModel):
    """Shows a new API key once.

    The key travels in the action's context as a default value and the form
    has no save button, so no record holding it is ever written.
    """

    _name = "my.apikey.show"
    _description = "New API Key"

    key = fields.Char(readonly=True)
    note = fields.Text(readonly=True)

    @api.model
    def _action_show_key(self, key, note=""):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Copy your new API key now"),
            "res_model": "my.apikey.show",
            "view_mode": "form",
            "views": [(self.env.ref("my_oauth_provider.my_apikey_show_view_form").id, "form")],
            "target": "new",
            "context": {"default_key": key, "default_note": note},
        }
