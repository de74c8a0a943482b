{
    "name": "OAuth Provider and API Key Lifecycle",
    "summary": "Seeded OAuth login providers, managed API keys (mint, rotate, remind, "
    "revoke) and an OAuth2 authorization server for /api/v1",
    "version": "19.0.1.1.0",
    "category": "Hidden/Tools",
    "license": "LGPL-3",
    "author": "Integration Suite Contributors",
    "depends": ["my_api", "auth_oauth", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "data/auth_oauth_provider_data.xml",
        "data/ir_cron.xml",
        "views/res_users_apikeys_views.xml",
        "views/res_config_settings_views.xml",
        "views/oauth_client_views.xml",
        "views/oauth_token_views.xml",
        "views/oauth2_templates.xml",
        "views/menus.xml",
    ],
    "external_dependencies": {"python": ["oauthlib"]},
    "installable": True,
    "application": False,
}
