from conftest import load_lib

config = load_lib("my_oauth_provider", "provider_config")


def test_environment_wins_over_odoo_conf():
    settings = config.read_settings(
        {"oauth_google_client_id": "from-conf", "oauth_microsoft_tenant": "contoso"},
        {"ODOO_OAUTH_GOOGLE_CLIENT_ID": "from-env"},
    )
    assert settings["google"] == {"client_id": "from-env"}
    assert settings["microsoft"] == {"tenant": "contoso"}
    assert settings["oidc"] == {}


def test_microsoft_is_tenant_aware_and_disabled_without_client_id():
    values = config.provider_values("microsoft", {"tenant": "contoso.onmicrosoft.com"})
    assert values["auth_endpoint"] == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    )
    assert values["scope"] == "openid email profile"
    assert values["data_endpoint"] == "https://graph.microsoft.com/oidc/userinfo"
    assert values["enabled"] is False
    assert config.provider_values("microsoft", {"client_id": "abc"})["enabled"] is True
    assert "/common/" in config.provider_values("microsoft", {})["auth_endpoint"]


def test_generic_oidc():
    values = config.provider_values(
        "oidc",
        {
            "client_id": "x",
            "issuer": "https://id.example.com/",
            "label": "Example ID",
            "userinfo_endpoint": "https://id.example.com/userinfo",
        },
    )
    assert values["my_issuer_url"] == "https://id.example.com"
    assert values["body"] == "Log in with Example ID"
    assert (
        values["validation_endpoint"]
        == values["data_endpoint"]
        == "https://id.example.com/userinfo"
    )


def test_changed_values_preserves_manual_edits():
    configured = {"client_id": "abc", "enabled": True}
    # first run: write what differs
    assert config.changed_values(configured, None, {"client_id": False}) == configured
    # second run, nothing changed anywhere: nothing to write
    assert config.changed_values(configured, configured, configured) == {}
    # an administrator disabled it by hand, configuration unchanged: keep it
    assert (
        config.changed_values(configured, configured, {"client_id": "abc", "enabled": False}) == {}
    )
    # the configuration changed the client id: that value is written, the edit stays
    new = {"client_id": "xyz", "enabled": True}
    assert config.changed_values(new, configured, {"client_id": "abc", "enabled": False}) == {
        "client_id": "xyz"
    }
