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

        The payment must be the order's: a received amount (in the
        currency's minor units, as Stripe sends it) and a currency other
        than the order's total and currency raise, so the order stays a
        quotation and the event is failed with the difference for someone
        to look at (a retry confirms it once the order matches). Without
        that check, any small payment whose metadata names a large order,
        made by mistake or on purpose, would confirm it.
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
        currency = order.currency_id
        sent_currency = str(intent.get("currency") or "").upper()
        received = intent.get("amount_received", intent.get("amount"))
        expected = round(currency.round(order.amount_total) * 10**currency.decimal_places)
        if (
            sent_currency != currency.name.upper()
            or not isinstance(received, int)
            or isinstance(received, bool)
            or received != expected
        ):
            raise ValueError(
                f"Stripe payment {intent.get('id') or ''} of {received!r} {sent_currency} "
                f"(minor units) does not match order {order.name}: {expected} {currency.name}; "
                "the order is not confirmed"
            )
        if order.state in ("draft", "sent"):
            order.action_confirm()
        order.message_post(
            body=self.env._(
                "Stripe payment %(intent)s succeeded: %(amount)s %(currency)s.",
                intent=intent.get("id") or "",
                amount=f"{received / 10**currency.decimal_places:.{currency.decimal_places}f}",
                currency=currency.name,
            )
        )
        return True
