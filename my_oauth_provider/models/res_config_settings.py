from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..settings import SETTINGS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    my_max_keys_per_user = fields.Integer(
        "Live API keys per user",
        help="Minting or rotating a key beyond this many unexpired keys of one user is "
        "refused; a rotated key counts until its grace period ends.",
        **SETTINGS.field("max_keys_per_user"),
    )

    @api.constrains("my_max_keys_per_user")
    def _check_my_max_keys_per_user(self):
        least = SETTINGS["max_keys_per_user"].minimum
        if any(settings.my_max_keys_per_user < least for settings in self):
            raise ValidationError(self.env._("A user needs room for at least one API key."))
