from odoo import fields, models

from ..lib.signing import generate_secret


class WebhookEndpoint(models.Model):
    """A receiver of signed webhooks for one model and trigger."""

    _name = "webhook.endpoint"
    _description = "Webhook Endpoint"
    _order = "name, id"

    name = fields.Char(required=True)
    url = fields.Char("URL", required=True, help="HTTPS address that receives the events.")
    secret = fields.Char(
        required=True,
        copy=False,
        default=lambda self: generate_secret(),
        groups="base.group_system",
        help="Signs every delivery (X-Odoo-Signature and webhook-signature).",
    )
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade")
    trigger = fields.Selection(
        [("create", "Created"), ("write", "Updated"), ("unlink", "Deleted")],
        required=True,
        default="create",
    )
    active = fields.Boolean(default=True)
    last_status = fields.Char(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
