import re
from datetime import datetime
from urllib.parse import quote

from odoo import Command
from odoo.tests import tagged

from ..lib.cursor import encode_cursor
from ..models.ir_http import clear_apikey_cache
from .common import ApiCase

Z_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@tagged("post_install", "-at_install")
class TestTimestamps(ApiCase):
    """Every timestamp in and out of /api/v1 means one instant: offsets are
    honoured, a timestamp without one is refused, a date alone is a whole
    day (UTC), answers are UTC with Z, and nothing out of range is a 500."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.customer = cls.env["res.partner"].create({"name": "Timed Customer"})

    def create_order(self, **body):
        return self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            body={
                "partner_id": self.customer.id,
                "lines": [{"product_id": self.product.id}],
                **body,
            },
        )

    def get(self, path):
        return self.api("GET", path, key=self.key)

    def test_order_date_offset_honoured(self):
        response = self.create_order(date_order="2026-01-31T10:00:00+04:00")
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        order = self.env["sale.order"].browse(data["id"])
        self.assertEqual(order.date_order, datetime(2026, 1, 31, 6, 0, 0))
        self.assertEqual(data["date_order"], "2026-01-31T06:00:00Z")
        # west of UTC, and crossing midnight: the next day in UTC
        response = self.api(
            "PATCH",
            f"/api/v1/orders/{order.id}",
            key=self.key,
            body={"commitment_date": "2026-02-01T21:30:00-05:00"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(order.commitment_date, datetime(2026, 2, 2, 2, 30, 0))
        # the filters honour offsets too: 10:00+04:00 is 06:00 UTC
        for query, found in (
            ("date_from=2026-01-31T09:59:59%2B04:00", True),
            ("date_from=2026-01-31T06:00:01Z", False),
            ("date_to=2026-01-31T10:00:00%2B04:00", True),
            ("date_to=2026-01-31T05:59:59Z", False),
        ):
            rows = self.get(f"/api/v1/orders?partner_id={self.customer.id}&{query}").json()
            self.assertEqual([row["id"] for row in rows["data"]], [order.id] * found, query)

    def test_naive_timestamp_policy(self):
        """Refused, naming the field: reading it as UTC would shift a local
        time silently by the client's offset."""
        count = self.env["sale.order"].search_count([])
        error = self.assertError(
            self.create_order(date_order="2026-01-31T10:00:00"), 400, "validation_error"
        )
        self.assertEqual(error["details"][0]["field"], "date_order")
        self.assertEqual(error["details"][0]["issue"], "missing_offset")
        self.assertIn("date_order", error["message"])
        self.assertEqual(self.env["sale.order"].search_count([]), count)
        order = self.new_order(partner=self.customer)
        error = self.assertError(
            self.api(
                "PATCH",
                f"/api/v1/orders/{order.id}",
                key=self.key,
                body={"commitment_date": "2026-01-31 10:00:00"},
            ),
            400,
            "validation_error",
        )
        self.assertEqual(error["details"][0]["field"], "commitment_date")
        self.assertFalse(order.commitment_date)
        for name in ("date_from", "date_to", "updated_since"):
            error = self.assertError(
                self.get(f"/api/v1/orders?{name}=2026-01-31T10:00:00"), 400, "validation_error"
            )
            self.assertEqual(
                error["details"], [{"field": name, "issue": "missing_offset"}], error["message"]
            )
            self.assertIn(name, error["message"])
        # the OpenAPI document says so, on every timestamp a client may send
        document = self.get("/api/v1/openapi.json").json()
        order_create = document["components"]["schemas"]["OrderCreate"]["properties"]
        self.assertIn("offset", order_create["date_order"]["description"])
        self.assertIn(
            "offset", document["components"]["parameters"]["updated_since"]["description"]
        )

    def test_date_to_includes_whole_day(self):
        late = self.new_order(partner=self.customer, date_order="2026-01-31 23:30:00")
        early = self.new_order(partner=self.customer, date_order="2026-01-31 00:00:00")
        self.new_order(partner=self.customer, date_order="2026-02-01 00:00:00")
        self.new_order(partner=self.customer, date_order="2026-01-30 23:59:59")
        rows = self.get(
            f"/api/v1/orders?partner_id={self.customer.id}&date_from=2026-01-31&date_to=2026-01-31"
        ).json()["data"]
        self.assertEqual({row["id"] for row in rows}, {late.id, early.id})
        # updated_since with a date: from the first instant of that day
        self.env.flush_all()  # no pending write may stamp write_date after ours
        self.env.cr.execute(
            "UPDATE sale_order SET write_date = %s WHERE id = %s", ["2026-01-30 23:59:59", early.id]
        )
        self.env.cr.execute(
            "UPDATE sale_order SET write_date = %s WHERE id = %s", ["2026-01-31 00:00:00", late.id]
        )
        self.env["sale.order"].invalidate_model(["write_date"])
        rows = self.get(
            f"/api/v1/orders?partner_id={self.customer.id}&updated_since=2026-01-31"
            "&date_from=2026-01-31&date_to=2026-01-31"
        ).json()["data"]
        self.assertEqual([row["id"] for row in rows], [late.id])

    def test_emitted_timestamps_carry_z(self):
        """Every field the OpenAPI document calls a date-time, in every list
        and detail answer of the suite's resources, is UTC ending in Z."""
        self.new_order(partner=self.customer).action_confirm()
        stock = self.env.ref("stock.stock_location_stock")
        storable = self.env["product.product"].create({"name": "Timed", "is_storable": True})
        self.env["stock.quant"]._update_available_quantity(storable, stock, 3)
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2026-01-31",
                "invoice_line_ids": [Command.create({"name": "x", "price_unit": 5})],
            }
        )
        accountant = self.env.ref("base.user_admin")
        admin_key = self.new_api_key(accountant)
        schemas = self.get("/api/v1/openapi.json").json()["components"]["schemas"]
        checked = set()

        def walk(value, schema, where):
            if value is None:
                return
            if schema.get("format") == "date-time":
                self.assertRegex(value, Z_TIMESTAMP, where)
                checked.add(where.split("[")[0])
            for name, sub in schema.get("properties", {}).items():
                if isinstance(value, dict) and name in value:
                    walk(value[name], sub, f"{where}.{name}")
            if schema.get("type") == "array" or "array" in schema.get("type", ()):
                for index, item in enumerate(value):
                    walk(item, schema.get("items", {}), f"{where}[{index}]")

        for path, title in (
            ("orders", "Order"),
            ("partners", "Partner"),
            ("products", "Product"),
            ("stock", "Stock"),
            ("invoices", "Invoice"),
        ):
            listed = self.api("GET", f"/api/v1/{path}?limit=3", key=admin_key)
            self.assertEqual(listed.status_code, 200, listed.text)
            rows = listed.json()["data"]
            self.assertTrue(rows, path)
            for row in rows:
                walk(row, schemas[title], path)
                detail = self.api("GET", f"/api/v1/{path}/{row['id']}", key=admin_key)
                walk(detail.json()["data"], schemas[title], path)
        self.assertTrue(invoice.exists())
        self.assertTrue(
            {"orders.date_order", "orders.updated_at", "stock.updated_at"} <= checked, checked
        )
        # an expiring key tells its expiry the same way
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = %s WHERE user_id = %s",
            ["2030-01-31 06:00:00.5", self.salesman.id],
        )
        clear_apikey_cache()
        me = self.get("/api/v1/me").json()["data"]
        self.assertEqual(me["key_expires_at"], "2030-01-31T06:00:00Z")

    def test_dates_out_of_range_are_400(self):
        for query, name in (
            ("date_from=0089-01-28T15:19:42Z", "date_from"),
            ("date_to=0089-01-28", "date_to"),
            (f"updated_since={quote('0094-01-05T00:58:12+17:11')}", "updated_since"),
            ("updated_since=9999-12-31T23:00:00-05:00", "updated_since"),
            ("date_from=1899-12-31T23:59:59Z", "date_from"),
            ("date_to=10000-01-01T00:00:00Z", "date_to"),
        ):
            error = self.assertError(self.get(f"/api/v1/orders?{query}"), 400, "validation_error")
            self.assertEqual(error["details"][0]["field"], name, query)
            self.assertIn(name, error["message"])
        for query, name in (
            ("date_from=0089-01-28", "date_from"),
            ("date_to=2026-01-31T10:00:00Z", "date_to"),  # a date filter takes a date
        ):
            error = self.assertError(self.get(f"/api/v1/invoices?{query}"), 400, "validation_error")
            self.assertEqual(error["details"][0]["field"], name, query)
        count = self.env["sale.order"].search_count([])
        for value in ("0089-01-28T15:19:42Z", "0094-01-05T00:58:12+17:11"):
            error = self.assertError(self.create_order(date_order=value), 400, "validation_error")
            self.assertEqual(error["details"][0]["field"], "date_order")
        order = self.new_order(partner=self.customer)
        error = self.assertError(
            self.api(
                "PATCH",
                f"/api/v1/orders/{order.id}",
                key=self.key,
                body={"validity_date": "0089-01-28"},
            ),
            400,
            "validation_error",
        )
        self.assertEqual(error["details"][0]["field"], "validity_date")
        self.assertEqual(self.env["sale.order"].search_count([]), count + 1)
        # the limits themselves are fine
        rows = self.get(
            f"/api/v1/orders?partner_id={self.customer.id}"
            "&date_from=1900-01-01T00:00:00Z&date_to=9999-12-31"
        )
        self.assertEqual(rows.status_code, 200, rows.text)
        self.assertEqual([row["id"] for row in rows.json()["data"]], [order.id])

    def walk_pages(self, first_url):
        ids, url = [], first_url
        while url:
            response = self.get(url)
            self.assertEqual(response.status_code, 200, response.text)
            body = response.json()
            ids += [row["id"] for row in body["data"]]
            cursor = body["pagination"]["next_cursor"]
            url = cursor and f"{first_url}&cursor={cursor}"
        return ids

    def test_cursor_by_updated_at_keeps_sub_second_order(self):
        """write_date has microseconds; a cursor that kept only the second
        skipped or repeated the records changed within that second."""
        orders = self.env["sale.order"]
        for _index in range(6):
            orders |= self.new_order(partner=self.customer)
        stamps = [
            "2026-01-31 06:00:00.900000",
            "2026-01-31 06:00:00.100000",
            "2026-01-31 06:00:00.500000",
            "2026-01-31 06:00:00.300000",
            "2026-01-31 06:00:00.700000",
            "2026-01-31 06:00:01",
        ]
        self.env.flush_all()  # no pending write may stamp write_date after ours
        for order, stamp in zip(orders, stamps, strict=True):
            self.env.cr.execute(
                "UPDATE sale_order SET write_date = %s WHERE id = %s", [stamp, order.id]
            )
        orders.invalidate_recordset(["write_date"])
        for order in ("updated_at", "-updated_at"):
            expected = orders.sorted(lambda o: (o.write_date, o.id), reverse=order[0] == "-").ids
            ids = self.walk_pages(
                f"/api/v1/orders?partner_id={self.customer.id}&order={order}&limit=2"
            )
            self.assertEqual(ids, expected, order)

    def test_cursor_by_nullable_key_sees_every_record(self):
        """Products without an internal reference sort after (ascending) or
        before (descending) the others; a cursor walk must reach them."""
        marker = "TSCURSOR"
        products = self.env["product.product"]
        for code in ("B", False, "A", False, "C", "A"):
            products |= self.env["product.product"].create(
                {"name": f"{marker} {code}", "default_code": code and f"{marker}-{code}"}
            )
        for order in ("default_code", "-default_code"):
            ids = self.walk_pages(f"/api/v1/products?name={marker}&order={order}&limit=2")
            self.assertEqual(sorted(ids), sorted(products.ids), order)
            self.assertEqual(len(ids), len(set(ids)), order)
            listed = self.get(f"/api/v1/products?name={marker}&order={order}&limit=50").json()
            self.assertEqual(ids, [row["id"] for row in listed["data"]], order)

    def test_legacy_cursor_still_works(self):
        """Cursors issued before timestamps carried Z (a plain string) still
        continue where they were."""
        first = self.new_order(partner=self.customer, date_order="2026-01-31 10:00:00")
        second = self.new_order(partner=self.customer, date_order="2026-01-31 09:00:00")
        secret = self.env["api.resource"]._api_cursor_secret()
        cursor = encode_cursor(secret, "-date_order", ["2026-01-31 10:00:00", first.id])
        rows = self.get(f"/api/v1/orders?partner_id={self.customer.id}&cursor={cursor}").json()[
            "data"
        ]
        self.assertEqual([row["id"] for row in rows], [second.id])
        # and their NULL sort keys were false
        product = self.env["product.product"].create({"name": "TSLEGACY"})
        cursor = encode_cursor(secret, "default_code", [False, product.id - 1])
        rows = self.get(f"/api/v1/products?name=TSLEGACY&order=default_code&cursor={cursor}")
        self.assertEqual(rows.status_code, 200, rows.text)
        self.assertEqual([row["id"] for row in rows.json()["data"]], [product.id])
