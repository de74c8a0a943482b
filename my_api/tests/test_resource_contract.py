"""Every resource answers what its read schema declares.

`_api_render` and `_api_read_schema` are written side by side by hand, and
the schema is what the OpenAPI document promises (clients generate their
code from it). So each registered resource, those of the sibling addons
included (post_install: all are loaded), is read over HTTP, one list row
and one detail, and the answers are checked against the schema with the
project's own validator: no property it does not declare, none of the
wrong type, format or value, and none left out (a list row may leave out
the properties described "Detail only", and the nested ones).
"""

from odoo import Command
from odoo.tests import tagged

from odoo.addons.my_api.lib import schema as s

from .common import ApiCase

DETAIL_ONLY = "Detail only"
WEBHOOK_URL = "https://93.184.215.14/hooks/odoo"  # a public address literal: no DNS


def missing_properties(value, spec, path="", nested=True, list_row=False):
    """The declared properties that `value` leaves out: of every object it
    holds when `nested`, of its top level only (but the "Detail only"
    ones) for a list row."""
    missing = []
    if spec.type == "object" and spec.properties and isinstance(value, dict):
        for key, sub in spec.properties.items():
            sub_path = f"{path}.{key}" if path else key
            if key not in value:
                if not (list_row and sub.description.startswith(DETAIL_ONLY)):
                    missing.append(sub_path)
            elif nested:
                missing += missing_properties(value[key], sub, sub_path)
    elif spec.type == "array" and spec.items is not None and isinstance(value, list):
        for index, item in enumerate(value):
            missing += missing_properties(item, spec.items, f"{path}[{index}]")
    return missing


@tagged("post_install", "-at_install")
class TestResourceContract(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.env.ref("base.user_admin"))
        # a record of each resource, with whatever it renders nested
        # (lines, a parent) so that those are checked too
        company = cls.env["res.partner"].create({"name": "Contract Co", "is_company": True})
        contact = cls.env["res.partner"].create(
            {
                "name": "Contract Contact",
                "parent_id": company.id,
                "email": "contact@example.com",
                "ref": "CONTRACT-1",
                "country_id": cls.env.ref("base.be").id,
            }
        )
        stocked = cls.env["product.product"].create(
            {"name": "Contract Stocked", "default_code": "CONTRACT-S", "is_storable": True}
        )
        location = cls.env.ref("stock.stock_location_stock")
        cls.env["stock.quant"]._update_available_quantity(stocked, location, 3)
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": contact.id,
                "invoice_line_ids": [
                    Command.create({"product_id": cls.product.id, "quantity": 2, "price_unit": 5})
                ],
            }
        )
        invoice.action_post()
        # a delivery of the stocked product, done: a picking with its moves,
        # and a done stock move
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        delivery = cls.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": contact.id,
                "move_ids": [Command.create({"product_id": stocked.id, "product_uom_qty": 1})],
            }
        )
        delivery.action_confirm()
        delivery.action_assign()
        delivery.move_ids.quantity = 1
        delivery.move_ids.picked = True
        delivery.button_validate()
        cls.samples = {
            "pickings": delivery,
            "stock-moves": delivery.move_ids,
            "partners": contact,
            "products": stocked,
            "orders": cls.new_order(partner=contact, lines=2, client_order_ref="CONTRACT-O"),
            "invoices": invoice,
            "stock": cls.env["stock.quant"].search(
                [("product_id", "=", stocked.id), ("location_id", "=", location.id)]
            ),
        }
        if "webhook.endpoint" in cls.env:  # my_webhooks is installed
            model = cls.env["ir.model"]._get("res.partner")
            fields = cls.env["ir.model.fields"].search(
                [("model_id", "=", model.id), ("name", "in", ["name", "email"])]
            )
            cls.samples["webhook-endpoints"] = cls.env["webhook.endpoint"].create(
                {
                    "name": "Contract",
                    "url": WEBHOOK_URL,
                    "model_id": model.id,
                    "trigger": "write",
                    "watched_field_ids": [Command.set(fields.ids)],
                    "payload_field_ids": [Command.set(fields.ids)],
                }
            )
            endpoint = cls.samples["webhook-endpoints"]
            cls.samples["webhook-deliveries"] = endpoint._enqueue_data(
                "test", "res.partner", 0, {"id": 0}
            )

    def get_data(self, path):
        response = self.api("GET", path, key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()["data"]

    def list_row(self, path, resource):
        """The list row of this resource's sample, or of its newest record
        for a resource that has no sample here."""
        order = "-id" if "id" in resource._api_orders else resource._api_default_order
        rows = self.get_data(f"/api/v1/{path}?order={order}&limit=200")
        sample = self.samples.get(path)
        if sample is None:
            if not rows:
                self.fail(f"no record of /{path} to check: add one to setUpClass")
            return rows[0]
        row = next((row for row in rows if row["id"] == sample.id), None)
        if row is None:
            self.fail(f"/{path} does not list its sample {sample.id}")
        return row

    def assertMatchesReadSchema(self, data, spec, list_row=False):
        problems = s.validate(data, spec, read=True)
        self.assertEqual(problems, [], f"answer {data} differs from the read schema")
        missing = missing_properties(data, spec, nested=not list_row, list_row=list_row)
        self.assertEqual(missing, [], f"answer {data} leaves out declared properties")

    def test_every_resource_renders_its_read_schema(self):
        resources = self.env["api.resource"]._api_resource_models()
        # the resources this suite knows are all there, so none goes unchecked
        self.assertLessEqual(set(self.samples), set(resources))
        for path, name in sorted(resources.items()):
            with self.subTest(resource=path):
                resource = self.env[name]
                self.assertIsNotNone(
                    resource._api_read_schema, f"{name} declares no _api_read_schema"
                )
                # what the framework answers: with `company` where the model has one
                spec = resource._api_row_schema()
                row = self.list_row(path, resource)
                self.assertMatchesReadSchema(row, spec, list_row=True)
                detail = self.get_data(f"/api/v1/{path}/{row['id']}")
                self.assertMatchesReadSchema(detail, spec)

    def test_missing_properties_reads_detail_only(self):
        spec = s.Object(
            {
                "id": s.Field("integer"),
                "lines": s.Array(
                    s.Object({"id": s.Field("integer"), "name": s.Field("string")}),
                    description="Detail only",
                ),
            }
        )
        self.assertEqual(missing_properties({"id": 1}, spec, list_row=True), [])
        self.assertEqual(missing_properties({"id": 1}, spec), ["lines"])
        self.assertEqual(
            missing_properties({"id": 1, "lines": [{"id": 2}]}, spec), ["lines[0].name"]
        )
