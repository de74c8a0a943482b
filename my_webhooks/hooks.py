def uninstall_hook(env):
    """Delete the endpoints, and with them the automation rules they own:
    those rules are runtime records no module data removes, and would stay
    behind without their webhook action."""
    # sudo: uninstalling is an administrator's act on the whole database
    env["webhook.endpoint"].sudo().with_context(active_test=False).search([]).unlink()
