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

    my_max_key_days = fields.Integer(
        "API key lifetime (days)",
        help="The longest lifetime of every API key minted, rotated or made in Preferences "
        "> New API Key, administrators' included; lowered to a group's API Keys maximum "
        "duration when the user's groups set one.",
        **SETTINGS.field("max_key_days"),
    )

    @api.constrains("my_max_key_days")
    def _check_my_max_key_days(self):
        least = SETTINGS["max_key_days"].minimum
        if any(settings.my_max_key_days < least for settings in self):
            raise ValidationError(self.env._("An API key must be allowed to live one day."))

    @api.constrains("my_max_keys_per_user")
    def _check_my_max_keys_per_user(self):
        least = SETTINGS["max_keys_per_user"].minimum
        if any(settings.my_max_keys_per_user < least for settings in self):
            raise ValidationError(self.env._("A user needs room for at least one API key."))
