# Fed to `odoo shell` by scripts/test.sh: uninstalls the suite's addons and
# checks that they left no model behind. `env` is provided by the shell.
names = ["my_integrations", "my_oauth_provider", "my_webhooks", "my_api"]
modules = env["ir.module.module"].search([("name", "in", names)])  # noqa: F821
assert len(modules) == len(names), modules.mapped("name")
modules.button_immediate_uninstall()
env.invalidate_all()  # noqa: F821
states = set(modules.mapped("state"))
assert states == {"uninstalled"}, states
leftovers = env["ir.model.data"].search_count([("module", "in", names)])  # noqa: F821
assert leftovers == 0, f"{leftovers} records of the suite's addons remain"
# nor a table, function or sequence of their own (api.change.log's companions)
env.cr.execute(  # noqa: F821
    "SELECT count(*) FROM pg_class WHERE relname LIKE 'api\\_change\\_log%%'"
    " UNION ALL SELECT count(*) FROM pg_proc WHERE proname = 'api_change_log_number'"
)
objects = [row[0] for row in env.cr.fetchall()]  # noqa: F821
assert objects == [0, 0], f"database objects of the suite remain: {objects}"
print("UNINSTALL OK")
