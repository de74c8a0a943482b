from odoo import api, fields, models
from odoo.tools import SQL


class ApiKeyUsage(models.Model):
    """When each Odoo API key was last used on /api/v1.

    Written by ir.http at most once a minute per key, in a transaction of its
    own (my_api.core.side_execute), so that a read-only request stays
    read-only and the record survives a failed request. res.users.apikeys
    has a hand-made table that the ORM cannot extend, hence this side table
    keyed by the key's id.
    """

    _name = "api.key.usage"
    _description = "API Key Last Use"
    _log_access = False

    key_id = fields.Integer(required=True, readonly=True, index=True)
    last_used_at = fields.Datetime(required=True, readonly=True)
    last_ip = fields.Char("Last IP Address", readonly=True)

    _key_unique = models.Constraint("UNIQUE(key_id)", "One usage row per API key.")

    @api.model
    def _touch_query(self, key_id, ip):
        """Record a use of the key, at most once a minute (database-wide)."""
        return SQL(
            """
                INSERT INTO api_key_usage (key_id, last_used_at, last_ip)
                VALUES (%s, now() at time zone 'utc', %s)
                ON CONFLICT (key_id) DO UPDATE
                   SET last_used_at = EXCLUDED.last_used_at, last_ip = EXCLUDED.last_ip
                 WHERE api_key_usage.last_used_at < EXCLUDED.last_used_at - interval '1 minute'
                """,
            key_id,
            ip,
        )
