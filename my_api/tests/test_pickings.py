from werkzeug.datastructures import MultiDict

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .stock_common import StockCase


@tagged("post_install", "-at_install")
class TestPickingsRead(StockCase):
    """List, filters and detail of /api/v1/pickings."""

    def list_names(self, query, key=None):
        response = self.api("GET", f"/api/v1/pickings?{query}", key=key or self.stock_key)
        self.assertEqual(response.status_code, 200, response.text)
        return [row["name"] for row in response.json()["data"]]

    def test_detail_shows_moves_with_product_demand_quantity_unit_and_lots(self):
        lot_product = self.env["product.product"].create(
            {"name": "Lotted", "default_code": "LOT-P", "is_storable": True, "tracking": "lot"}
        )
        lot = self.env["stock.lot"].create({"name": "L-0001", "product_id": lot_product.id})
        self.env["stock.quant"]._update_available_quantity(
            lot_product, self.stock_location, 5, lot_id=lot
        )
        picking = self.new_picking(
            lines=[(self.widget, 3), (lot_product, 2)], partner_id=self.partner.id, origin="S0042"
        )
        data = self.get_picking(picking)
        self.assertEqual(
            {key: data[key] for key in ("name", "state", "type", "origin", "move_count")},
            {
                "name": picking.name,
                "state": "assigned",
                "type": "outgoing",
                "origin": "S0042",
                "move_count": 2,
            },
        )
        self.assertEqual(data["partner"], {"id": self.partner.id, "name": self.partner.name})
        self.assertEqual(data["warehouse"]["id"], self.warehouse.id)
        self.assertEqual(data["operation_type"]["id"], self.warehouse.out_type_id.id)
        self.assertEqual(data["location"]["name"], self.stock_location.complete_name)
        self.assertIsNone(data["date_done"])
        self.assertEqual(data["backorders"], [])
        widget_move, lot_move = data["moves"]
        self.assertEqual(
            widget_move["product"],
            {"id": self.widget.id, "default_code": "STW-1", "name": "Stock Widget"},
        )
        self.assertEqual(
            (widget_move["demand"], widget_move["quantity"], widget_move["unit"]),
            (3, 3, self.widget.uom_id.name),
        )
        self.assertEqual(lot_move["lots"], [{"id": lot.id, "name": "L-0001"}])
        self.assertEqual(lot_move["picking"], {"id": picking.id, "name": picking.name})

    def test_list_filters(self):
        other_warehouse = self.env["stock.warehouse"].create({"name": "Second", "code": "WH2"})
        receipt = self.new_picking("incoming", partner_id=self.vendor.id, origin="P0001")
        delivery = self.new_picking(
            partner_id=self.partner.id,
            origin="S0001",
            scheduled_date="2030-01-31 21:00:00",
        )
        elsewhere = self.env["stock.picking"].create(
            {"picking_type_id": other_warehouse.out_type_id.id, "origin": "S0002"}
        )
        mine = {receipt.name, delivery.name, elsewhere.name}

        def names(query):
            return set(self.list_names(f"{query}&limit=200")) & mine

        self.assertEqual(names("type=incoming"), {receipt.name})
        self.assertEqual(names("type=outgoing"), {delivery.name, elsewhere.name})
        self.assertEqual(names(f"warehouse_id={other_warehouse.id}"), {elsewhere.name})
        self.assertEqual(names("origin=S0001"), {delivery.name})
        self.assertEqual(names(f"partner_id={self.vendor.id}"), {receipt.name})
        self.assertEqual(names("state=draft"), {elsewhere.name})
        self.assertEqual(names("state=assigned"), {receipt.name, delivery.name})
        # a date alone is the whole day of the request's timezone (the user
        # has none: UTC's); a timestamp's offset is honoured
        self.assertEqual(
            names("scheduled_from=2030-01-31&scheduled_to=2030-01-31"), {delivery.name}
        )
        response = self.api(
            "GET",
            "/api/v1/pickings?scheduled_from=2030-02-01&scheduled_to=2030-02-01&limit=200",
            key=self.stock_key,
            headers={"X-Odoo-Timezone": "Asia/Dubai"},  # 2030-02-01 01:00 there
        )
        self.assertEqual({row["name"] for row in response.json()["data"]} & mine, {delivery.name})
        self.assertEqual(names("scheduled_from=2030-02-01T01:30:00%2B04:00"), set())
        self.assertEqual(names("scheduled_from=2030-02-01T01:00:00%2B04:00"), {delivery.name})
        self.assertEqual(names("scheduled_to=2030-01-31T21:00:00Z"), mine)
        self.assertEqual(names("scheduled_to=2030-01-31T20:59:59Z"), mine - {delivery.name})
        self.assertEqual(names("updated_since=2999-01-01"), set())
        self.assertEqual(names("updated_since=2000-01-01T00:00:00Z"), mine)

    def test_bad_filters_are_400_naming_them(self):
        for query, field in (
            ("type=sideways", "type"),
            ("state=lost", "state"),
            ("warehouse_id=abc", "warehouse_id"),
            ("scheduled_from=2030-01-31T10:00:00", "scheduled_from"),
            ("partner_id=99999999999", "partner_id"),
            ("colour=red", "colour"),
        ):
            with self.subTest(query=query):
                error = self.assertError(
                    self.api("GET", f"/api/v1/pickings?{query}", key=self.stock_key), 400
                )
                self.assertEqual(error["details"][0]["field"], field)

    def test_openapi_documents_pickings_and_stock_moves(self):
        document = self.url_open("/api/v1/openapi.json").json()
        paths, schemas = document["paths"], document["components"]["schemas"]
        self.assertEqual(set(paths["/pickings"]), {"get", "post"})
        self.assertEqual(set(paths["/pickings/{ident}"]) - {"parameters"}, {"get"})
        self.assertNotIn("/pickings/batch", paths)
        validate = paths["/pickings/{ident}/validate"]["post"]
        self.assertEqual(
            validate["requestBody"]["content"]["application/json"]["schema"],
            {"$ref": "#/components/schemas/PickingValidate"},
        )
        self.assertFalse(validate["requestBody"]["required"])
        self.assertEqual(set(schemas["PickingValidate"]["properties"]), {"moves", "backorder"})
        self.assertNotIn("requestBody", paths["/pickings/{ident}/cancel"]["post"])
        self.assertEqual(schemas["PickingCreate"]["required"], ["type", "lines"])
        self.assertEqual(set(paths["/stock-moves"]), {"get"})
        self.assertEqual(set(paths["/stock-moves/{ident}"]) - {"parameters"}, {"get"})
        listing = {p.get("name") for p in paths["/pickings"]["get"]["parameters"]}
        self.assertTrue(
            {
                "state",
                "type",
                "warehouse_id",
                "origin",
                "partner_id",
                "scheduled_from",
                "scheduled_to",
            }
            <= listing
        )
        self.assertIn("warehouse_id", {p.get("name") for p in paths["/stock"]["get"]["parameters"]})
        self.assertEqual(
            paths["/pickings/{ident}/validate"]["post"]["security"][2],
            {"oauth2": ["pickings:write"]},
        )

    def test_a_page_costs_the_same_queries_for_5_or_20_pickings(self):
        customer = self.env["res.partner"].create({"name": "Counted picking customer"})
        for index in range(25):  # both pages have more: both count the total
            self.new_picking(
                lines=[(self.widget, 1), (self.gadget, 1)],
                partner_id=customer.id,
                origin=f"Q{index}",
            )
        resource = self.env["api.resource.picking"].with_user(self.stock_user)

        def count(size):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            rows, _pagination = resource._api_list(
                MultiDict({"partner_id": str(customer.id), "limit": str(size)})
            )
            self.assertEqual(len(rows), size)
            return self.cr.sql_log_count - before

        count(5)  # warm the metadata caches (access rules, ...)
        self.assertEqual(count(5), count(20))

    def test_detail_queries_do_not_grow_with_moves(self):
        resource = self.env["api.resource.picking"].with_user(self.stock_user)
        few = self.new_picking(lines=[(self.widget, 1)])
        products = self.env["product.product"].create(
            [{"name": f"Many {i}", "is_storable": True} for i in range(15)]
        )
        many = self.new_picking(lines=[(product, 1) for product in products])

        def count(picking):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            resource._api_get(str(picking.id))
            return self.cr.sql_log_count - before

        count(few)
        self.assertEqual(count(few), count(many))


