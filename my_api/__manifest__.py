{
    "name": "REST API v1",
    "summary": "Versioned REST API under /api/v1: orders, partners, products, stock, "
    "invoices, with API keys, pagination, idempotency and OpenAPI",
    "version": "19.0.1.1.0",
    "category": "Integrations",
    "license": "LGPL-3",
    "author": "Integration Suite Contributors",
    "website": "https://integration-suite.example.org",
    "depends": ["sale_management", "stock"],
    "data": [
        "security/ir.model.access.csv",
        "views/api_request_log_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
        "views/api_request_stats_views.xml",
    ],
    "installable": True,
    "uninstall_hook": "uninstall_hook",
    "application": False,
}
