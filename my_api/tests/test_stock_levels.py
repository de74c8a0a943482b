from werkzeug.datastructures import MultiDict

from odoo.tests import tagged

from .stock_common import StockCase


@tagged("post_install", "-at_install")
class TestStockMoves(StockCase):
    """GET /api/v1/stock-moves: the done moves, read-only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receipt = cls.new_picking("incoming", lines=[(cls.widget, 7)])
        cls.receipt.button_validate()
        cls.delivery = cls.new_picking(lines=[(cls.widget, 3), (cls.gadget, 2)])
        cls.delivery.button_validate()
        cls.open_delivery = cls.new_picking(lines=[(cls.widget, 1)])

    def moves(self, query):
        response = self.api("GET", f"/api/v1/stock-moves?{query}", key=self.stock_key)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()["data"]

    def test_done_moves_only_with_their_details(self):
        rows = self.moves(f"product_id={self.widget.id}&limit=200")
        ids = {row["id"] for row in rows}
        self.assertIn(self.receipt.move_ids.id, ids)
        self.assertNotIn(self.open_delivery.move_ids.id, ids)
        self.assertEqual({row["state"] for row in rows}, {"done"})
        row = next(row for row in rows if row["id"] == self.receipt.move_ids.id)
        self.assertEqual(
            {key: row[key] for key in ("reference", "quantity", "demand", "unit", "type")},
            {
                "reference": self.receipt.name,
                "quantity": 7,
                "demand": 7,
                "unit": self.widget.uom_id.name,
                "type": "incoming",
            },
        )
        self.assertEqual(
            row["product"], {"id": self.widget.id, "default_code": "STW-1", "name": "Stock Widget"}
        )
        self.assertEqual(row["picking"], {"id": self.receipt.id, "name": self.receipt.name})
        self.assertEqual(row["location_dest"]["id"], self.stock_location.id)
        self.assertEqual(row["location"]["id"], self.receipt.location_id.id)
        self.assertTrue(row["date"].endswith("Z"))
        detail = self.api("GET", f"/api/v1/stock-moves/{row['id']}", key=self.stock_key)
        self.assertEqual(detail.json()["data"], row)

    def test_an_open_move_is_not_found(self):
        done = self.api(
            "GET", f"/api/v1/stock-moves/{self.receipt.move_ids.id}", key=self.stock_key
        )
        self.assertEqual(done.status_code, 200, done.text)
        response = self.api(
            "GET", f"/api/v1/stock-moves/{self.open_delivery.move_ids.id}", key=self.stock_key
        )
        self.assertError(response, 404, "not_found")

    def test_filters(self):
        delivered = set(self.delivery.move_ids.ids)
        received = set(self.receipt.move_ids.ids)
        mine = delivered | received

        def ids(query):
            return {row["id"] for row in self.moves(f"{query}&limit=200")} & mine

        self.assertEqual(ids(f"picking_id={self.delivery.id}"), delivered)
        self.assertEqual(ids(f"location_id={self.warehouse.view_location_id.id}"), mine)
        self.assertEqual(ids(f"location_id={self.delivery.location_dest_id.id}"), delivered)
        date = self.delivery.move_ids[0].date
        self.assertEqual(ids(f"date_from={date:%Y-%m-%d}&date_to={date:%Y-%m-%d}"), mine)
        self.assertEqual(ids("date_to=2000-01-01"), set())
        self.assertEqual(ids("date_from=2999-01-01T00:00:00%2B02:00"), set())
        self.assertEqual(ids("updated_since=2000-01-01"), mine)
        self.assertEqual(ids("updated_since=2999-01-01"), set())

    def test_read_only(self):
        for method, path in (
            ("POST", "/api/v1/stock-moves"),
            ("PATCH", f"/api/v1/stock-moves/{self.receipt.move_ids.id}"),
            ("DELETE", f"/api/v1/stock-moves/{self.receipt.move_ids.id}"),
        ):
            with self.subTest(method=method, path=path):
                self.assertError(
                    self.api(method, path, key=self.stock_key, body={}), 405, "method_not_allowed"
                )
        # no batch route at all, as the document says
        self.assertError(
            self.api("POST", "/api/v1/stock-moves/batch", key=self.stock_key, body={}), 404
        )

    def test_a_page_costs_the_same_queries_for_5_or_20_moves(self):
        for _ in range(12):
            self.new_picking(lines=[(self.widget, 1), (self.gadget, 1)]).button_validate()
        resource = self.env["api.resource.stock_move"].with_user(self.stock_user)

        def count(size):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            rows, _pagination = resource._api_list(MultiDict({"limit": str(size)}))
            self.assertEqual(len(rows), size)
            return self.cr.sql_log_count - before

        count(5)
        self.assertEqual(count(5), count(20))


@tagged("post_install", "-at_install")
class TestStockPerWarehouse(StockCase):
    """stock?warehouse_id= and the quantities of products per warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls.env["stock.warehouse"].create({"name": "Second", "code": "WH2"})
        cls.env["stock.quant"]._update_available_quantity(cls.widget, cls.second.lot_stock_id, 8)
        # reserved in the main warehouse, incoming in the second
        cls.new_picking(lines=[(cls.widget, 30)])
        cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.second.in_type_id.id,
                "move_ids": [(0, 0, {"product_id": cls.widget.id, "product_uom_qty": 5})],
            }
        ).action_confirm()

    def test_stock_filtered_by_warehouse(self):
        response = self.api(
            "GET",
            f"/api/v1/stock?warehouse_id={self.second.id}&product_id={self.widget.id}",
            key=self.stock_key,
        )
        self.assertEqual(response.status_code, 200, response.text)
        rows = response.json()["data"]
        self.assertEqual(
            [(row["quantity"], row["location"]["id"]) for row in rows],
            [(8, self.second.lot_stock_id.id)],
        )
        self.assertEqual(rows[0]["warehouse"], {"id": self.second.id, "name": "Second"})
        main = self.api(
            "GET",
            f"/api/v1/stock?warehouse_id={self.warehouse.id}&product_id={self.widget.id}",
            key=self.stock_key,
        ).json()["data"]
        self.assertEqual(sum(row["quantity"] for row in main), 100)
        self.assertEqual(sum(row["reserved_quantity"] for row in main), 30)

    def test_product_quantities_per_warehouse(self):
        data = self.api("GET", f"/api/v1/products/{self.widget.id}", key=self.stock_key).json()[
            "data"
        ]
        self.assertEqual(
            (data["qty_available"], data["free_qty"], data["virtual_available"]), (108, 78, 83)
        )
        by_warehouse = {row["warehouse"]["id"]: row for row in data["warehouses"]}
        self.assertEqual(
            by_warehouse[self.warehouse.id],
            {
                "warehouse": {"id": self.warehouse.id, "name": self.warehouse.name},
                "qty_available": 100,
                "free_qty": 70,
                "virtual_available": 70,
            },
        )
        self.assertEqual(
            by_warehouse[self.second.id],
            {
                "warehouse": {"id": self.second.id, "name": "Second"},
                "qty_available": 8,
                "free_qty": 8,
                "virtual_available": 13,
            },
        )
        listed = self.api("GET", "/api/v1/products?default_code=STW-1", key=self.stock_key).json()[
            "data"
        ]
        self.assertEqual(listed[0]["warehouses"], data["warehouses"])
        service = self.env["product.product"].create({"name": "Untracked", "type": "service"})
        untracked = self.api("GET", f"/api/v1/products/{service.id}", key=self.stock_key)
        self.assertEqual(untracked.json()["data"]["warehouses"], [])

    def test_a_product_page_costs_the_same_queries_for_5_or_20_products(self):
        products = self.env["product.product"].create(
            [
                {"name": f"Counted {i}", "default_code": f"CNT-{i}", "is_storable": True}
                for i in range(25)
            ]
        )
        for product in products:
            self.env["stock.quant"]._update_available_quantity(product, self.second.lot_stock_id, 1)
        resource = self.env["api.resource.product"].with_user(self.stock_user)

        def count(size):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            rows, _pagination = resource._api_list(
                MultiDict({"name": "Counted", "limit": str(size)})
            )
            self.assertEqual(len(rows), size)
            self.assertEqual(len(rows[0]["warehouses"]), 2)
            return self.cr.sql_log_count - before

        count(5)
        self.assertEqual(count(5), count(20))
