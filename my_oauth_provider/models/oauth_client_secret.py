from odoo import api, fields, models


class OauthClientSecret(models.TransientModel):
    """Shows a new client secret once.

    The secret travels in the action's context as a default value and the
    form has no save button, so no record holding it is ever written.
    """

    _name = "oauth.client.secret"
    _description = "New OAuth2 Client Secret"

    client_name = fields.Char(readonly=True)
    identifier = fields.Char(string="Client ID", readonly=True)
    secret = fields.Char(string="Client Secret", readonly=True)

    @api.model
    def _oauth_action_show(self, client, secret):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Copy the client secret now"),
            "res_model": "oauth.client.secret",
            "view_mode": "form",
            "views": [(self.env.ref("my_oauth_provider.oauth_client_secret_view_form").id, "form")],
            "target": "new",
            "context": {
                "default_client_name": client.name,
                "default_identifier": client.identifier,
                "default_secret": secret,
            },
        }