@tagged("post_install", "-at_install")
class TestPickingsCreate(StockCase):
    """POST /api/v1/pickings: a receipt or a delivery from lines."""

    def post_picking(self, body, key=None):
        return self.api("POST", "/api/v1/pickings", key=key or self.stock_key, body=body)

    def test_create_receipt_then_validate_it(self):
        response = self.post_picking(
            {
                "type": "incoming",
                "partner_id": self.vendor.id,
                "origin": "PO-77",
                "scheduled_date": "2030-03-01T10:00:00+04:00",
                "lines": [{"product_id": self.widget.id, "quantity": 5}],
            }
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        self.assertEqual(response.headers["Location"], f"/api/v1/pickings/{data['id']}")
        self.assertEqual(
            (data["type"], data["state"], data["origin"]), ("incoming", "assigned", "PO-77")
        )
        self.assertEqual(data["scheduled_date"], "2030-03-01T06:00:00Z")
        self.assertEqual(data["operation_type"]["id"], self.warehouse.in_type_id.id)
        self.assertEqual([(m["demand"], m["quantity"]) for m in data["moves"]], [(5, 5)])
        picking = self.env["stock.picking"].browse(data["id"])
        done = self.validate(picking)
        self.assertEqual(done.status_code, 200, done.text)
        self.assertEqual(done.json()["data"]["state"], "done")
        self.assertTrue(done.json()["data"]["date_done"].endswith("Z"))
        self.assertEqual(self.on_hand(self.widget), 105)

    def test_create_delivery_reserves_stock(self):
        response = self.post_picking(
            {
                "type": "outgoing",
                "warehouse_id": self.warehouse.id,
                "partner_id": self.partner.id,
                "lines": [
                    {"product_id": self.widget.id, "quantity": 3},
                    {"product_id": self.gadget.id, "quantity": 2.5},
                ],
            }
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        self.assertEqual((data["type"], data["state"]), ("outgoing", "assigned"))
        self.assertEqual(data["partner"]["id"], self.partner.id)
        self.assertEqual(
            [(m["product"]["id"], m["demand"], m["quantity"]) for m in data["moves"]],
            [(self.widget.id, 3, 3), (self.gadget.id, 2.5, 2.5)],
        )

    def test_create_in_another_warehouse_or_with_an_operation_type(self):
        second = self.env["stock.warehouse"].create({"name": "Second", "code": "WH2"})
        line = [{"product_id": self.widget.id, "quantity": 1}]
        by_warehouse = self.post_picking(
            {"type": "outgoing", "warehouse_id": second.id, "lines": line}
        )
        self.assertEqual(by_warehouse.status_code, 201, by_warehouse.text)
        self.assertEqual(by_warehouse.json()["data"]["warehouse"]["id"], second.id)
        by_type = self.post_picking(
            {"type": "incoming", "picking_type_id": second.in_type_id.id, "lines": line}
        )
        self.assertEqual(by_type.status_code, 201, by_type.text)
        self.assertEqual(by_type.json()["data"]["operation_type"]["id"], second.in_type_id.id)

    def test_bad_creates_are_400_naming_the_field_and_create_nothing(self):
        service = self.env["product.product"].create({"name": "Advice", "type": "service"})
        other = self.env["stock.warehouse"].create({"name": "Other", "code": "WHO"})
        line = {"product_id": self.widget.id, "quantity": 1}
        cases = [
            ({"lines": [line]}, "type"),
            ({"type": "sideways", "lines": [line]}, "type"),
            ({"type": "outgoing"}, "lines"),
            ({"type": "outgoing", "lines": []}, "lines"),
            ({"type": "outgoing", "lines": [{"product_id": self.widget.id}]}, "lines[0].quantity"),
            (
                {"type": "outgoing", "lines": [{"product_id": self.widget.id, "quantity": 0}]},
                "lines[0].quantity",
            ),
            (
                {"type": "outgoing", "lines": [{"product_id": self.widget.id, "quantity": -2}]},
                "lines[0].quantity",
            ),
            (
                {"type": "outgoing", "lines": [{"product_id": self.widget.id, "quantity": 1e300}]},
                "lines[0].quantity",
            ),
            (
                {"type": "outgoing", "lines": [{"product_id": self.widget.id, "quantity": "2"}]},
                "lines[0].quantity",
            ),
            (
                {"type": "outgoing", "lines": [{"product_id": 99999999, "quantity": 1}]},
                "lines[0].product_id",
            ),
            (
                {"type": "outgoing", "lines": [{"product_id": 2**31, "quantity": 1}]},
                "lines[0].product_id",
            ),
            (
                {"type": "outgoing", "lines": [{"product_id": service.id, "quantity": 1}]},
                "lines[0].product_id",
            ),
            ({"type": "outgoing", "partner_id": 99999999, "lines": [line]}, "partner_id"),
            ({"type": "outgoing", "warehouse_id": 99999999, "lines": [line]}, "warehouse_id"),
            (
                {
                    "type": "outgoing",
                    "picking_type_id": self.warehouse.in_type_id.id,
                    "lines": [line],
                },
                "picking_type_id",
            ),
            (
                {
                    "type": "incoming",
                    "warehouse_id": other.id,
                    "picking_type_id": self.warehouse.in_type_id.id,
                    "lines": [line],
                },
                "picking_type_id",
            ),
            (
                {"type": "outgoing", "scheduled_date": "2030-01-01T10:00:00", "lines": [line]},
                "scheduled_date",
            ),
            ({"type": "outgoing", "lines": [line], "state": "done"}, "state"),
        ]
        count = self.env["stock.picking"].search_count([])
        for body, field in cases:
            with self.subTest(body=body):
                error = self.assertError(self.post_picking(body), 400)
                self.assertIn(field, [detail["field"] for detail in error["details"]])
        self.assertEqual(self.env["stock.picking"].search_count([]), count)


@tagged("post_install", "-at_install")
class TestPickingsValidate(StockCase):
    """POST /api/v1/pickings/<id>/validate and /cancel."""

    def test_validate_in_full_with_the_reserved_quantities(self):
        picking = self.new_picking(lines=[(self.widget, 10), (self.gadget, 4)])
        response = self.validate(picking)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual(data["state"], "done")
        self.assertEqual({m["state"] for m in data["moves"]}, {"done"})
        self.assertEqual(data["backorders"], [])
        self.assertEqual((self.on_hand(self.widget), self.on_hand(self.gadget)), (90, 96))

    def test_validate_full_quantities_given_needs_no_decision(self):
        picking = self.new_picking(lines=[(self.widget, 10)])
        move = picking.move_ids
        response = self.validate(picking, {"moves": [{"id": move.id, "quantity": 10}]})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(picking.state, "done")

    def test_partial_with_backorder_true_keeps_the_rest(self):
        picking = self.new_picking(lines=[(self.widget, 10)])
        response = self.validate(
            picking, {"moves": [{"id": picking.move_ids.id, "quantity": 4}], "backorder": True}
        )
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual(data["state"], "done")
        self.assertEqual([(m["quantity"], m["state"]) for m in data["moves"]], [(4, "done")])
        self.assertEqual(len(data["backorders"]), 1)
        backorder = self.env["stock.picking"].browse(data["backorders"][0]["id"])
        rest = self.get_picking(backorder)
        self.assertEqual(rest["backorder_of"], {"id": picking.id, "name": picking.name})
        self.assertEqual([m["demand"] for m in rest["moves"]], [6])
        self.assertNotEqual(rest["state"], "done")
        self.assertEqual(self.on_hand(self.widget), 96)

    def test_partial_with_backorder_false_cancels_the_rest(self):
        picking = self.new_picking(lines=[(self.widget, 10), (self.gadget, 5)])
        widget_move = picking.move_ids.filtered(lambda m: m.product_id == self.widget)
        response = self.validate(
            picking, {"moves": [{"id": widget_move.id, "quantity": 4}], "backorder": False}
        )
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual(data["state"], "done")
        self.assertEqual(data["backorders"], [])
        self.assertEqual(
            sorted((m["product"]["id"], m["quantity"], m["state"]) for m in data["moves"]),
            sorted([(self.widget.id, 4, "done"), (self.gadget.id, 0, "cancel")]),
        )
        self.assertFalse(self.env["stock.picking"].search([("backorder_id", "=", picking.id)]))
        self.assertEqual((self.on_hand(self.widget), self.on_hand(self.gadget)), (96, 100))

    def test_moves_left_out_are_not_done(self):
        picking = self.new_picking(lines=[(self.widget, 10), (self.gadget, 5)])
        widget_move = picking.move_ids.filtered(lambda m: m.product_id == self.widget)
        response = self.validate(
            picking, {"moves": [{"id": widget_move.id, "quantity": 10}], "backorder": True}
        )
        self.assertEqual(response.status_code, 200, response.text)
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.product_id, self.gadget)
        self.assertEqual((self.on_hand(self.widget), self.on_hand(self.gadget)), (90, 100))

    def test_partial_without_a_decision_is_409_naming_it_and_changes_nothing(self):
        picking = self.new_picking(lines=[(self.widget, 10)])
        move = picking.move_ids
        response = self.validate(picking, {"moves": [{"id": move.id, "quantity": 4}]})
        error = self.assertError(response, 409, "conflict")
        self.assertEqual(error["details"], [{"field": "backorder", "issue": "required"}])
        self.assertIn("backorder", error["message"])
        self.assertIn("6 of 10", error["message"])
        self.assertIn(self.widget.display_name, error["message"])
        self.assertEqual((picking.state, move.quantity, move.picked), ("assigned", 10, False))
        self.assertEqual(self.on_hand(self.widget), 100)
        # the reserved quantity short of the demand asks the same question
        short = self.new_picking(lines=[(self.widget, 150)])
        self.assertError(self.validate(short), 409, "conflict")
        self.assertEqual(short.state, "assigned")

    def test_nothing_to_validate_is_409(self):
        nothing = self.env["product.product"].create({"name": "Out of stock", "is_storable": True})
        picking = self.new_picking(lines=[(nothing, 3)])
        self.assertEqual(picking.move_ids.quantity, 0)
        error = self.assertError(self.validate(picking), 409, "conflict")
        self.assertEqual(error["details"], [{"field": "moves", "issue": "required"}])
        error = self.assertError(
            self.validate(picking, {"moves": [{"id": picking.move_ids.id, "quantity": 0}]}), 409
        )
        self.assertEqual(picking.state, "confirmed")

    def test_a_receipt_of_lots_without_lot_numbers_is_409_naming_the_product(self):
        """Lot numbers are a decision the API does not take: Odoo's refusal
        is a 409 that names the product, and nothing is received."""
        lotted = self.env["product.product"].create(
            {"name": "Lotted Bolt", "is_storable": True, "tracking": "lot"}
        )
        receipt = self.new_picking("incoming", lines=[(lotted, 5)])
        error = self.assertError(self.validate(receipt), 409, "conflict")
        self.assertIn("Lotted Bolt", error["message"])
        self.assertEqual(receipt.state, "assigned")
        self.assertEqual(lotted.qty_available, 0)

    def test_operation_type_setting_against_the_choice_is_409(self):
        picking_type = self.warehouse.out_type_id
        picking_type.create_backorder = "never"
        picking = self.new_picking(lines=[(self.widget, 10)])
        body = {"moves": [{"id": picking.move_ids.id, "quantity": 4}], "backorder": True}
        error = self.assertError(self.validate(picking, body), 409, "conflict")
        self.assertEqual(error["details"], [{"field": "backorder", "issue": "conflict"}])
        self.assertEqual(picking.state, "assigned")
        picking_type.create_backorder = "always"
        body["backorder"] = False
        self.assertError(self.validate(picking, body), 409, "conflict")
        self.assertEqual(picking.state, "assigned")
        # without a choice the setting decides
        response = self.validate(picking, {"moves": body["moves"]})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(response.json()["data"]["backorders"]), 1)

    def test_validate_twice_the_second_is_409_and_nothing_is_lost(self):
        picking = self.new_picking(lines=[(self.widget, 10)])
        self.assertEqual(self.validate(picking).status_code, 200)
        moves_before = picking.move_ids.read(["quantity", "state"])
        error = self.assertError(self.validate(picking), 409, "conflict")
        self.assertIn("already done", error["message"])
        self.assertEqual(picking.move_ids.read(["quantity", "state"]), moves_before)
        self.assertEqual(self.on_hand(self.widget), 90)

    def test_garbage_bodies_are_400_and_change_nothing(self):
        picking = self.new_picking(lines=[(self.widget, 10)])
        other = self.new_picking(lines=[(self.gadget, 1)])
        move = picking.move_ids
        cases = [
            ({"moves": [{"id": move.id, "quantity": 1e300}]}, "moves[0].quantity", "too_large"),
            ({"moves": [{"id": move.id, "quantity": 10**10}]}, "moves[0].quantity", "too_large"),
            ({"moves": [{"id": move.id, "quantity": -1}]}, "moves[0].quantity", "too_small"),
            ({"moves": [{"id": move.id, "quantity": "ten"}]}, "moves[0].quantity", "invalid_type"),
            ({"moves": [{"id": move.id, "quantity": None}]}, "moves[0].quantity", "invalid_type"),
            ({"moves": [{"id": move.id}]}, "moves[0].quantity", "required"),
            ({"moves": [{"id": "abc", "quantity": 1}]}, "moves[0].id", "invalid_type"),
            ({"moves": [{"id": 2**31, "quantity": 1}]}, "moves[0].id", "too_large"),
            ({"moves": [{"id": 99999999, "quantity": 1}]}, "moves[0].id", "not_found"),
            ({"moves": [{"id": other.move_ids.id, "quantity": 1}]}, "moves[0].id", "not_found"),
            (
                {"moves": [{"id": move.id, "quantity": 1}, {"id": move.id, "quantity": 2}]},
                "moves[1].id",
                "conflict",
            ),
            ({"moves": "all"}, "moves", "invalid_type"),
            (
                {"moves": [{"id": move.id, "quantity": 1, "lot": "X"}]},
                "moves[0].lot",
                "unknown_field",
            ),
            ({"backorder": "yes"}, "backorder", "invalid_type"),
            ({"force": True}, "force", "unknown_field"),
        ]
        for body, field, issue in cases:
            with self.subTest(body=body):
                error = self.assertError(self.validate(picking, body), 400, "validation_error")
                self.assertIn(
                    {"field": field, "issue": issue},
                    [{"field": d["field"], "issue": d["issue"]} for d in error["details"]],
                )
        for raw, content_type in (
            (b"not json", "application/json"),
            (b"[1, 2]", "application/json"),
        ):
            with self.subTest(raw=raw):
                response = self.api(
                    "POST",
                    f"/api/v1/pickings/{picking.id}/validate",
                    key=self.stock_key,
                    raw=raw,
                    headers={"Content-Type": content_type},
                )
                self.assertError(response, 400)
        self.assertEqual((picking.state, move.quantity, move.picked), ("assigned", 10, False))
        self.assertEqual(other.state, "assigned")
        self.assertEqual(self.on_hand(self.widget), 100)

    def test_cancel(self):
        picking = self.new_picking(lines=[(self.widget, 10)])
        response = self.api("POST", f"/api/v1/pickings/{picking.id}/cancel", key=self.stock_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["state"], "cancel")
        again = self.api("POST", f"/api/v1/pickings/{picking.id}/cancel", key=self.stock_key)
        self.assertIn("cancelled", self.assertError(again, 409, "conflict")["message"])
        self.assertError(self.validate(picking), 409, "conflict")
        done = self.new_picking(lines=[(self.widget, 1)])
        self.validate(done)
        self.assertError(
            self.api("POST", f"/api/v1/pickings/{done.id}/cancel", key=self.stock_key), 409
        )
        self.assertEqual(done.state, "done")

    def test_unknown_action_and_picking(self):
        picking = self.new_picking()
        self.assertError(
            self.api("POST", f"/api/v1/pickings/{picking.id}/ship", key=self.stock_key), 404
        )
        self.assertError(self.validate(self.env["stock.picking"].browse(99999999)), 404)
        self.assertError(
            self.api("GET", f"/api/v1/pickings/{picking.id}/validate", key=self.stock_key), 405
        )


