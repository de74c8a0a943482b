from odoo import api, models

from ..core import to_json_value


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _api_me(self, credential):
        """The body of GET /api/v1/me for the authenticated user."""
        user = self.env.user
        return {
            "id": user.id,
            "login": user.login,
            "name": user.name,
            "email": user.email or None,
            # the request's current company (the first of X-Odoo-Company, else
            # the user's), and every company the user may select
            "company": {"id": self.env.company.id, "name": self.env.company.sudo().name},
            "companies": [
                {"id": company.id, "name": company.name}
                for company in user.company_ids.sorted("id")
            ],
            "timezone": self.env["api.resource"]._api_timezone(),
            # the request's (lang=, Accept-Language, else the user's): names and labels
            "language": self.env.lang,
            "auth_method": credential.method,
            "scopes": sorted(credential.scopes) if credential.scopes is not None else None,
            "key_expires_at": to_json_value(credential.expires_at)
            if credential.expires_at
            else None,
            "client_id": credential.client_id,
            # an API key's restrictions besides its scopes (none for the others)
            "read_only": bool(credential.extra.get("read_only")),
            "allowed_networks": [str(net) for net in credential.extra.get("networks") or ()]
            or None,
        }
