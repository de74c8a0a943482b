# Fed to `odoo shell` by scripts/test.sh, on a database with only base:
# installs the Integrations app the way the Apps page's Activate button
# does, then checks that its menu opens on the first-steps screen (nothing
# is configured yet). `env` is provided by the shell.
# ruff: noqa: F821
import time

Module = env["ir.module.module"]
Module.update_list()
app = Module.search([("name", "=", "my_integrations"), ("application", "=", True)])
assert app, "the Integrations app is not listed under the Apps filter"
started = time.monotonic()
app.button_immediate_install()
print(f"installed in {time.monotonic() - started:.0f} s")
env.invalidate_all()
suite = env["ir.module.module"].search(
    [("name", "in", ["my_api", "my_webhooks", "my_oauth_provider", "my_integrations"])]
)
assert set(suite.mapped("state")) == {"installed"}, suite.mapped(lambda m: (m.name, m.state))
home = env.ref("my_integrations.integration_home_action").run()
assert home["res_model"] == "integration.onboarding", home
assert env.ref("my_integrations.integration_menu_root").web_icon
print("APPS INSTALL OK")
