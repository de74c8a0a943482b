{
    "name": "OAuth Provider and API Key Lifecycle",
    "summary": "Seeded OAuth login providers, managed API keys (mint, rotate, remind, "
    "revoke) and an OAuth2 authorization server for /api/v1",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tools",
    "license": "LGPL-3",
    "author": "Integration Suite Contributors",
    "depends": ["my_api", "auth_oauth", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "data/auth_oauth_provider_data.xml",
        "data/ir_cron.xml",
        "views/res_users_apikeys_views.xml",
        "views/menus.xml",
    ],
    "installable": True,
    "application": False,
}
