from odoo import Command
from odoo.tests import new_test_user

from .common import ApiCase


class StockCase(ApiCase):
    """Warehouse set-up: a stock user with a key, storable products with
    stock in the main warehouse, and pickings made with the ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_user = new_test_user(
            cls.env,
            login="api_stock_user",
            groups="base.group_user,stock.group_stock_user",
        )
        cls.stock_key = cls.new_api_key(cls.stock_user)
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.vendor = cls.env["res.partner"].create({"name": "Api Vendor"})
        cls.widget = cls.env["product.product"].create(
            {"name": "Stock Widget", "default_code": "STW-1", "is_storable": True}
        )
        cls.gadget = cls.env["product.product"].create(
            {"name": "Stock Gadget", "default_code": "STG-1", "is_storable": True}
        )
        for product in cls.widget | cls.gadget:
            cls.env["stock.quant"]._update_available_quantity(product, cls.stock_location, 100)

    @classmethod
    def new_picking(cls, kind="outgoing", lines=None, confirm=True, **values):
        """A picking made as the web client makes one (then Mark as To Do)."""
        picking_type = {
            "incoming": cls.warehouse.in_type_id,
            "outgoing": cls.warehouse.out_type_id,
            "internal": cls.warehouse.int_type_id,
        }[kind]
        picking = cls.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "move_ids": [
                    Command.create({"product_id": product.id, "product_uom_qty": quantity})
                    for product, quantity in (lines or [(cls.widget, 10)])
                ],
                **values,
            }
        )
        if confirm:
            picking.action_confirm()
        return picking

    def api(self, *args, **kwargs):
        response = super().api(*args, **kwargs)
        self.env.invalidate_all()  # the request changed the records behind our cache
        return response

    def get_picking(self, picking, key=None):
        response = self.api("GET", f"/api/v1/pickings/{picking.id}", key=key or self.stock_key)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()["data"]

    def validate(self, picking, body=None, key=None):
        return self.api(
            "POST",
            f"/api/v1/pickings/{picking.id}/validate",
            key=key or self.stock_key,
            body=body,
        )

    def on_hand(self, product, location=None):
        return product.with_context(location=(location or self.stock_location).id).qty_available
