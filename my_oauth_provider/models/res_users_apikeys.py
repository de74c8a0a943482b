"""The lifecycle of Odoo API keys: mint for another user, rotate with an
overlap, revoke, and see when each key was last used.

Keys stay in Odoo's own table (hashed, looked up by index): this module
never stores a key in clear nor keeps a second key store. res.users.apikeys
has a hand-made table, so its extra fields here are computed, not stored.
"""

import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE
from odoo.addons.my_api.models.ir_http import clear_apikey_cache

DEFAULT_MAX_DAYS = 90
DEFAULT_GRACE_DAYS = 7
EXPIRING_DAYS = 14


def _now():
    return fields.Datetime.now()


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    my_last_used = fields.Datetime("Last Used", compute="_compute_my_usage")
    my_last_ip = fields.Char("Last IP Address", compute="_compute_my_usage")
    my_state = fields.Selection(
        [("active", "Active"), ("expiring", "Expiring soon"), ("expired", "Expired")],
        "State",
        compute="_compute_my_state",
    )

    def _compute_my_usage(self):
        # api.key.usage is bookkeeping written by my_api; administrators read it here
        usage = self.env["api.key.usage"].sudo().search([("key_id", "in", self.ids)])
        by_key = {row.key_id: row for row in usage}
        for key in self:
            row = by_key.get(key.id)
            key.my_last_used = row.last_used_at if row else False
            key.my_last_ip = row.last_ip if row else False

    def _compute_my_state(self):
        now = _now()
        soon = now + datetime.timedelta(days=EXPIRING_DAYS)
        for key in self:
            if key.expiration_date and key.expiration_date < now:
                key.my_state = "expired"
            elif key.expiration_date and key.expiration_date < soon:
                key.my_state = "expiring"
            else:
                key.my_state = "active"

    # ------------------------------------------------------------------ policy
    @api.model
    def _my_max_days(self, user=None):
        """The longest lifetime, in days, of a key minted or rotated here.

        `my_oauth_provider.max_key_days` (90 by default), lowered to what
        Odoo allows `user` for keys of their own (the longest
        `api_key_duration` of their groups) when their groups set one.
        """
        value = self.env["ir.config_parameter"].sudo().get_param("my_oauth_provider.max_key_days")
        days = int(value) if value and value.isdigit() and int(value) > 0 else DEFAULT_MAX_DAYS
        if user:
            group_days = max(user.sudo().all_group_ids.mapped("api_key_duration") or [0])
            if group_days:
                days = min(days, group_days)
        return int(days) if float(days).is_integer() else days

    @api.model
    def _my_grace_days(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("my_oauth_provider.rotation_grace_days")
        )
        return int(value) if value and value.isdigit() else DEFAULT_GRACE_DAYS

    @api.model
    def _my_check_admin(self):
        if not self.env.user._is_system():
            raise AccessError(self.env._("Only administrators can manage other users' API keys."))

    # -------------------------------------------------------------------- mint
    @api.model
    def _my_mint(self, user, name, scope, expiration_date):
        """Generate a key for `user` (administrators only); return it once."""
        self._my_check_admin()
        max_days = self._my_max_days(user)
        now = _now()
        if not expiration_date:
            raise UserError(self.env._("An API key needs an expiry date."))
        if expiration_date <= now:
            raise UserError(self.env._("The expiry date must be in the future."))
        if expiration_date > now + datetime.timedelta(days=max_days):
            raise UserError(
                self.env._(
                    "An API key of %(login)s may live at most %(days)s days "
                    "(my_oauth_provider.max_key_days and the user's groups).",
                    login=user.login,
                    days=max_days,
                )
            )
        if user.share:
            raise UserError(self.env._("API keys are for internal users only."))
        # sudo: Odoo's own generator, run as the key's owner so the key is
        # theirs; the lifetime was checked above against our maximum.
        return self.with_user(user).sudo()._generate(scope or None, name, expiration_date)

    # ------------------------------------------------------------------ rotate
    def _my_rotate(self):
        """Issue a new key like this one; this one expires after the grace period.

        Returns (new key, new key record, new expiry, old key's new expiry).
        Callers check who may rotate: an administrator, or the key itself.
        """
        self.ensure_one()
        now = _now()
        lifetime = datetime.timedelta(days=self._my_max_days(self.user_id))
        if self.expiration_date and self.create_date and self.expiration_date > self.create_date:
            lifetime = min(lifetime, self.expiration_date - self.create_date)
        new_expiry = now + max(lifetime, datetime.timedelta(days=1))
        key = self.with_user(self.user_id).sudo()._generate(self.scope, self.name, new_expiry)
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_users_apikeys WHERE user_id = %s AND index = %s",
                self.user_id.id,
                key[:INDEX_SIZE],
            )
        )
        new_record = self.browse(self.env.cr.fetchone()[0])
        old_expiry = now + datetime.timedelta(days=self._my_grace_days())
        if self.expiration_date and self.expiration_date < old_expiry:
            old_expiry = self.expiration_date  # rotating never extends a key
        self.env.cr.execute(
            SQL(
                "UPDATE res_users_apikeys SET expiration_date = %s WHERE id = %s",
                old_expiry,
                self.id,
            )
        )
        self.invalidate_recordset(["expiration_date"])
        clear_apikey_cache([self.id])  # this worker trusts the old expiry no more
        return key, new_record, new_expiry, old_expiry

    def action_my_rotate(self):
        self._my_check_admin()
        key, _record, new_expiry, old_expiry = self._my_rotate()
        return self.env["my.apikey.show"]._my_action_show(
            key,
            self.env._(
                "New key valid until %(new)s. The previous key keeps working until %(old)s.",
                new=new_expiry,
                old=old_expiry,
            ),
        )

    def action_my_revoke(self):
        self._my_check_admin()
        self._remove()  # Odoo's own removal; my_api forgets the cached keys
        return True
