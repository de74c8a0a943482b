from odoo import api, fields, models

from ..lib import events, subscription

# context key of the delivery worker's writes: they enqueue nothing
NO_ENQUEUE = "webhook_no_enqueue"


class IrActionsServer(models.Model):
    """Server actions and webhooks, both ways.

    Outbound: a server action type "Send signed webhook": any automation rule
    (or a manual run) can write an event for a webhook endpoint to the outbox.

    Inbound: Odoo's "On webhook" automation rules read `payload` from the HTTP
    request that triggered them; inbound events are processed after the
    answer, by a cron, where there is no request. The event being handled
    travels in the context (`webhook_event_id`) and its verified JSON body
    becomes `payload` (and the event itself `webhook_event`) in the
    evaluation context, so that the same code works behind verification.
    """

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[
            ("webhook_signed", "Send signed webhook"),
            ("webhook_event", "Send business event"),
        ],
        ondelete={"webhook_signed": "cascade", "webhook_event": "cascade"},
    )
    webhook_endpoint_id = fields.Many2one(
        "webhook.endpoint",
        "Webhook endpoint",
        ondelete="cascade",
        index="btree_not_null",
        help="Receives a signed event for each record the action runs on.",
    )
    webhook_event_type = fields.Char(
        "Business event",
        readonly=True,
        help="The event type (GET /api/v1/event-types) sent, for each record the action "
        "runs on, to every active endpoint subscribed to it. The suite keeps one such "
        "rule per event type some endpoint subscribes to.",
    )

    @api.model
    def _warning_depends(self):
        return [*super()._warning_depends(), "webhook_endpoint_id"]

    def _get_warning_messages(self):
        warnings = super()._get_warning_messages()
        if self.state == "webhook_signed":
            if not self.webhook_endpoint_id:
                warnings.append(self.env._("Choose the webhook endpoint to send to."))
            elif self.webhook_endpoint_id.model_id != self.model_id:
                warnings.append(
                    self.env._(
                        "Webhook endpoint %(endpoint)s sends records of %(model)s.",
                        endpoint=self.webhook_endpoint_id.name,
                        model=self.webhook_endpoint_id.model_id.model,
                    )
                )
        return warnings

    def run(self):
        """Inside an automation rule's processing, only collect the records:
        the rule enqueues them in one batch afterwards (see
        base.automation._process), instead of one run per record."""
        batch = self.env.context.get("webhook_outbox_batch")
        if batch is None or not self.env.context.get("active_model"):
            return super().run()
        collected = self.filtered(
            lambda action: action.state in ("webhook_signed", "webhook_event")
        )
        active_ids = self.env.context.get("active_ids") or [self.env.context.get("active_id")]
        for action in collected:
            batch.setdefault(action.id, []).extend(i for i in active_ids if i)
        rest = self - collected
        return super(IrActionsServer, rest).run() if rest else False

    def _run_action_webhook_signed_multi(self, eval_context=None):
        if self.env.context.get("onchange_self"):
            return False  # a form being edited: nothing is saved, nothing to announce
        records = eval_context.get("records") or eval_context.get("record")
        if records:
            self._webhook_enqueue(records, self.env.context.get("webhook_event") or "action")
        return False

    def _run_action_webhook_event_multi(self, eval_context=None):
        if self.env.context.get("onchange_self"):
            return False
        records = eval_context.get("records") or eval_context.get("record")
        if records:
            self._webhook_enqueue(records, None)
        return False

    def _webhook_enqueue(self, records, event):
        """Write the outbox rows of this action's endpoint for `records`.

        Nothing is written for what the delivery worker changes (it runs
        with `webhook_no_enqueue`: its attempts, the endpoint's status, the
        chatter message of a disabled endpoint) nor for the suite's own
        records, whatever rule fired: a delivery must never cause another
        delivery, for ever.
        """
        self.ensure_one()
        if self.state == "webhook_event":
            if self.env.context.get(NO_ENQUEUE) or subscription.matches(
                records._name, subscription.OWN_MODELS
            ):
                return self.env["webhook.delivery"]
            # sudo: the subscribed endpoints, whoever changed the records
            event_type = self.sudo().webhook_event_type
            Endpoint = self.env["webhook.endpoint"]
            event = events.EVENT_TYPES.get(event_type)
            if event and event.trigger == "on_unlink":
                # the record is gone at commit: rendered now
                return Endpoint._enqueue_event(event_type, records)
            Endpoint._defer_event(event_type, records)
            return self.env["webhook.delivery"]
        endpoint = self.sudo().webhook_endpoint_id
        if (
            not endpoint.active
            or not records
            or self.env.context.get(NO_ENQUEUE)
            or subscription.matches(records._name, subscription.OWN_MODELS)
        ):
            return self.env["webhook.delivery"]
        # sudo: the endpoint is read whatever the user who changed the records
        # may do; the records are read with its owner's rights (_reader)
        return endpoint._enqueue(records, event)

    def _get_eval_context(self, action=None):
        eval_context = super()._get_eval_context(action)
        event_id = self.env.context.get("webhook_event_id")
        if event_id:
            event = self.env["webhook.event"].sudo().browse(event_id)  # the handler's own event
            eval_context["payload"] = event._payload()
            eval_context["webhook_event"] = event
        return eval_context
