"""Access and refresh tokens issued to OAuth2 clients.

One row per issuance: the access token and (for user grants) the refresh
token issued with it, both stored as SHA-256 hashes. Refreshing consumes the
row's refresh token and issues a new row in the same `family`; presenting a
consumed refresh token again means it leaked, and revokes the whole family
(OAuth 2.0 Security BCP, refresh token rotation).

Rotation alone would let a family live forever, one refresh a month: a
family ends `my_oauth_provider.refresh_family_days` (90) days after its
first token, however fresh its last refresh token is; the user then signs
in and consents again.
"""

import datetime
import logging
import uuid

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

from ..lib import oauth2 as lib
from ..settings import setting

_logger = logging.getLogger(__name__)

VACUUM_AFTER_DAYS = 30


class OauthToken(models.Model):
    _name = "oauth.token"
    _description = "OAuth2 Token"
    _order = "id desc"
    _rec_name = "display_label"

    display_label = fields.Char(compute="_compute_display_label")
    access_token_hash = fields.Char(required=True, index=True, readonly=True, copy=False)
    refresh_token_hash = fields.Char(index=True, readonly=True, copy=False)
    client_id = fields.Many2one(
        "oauth.client", required=True, ondelete="cascade", index=True, readonly=True
    )
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, readonly=True
    )
    scope = fields.Char(readonly=True)
    grant_type = fields.Selection(
        [
            ("authorization_code", "Authorization Code"),
            ("client_credentials", "Client Credentials"),
            ("refresh_token", "Refresh Token"),
        ],
        required=True,
        readonly=True,
    )
    access_expires_at = fields.Datetime(required=True, readonly=True)
    refresh_expires_at = fields.Datetime(readonly=True)
    refresh_used_at = fields.Datetime(
        readonly=True, help="When the refresh token was exchanged for a new one."
    )
    family = fields.Char(
        required=True,
        index=True,
        readonly=True,
        help="Tokens descending from one authorization share a family.",
    )
    family_issued_at = fields.Datetime(
        required=True,
        readonly=True,
        help="When the first token of the family was issued: the family can be refreshed "
        "for my_oauth_provider.refresh_family_days (90) days from then.",
    )
    parent_id = fields.Many2one("oauth.token", readonly=True, ondelete="set null")
    code_id = fields.Many2one(
        "oauth.authorization.code", readonly=True, ondelete="set null", index="btree_not_null"
    )
    revoked = fields.Boolean(readonly=True, index=True)
    revoked_at = fields.Datetime(readonly=True)
    state = fields.Selection(
        [
            ("active", "Active"),
            ("refreshable", "Access Expired, Refreshable"),
            ("expired", "Expired"),
            ("revoked", "Revoked"),
        ],
        compute="_compute_state",
    )

    _access_hash_unique = models.Constraint("UNIQUE(access_token_hash)", "Tokens are unique.")
    _refresh_hash_unique = models.Constraint("UNIQUE(refresh_token_hash)", "Tokens are unique.")

    def _auto_init(self):
        """On upgrade, rows from before `family_issued_at` get the oldest
        issue left of their family, before the column becomes required."""
        cr = self.env.cr
        if table_exists(cr, self._table) and not column_exists(cr, self._table, "family_issued_at"):
            create_column(cr, self._table, "family_issued_at", "timestamp")
            cr.execute(
                SQL(
                    """
                UPDATE oauth_token t
                   SET family_issued_at = f.issued_at
                  FROM (SELECT family, min(create_date) AS issued_at
                          FROM oauth_token GROUP BY family) f
                 WHERE t.family = f.family
                """
                )
            )
        return super()._auto_init()

    @api.depends("client_id", "user_id")
    def _compute_display_label(self):
        for token in self:
            token.display_label = f"{token.client_id.name} / {token.user_id.name} #{token.id}"

    @api.depends("revoked", "access_expires_at", "refresh_expires_at", "refresh_used_at")
    def _compute_state(self):
        now = fields.Datetime.now()
        for token in self:
            if token.revoked:
                token.state = "revoked"
            elif token.access_expires_at and token.access_expires_at > now:
                token.state = "active"
            elif (
                token.refresh_token_hash
                and not token.refresh_used_at
                and token.refresh_expires_at
                and token.refresh_expires_at > now
            ):
                token.state = "refreshable"
            else:
                token.state = "expired"

    # ------------------------------------------------------------- lookups
    @api.model
    def _oauth_find(self, token, kind=None):
        """The row holding this access or refresh token (kind: 'access_token',
        'refresh_token' or None for both)."""
        if not token or len(token) > 256:
            return self.browse()
        digest = lib.hash_secret(token)
        kind = kind or lib.token_kind(token)
        if kind == "access_token":
            domain = [("access_token_hash", "=", digest)]
        elif kind == "refresh_token":
            domain = [("refresh_token_hash", "=", digest)]
        else:
            domain = ["|", ("access_token_hash", "=", digest), ("refresh_token_hash", "=", digest)]
        return self.search(domain, limit=1)

    def _oauth_access_active(self):
        self.ensure_one()
        return (
            not self.revoked
            and self.access_expires_at > fields.Datetime.now()
            and self.user_id.active
            and self.client_id.active
        )

    def _oauth_refresh_active(self):
        self.ensure_one()
        now = fields.Datetime.now()
        return (
            bool(self.refresh_token_hash)
            and not self.revoked
            and not self.refresh_used_at
            and self.refresh_expires_at
            and self.refresh_expires_at > now
            and self._oauth_family_ends_at() > now
            and self.user_id.active
            and self.client_id.active
        )

    @api.model
    def _oauth_refresh_family_days(self):
        """`my_oauth_provider.refresh_family_days`: how long a family can be
        refreshed, counted from its first token (90 when unset or not a
        positive whole number)."""
        return setting(self.env, "refresh_family_days")

    def _oauth_family_ends_at(self):
        """When this token's family stops being refreshable. Read at every
        use: lowering the setting shortens the families already issued."""
        self.ensure_one()
        days = self._oauth_refresh_family_days()
        return self.family_issued_at + datetime.timedelta(days=days)

    def _oauth_refresh_scopes(self):
        """The scopes a refresh of this token carries: those it had, less
        any that the client may no longer ask for or that the user no longer
        consents to (an administrator narrowed them since). Empty when
        nothing is left, or the consent is gone."""
        self.ensure_one()
        allowed = set(self.client_id._oauth_scopes())
        consented = set(self.env["oauth.grant"]._oauth_granted_scopes(self.user_id, self.client_id))
        return [scope for scope in lib.parse_scopes(self.scope) if scope in allowed & consented]

    # ------------------------------------------------------------ issuance
    @api.model
    def _oauth_issue(self, token, client, user, grant_type, parent=None, code=None):
        """Store the token dict oauthlib built (hashes only); return the row."""
        now = fields.Datetime.now()
        refresh = token.get("refresh_token")
        if parent:
            family, family_issued_at = parent.family, parent.family_issued_at
        else:
            family, family_issued_at = uuid.uuid4().hex, now
        refresh_expires_at = False
        if refresh:
            refresh_expires_at = min(
                now + datetime.timedelta(seconds=client.refresh_token_lifetime),
                family_issued_at + datetime.timedelta(days=self._oauth_refresh_family_days()),
            )
        return self.create(
            {
                "access_token_hash": lib.hash_secret(token["access_token"]),
                "refresh_token_hash": lib.hash_secret(refresh) if refresh else False,
                "client_id": client.id,
                "user_id": user.id,
                "scope": lib.scope_string(token.get("scope")),
                "grant_type": grant_type,
                "access_expires_at": now + datetime.timedelta(seconds=int(token["expires_in"])),
                "refresh_expires_at": refresh_expires_at,
                "family": family,
                "family_issued_at": family_issued_at,
                "parent_id": parent.id if parent else False,
                "code_id": code.id if code else False,
            }
        )

    def _oauth_consume_refresh(self):
        """Mark this refresh token used unless someone already did; return
        whether this call did.

        One `UPDATE ... WHERE refresh_used_at IS NULL`: of two transactions
        racing with one token, exactly one consumes it. Under Odoo's
        REPEATABLE READ the loser's UPDATE waits for the winner, then fails
        with a serialization error once the winner commits. That error is
        the answer ("someone else consumed it") and is caught here, in a
        savepoint: left to Odoo, the request would be retried, the retry
        would see a used token, take the race for a replay and revoke the
        family the winner now holds.
        """
        self.ensure_one()
        self.flush_recordset(["refresh_used_at"])
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        """
                        UPDATE oauth_token SET refresh_used_at = %s
                         WHERE id = %s AND refresh_used_at IS NULL
                     RETURNING id
                        """,
                        fields.Datetime.now(),
                        self.id,
                    ),
                    log_exceptions=False,
                )
                consumed = bool(cr.fetchall())
        except pg_errors.SerializationFailure:
            consumed = False
        self.invalidate_recordset(["refresh_used_at"])
        if not consumed:
            _logger.info(
                "OAuth2 refresh token #%s was consumed by a concurrent request: refused", self.id
            )
        return consumed

    # ------------------------------------------------------------ revoking
    def _oauth_revoke(self):
        todo = self.filtered(lambda t: not t.revoked)
        if todo:
            todo.write({"revoked": True, "revoked_at": fields.Datetime.now()})

    def _oauth_revoke_families(self):
        """Revoke these tokens and every token rotated from the same grant."""
        families = set(self.mapped("family"))
        if families:
            self.search([("family", "in", list(families)), ("revoked", "=", False)])._oauth_revoke()

    @api.model
    def _oauth_revoke_for_users(self, users):
        """ "Revoke all": every OAuth2 token of these users (server action)."""
        self.search([("user_id", "in", users.ids), ("revoked", "=", False)])._oauth_revoke()

    def action_revoke(self):
        self._oauth_revoke_families()
        return True

    # ------------------------------------------------------- introspection
    def _oauth_claims(self, kind, issuer):
        """RFC 7662 claims of this token (which the caller knows is active)."""
        self.ensure_one()
        expires = self.access_expires_at if kind == "access_token" else self.refresh_expires_at
        return {
            "scope": self.scope or "",
            "client_id": self.client_id.identifier,
            "username": self.user_id.login,
            "token_type": "Bearer" if kind == "access_token" else "refresh_token",
            "exp": int(expires.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "iat": int(self.create_date.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "sub": str(self.user_id.id),
            "aud": self.client_id.identifier,
            "iss": issuer,
        }

    @api.autovacuum
    def _gc_dead_tokens(self):
        """Drop tokens that can no longer be used by anyone, after a while."""
        limit = fields.Datetime.now() - datetime.timedelta(days=VACUUM_AFTER_DAYS)
        self.search(
            [
                ("access_expires_at", "<", limit),
                "|",
                ("refresh_expires_at", "=", False),
                ("refresh_expires_at", "<", limit),
            ]
        ).unlink()
