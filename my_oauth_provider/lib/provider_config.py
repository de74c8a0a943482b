"""OAuth login providers from configuration.

Sources, the environment winning over the configuration file:

- odoo.conf options `oauth_<name>_client_id`, `oauth_<name>_<setting>`;
- environment variables `ODOO_OAUTH_<NAME>_CLIENT_ID`, `ODOO_OAUTH_<NAME>_<SETTING>`.

Names: `google`, `microsoft` (setting `tenant`, default `common`) and
`oidc` (settings `issuer`, `auth_endpoint`, `userinfo_endpoint`, `label`).
`provider_values` returns the auth.oauth.provider values each source
configures; a provider without a client id is disabled.
"""

SETTINGS = ("client_id", "tenant", "issuer", "auth_endpoint", "userinfo_endpoint", "label")
NAMES = ("google", "microsoft", "oidc")

MICROSOFT_AUTHORIZE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
MICROSOFT_USERINFO = "https://graph.microsoft.com/oidc/userinfo"


def read_settings(options, environ):
    """{name: {setting: value}} from odoo.conf options and the environment."""
    result = {}
    for name in NAMES:
        settings = {}
        for setting in SETTINGS:
            value = options.get(f"oauth_{name}_{setting}")
            env_value = environ.get(f"ODOO_OAUTH_{name.upper()}_{setting.upper()}")
            if env_value is not None:
                value = env_value
            if value not in (None, "", False):
                settings[setting] = str(value).strip()
        result[name] = settings
    return result


def provider_values(name, settings):
    """The configured auth.oauth.provider values of one provider."""
    client_id = settings.get("client_id", "")
    values = {"client_id": client_id, "enabled": bool(client_id)}
    if name == "microsoft":
        tenant = settings.get("tenant", "common")
        values.update(
            {
                "name": "Microsoft Entra ID",
                "auth_endpoint": MICROSOFT_AUTHORIZE.format(tenant=tenant),
                "scope": "openid email profile",
                "validation_endpoint": MICROSOFT_USERINFO,
                "data_endpoint": MICROSOFT_USERINFO,
                "css_class": "fa fa-fw fa-windows",
                "body": "Log in with Microsoft",
            }
        )
    elif name == "oidc":
        values.update(
            {
                "name": settings.get("label", "OpenID Connect"),
                "body": f"Log in with {settings.get('label', 'OpenID Connect')}",
                "scope": "openid email profile",
            }
        )
        if settings.get("issuer"):
            values["my_issuer_url"] = settings["issuer"].rstrip("/")
        if settings.get("auth_endpoint"):
            values["auth_endpoint"] = settings["auth_endpoint"]
        if settings.get("userinfo_endpoint"):
            values["validation_endpoint"] = settings["userinfo_endpoint"]
            values["data_endpoint"] = settings["userinfo_endpoint"]
    return values


def changed_values(configured, last_applied, current):
    """What to write: the configured values that changed since last applied.

    A value an administrator edited by hand stays, unless the configuration
    itself changed that value since the last run. On the first run (nothing
    applied yet) everything configured that differs from the record is
    written.
    """
    changes = {}
    for field, value in configured.items():
        if last_applied is not None and field in last_applied and last_applied[field] == value:
            continue  # configuration unchanged: keep whatever the record holds
        if current.get(field) != value:
            changes[field] = value
    return changes
