from odoo import models


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    def _webhook_event(self):
        """The event name of what fired this rule: create, write or unlink."""
        if self.trigger == "on_unlink":
            return "unlink"
        context = self.env.context
        if "old_values" in context and context["old_values"] is None:
            return "create"  # base.automation's create hook sets old_values=None
        return "write"

    def _process(self, records, domain_post=None):
        """Enqueue the webhooks of this rule's records in one batch.

        base.automation runs each action once per record; our "Send signed
        webhook" actions only collect the record ids while it does (see
        ir.actions.server.run), and the outbox rows of all records are then
        built with one read and written with one create.
        """
        batch = {}
        res = super(BaseAutomation, self.with_context(webhook_outbox_batch=batch))._process(
            records, domain_post=domain_post
        )
        if batch:
            event = self._webhook_event()
            Actions = self.env["ir.actions.server"].sudo()
            for action_id, ids in batch.items():
                targets = records.browse(list(dict.fromkeys(ids)))
                Actions.browse(action_id)._webhook_enqueue(targets, event)
        return res
