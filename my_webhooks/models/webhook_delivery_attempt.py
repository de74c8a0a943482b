from odoo import fields, models


class WebhookDeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery: when, how long, what came back."""

    _name = "webhook.delivery.attempt"
    _description = "Webhook Delivery Attempt"
    _order = "delivery_id, attempt_no"

    delivery_id = fields.Many2one(
        "webhook.delivery", required=True, ondelete="cascade", index=True, readonly=True
    )
    attempt_no = fields.Integer("Attempt", readonly=True)
    # indexed for the endpoints' health figures, which read the last 24 h of
    # attempts (the worker inserts the rows; the outbox never does)
    date = fields.Datetime(readonly=True, index=True)
    duration_ms = fields.Integer("Duration (ms)", readonly=True)
    status_code = fields.Integer("Status", readonly=True, help="0: no HTTP answer")
    error = fields.Text(readonly=True)
    response_excerpt = fields.Text(readonly=True)
