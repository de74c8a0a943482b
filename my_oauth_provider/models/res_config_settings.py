from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .res_users_apikeys import DEFAULT_MAX_KEYS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    my_max_keys_per_user = fields.Integer(
        "Live API keys per user",
        config_parameter="my_oauth_provider.max_keys_per_user",
        default=DEFAULT_MAX_KEYS,
        help="Minting or rotating a key beyond this many unexpired keys of one user is "
        "refused; a rotated key counts until its grace period ends.",
    )

    @api.constrains("my_max_keys_per_user")
    def _check_my_max_keys_per_user(self):
        if any(settings.my_max_keys_per_user < 1 for settings in self):
            raise ValidationError(self.env._("A user needs room for at least one API key."))
