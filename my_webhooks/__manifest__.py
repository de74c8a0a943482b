{
    "name": "Signed Webhooks",
    "summary": "Signed, durable, retried outbound webhooks from a transactional outbox, "
    "and verified, idempotent inbound webhooks",
    "version": "19.0.1.1.0",
    "category": "Integrations",
    "license": "LGPL-3",
    "author": "Integration Suite Contributors",
    "website": "https://integration-suite.example.org",
    "depends": ["my_api", "base_automation"],
    "data": [
        "security/webhook_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/webhook_event_data.xml",
        "views/webhook_endpoint_views.xml",
        "views/webhook_delivery_views.xml",
        "views/ir_actions_server_views.xml",
        "views/webhook_source_views.xml",
        "views/webhook_event_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "my_webhooks/static/tests/tours/**/*",
        ],
    },
    "demo": [
        "demo/webhook_source_demo.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
