from odoo.tests import new_test_user, tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestOrders(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)

    def test_seed_list_filters_by_state_newest_first(self):
        old = self.new_order(date_order="2026-01-01 10:00:00")
        new = self.new_order(date_order="2026-02-01 10:00:00", lines=3)
        (old | new).action_confirm()
        self.new_order()  # a quotation: filtered out by state=sale
        response = self.api("GET", "/api/v1/orders?state=sale&limit=10", key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        ids = [row["id"] for row in body["data"]]
        self.assertLess(ids.index(new.id), ids.index(old.id))
        self.assertTrue(all(row["state"] == "sale" for row in body["data"]))
        row = body["data"][ids.index(new.id)]
        self.assertEqual(row["partner"], {"id": self.partner.id, "name": "Api Customer"})
        self.assertEqual(row["line_count"], 3)
        self.assertEqual(row["amount_total"], new.amount_total)
        self.assertTrue(row["date_order"].endswith("Z"))
        pagination = body["pagination"]
        self.assertEqual(pagination["limit"], 10)
        self.assertEqual(pagination["offset"], 0)
        self.assertEqual(
            pagination["total"], self.env["sale.order"].search_count([("state", "=", "sale")])
        )
        self.assertEqual(pagination["has_more"], pagination["total"] > 10)

    def test_seed_get_order_with_lines(self):
        order = self.new_order(lines=2)
        response = self.api("GET", f"/api/v1/orders/{order.id}", key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["ETag"])
        data = response.json()["data"]
        self.assertEqual(data["partner"]["email"], "c@example.com")
        self.assertEqual(data["amount_untaxed"], order.amount_untaxed)
        self.assertEqual(data["amount_tax"], order.amount_tax)
        self.assertEqual([line["quantity"] for line in data["lines"]], [1.0, 2.0])
        self.assertEqual(data["lines"][0]["product"]["id"], self.product.id)
        self.assertEqual(data["lines"][0]["unit_price"], 10.0)
        self.assertEqual(data["lines"][1]["subtotal"], 20.0)

    def test_seed_get_missing_order_is_404(self):
        self.assertError(
            self.api("GET", "/api/v1/orders/999999999", key=self.key), 404, "not_found"
        )

    def test_seed_create_order(self):
        body = {
            "partner_id": self.partner.id,
            "external_ref": "SHOPIFY-9821",
            "lines": [{"product_id": self.product.id, "quantity": 2, "price": 49.99}],
        }
        response = self.api("POST", "/api/v1/orders", key=self.key, body=body)
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        order = self.env["sale.order"].browse(data["id"])
        self.assertEqual(data["name"], order.name)
        self.assertEqual(order.client_order_ref, "SHOPIFY-9821")
        self.assertEqual(order.order_line.price_unit, 49.99)
        self.assertEqual(order.order_line.product_uom_qty, 2)
        self.assertEqual(response.headers["Location"], f"/api/v1/orders/{order.id}")
        # the same external reference again returns the existing order
        again = self.api("POST", "/api/v1/orders", key=self.key, body=body)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["data"]["id"], order.id)
        self.assertEqual(
            self.env["sale.order"].search_count([("client_order_ref", "=", "SHOPIFY-9821")]), 1
        )

    def test_seed_create_validation(self):
        error = self.assertError(
            self.api(
                "POST",
                "/api/v1/orders",
                key=self.key,
                body={"lines": [{"product_id": self.product.id}]},
            ),
            400,
            "validation_error",
        )
        self.assertEqual(error["details"][0]["field"], "partner_id")
        self.assertIn("partner_id", error["message"])
        error = self.assertError(
            self.api("POST", "/api/v1/orders", key=self.key, body={"partner_id": self.partner.id}),
            400,
        )
        self.assertIn("lines", error["message"])
        error = self.assertError(
            self.api(
                "POST",
                "/api/v1/orders",
                key=self.key,
                raw="{not json",
                headers={"Content-Type": "application/json"},
            ),
            400,
            "bad_request",
        )
        self.assertIn("JSON", error["message"])

    def test_user_without_sales_rights_is_403_and_nothing_written(self):
        clerk = new_test_user(self.env, login="api_clerk", groups="base.group_user")
        key = self.new_api_key(clerk)
        self.assertError(self.api("GET", "/api/v1/orders", key=key), 403, "forbidden")
        count = self.env["sale.order"].search_count([])
        body = {"partner_id": self.partner.id, "lines": [{"product_id": self.product.id}]}
        self.assertError(self.api("POST", "/api/v1/orders", key=key, body=body), 403, "forbidden")
        self.assertEqual(self.env["sale.order"].search_count([]), count)

    def test_customer_the_user_cannot_read_is_named_not_refused(self):
        """As Odoo's read() names a many2one value: the order shows its
        customer's name, never the customer's other fields."""
        other = self.env["res.company"].create({"name": "Elsewhere Co"})
        customer = self.env["res.partner"].create({"name": "Far Customer", "email": "far@x.test"})
        order = self.new_order(partner=customer)
        customer.company_id = other  # now hidden from the salesman by res.partner's rule
        self.assertFalse(customer.with_user(self.salesman).has_access("read"))
        listed = self.api("GET", f"/api/v1/orders?partner_id={customer.id}", key=self.key)
        self.assertEqual(listed.status_code, 200, listed.text)
        self.assertEqual(
            listed.json()["data"][0]["partner"], {"id": customer.id, "name": "Far Customer"}
        )
        detail = self.api("GET", f"/api/v1/orders/{order.id}", key=self.key)
        self.assertEqual(detail.status_code, 200, detail.text)
        partner = detail.json()["data"]["partner"]
        self.assertEqual((partner["name"], partner["email"]), ("Far Customer", None))

    def test_record_rule_hides_other_company_orders(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        hidden = self.new_order(company_id=other.id)
        visible = self.new_order()
        response = self.api("GET", "/api/v1/orders?limit=200", key=self.key)
        ids = [row["id"] for row in response.json()["data"]]
        self.assertIn(visible.id, ids)
        self.assertNotIn(hidden.id, ids)
        self.assertError(
            self.api("GET", f"/api/v1/orders/{hidden.id}", key=self.key), 403, "forbidden"
        )
