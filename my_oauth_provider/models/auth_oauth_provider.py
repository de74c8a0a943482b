"""Login providers seeded from configuration, and OIDC discovery."""

import json
import logging
import os

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..lib.provider_config import changed_values, provider_values, read_settings

_logger = logging.getLogger(__name__)

DISCOVERY_TIMEOUT = 10  # seconds
# configuration name -> xml id of the record it seeds (Google's comes with auth_oauth)
SEEDED = {
    "google": "auth_oauth.provider_google",
    "microsoft": "my_oauth_provider.provider_microsoft",
    "oidc": "my_oauth_provider.provider_oidc",
}


class AuthOauthProvider(models.Model):
    _inherit = "auth.oauth.provider"

    # Fields added to Odoo's own models keep the my_ prefix: no future Odoo
    # field can take their column, and integrations read them by name.
    my_issuer_url = fields.Char(
        "OIDC Issuer URL",
        help="e.g. https://accounts.example.com; Discover reads its "
        "/.well-known/openid-configuration to fill the endpoints.",
    )
    my_applied_config = fields.Text(
        "Applied configuration",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The values odoo.conf / the environment gave this provider at the last "
        "install or upgrade: a value edited by hand is kept unless the configuration "
        "changes it.",
    )

    @api.model
    def _seed_from_config(self):
        """Create or update the seeded providers (install and every upgrade)."""
        settings = read_settings(config, os.environ)
        for name, xmlid in SEEDED.items():
            provider = self.env.ref(xmlid, raise_if_not_found=False)
            if provider is None:
                continue
            configured = provider_values(name, settings[name])
            if name == "google":
                configured = {k: configured[k] for k in ("client_id", "enabled")}
            last = json.loads(provider.my_applied_config) if provider.my_applied_config else None
            current = provider.read(list(configured))[0]
            changes = changed_values(configured, last, current)
            if changes:
                provider.write(changes)
                _logger.info(
                    "OAuth provider %s updated from configuration: %s", name, sorted(changes)
                )
            if last != configured:
                provider.my_applied_config = json.dumps(configured, sort_keys=True)

    def action_discover_endpoints(self):
        """Fill the endpoints from the issuer's OpenID configuration."""
        for provider in self:
            if not provider.my_issuer_url:
                raise UserError(self.env._("Set the OIDC issuer URL first."))
            url = provider.my_issuer_url.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = requests.get(url, timeout=DISCOVERY_TIMEOUT, allow_redirects=False)
                response.raise_for_status()
                document = response.json()
            except ValueError:  # before RequestException: requests' JSON error is both
                raise UserError(
                    self.env._("%(url)s did not answer an OpenID configuration (JSON).", url=url)
                ) from None
            except requests.RequestException as exc:
                raise UserError(
                    self.env._("Could not read %(url)s: %(error)s", url=url, error=exc)
                ) from None
            if not isinstance(document, dict):
                document = {}
            missing = [
                key
                for key in ("authorization_endpoint", "userinfo_endpoint")
                if not document.get(key)
            ]
            if missing:
                raise UserError(
                    self.env._(
                        "%(url)s is not a valid OpenID configuration: missing %(keys)s.",
                        url=url,
                        keys=", ".join(missing),
                    )
                )
            provider.write(
                {
                    "auth_endpoint": document["authorization_endpoint"],
                    "validation_endpoint": document["userinfo_endpoint"],
                    "data_endpoint": document["userinfo_endpoint"],
                }
            )
        return True
