from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.my_api.resources.partner import ApiResourcePartner

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestResources(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env.ref("base.user_admin")
        cls.key = cls.new_api_key(cls.manager)

    def test_partners_crud_company_and_contact(self):
        company = self.api(
            "POST",
            "/api/v1/partners",
            key=self.key,
            body={"name": "ACME", "is_company": True, "country_code": "BE", "ref": "ACME-1"},
        )
        self.assertEqual(company.status_code, 201, company.text)
        company_id = company.json()["data"]["id"]
        contact = self.api(
            "POST",
            "/api/v1/partners",
            key=self.key,
            body={"name": "Jane", "parent_id": company_id, "email": "jane@acme.test"},
        )
        self.assertEqual(contact.status_code, 201, contact.text)
        self.assertEqual(contact.json()["data"]["parent"], {"id": company_id, "name": "ACME"})
        listed = self.api("GET", f"/api/v1/partners?parent_id={company_id}", key=self.key).json()
        self.assertEqual([row["name"] for row in listed["data"]], ["Jane"])
        by_ref = self.api("GET", "/api/v1/partners/ref:ACME-1", key=self.key)
        self.assertEqual(by_ref.json()["data"]["country_code"], "BE")
        contact_id = contact.json()["data"]["id"]
        patched = self.api(
            "PATCH", f"/api/v1/partners/{contact_id}", key=self.key, body={"phone": "+32 2 000"}
        )
        self.assertEqual(patched.json()["data"]["phone"], "+32 2 000")
        deleted = self.api("DELETE", f"/api/v1/partners/{contact_id}", key=self.key)
        self.assertEqual(deleted.status_code, 200, deleted.text)
        self.assertFalse(self.env["res.partner"].browse(contact_id).exists())

    def test_unknown_country_and_parent_are_400(self):
        error = self.assertError(
            self.api(
                "POST", "/api/v1/partners", key=self.key, body={"name": "X", "country_code": "ZZ"}
            ),
            400,
        )
        self.assertEqual(error["details"][0]["field"], "country_code")
        error = self.assertError(
            self.api(
                "POST", "/api/v1/partners", key=self.key, body={"name": "X", "parent_id": 99999999}
            ),
            400,
        )
        self.assertEqual(error["details"][0]["field"], "parent_id")

    def test_if_match_detects_stale_writes(self):
        partner = self.env["res.partner"].create({"name": "Etag Co"})
        first = self.api("GET", f"/api/v1/partners/{partner.id}", key=self.key)
        etag = first.headers["ETag"]
        ok = self.api(
            "PATCH",
            f"/api/v1/partners/{partner.id}",
            key=self.key,
            body={"city": "Namur"},
            headers={"If-Match": etag},
        )
        self.assertEqual(ok.status_code, 200, ok.text)
        self.assertNotEqual(ok.headers["ETag"], etag)
        stale = self.api(
            "PATCH",
            f"/api/v1/partners/{partner.id}",
            key=self.key,
            body={"city": "Liège"},
            headers={"If-Match": etag},
        )
        self.assertError(stale, 412, "precondition_failed")
        self.assertEqual(partner.city, "Namur")
        self.assertError(
            self.api(
                "DELETE", f"/api/v1/partners/{partner.id}", key=self.key, headers={"If-Match": etag}
            ),
            412,
        )
        self.assertTrue(partner.exists())

    def test_products_with_stock_quantities(self):
        created = self.api(
            "POST",
            "/api/v1/products",
            key=self.key,
            body={
                "name": "Stocked",
                "default_code": "STK-1",
                "is_storable": True,
                "list_price": 3.5,
            },
        )
        self.assertEqual(created.status_code, 201, created.text)
        product = self.env["product.product"].browse(created.json()["data"]["id"])
        stock = self.env.ref("stock.stock_location_stock")
        self.env["stock.quant"]._update_available_quantity(product, stock, 7)
        data = self.api("GET", "/api/v1/products/ref:STK-1", key=self.key).json()["data"]
        self.assertEqual(data["qty_available"], 7)
        self.assertEqual(data["virtual_available"], 7)
        levels = self.api("GET", "/api/v1/stock?default_code=STK-1", key=self.key).json()["data"]
        self.assertEqual(len(levels), 1)
        self.assertEqual(levels[0]["quantity"], 7)
        self.assertEqual(levels[0]["location"]["id"], stock.id)
        self.assertEqual(levels[0]["available_quantity"], 7)

    def test_stock_is_read_only(self):
        response = self.api("POST", "/api/v1/stock", key=self.key, body={"product_id": 1})
        self.assertError(response, 405, "method_not_allowed")

    def test_invoices_read_amounts_and_residual(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_line_ids": [
                    Command.create({"product_id": self.product.id, "quantity": 2, "price_unit": 50})
                ],
            }
        )
        invoice.action_post()
        data = self.api("GET", f"/api/v1/invoices/{invoice.id}", key=self.key).json()["data"]
        self.assertEqual(data["state"], "posted")
        self.assertEqual(data["payment_state"], "not_paid")
        self.assertEqual(data["amount_untaxed"], 100)
        self.assertEqual(data["amount_residual"], invoice.amount_total)
        self.assertEqual(len(data["lines"]), 1)
        listed = self.api(
            "GET", f"/api/v1/invoices?partner_id={self.partner.id}&state=posted", key=self.key
        )
        self.assertIn(invoice.id, [row["id"] for row in listed.json()["data"]])

    def test_order_patch_confirm_cancel(self):
        order = self.new_order()
        patched = self.api(
            "PATCH", f"/api/v1/orders/{order.id}", key=self.key, body={"external_ref": "PO-77"}
        )
        self.assertEqual(patched.json()["data"]["external_ref"], "PO-77")
        confirmed = self.api("POST", "/api/v1/orders/ref:PO-77/confirm", key=self.key)
        self.assertEqual(confirmed.status_code, 200, confirmed.text)
        self.assertEqual(order.state, "sale")
        self.assertError(
            self.api("POST", f"/api/v1/orders/{order.id}/confirm", key=self.key), 409, "conflict"
        )
        cancelled = self.api("POST", f"/api/v1/orders/{order.id}/cancel", key=self.key)
        self.assertEqual(cancelled.json()["data"]["state"], "cancel")
        self.assertError(self.api("POST", f"/api/v1/orders/{order.id}/explode", key=self.key), 404)

    def test_xid_lookup(self):
        response = self.api("GET", "/api/v1/partners/xid:base.main_partner", key=self.key)
        self.assertEqual(response.json()["data"]["id"], self.env.ref("base.main_partner").id)
        self.assertError(self.api("GET", "/api/v1/orders/xid:base.main_partner", key=self.key), 404)
        self.assertError(self.api("GET", "/api/v1/orders/not-an-id", key=self.key), 400)

    def test_batch_is_all_or_nothing(self):
        count = self.env["res.partner"].search_count([])
        body = {
            "items": [
                {"op": "create", "data": {"name": "B1"}},
                {"op": "create", "data": {"name": "B2", "colour": "red"}},
                {"op": "create", "data": {"email": "no-name@x.test"}},
            ]
        }
        error = self.assertError(
            self.api("POST", "/api/v1/partners/batch", key=self.key, body=body), 400, "batch_failed"
        )
        self.assertEqual([item["index"] for item in error["details"]], [1, 2])
        self.assertEqual(self.env["res.partner"].search_count([]), count)
        good = {
            "items": [{"op": "create", "data": {"name": f"B{i}"}} for i in range(5)]
            + [{"op": "update", "id": str(self.partner.id), "data": {"city": "Gent"}}]
        }
        response = self.api("POST", "/api/v1/partners/batch", key=self.key, body=good)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(response.json()["data"]), 6)
        self.assertEqual(self.env["res.partner"].search_count([]), count + 5)
        self.assertEqual(self.partner.city, "Gent")
        too_many = {"items": [{"op": "create", "data": {"name": "x"}}] * 201}
        self.assertError(
            self.api("POST", "/api/v1/partners/batch", key=self.key, body=too_many), 400
        )

    def test_bad_requests(self):
        error = self.assertError(self.api("GET", "/api/v1/partners?colour=red", key=self.key), 400)
        self.assertIn("colour", error["message"])
        error = self.assertError(
            self.api("POST", "/api/v1/partners", key=self.key, body={"name": "X", "colour": "red"}),
            400,
            "validation_error",
        )
        self.assertEqual(
            error["details"][0],
            {"field": "colour", "issue": "unknown_field", "message": "unknown field 'colour'"},
        )
        self.assertError(self.api("GET", "/api/v1/partners?limit=abc", key=self.key), 400)
        self.assertError(self.api("GET", "/api/v1/partners?order=email", key=self.key), 400)
        self.assertError(
            self.api("GET", "/api/v1/partners?updated_since=yesterday", key=self.key), 400
        )
        self.assertError(
            self.api(
                "POST",
                "/api/v1/partners",
                key=self.key,
                raw="name=x",
                headers={"Content-Type": "text/plain"},
            ),
            415,
            "unsupported_media_type",
        )
        self.assertError(
            self.api(
                "POST",
                "/api/v1/partners",
                key=self.key,
                raw="[1, 2]",
                headers={"Content-Type": "application/json"},
            ),
            400,
        )
        self.env["ir.config_parameter"].set_param("my_api.max_body_bytes", "100")
        big = {"name": "x" * 200}
        self.assertError(
            self.api("POST", "/api/v1/partners", key=self.key, body=big), 413, "payload_too_large"
        )

    def test_internal_error_is_enveloped_and_logged_with_request_id(self):
        def boom(self, records, detail=False):
            raise RuntimeError("secret internals")

        with (
            patch.object(ApiResourcePartner, "_api_render", boom),
            mute_logger("odoo.addons.my_api.core"),
        ):
            response = self.api(
                "GET", "/api/v1/partners", key=self.key, headers={"X-Request-Id": "trace-1"}
            )
        error = self.assertError(response, 500, "internal_error")
        self.assertNotIn("secret internals", response.text)
        self.assertIn("trace-1", error["message"])

    def test_updated_since(self):
        partner = self.env["res.partner"].create({"name": "Fresh"})
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = '2020-01-01' WHERE id != %s", [partner.id]
        )
        self.env["res.partner"].invalidate_model(["write_date"])
        data = self.api(
            "GET", "/api/v1/partners?updated_since=2025-01-01T00:00:00Z&limit=200", key=self.key
        ).json()["data"]
        self.assertEqual([row["id"] for row in data], [partner.id])
