"""The lifecycle of Odoo API keys: mint for another user, rotate with an
overlap, revoke, and see when each key was last used.

Keys stay in Odoo's own table (hashed, looked up by index): this module
never stores a key in clear nor keeps a second key store. res.users.apikeys
has a hand-made table: its one stored field here, `my_successor_id`, is a
column this module adds to it (see `init`); the others are computed.

A key rotates once. Rotating mints a full-lifetime key and cuts the old one
to the grace period, so a key that could rotate again and again would let
whoever copied it keep access forever, each time shortening the owner's
key. Recording the successor makes a second rotation a visible conflict,
every self-rotation tells a person, and a cap on live keys per user bounds
how many keys one stolen key can breed.
"""

import datetime
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import SQL, plaintext2html
from odoo.tools.sql import column_exists, create_column

from odoo.addons.base.models.res_users import INDEX_SIZE, check_identity
from odoo.addons.my_api.public import clear_apikey_cache

from ..settings import setting

_logger = logging.getLogger(__name__)

EXPIRING_DAYS = 14


def _now():
    return fields.Datetime.now()


class KeyAlreadyRotatedError(UserError):
    """The key was rotated before: its successor is the key to use (and,
    if its owner did not rotate it, the key to revoke)."""

    def __init__(self, message, successor_id):
        super().__init__(message)
        self.successor_id = successor_id


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    my_last_used = fields.Datetime("Last Used", compute="_compute_my_usage")
    my_last_ip = fields.Char("Last IP Address", compute="_compute_my_usage")
    my_state = fields.Selection(
        [("active", "Active"), ("expiring", "Expiring soon"), ("expired", "Expired")],
        "State",
        compute="_compute_my_state",
    )
    my_expiring_soon = fields.Boolean(
        "Expiring Soon",
        compute="_compute_my_state",
        search="_search_my_expiring_soon",
        help=f"Not expired yet, and expires within {EXPIRING_DAYS} days.",
    )
    # An id, not a many2one: it stays when the successor is revoked, so that
    # the old key cannot rotate again then.
    my_successor_id = fields.Integer(
        "Rotated To",
        readonly=True,
        help="Id of the key this one was rotated to. A key rotates once.",
    )

    def init(self):
        super().init()
        if not column_exists(self.env.cr, self._table, "my_successor_id"):
            create_column(
                self.env.cr, self._table, "my_successor_id", "int4", "Id of the key rotated to"
            )
        # Rotation used to copy an unscoped key's scope as the text 'false'
        # (the ORM's False in raw SQL), which no check accepts: such keys are
        # unscoped keys, as their predecessors were.
        self.env.cr.execute(
            SQL("UPDATE %s SET scope = NULL WHERE scope = 'false'", SQL.identifier(self._table))
        )
        if self.env.cr.rowcount:
            _logger.info(
                "%s: %d rotated key(s) made unscoped again", self._table, self.env.cr.rowcount
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
            key.my_expiring_soon = key.my_state == "expiring"

    def _search_my_expiring_soon(self, operator, value):
        """The keys in state `expiring`, as a domain: the keys list's filter
        and its badge say the same thing."""
        if operator != "in":
            return NotImplemented
        now = _now()
        return [
            ("expiration_date", ">=", now),
            ("expiration_date", "<", now + datetime.timedelta(days=EXPIRING_DAYS)),
        ]

    # ------------------------------------------------------------------ policy
    @api.model
    def _max_lifetime_days(self, user=None):
        """The longest lifetime, in days, of a key minted or rotated here.

        `my_oauth_provider.max_key_days` (90 by default), lowered to what
        Odoo allows `user` for keys of their own (the longest
        `api_key_duration` of their groups) when their groups set one.
        """
        days = setting(self.env, "max_key_days")
        if user:
            group_days = max(user.sudo().all_group_ids.mapped("api_key_duration") or [0])
            if group_days:
                days = min(days, group_days)
        return int(days) if float(days).is_integer() else days

    @api.model
    def _check_key_cap(self, user):
        """Refuse one more key for `user` when they have the most live keys allowed.

        Live: not expired (revoked keys are deleted). Keys in their grace
        period count: a stolen key rotated again and again breeds no more
        than the cap, and waits for the overlaps to end.

        Mints for one user are serialized: two at once (two servers of one
        integration rotating their keys at the same moment, or copies of
        several keys) would otherwise each count the keys as they were
        before either minted, and both pass. The first to come takes the
        user's row (a no-op UPDATE); the second waits for it, then fails to
        serialize once the first commits, and Odoo runs its request again,
        which counts the first's key. A row lock alone would not do: under
        REPEATABLE READ the second would still count from its snapshot. Being
        serialized, the two also never post their activity at once (whose
        first one makes the responsible a follower, a unique row).
        """
        # log_exceptions: the second's serialization failure is expected,
        # and Odoo's retry says so in the log
        self.env.cr.execute(
            SQL("UPDATE res_users SET write_date = write_date WHERE id = %s", user.id),
            log_exceptions=False,
        )
        cap = setting(self.env, "max_keys_per_user")
        now = _now()
        # sudo: counting the owner's keys, whoever mints (the owner or an administrator)
        count = self.sudo().search_count(
            [
                ("user_id", "=", user.id),
                "|",
                ("expiration_date", "=", False),
                ("expiration_date", ">=", now),
            ]
        )
        if count >= cap:
            raise UserError(
                self.env._(
                    "A user may have at most %(max)s live API keys and %(login)s has %(count)s: "
                    "revoke one first (Settings > Technical > OAuth > API Keys; "
                    "the limit is my_oauth_provider.max_keys_per_user).",
                    max=cap,
                    login=user.login,
                    count=count,
                )
            )

    @api.model
    def _check_can_manage_keys(self):
        if not self.env.user._is_system():
            raise AccessError(self.env._("Only administrators can manage other users' API keys."))

    # -------------------------------------------------------------------- mint
    @api.model
    def _mint_for_user(self, user, name, scope, expiration_date, restrictions=None):
        """Generate a key for `user` (administrators only); return it once.

        `restrictions`: what my_api enforces on a REST API key (`api_scopes`,
        `read_only`, `allowed_networks`, see its _check_restrictions) and
        `rate_limit`, the key's own requests per minute (an api.rate.limit
        rule of the key, as the rate limits of every credential are kept).
        All are checked before anything is minted."""
        self._check_can_manage_keys()
        restrictions = restrictions or {}
        values = self._check_restrictions(scope, restrictions)
        rate_limit = restrictions.get("rate_limit") or 0
        if rate_limit < 0:
            raise UserError(self.env._("The rate limit cannot be negative."))
        max_days = self._max_lifetime_days(user)
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
        self._check_key_cap(user)
        # sudo: Odoo's own generator, run as the key's owner so the key is
        # theirs; the lifetime was checked above against our maximum.
        key = self.with_user(user).sudo()._generate(scope or None, name, expiration_date)
        record = self._record_of(user, key)
        record._set_restrictions(values, rate_limit or None)
        return key

    def _record_of(self, user, key):
        """The record of `key`, just generated for `user` (Odoo's
        _generate returns the key only)."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE user_id = %s AND index = %s ORDER BY id DESC LIMIT 1",
                SQL.identifier(self._table),
                user.id,
                key[:INDEX_SIZE],
            )
        )
        return self.browse(self.env.cr.fetchone()[0])

    def _set_restrictions(self, values, rate_limit, window=60):
        """Store a new key's restriction columns (in SQL, next to the row
        Odoo's _generate has just inserted in SQL; no worker has cached
        the key yet) and its own rate limit rule (`rate_limit` requests
        per `window` seconds)."""
        self.ensure_one()
        if values:
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE id = %s",
                    SQL.identifier(self._table),
                    SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(name), value)
                        for name, value in values.items()
                    ),
                    self.id,
                )
            )
            self.invalidate_recordset(list(values))
        if rate_limit:
            # sudo: the key's own rule, set by whoever may mint or rotate it
            self.env["api.rate.limit"].sudo().create(
                {"apikey_id": self.id, "limit": rate_limit, "window": window}
            )

    # ------------------------------------------------------------------ rotate
    def _rotate(self):
        """Issue a new key like this one; this one expires after the grace period.

        Returns (new key, new key record, new expiry, old key's new expiry).
        Callers check who may rotate: an administrator, or the key itself.
        Raises KeyAlreadyRotatedError when this key was rotated before, and
        UserError when its owner has the most live keys allowed.
        """
        self.ensure_one()
        table = SQL.identifier(self._table)
        # Lock the row first: of two rotations at once, the second waits,
        # then fails to serialize and is retried, and sees the successor.
        self.env.cr.execute(
            SQL("SELECT my_successor_id FROM %s WHERE id = %s FOR NO KEY UPDATE", table, self.id)
        )
        row = self.env.cr.fetchone()
        if row is None:  # revoked meanwhile (a worker may still trust its cached copy)
            raise MissingError(self.env._("This API key was revoked."))
        if row[0]:
            raise KeyAlreadyRotatedError(
                self.env._(
                    "API key #%(key)s was already rotated to key #%(successor)s: use that key "
                    "(a key rotates once). If you did not rotate it, revoke key #%(successor)s.",
                    key=self.id,
                    successor=row[0],
                ),
                row[0],
            )
        self._check_key_cap(self.user_id)
        now = _now()
        lifetime = datetime.timedelta(days=self._max_lifetime_days(self.user_id))
        if self.expiration_date and self.create_date and self.expiration_date > self.create_date:
            lifetime = min(lifetime, self.expiration_date - self.create_date)
        new_expiry = now + max(lifetime, datetime.timedelta(days=1))
        # an unscoped key's scope reads False: raw SQL needs None (NULL), not 'false'
        key = (
            self.with_user(self.user_id).sudo()._generate(self.scope or None, self.name, new_expiry)
        )
        new_record = self._record_of(self.user_id, key)
        # the successor is restricted as this key was: scopes, read-only,
        # addresses and its own rate limit (a rotation widens nothing)
        # sudo: rate limit rules are configuration the rotating key cannot read
        rule = self.env["api.rate.limit"].sudo().search([("apikey_id", "=", self.id)], limit=1)
        new_record._set_restrictions(
            {name: value for name, value in self._restriction_values().items() if value},
            rule.limit if rule else None,
            rule.window if rule else 60,
        )
        old_expiry = now + datetime.timedelta(days=setting(self.env, "rotation_grace_days"))
        if self.expiration_date and self.expiration_date < old_expiry:
            old_expiry = self.expiration_date  # rotating never extends a key
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET expiration_date = %s, my_successor_id = %s WHERE id = %s",
                table,
                old_expiry,
                new_record.id,
                self.id,
            )
        )
        self.invalidate_recordset(["expiration_date", "my_successor_id"])
        clear_apikey_cache([self.id])  # this worker trusts the old expiry no more
        return key, new_record, new_expiry, old_expiry

    def _rotate_self(self):
        """Rotate this key at its own request (POST /api/v1/keys/rotate) and
        tell the person responsible for its user.

        Whoever holds a copy of a key can rotate it, and the owner's copy
        then dies after the grace period: a person must hear of it at once.
        """
        result = self._rotate()
        self._notify_self_rotation(result[1], result[3])
        return result

    def _notify_self_rotation(self, successor, old_expiry):
        """A to-do for the user's responsible (see res.users._api_key_responsible)
        on the user's contact, next to the expiry reminders."""
        user = self.user_id
        address = request.httprequest.remote_addr if request else None
        note = self.env._(
            "Key #%(old)s of %(login)s was exchanged for the new key #%(new)s by a call "
            "from %(address)s; key #%(old)s stops working on %(date)s (UTC). If %(login)s's "
            "system did not do this, someone else holds its key: revoke key #%(new)s "
            "(Settings > Technical > OAuth > API Keys).",
            old=self.id,
            new=successor.id,
            login=user.login,
            address=address or self.env._("an unknown address"),
            date=old_expiry,
        )
        # sudo: the integration user scheduling a to-do for its responsible
        # on its own contact, which it may not be allowed to do itself
        user.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.sudo()._api_key_responsible().id,
            summary=self.env._(
                "API key %(name)s of %(login)s rotated itself", name=self.name, login=user.login
            ),
            note=plaintext2html(note),
        )

    @check_identity
    def action_rotate(self):
        """Rotate from the list: a key is shown, so the password is asked
        again as for Odoo's own New API Key."""
        self._check_can_manage_keys()
        key, _record, new_expiry, old_expiry = self._rotate()
        return self.env["apikey.show.wizard"]._action_show_key(
            key,
            self.env._(
                "New key valid until %(new)s. The previous key keeps working until %(old)s.",
                new=new_expiry,
                old=old_expiry,
            ),
        )

    def action_revoke(self):
        self._check_can_manage_keys()
        self._remove()  # Odoo's own removal; my_api forgets the cached keys
        return True
