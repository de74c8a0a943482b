from odoo import models


class IrActionsServer(models.Model):
    """Give server actions run by an inbound webhook their payload.

    Odoo's "On webhook" automation rules read `payload` from the HTTP request
    that triggered them; inbound events are processed after the answer, by a
    cron, where there is no request. The event being handled travels in the
    context (`webhook_event_id`) and its verified JSON body becomes `payload`
    (and the event itself `webhook_event`) in the evaluation context, so that
    the same code works behind verification.
    """

    _inherit = "ir.actions.server"

    def _get_eval_context(self, action=None):
        eval_context = super()._get_eval_context(action)
        event_id = self.env.context.get("webhook_event_id")
        if event_id:
            event = self.env["webhook.event"].sudo().browse(event_id)  # the handler's own event
            eval_context["payload"] = event._payload()
            eval_context["webhook_event"] = event
        return eval_context
