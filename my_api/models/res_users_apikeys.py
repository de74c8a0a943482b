"""Restrictions an API key may carry on /api/v1, in Odoo's own key table.

Odoo's keys have one `scope` text, which Odoo matches exactly: JSON-2 and
RPC accept only unscoped keys and `rpc` ones. A key restricted here
(`my_api_scopes`, `my_read_only`, `my_allowed_networks`) must therefore
be scoped `api`, the REST API only: a restriction /api/v1 enforces would
mean nothing on an RPC route that knows nothing of it (see
`_check_restrictions`). An unrestricted key (every column NULL) keeps
today's behaviour, an unscoped key from Preferences included.

res.users.apikeys has a hand-made table: the columns are added in `init`,
as my_oauth_provider adds its own. The restrictions are read with the key
by ir.http._api_verify_apikey and cached with it; a change clears this
worker's cache of the key (other workers within the cache TTL).
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import column_exists, create_column

from ..lib.networks import NetworkError, format_networks, parse_networks
from .ir_http import clear_apikey_cache

RESTRICTED_KEY_SCOPE = "api"
RESTRICTION_COLUMNS = {
    "my_api_scopes": ("varchar", "Space-separated /api/v1 scopes; NULL: every scope"),
    "my_read_only": ("boolean", "Only GET and HEAD on /api/v1"),
    "my_allowed_networks": ("varchar", "CIDR blocks the key may be used from; NULL: any"),
}


def parse_scopes(text):
    """The scopes of a space-separated text, in order, without duplicates."""
    return list(dict.fromkeys((text or "").split()))


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    my_api_scopes = fields.Char(
        "API Scopes",
        readonly=True,
        help="The /api/v1 scopes of this key, as for OAuth2 clients (e.g. orders:read "
        "partners:write). Empty: every scope its user's rights allow.",
    )
    my_read_only = fields.Boolean(
        "Read-only", readonly=True, help="Only reads (GET, HEAD) on /api/v1."
    )
    my_allowed_networks = fields.Char(
        "Allowed Addresses",
        readonly=True,
        help="Client address ranges (CIDR) the key works from. Empty: any address.",
    )

    my_rate_limit = fields.Integer(
        "Requests per Minute",
        compute="_compute_my_rate_limit",
        help="The key's own rate limit (an API rate limit rule of the key); 0: its user's.",
    )

    def _compute_my_rate_limit(self):
        # sudo: rate limit rules are configuration, shown beside the key
        rules = self.env["api.rate.limit"].sudo().search([("apikey_id", "in", self.ids)])
        per_minute = {rule.apikey_id.id: rule.limit * 60 // rule.window for rule in rules}
        for key in self:
            key.my_rate_limit = per_minute.get(key.id, 0)

    def init(self):
        super().init()
        for name, (column_type, comment) in RESTRICTION_COLUMNS.items():
            if not column_exists(self.env.cr, self._table, name):
                create_column(self.env.cr, self._table, name, column_type, comment)

    @api.model
    def _check_restrictions(self, scope, restrictions):
        """Validate the restrictions of a key to mint with Odoo `scope`;
        return them as column values ({} for none). Raises ValidationError
        with what is wrong: an unknown scope, a garbled address range, a
        restricted key that RPC would accept."""
        restrictions = restrictions or {}
        values = {}
        scopes = parse_scopes(restrictions.get("api_scopes"))
        if scopes:
            known = self.env["api.resource"]._api_scopes()
            unknown = [name for name in scopes if name not in known]
            if unknown:
                raise ValidationError(
                    self.env._(
                        "Unknown scopes: %(scopes)s. Available: %(known)s",
                        scopes=", ".join(unknown),
                        known=", ".join(sorted(known)),
                    )
                )
            values["my_api_scopes"] = " ".join(scopes)
        if restrictions.get("read_only"):
            values["my_read_only"] = True
        try:
            networks = parse_networks(restrictions.get("allowed_networks"))
        except NetworkError as exc:
            raise ValidationError(
                self.env._("Allowed addresses: %(error)s", error=str(exc))
            ) from None
        if networks:
            values["my_allowed_networks"] = format_networks(networks)
        if values and scope != RESTRICTED_KEY_SCOPE:
            raise ValidationError(
                self.env._(
                    "A key with scopes, read-only or address ranges works on the REST API "
                    "only (/api/v1), which enforces them: choose the REST API scope."
                )
            )
        return values

    def _restriction_values(self):
        """This key's restrictions as column values (None where unset), to
        carry to its successor when it rotates."""
        self.ensure_one()
        return {
            "my_api_scopes": self.my_api_scopes or None,
            "my_read_only": self.my_read_only or None,
            "my_allowed_networks": self.my_allowed_networks or None,
        }

    def write(self, vals):
        # the restrictions are cached with the key: this worker forgets it now
        result = super().write(vals)
        clear_apikey_cache(self.ids)
        return result

    def _remove(self):
        # A key removed in this worker stops working here at once; other
        # workers forget it when their cache entry expires (see ir_http).
        key_ids = self.ids
        result = super()._remove()
        clear_apikey_cache(key_ids)
        return result
