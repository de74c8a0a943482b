from odoo.tests import new_test_user, tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestExternalRefs(ApiCase):
    """Create-by-reference never makes a second record with a reference
    that already exists: whoever set it, however (API, web client, import)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.colleague = new_test_user(
            cls.env,
            login="api_ref_colleague",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
        )
        # a salesman who sees only their own orders (Odoo's record rule)
        cls.own_only = new_test_user(
            cls.env,
            login="api_ref_own_only",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.own_only_key = cls.new_api_key(cls.own_only)

    def order_body(self, ref):
        return {
            "partner_id": self.partner.id,
            "external_ref": ref,
            "lines": [{"product_id": self.product.id}],
        }

    def typed_in_ui(self, ref, user=None):
        """An order whose customer reference someone typed in the web client."""
        orders = self.env["sale.order"].with_user(user or self.colleague)
        order = orders.create(
            {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": self.product.id})]}
        )
        order.write({"client_order_ref": ref})
        return order

    def count(self, model, field, value):
        return self.env[model].with_context(active_test=False).search_count([(field, "=", value)])

    def test_create_by_ref_finds_record_typed_in_ui(self):
        existing = self.typed_in_ui("PO-TYPED-1")
        response = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.order_body("PO-TYPED-1")
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["id"], existing.id)
        self.assertEqual(response.headers["Location"], f"/api/v1/orders/{existing.id}")
        self.assertEqual(self.count("sale.order", "client_order_ref", "PO-TYPED-1"), 1)
        # in a batch too
        batch = self.api(
            "POST",
            "/api/v1/orders/batch",
            key=self.key,
            body={"items": [{"op": "create", "data": self.order_body("PO-TYPED-1")}]},
        )
        self.assertEqual(batch.status_code, 200, batch.text)
        self.assertEqual(batch.json()["data"], [{"index": 0, "id": existing.id, "created": False}])
        self.assertEqual(self.count("sale.order", "client_order_ref", "PO-TYPED-1"), 1)

    def test_create_by_ref_finds_partner_and_product_typed_in_ui(self):
        admin_key = self.new_api_key(self.env.ref("base.user_admin"))
        partner = self.env["res.partner"].create({"name": "Typed", "ref": "C-77"})
        response = self.api(
            "POST", "/api/v1/partners", key=admin_key, body={"name": "Typed again", "ref": "C-77"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["id"], partner.id)
        self.assertEqual(self.count("res.partner", "ref", "C-77"), 1)
        product = self.env["product.product"].create({"name": "Typed", "default_code": "SKU-77"})
        response = self.api(
            "POST", "/api/v1/products", key=admin_key, body={"name": "X", "default_code": "SKU-77"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["id"], product.id)
        self.assertEqual(self.count("product.product", "default_code", "SKU-77"), 1)

    def test_create_by_ref_unreadable_is_409(self):
        hidden = self.typed_in_ui("PO-HIDDEN-1")  # the colleague's: not the own-only salesman's
        self.assertFalse(hidden.with_user(self.own_only).has_access("read"))
        count = self.env["sale.order"].search_count([])
        response = self.api(
            "POST", "/api/v1/orders", key=self.own_only_key, body=self.order_body("PO-HIDDEN-1")
        )
        error = self.assertError(response, 409, "conflict")
        self.assertIn("external_ref", error["message"])
        self.assertEqual(error["details"], [{"field": "external_ref", "issue": "already_exists"}])
        # nothing of the hidden order leaks
        self.assertNotIn("data", response.json())
        for secret in (hidden.name, f"/orders/{hidden.id}", self.colleague.name):
            self.assertNotIn(secret, response.text)
        self.assertEqual(self.env["sale.order"].search_count([]), count)
        # a reference of their own still creates, then finds, as before
        mine = self.api(
            "POST", "/api/v1/orders", key=self.own_only_key, body=self.order_body("PO-MINE-1")
        )
        self.assertEqual(mine.status_code, 201, mine.text)
        again = self.api(
            "POST", "/api/v1/orders", key=self.own_only_key, body=self.order_body("PO-MINE-1")
        )
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["data"]["id"], mine.json()["data"]["id"])

    def test_create_by_ref_without_create_right_is_403_not_409(self):
        """Someone who may not create orders at all learns nothing of which
        references exist."""
        self.typed_in_ui("PO-PROBE-1")
        clerk = new_test_user(self.env, login="api_ref_clerk", groups="base.group_user")
        self.assertError(
            self.api(
                "POST",
                "/api/v1/orders",
                key=self.new_api_key(clerk),
                body=self.order_body("PO-PROBE-1"),
            ),
            403,
            "forbidden",
        )

    def test_create_by_ref_in_other_company_is_not_a_duplicate(self):
        """Another company's books are not the caller's: the same customer
        reference there neither blocks nor is returned."""
        other = self.env["res.company"].create({"name": "Ref Other Co"})
        theirs = self.new_order(company_id=other.id, client_order_ref="PO-SHARED-1")
        response = self.api(
            "POST", "/api/v1/orders", key=self.key, body=self.order_body("PO-SHARED-1")
        )
        self.assertEqual(response.status_code, 201, response.text)
        self.assertNotEqual(response.json()["data"]["id"], theirs.id)