@tagged("post_install", "-at_install")
class TestPickingsAccess(StockCase):
    """Odoo's access rights and record rules decide; scopes narrow a token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(cls.env, login="api_no_stock", groups="base.group_user")
        cls.employee_key = cls.new_api_key(cls.employee)
        cls.auditor = new_test_user(
            cls.env, login="api_auditor", groups="base.group_user,account.group_account_readonly"
        )
        cls.auditor_key = cls.new_api_key(cls.auditor)

    def test_a_user_without_stock_rights_gets_403(self):
        picking = self.new_picking()
        line = [{"product_id": self.widget.id, "quantity": 1}]
        for method, path, body in (
            ("GET", "/api/v1/pickings", None),
            ("GET", f"/api/v1/pickings/{picking.id}", None),
            ("POST", "/api/v1/pickings", {"type": "outgoing", "lines": line}),
            ("POST", f"/api/v1/pickings/{picking.id}/validate", None),
            ("POST", f"/api/v1/pickings/{picking.id}/cancel", None),
            ("GET", "/api/v1/stock-moves", None),
        ):
            with self.subTest(method=method, path=path):
                with mute_logger("odoo.models", "odoo.addons.base.models.ir_model"):
                    response = self.api(method, path, key=self.employee_key, body=body)
                self.assertError(response, 403, "forbidden")
        self.assertEqual(picking.state, "assigned")

    def test_a_read_only_role_reads_but_does_not_validate(self):
        picking = self.new_picking()
        self.assertEqual(self.get_picking(picking, key=self.auditor_key)["id"], picking.id)
        with mute_logger("odoo.models", "odoo.addons.base.models.ir_model"):
            self.assertError(self.validate(picking, key=self.auditor_key), 403, "forbidden")
            response = self.api(
                "POST",
                "/api/v1/pickings",
                key=self.auditor_key,
                body={"type": "outgoing", "lines": [{"product_id": self.widget.id, "quantity": 1}]},
            )
        self.assertError(response, 403, "forbidden")
        self.assertEqual(picking.state, "assigned")

    def test_another_companys_picking_is_neither_listed_nor_touched(self):
        company_b = self.env["res.company"].create({"name": "Warehouse B Ltd"})
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)])
        picking = (
            self.env["stock.picking"]
            .with_company(company_b)
            .create({"picking_type_id": warehouse_b.in_type_id.id, "origin": "B-ONLY"})
        )
        listed = self.api("GET", "/api/v1/pickings?origin=B-ONLY", key=self.stock_key)
        self.assertEqual(listed.json()["data"], [])
        with mute_logger("odoo.models", "odoo.addons.base.models.ir_model"):
            self.assertError(
                self.api("GET", f"/api/v1/pickings/{picking.id}", key=self.stock_key), 403
            )
            self.assertError(self.validate(picking), 403)
            self.assertError(
                self.api("POST", f"/api/v1/pickings/{picking.id}/cancel", key=self.stock_key), 403
            )
            created = self.api(
                "POST",
                "/api/v1/pickings",
                key=self.stock_key,
                body={
                    "type": "incoming",
                    "picking_type_id": warehouse_b.in_type_id.id,
                    "lines": [{"product_id": self.widget.id, "quantity": 1}],
                },
            )
        self.assertError(created, 403)
        self.assertEqual(picking.state, "draft")

    def test_scopes(self):
        scopes = self.env["api.resource"]._api_scopes()
        self.assertIn("pickings:read", scopes)
        self.assertIn("pickings:write", scopes)
        self.assertIn("stock-moves:read", scopes)
        self.assertNotIn("stock-moves:write", scopes)
        picking = self.new_picking()
        with self.oauth_tokens(self.stock_user, {"picking-reader": {"pickings:read"}}, "wms"):
            self.assertEqual(self.get_picking(picking, key="picking-reader")["id"], picking.id)
            error = self.assertError(self.validate(picking, key="picking-reader"), 403)
            self.assertEqual(error["code"], "insufficient_scope")
            self.assertError(
                self.api("GET", "/api/v1/stock-moves", key="picking-reader"),
                403,
                "insufficient_scope",
            )
        self.assertEqual(picking.state, "assigned")
