from odoo import api, fields, models

# the first steps, in order: (field saying it is done, what counts it)
STEPS = ("integration_user_count", "apikey_count", "endpoint_count")


class IntegrationOnboarding(models.TransientModel):
    """The first screen of the Integrations app: what to do first, and
    whether it is done.

    A freshly installed suite has nothing to list: an empty list of
    endpoints tells a new administrator nothing. This screen says what
    connects another system to this database (an integration user, an API
    key for it, an endpoint for Odoo's events) and opens each step's form.
    Once every step is done, the app opens on its dashboard instead
    (`_home_action`).

    A transient record: it holds nothing but counts of what exists, read
    as the administrator who looks (their rights decide what is counted).
    """

    _name = "integration.onboarding"
    _description = "Integrations: First Steps"

    integration_user_count = fields.Integer("Integration Users", compute="_compute_counts")
    apikey_count = fields.Integer("API Keys of Integration Users", compute="_compute_counts")
    endpoint_count = fields.Integer("Webhook Endpoints", compute="_compute_counts")
    oauth_client_count = fields.Integer("OAuth2 Clients", compute="_compute_counts")
    step_user_done = fields.Boolean(compute="_compute_counts")
    step_key_done = fields.Boolean(compute="_compute_counts")
    step_endpoint_done = fields.Boolean(compute="_compute_counts")
    all_done = fields.Boolean(compute="_compute_counts")

    @api.model
    def _counts(self):
        """{count field: value}, as the current user sees them."""
        integration_users = [("my_is_integration", "=", True)]
        return {
            "integration_user_count": self.env["res.users"].search_count(integration_users),
            "apikey_count": self.env["res.users.apikeys"].search_count(
                [("user_id.my_is_integration", "=", True)]
            ),
            "endpoint_count": self.env["webhook.endpoint"].search_count([]),
            "oauth_client_count": self.env["oauth.client"].search_count([]),
        }

    def _compute_counts(self):
        counts = self._counts()
        for record in self:
            record.update(counts)
            record.step_user_done = bool(counts["integration_user_count"])
            record.step_key_done = bool(counts["apikey_count"])
            record.step_endpoint_done = bool(counts["endpoint_count"])
            record.all_done = all(counts[step] for step in STEPS)

    # -------------------------------------------------------------- home
    @api.model
    def _home_action(self):
        """What the Integrations menu opens: the first steps while one is
        left, then the dashboard."""
        if all(self._counts()[step] for step in STEPS):
            return self.env["ir.actions.act_window"]._for_xml_id(
                "my_integrations.integration_dashboard_action"
            )
        return self.action_open_onboarding()

    @api.model
    def action_open_onboarding(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "my_integrations.integration_onboarding_action"
        )
        action["res_id"] = self.create({}).id
        return action

    # ------------------------------------------------------------- steps
    def _open(self, xml_id, **overrides):
        action = self.env["ir.actions.act_window"]._for_xml_id(xml_id)
        action.update(overrides)
        return action

    def action_create_integration_user(self):
        return self._open("my_oauth_provider.integration_user_wizard_action")

    def action_mint_key(self):
        return self._open("my_oauth_provider.apikey_mint_wizard_action")

    def action_add_endpoint(self):
        return self._open(
            "my_webhooks.webhook_endpoint_action", views=[(False, "form")], view_mode="form"
        )

    def action_register_client(self):
        return self._open(
            "my_oauth_provider.oauth_client_action", views=[(False, "form")], view_mode="form"
        )

    def action_open_dashboard(self):
        return self._open("my_integrations.integration_dashboard_action")
