import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResUsersApikeysDescription(models.TransientModel):
    """Preferences > Account Security > New API Key.

    Odoo lets an administrator make a key that never expires, or lives as
    long as they like. Here, as for every key the suite mints or rotates,
    a key lives at most `my_oauth_provider.max_key_days` (lowered by the
    user's groups): the durations above it and "Persistent Key" are not
    offered, and a key asked without an expiry date or past the limit is
    refused (not shortened: the key's owner sees the expiry they get).
    """

    _inherit = "res.users.apikeys.description"

    def _selection_duration(self):
        days = self.env["res.users.apikeys"]._max_lifetime_days(self.env.user)
        # "0" is Odoo's "Persistent Key", "-1" its "Custom Date"
        return [
            (value, label)
            for value, label in super()._selection_duration()
            if value == "-1" or 0 < int(value) <= days
        ]

    def _my_check_lifetime(self, expiration_date):
        """Raise ValidationError unless `expiration_date` is within the
        longest lifetime allowed to the current user's keys."""
        days = self.env["res.users.apikeys"]._max_lifetime_days(self.env.user)
        if not expiration_date:
            raise ValidationError(
                self.env._(
                    "An API key needs an expiry date, at most %(days)s days from now "
                    "(my_oauth_provider.max_key_days).",
                    days=days,
                )
            )
        if expiration_date > fields.Datetime.now() + datetime.timedelta(days=days):
            raise ValidationError(
                self.env._(
                    "An API key may live at most %(days)s days "
                    "(my_oauth_provider.max_key_days and your groups).",
                    days=days,
                )
            )

    @api.onchange("expiration_date")
    def _onchange_expiration_date(self):
        warning = super()._onchange_expiration_date()
        if warning:
            return warning
        try:
            self._my_check_lifetime(self.expiration_date)
        except ValidationError as error:
            return {
                "warning": {
                    "type": "notification",
                    "title": self.env._("The API key duration is not correct."),
                    "message": error.args[0],
                }
            }
        return None

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for record in records:
            record._my_check_lifetime(record.expiration_date)
        return records

    def check_access_make_key(self):
        """Preferences > New API Key mints a key too: the lifetime and the
        cap on live keys per user (my_oauth_provider.max_keys_per_user)
        apply there as well."""
        super().check_access_make_key()
        for record in self:
            record._my_check_lifetime(record.expiration_date)
        self.env["res.users.apikeys"]._check_key_cap(self.env.user)
