"""A third-party application registered with the authorization server."""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import oauth2 as lib

GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")


class OauthClient(models.Model):
    _name = "oauth.client"
    _description = "OAuth2 Client"
    _order = "name, id"

    name = fields.Char(required=True)
    identifier = fields.Char(
        string="Client ID",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: lib.new_client_id(),
        help="Public identifier the application sends as client_id.",
    )
    client_secret_hash = fields.Char(
        copy=False,
        groups="base.group_system",
        help="SHA-256 of the client secret; the secret itself is shown once and never stored.",
    )
    has_secret = fields.Boolean(compute="_compute_has_secret", string="Secret Set")
    client_type = fields.Selection(
        [
            ("confidential", "Confidential (server side, holds a secret)"),
            ("public", "Public (browser or mobile app, no secret, PKCE)"),
        ],
        required=True,
        default="confidential",
    )
    allow_authorization_code = fields.Boolean(
        string="Authorization Code",
        default=True,
        help="A user signs in to Odoo and consents; the application acts as that user.",
    )
    allow_client_credentials = fields.Boolean(
        string="Client Credentials",
        help="The application acts as the Odoo user set below, without anyone signing in.",
    )
    allow_refresh_token = fields.Boolean(
        string="Refresh Tokens",
        default=True,
        help="Authorization-code clients get a refresh token, rotated on every use.",
    )
    redirect_uris = fields.Text(
        string="Redirect URIs",
        help="One per line, matched exactly. https, or http on localhost only.",
    )
    scope = fields.Char(
        string="Allowed Scopes",
        help="Space-separated, e.g. 'orders:read partners:read'. Empty: no scope at all.",
    )
    scope_help = fields.Text(compute="_compute_scope_help", string="Available Scopes")
    user_id = fields.Many2one(
        "res.users",
        string="Acts As",
        ondelete="restrict",
        domain=[("share", "=", False)],
        help="For client credentials: the Odoo user whose access rights apply to the tokens.",
    )
    access_token_lifetime = fields.Integer(
        string="Access Token Lifetime (s)", default=3600, required=True
    )
    refresh_token_lifetime = fields.Integer(
        string="Refresh Token Lifetime (s)", default=30 * 24 * 3600, required=True
    )
    active = fields.Boolean(default=True)
    token_ids = fields.One2many("oauth.token", "client_id", string="Tokens")
    active_token_count = fields.Integer(compute="_compute_active_token_count")

    _identifier_unique = models.Constraint("UNIQUE(identifier)", "The client id must be unique.")
    _lifetimes_positive = models.Constraint(
        "CHECK(access_token_lifetime > 0 AND refresh_token_lifetime > 0)",
        "Token lifetimes must be positive.",
    )

    # ------------------------------------------------------------ computes
    @api.depends("client_secret_hash")
    def _compute_has_secret(self):
        # sudo: only whether a hash exists is shown, never the hash
        for client, sudo_client in zip(self, self.sudo(), strict=True):
            client.has_secret = bool(sudo_client.client_secret_hash)

    def _compute_scope_help(self):
        scopes = self.env["api.resource"]._api_scopes()
        text = "\n".join(f"{name}: {label}" for name, label in scopes.items())
        for client in self:
            client.scope_help = text

    def _compute_active_token_count(self):
        now = fields.Datetime.now()
        groups = self.env["oauth.token"]._read_group(
            [
                ("client_id", "in", self.ids),
                ("revoked", "=", False),
                "|",
                ("access_expires_at", ">", now),
                ("refresh_expires_at", ">", now),
            ],
            ["client_id"],
            ["__count"],
        )
        counts = {client.id: count for client, count in groups}
        for client in self:
            client.active_token_count = counts.get(client.id, 0)

    # --------------------------------------------------------- constraints
    @api.constrains("redirect_uris")
    def _check_redirect_uris(self):
        for client in self:
            for uri in lib.parse_redirect_uris(client.redirect_uris):
                problem = lib.redirect_uri_problem(uri)
                if problem:
                    raise ValidationError(
                        self.env._("Redirect URI %(uri)s %(problem)s.", uri=uri, problem=problem)
                    )

    @api.constrains("scope")
    def _check_scope(self):
        known = self.env["api.resource"]._api_scopes()
        for client in self:
            unknown = [s for s in lib.parse_scopes(client.scope) if s not in known]
            if unknown:
                raise ValidationError(
                    self.env._(
                        "Unknown scopes: %(scopes)s. Available: %(known)s",
                        scopes=", ".join(unknown),
                        known=", ".join(known),
                    )
                )

    @api.constrains("client_type", "allow_client_credentials", "user_id")
    def _check_client_credentials(self):
        for client in self:
            if not client.allow_client_credentials:
                continue
            if client.client_type != "confidential":
                raise ValidationError(
                    self.env._("Only a confidential client can use client credentials.")
                )
            if not client.user_id:
                raise ValidationError(
                    self.env._("Choose the Odoo user a client-credentials client acts as.")
                )

    # ------------------------------------------------------------- helpers
    def _oauth_grant_types(self):
        self.ensure_one()
        return [g for g in GRANT_TYPES if self[f"allow_{g}"]]

    def _oauth_scopes(self):
        self.ensure_one()
        return lib.parse_scopes(self.scope)

    def _oauth_redirect_uris(self):
        self.ensure_one()
        return lib.parse_redirect_uris(self.redirect_uris)

    def _oauth_check_secret(self, secret):
        """Whether `secret` is this confidential client's secret."""
        self.ensure_one()
        if self.client_type != "confidential":
            return False
        # sudo: comparing against the stored hash is the point of the check
        return lib.secret_matches(secret, self.sudo().client_secret_hash)

    @api.model
    def _oauth_find(self, identifier):
        """The active client with this client id (an empty recordset if none)."""
        if not identifier or len(identifier) > 128:
            return self.browse()
        return self.search([("identifier", "=", identifier)], limit=1)

    # ------------------------------------------------------------- actions
    def action_generate_secret(self):
        """Set a new client secret and show it once. The old one stops working."""
        self.ensure_one()
        if self.client_type != "confidential":
            raise UserError(self.env._("A public client has no secret; it uses PKCE."))
        secret = lib.new_secret(lib.CLIENT_SECRET_PREFIX)
        self.sudo().client_secret_hash = lib.hash_secret(secret)  # sudo: admin-only field
        return self.env["oauth.client.secret"]._oauth_action_show(self, secret)

    def action_revoke_tokens(self):
        """Revoke every token of these clients (the clients stay usable)."""
        tokens = self.env["oauth.token"].search(
            [("client_id", "in", self.ids), ("revoked", "=", False)]
        )
        tokens._oauth_revoke()
        return True

    def action_view_tokens(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "my_oauth_provider.oauth_token_action"
        )
        action["domain"] = [("client_id", "=", self.id)]
        action["context"] = {"search_default_filter_usable": 1}
        return action
