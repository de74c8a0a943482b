{
    "name": "Integrations",
    "summary": "The integration suite in one app: REST API, signed webhooks, API keys and "
    "OAuth2, with a first-steps screen and a dashboard of their health",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "license": "LGPL-3",
    "author": "Integration Suite Contributors",
    "website": "https://integration-suite.example.org",
    "depends": ["my_api", "my_webhooks", "my_oauth_provider", "board"],
    "data": [
        "security/ir.model.access.csv",
        "views/integration_onboarding_views.xml",
        "views/dashboard_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "my_integrations/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
