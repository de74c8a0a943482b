import json

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestWebhookPickingDone(WebhookCase):
    """An endpoint on stock.picking that fires when a picking is done (an
    update whose watched field is the state, filtered on done) sends the
    picking with its moves as /api/v1/stock-moves renders them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Hooked Widget", "default_code": "HOOK-1", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.warehouse.lot_stock_id, 50
        )
        cls.picking_model = cls.env["ir.model"]._get("stock.picking")

    def picking_endpoint(self, **vals):
        fields_ = self.env["ir.model.fields"]
        return self.env["webhook.endpoint"].create(
            {
                "name": "Pickings done",
                "url": "http://127.0.0.1:9/hook",
                "model_id": self.picking_model.id,
                "trigger": "write",
                "watched_field_ids": [Command.set([fields_._get("stock.picking", "state").id])],
                "domain": "[('state', '=', 'done')]",
                "payload_field_ids": [
                    Command.set(
                        [
                            fields_._get("stock.picking", name).id
                            for name in ("name", "state", "origin", "move_ids")
                        ]
                    )
                ],
                **vals,
            }
        )

    def delivery(self, quantity=10):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "origin": "SHOP-1",
                "move_ids": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": quantity})
                ],
            }
        )
        picking.action_confirm()
        return picking

    def test_a_done_picking_sends_its_moves(self):
        endpoint = self.picking_endpoint()
        picking = self.delivery()
        self.assertFalse(self.deliveries(endpoint))  # confirmed, reserved: not done yet
        self.env["api.resource.picking"]._api_action_validate(
            picking, {"moves": [{"id": picking.move_ids.id, "quantity": 4}], "backorder": True}
        )
        self.env.flush_all()
        delivery = self.deliveries(endpoint)
        self.assertEqual(len(delivery), 1)  # the backorder it made is not done
        self.assertEqual((delivery.event, delivery.res_id), ("write", picking.id))
        data = json.loads(delivery.payload)["data"]
        self.assertEqual(
            (data["name"], data["state"], data["origin"]), (picking.name, "done", "SHOP-1")
        )
        (move,) = data["move_ids"]
        self.assertEqual(move["id"], picking.move_ids.id)
        self.assertEqual(
            move["product"],
            {"id": self.product.id, "default_code": "HOOK-1", "name": "Hooked Widget"},
        )
        self.assertEqual((move["quantity"], move["state"]), (4, "done"))
        self.assertEqual(move["picking"], {"id": picking.id, "name": picking.name})
        self.assertEqual(move["location"]["id"], self.warehouse.lot_stock_id.id)
        self.assertTrue(move["date"].endswith("Z"))
        # the rows of GET /api/v1/stock-moves
        schema = self.env["api.resource.stock_move"]._api_row_schema()
        self.assertEqual(set(move), set(schema.properties))

    def test_the_owners_rights_read_the_moves(self):
        """A webhook manager's endpoint reads the picking and its moves as
        its owner may: a stock user, or an auditor (who reads pickings and
        moves, and writes none), sees them; an owner who may read no
        picking gets no event, and the validation goes through."""
        owner = new_test_user(
            self.env,
            login="hook_stock_user",
            groups="base.group_user,stock.group_stock_user,my_webhooks.group_webhook_manager",
        )
        endpoint = self.picking_endpoint(user_id=owner.id)
        stock_user, auditor, nobody = (
            self.env.ref(xid)
            for xid in (
                "stock.group_stock_user",
                "account.group_account_readonly",
                "base.group_user",
            )
        )
        for groups, quantity in ((stock_user, 10), (auditor, 3)):
            owner.group_ids = [
                Command.set(
                    (groups | nobody | self.env.ref("my_webhooks.group_webhook_manager")).ids
                )
            ]
            picking = self.delivery(quantity=quantity)
            picking.button_validate()
            self.env.flush_all()
            data = json.loads(self.deliveries(endpoint)[-1].payload)["data"]
            self.assertEqual(data["name"], picking.name)
            self.assertEqual([move["quantity"] for move in data["move_ids"]], [quantity])
        owner.group_ids = [
            Command.set((nobody | self.env.ref("my_webhooks.group_webhook_manager")).ids)
        ]
        count = len(self.deliveries(endpoint))
        picking = self.delivery(quantity=1)
        picking.button_validate()
        self.env.flush_all()
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(self.deliveries(endpoint)), count)

    def test_other_one2many_fields_stay_id_and_name(self):
        """Only a resource that asks for it renders payload lines: a
        partner's contacts stay {id, name}."""
        endpoint = self.make_endpoint(
            payload_field_ids=[self.field("name").id, self.field("child_ids").id]
        )
        parent = self.env["res.partner"].create(
            {"name": "Hooked Co", "child_ids": [Command.create({"name": "Hooked Contact"})]}
        )
        delivery = self.deliveries(endpoint).filtered(lambda d: d.res_id == parent.id)
        data = json.loads(delivery.payload)["data"]
        self.assertEqual(
            data["child_ids"], [{"id": parent.child_ids.id, "name": parent.child_ids.display_name}]
        )
