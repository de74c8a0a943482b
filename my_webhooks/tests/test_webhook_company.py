import json

from odoo import Command
from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestWebhookCompany(WebhookCase):
    """A payload says whose books its record is in: a receiver that serves
    several legal entities must not have to guess."""

    def payload(self, endpoint):
        return json.loads(self.deliveries(endpoint)[-1:].payload)["data"]

    def test_payload_carries_the_records_company(self):
        # only the name is a payload field: the company comes all the same
        endpoint = self.make_endpoint(payload_field_ids=[Command.set(self.field("name").ids)])
        company = self.env["res.company"].create({"name": "Webhook Company B"})
        self.env.user.company_ids |= company
        self.env["res.partner"].create({"name": "Of B", "company_id": company.id})
        data = self.payload(endpoint)
        self.assertEqual(data["company"], {"id": company.id, "name": "Webhook Company B"})
        self.assertNotIn("company_id", data)
        self.env["res.partner"].create({"name": "Shared"})
        self.assertIsNone(self.payload(endpoint)["company"])

    def test_payload_of_a_model_without_company_has_none(self):
        model = self.env["ir.model"]._get("res.partner.category")
        endpoint = self.make_endpoint(model_id=model.id)
        self.env["res.partner.category"].create({"name": "No company here"})
        self.assertNotIn("company", self.payload(endpoint))
