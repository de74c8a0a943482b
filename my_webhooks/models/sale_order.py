from odoo import api, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model
    def _webhook_stripe_payment_intent(self, payload, event):
        """Example handler of Stripe events (a "Model method" handler).

        `payment_intent.succeeded` whose payment intent carries
        `metadata.odoo_order` (the order's reference, e.g. S00042) confirms
        that order if it is still a quotation and logs the amount on its
        chatter. Other event types are ignored. An unknown order raises, so
        the event is failed and retried (the order may not be synced yet).
        """
        if payload.get("type") != "payment_intent.succeeded":
            return False
        data = payload.get("data") or {}
        intent = data.get("object") or data  # Stripe nests it in data.object
        reference = (intent.get("metadata") or {}).get("odoo_order")
        if not reference:
            return False
        order = self.search([("name", "=", reference)], limit=1)
        if not order:
            raise ValueError(f"no sale order {reference!r} for Stripe event {event.event_id}")
        currency = (intent.get("currency") or order.currency_id.name or "").upper()
        amount = (intent.get("amount_received") or intent.get("amount") or 0) / 100.0
        if order.state in ("draft", "sent"):
            order.action_confirm()
        order.message_post(
            body=self.env._(
                "Stripe payment %(intent)s succeeded: %(amount).2f %(currency)s.",
                intent=intent.get("id") or "",
                amount=amount,
                currency=currency,
            )
        )
        return True
