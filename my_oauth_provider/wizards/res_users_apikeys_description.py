from odoo import models


class ResUsersApikeysDescription(models.TransientModel):
    _inherit = "res.users.apikeys.description"

    def check_access_make_key(self):
        """Preferences > New API Key mints a key too: the cap on live keys
        per user (my_oauth_provider.max_keys_per_user) applies there as well."""
        super().check_access_make_key()
        self.env["res.users.apikeys"]._check_key_cap(self.env.user)
