from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..resources.order import ORDER_CREATE
from .common import ApiCase


@tagged("post_install", "-at_install")
class TestBodyReferences(ApiCase):
    """A relation field of a body names its record by id, ref:<external
    reference> or xid:<module.name>, resolved with the caller's rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.customer = cls.env["res.partner"].create({"name": "Shop customer", "ref": "CUST-42"})
        cls.env["ir.model.data"].create(
            {
                "module": "shopify",
                "name": "customer_42",
                "model": "res.partner",
                "res_id": cls.customer.id,
            }
        )
        cls.sku = cls.env["product.product"].create({"name": "Sku one", "default_code": "SKU-1"})
        cls.env["ir.model.data"].create(
            {
                "module": "shopify",
                "name": "product_1",
                "model": "product.product",
                "res_id": cls.sku.id,
            }
        )
        # a company the salesman does not belong to, and its records
        cls.other_company = cls.env["res.company"].create({"name": "Other entity"})
        cls.hidden_partner = cls.env["res.partner"].create(
            {"name": "Hidden", "ref": "CUST-HIDDEN", "company_id": cls.other_company.id}
        )
        cls.env["ir.model.data"].create(
            {
                "module": "shopify",
                "name": "customer_hidden",
                "model": "res.partner",
                "res_id": cls.hidden_partner.id,
            }
        )
        cls.hidden_product = cls.env["product.product"].create(
            {"name": "Hidden sku", "default_code": "SKU-HIDDEN", "company_id": cls.other_company.id}
        )

    def order(self, partner, *products):
        return {"partner_id": partner, "lines": [{"product_id": p} for p in products]}

    def post_order(self, body):
        return self.api("POST", "/api/v1/orders", key=self.key, body=body)

    def test_each_form_resolves(self):
        for partner, product in (
            (self.customer.id, self.sku.id),
            ("ref:CUST-42", "ref:SKU-1"),
            ("xid:shopify.customer_42", "xid:shopify.product_1"),
        ):
            with self.subTest(partner=partner, product=product):
                response = self.post_order(self.order(partner, product, "ref:SKU-1"))
                self.assertEqual(response.status_code, 201, response.text)
                data = response.json()["data"]
                self.assertEqual(data["partner"]["id"], self.customer.id)
                self.assertEqual(
                    [line["product"]["id"] for line in data["lines"]], [self.sku.id] * 2
                )

    def test_bad_forms_are_400_naming_the_field(self):
        cases = {
            "xid:": "lines[1].product_id",
            "xid:nodot": "lines[1].product_id",
            "ref:": "lines[1].product_id",
            "ref:SKU\x01": "lines[1].product_id",
            "ref:" + "x" * 300: "lines[1].product_id",
            "xid:shopify.product_1 ": "lines[1].product_id",
            "SKU-1": "lines[1].product_id",
        }
        for value, field in cases.items():
            with self.subTest(value=value):
                body = self.order(self.customer.id, self.sku.id, value)
                error = self.assertError(self.post_order(body), 400, "validation_error")
                self.assertEqual(error["details"][0]["field"], field)
                self.assertIn(field, error["message"])
        self.assertEqual(
            self.env["sale.order"].search_count([("partner_id", "=", self.customer.id)]), 0
        )

    def test_unknown_ambiguous_and_wrong_model_are_400(self):
        self.env["product.product"].create(
            [{"name": f"Dup {i}", "default_code": "DUP-1"} for i in range(2)]
        )
        cases = {
            "ref:NO-SUCH-SKU": "not_found",
            "xid:shopify.no_such": "not_found",
            "xid:shopify.customer_42": "not_found",  # a partner, not a product
            "ref:DUP-1": "ambiguous",
        }
        for value, issue in cases.items():
            with self.subTest(value=value):
                body = self.order("ref:CUST-42", value)
                error = self.assertError(self.post_order(body), 400, "validation_error")
                self.assertEqual(error["details"][0]["field"], "lines[0].product_id")
                self.assertEqual(error["details"][0]["issue"], issue)
        error = self.assertError(self.post_order(self.order("ref:NOBODY", self.sku.id)), 400)
        self.assertEqual(error["details"][0]["field"], "partner_id")

    def test_reference_the_caller_cannot_read_is_400_like_unknown(self):
        def problem(partner, product="ref:SKU-1"):
            error = self.assertError(self.post_order(self.order(partner, product)), 400)
            return {
                k: v.replace(partner, "X").replace(product, "X")
                for k, v in error["details"][0].items()
            }

        unknown = problem("xid:shopify.customer_nobody")
        # the record exists, in a company the salesman is not in: same answer
        self.assertEqual(problem("xid:shopify.customer_hidden"), unknown)
        self.assertEqual(problem("ref:CUST-HIDDEN"), problem("ref:CUST-NOBODY"))
        self.assertEqual(
            problem("ref:CUST-42", "ref:SKU-HIDDEN")["message"],
            problem("ref:CUST-42", "ref:SKU-NOBODY")["message"],
        )

    def test_every_error_of_a_body_at_once(self):
        body = self.order("ref:NOBODY", "ref:NO-1", self.sku.id, "xid:shopify.nothing")
        error = self.assertError(self.post_order(body), 400)
        self.assertEqual(
            [d["field"] for d in error["details"]],
            ["partner_id", "lines[0].product_id", "lines[2].product_id"],
        )

    def test_resolving_line_references_does_not_grow_with_lines(self):
        orders = self.env["api.resource.order"].with_user(self.salesman)

        def queries(lines):
            body = {
                "partner_id": "xid:shopify.customer_42",
                "lines": [
                    {"product_id": ("ref:SKU-1", "xid:shopify.product_1", self.sku.id)[i % 3]}
                    for i in range(lines)
                ],
            }
            orders.env.invalidate_all()
            before = self.env.cr.sql_log_count
            orders._api_validate(body, ORDER_CREATE)
            count = self.env.cr.sql_log_count - before
            self.assertEqual({line["product_id"] for line in body["lines"]}, {self.sku.id})
            self.assertEqual(body["partner_id"], self.customer.id)
            return count

        queries(3)  # the first call reads the access rules once
        few = queries(3)
        self.assertEqual(queries(50), few)
        self.assertLessEqual(few, 10)

    def test_partner_fields_take_references(self):
        admin_key = self.new_api_key(self.env.ref("base.user_admin"))
        vip = self.env["res.partner.category"].create({"name": "VIP shop"})
        retail = self.env["res.partner.category"].create({"name": "Retail shop"})
        self.env["ir.model.data"].create(
            {
                "module": "shopify",
                "name": "tag_retail",
                "model": "res.partner.category",
                "res_id": retail.id,
            }
        )
        body = {
            "name": "Contact of a customer",
            "parent_id": "xid:shopify.customer_42",
            "category_id": ["ref:VIP shop", "xid:shopify.tag_retail"],
            "customer_rank": 3,
            "supplier_rank": 1,
        }
        response = self.api("POST", "/api/v1/partners", key=admin_key, body=body)
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        self.assertEqual(data["parent"], {"id": self.customer.id, "name": "Shop customer"})
        self.assertEqual(
            sorted(data["category_id"], key=lambda tag: tag["id"]),
            [{"id": vip.id, "name": "VIP shop"}, {"id": retail.id, "name": "Retail shop"}],
        )
        self.assertEqual((data["customer_rank"], data["supplier_rank"]), (3, 1))
        changed = self.api(
            "PATCH",
            f"/api/v1/partners/{data['id']}",
            key=admin_key,
            body={"category_id": [vip.id], "parent_id": None},
        )
        self.assertEqual(changed.status_code, 200, changed.text)
        self.assertEqual(
            changed.json()["data"]["category_id"], [{"id": vip.id, "name": "VIP shop"}]
        )
        self.assertIsNone(changed.json()["data"]["parent"])
        error = self.assertError(
            self.api(
                "PATCH",
                f"/api/v1/partners/{data['id']}",
                key=admin_key,
                body={"category_id": ["ref:Nope"]},
            ),
            400,
        )
        self.assertEqual(error["details"][0]["field"], "category_id[0]")

    def test_document_states_the_reference_forms(self):
        document = self.api("GET", "/api/v1/openapi.json").json()
        line = document["components"]["schemas"]["OrderCreate"]["properties"]["lines"]["items"]
        forms = line["properties"]["product_id"]["oneOf"]
        self.assertEqual([form["type"] for form in forms], ["integer", "string"])
        self.assertIn("xid:", forms[1]["pattern"])
        parent = document["components"]["schemas"]["PartnerCreate"]["properties"]["parent_id"]
        self.assertEqual([form["type"] for form in parent["oneOf"]], ["integer", "string", "null"])


@tagged("post_install", "-at_install")
class TestExternalIds(ApiCase):
    """Creates may assign an external id; PUT /<path>/xid:<module.name>
    creates or updates; rows show their xid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_key = cls.new_api_key(cls.env.ref("base.user_admin"))
        cls.key = cls.new_api_key(cls.salesman)

    def xid_of(self, model, res_id):
        rows = self.env["ir.model.data"].search([("model", "=", model), ("res_id", "=", res_id)])
        return [f"{row.module}.{row.name}" for row in rows]

    def test_create_assigns_xid_and_rows_show_it(self):
        response = self.api(
            "POST",
            "/api/v1/partners",
            key=self.admin_key,
            body={"name": "Shop 1", "xid": "shopify.c_1"},
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()["data"]
        self.assertEqual(data["xid"], "shopify.c_1")
        self.assertEqual(self.xid_of("res.partner", data["id"]), ["shopify.c_1"])
        self.assertEqual(
            self.api("GET", "/api/v1/partners/xid:shopify.c_1", key=self.admin_key).json()["data"][
                "id"
            ],
            data["id"],
        )
        rows = self.api("GET", "/api/v1/partners?limit=200&order=-id", key=self.admin_key).json()[
            "data"
        ]
        by_id = {row["id"]: row["xid"] for row in rows}
        self.assertEqual(by_id[data["id"]], "shopify.c_1")
        self.assertIsNone(by_id[self.partner.id])

    def test_create_with_xid_of_another_record_is_409(self):
        first = self.api(
            "POST", "/api/v1/partners", key=self.admin_key, body={"name": "A", "xid": "shopify.c_2"}
        )
        self.assertEqual(first.status_code, 201, first.text)
        count = self.env["res.partner"].search_count([])
        error = self.assertError(
            self.api(
                "POST",
                "/api/v1/partners",
                key=self.admin_key,
                body={"name": "B", "xid": "shopify.c_2"},
            ),
            409,
            "conflict",
        )
        self.assertEqual(error["details"][0]["field"], "xid")
        self.assertEqual(self.env["res.partner"].search_count([]), count)
        # an xid naming a record of another model is another record too
        order = self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            body={
                "partner_id": self.partner.id,
                "xid": "shopify.c_2",
                "lines": [{"product_id": self.product.id}],
            },
        )
        self.assertError(order, 409, "conflict")

    def test_create_by_reference_keeps_its_xid(self):
        body = {"name": "Ref", "ref": "C-XID-1", "xid": "shopify.c_3"}
        first = self.api("POST", "/api/v1/partners", key=self.admin_key, body=body)
        self.assertEqual(first.status_code, 201, first.text)
        again = self.api("POST", "/api/v1/partners", key=self.admin_key, body=dict(body))
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["data"]["id"], first.json()["data"]["id"])

    def test_xid_in_an_odoo_module_or_malformed_is_400(self):
        for xid in ("base.partner_x", "sale.order_1", "__export__.x", "nodot", "a.b c", ""):
            with self.subTest(xid=xid):
                error = self.assertError(
                    self.api(
                        "POST",
                        "/api/v1/partners",
                        key=self.admin_key,
                        body={"name": "X", "xid": xid},
                    ),
                    400,
                    "validation_error",
                )
                self.assertEqual(error["details"][0]["field"], "xid")
        error = self.assertError(
            self.api(
                "PUT",
                "/api/v1/partners/xid:base.main_partner",
                key=self.admin_key,
                body={"name": "X"},
            ),
            400,
        )
        self.assertEqual(error["details"][0]["field"], "ident")
        self.assertNotEqual(self.env.ref("base.main_partner").name, "X")

    def test_put_creates_then_updates_and_replays(self):
        path = "/api/v1/partners/xid:shopify.c_put"
        created = self.api(
            "PUT", path, key=self.admin_key, body={"name": "Put one", "city": "Ghent"}
        )
        self.assertEqual(created.status_code, 201, created.text)
        record_id = created.json()["data"]["id"]
        self.assertEqual(created.headers["Location"], f"/api/v1/partners/{record_id}")
        self.assertEqual(created.json()["data"]["xid"], "shopify.c_put")
        # the same body again writes nothing: updated_at stays where it was
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = '2020-01-02 03:04:05' WHERE id = %s", [record_id]
        )
        self.env.invalidate_all()
        replay = self.api(
            "PUT", path, key=self.admin_key, body={"name": "Put one", "city": "Ghent"}
        )
        self.assertEqual(replay.status_code, 200, replay.text)
        self.assertEqual(
            replay.json()["data"], {**created.json()["data"], "updated_at": "2020-01-02T03:04:05Z"}
        )
        updated = self.api("PUT", path, key=self.admin_key, body={"name": "Put two"})
        self.assertEqual(updated.status_code, 200, updated.text)
        self.assertEqual(updated.json()["data"]["id"], record_id)
        self.assertEqual(self.env["res.partner"].browse(record_id).name, "Put two")
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Put ")]), 1)
        # a stale If-Match is refused as PATCH refuses it
        self.assertError(
            self.api(
                "PUT",
                path,
                key=self.admin_key,
                body={"name": "Put three"},
                headers={"If-Match": '"stale"'},
            ),
            412,
        )

    def test_put_order_replay_changes_nothing(self):
        body = {
            "partner_id": self.partner.id,
            "lines": [{"product_id": "ref:API-W", "quantity": 2}],
            "note": "n",
        }
        path = "/api/v1/orders/xid:shopify.order_9821"
        created = self.api("PUT", path, key=self.key, body=body)
        self.assertEqual(created.status_code, 201, created.text)
        replay = self.api("PUT", path, key=self.key, body=body)
        self.assertEqual(replay.status_code, 200, replay.text)
        self.assertEqual(replay.json()["data"]["lines"], created.json()["data"]["lines"])
        self.assertEqual(
            self.env["sale.order"].search_count([("partner_id", "=", self.partner.id)]), 1
        )

    def test_put_refusals(self):
        self.assertError(
            self.api(
                "PUT", f"/api/v1/partners/{self.partner.id}", key=self.admin_key, body={"name": "X"}
            ),
            400,
        )
        self.env["ir.model.data"].create(
            {
                "module": "shopify",
                "name": "an_order",
                "model": "sale.order",
                "res_id": self.new_order().id,
            }
        )
        self.assertError(
            self.api(
                "PUT",
                "/api/v1/partners/xid:shopify.an_order",
                key=self.admin_key,
                body={"name": "X"},
            ),
            409,
            "conflict",
        )
        error = self.assertError(
            self.api(
                "PUT",
                "/api/v1/partners/xid:shopify.c_9",
                key=self.admin_key,
                body={"name": "X", "xid": "shopify.c_8"},
            ),
            400,
        )
        self.assertEqual(error["details"][0]["field"], "xid")
        self.assertError(
            self.api("PUT", "/api/v1/partners/xid:shopify.c_9", key=self.admin_key, body={}), 400
        )
        # the operation is documented, and Allow lists PUT
        document = self.api("GET", "/api/v1/openapi.json").json()
        self.assertIn("put", document["paths"]["/partners/{ident}"])
        with mute_logger("odoo.http"):
            response = self.api(
                "POST", f"/api/v1/partners/{self.partner.id}", key=self.admin_key, body={}
            )
        self.assertIn("PUT", response.headers["Allow"])

    def test_put_of_a_record_the_caller_cannot_read_is_409(self):
        other = self.env["res.company"].create({"name": "Elsewhere"})
        hidden = self.env["res.partner"].create({"name": "Hidden", "company_id": other.id})
        self.env["ir.model.data"].create(
            {"module": "shopify", "name": "hidden", "model": "res.partner", "res_id": hidden.id}
        )
        user = new_test_user(
            self.env,
            login="api_xref_partner_mgr",
            groups="base.group_user,base.group_partner_manager",
        )
        key = self.new_api_key(user)
        self.assertError(
            self.api("PUT", "/api/v1/partners/xid:shopify.hidden", key=key, body={"name": "Mine"}),
            409,
            "conflict",
        )
        self.assertEqual(hidden.name, "Hidden")

    def test_rows_xids_in_one_query(self):
        partners = self.env["res.partner"].create([{"name": f"Xid {i}"} for i in range(20)])
        self.env["ir.model.data"].create(
            [
                {"module": "shopify", "name": f"p_{p.id}", "model": "res.partner", "res_id": p.id}
                for p in partners
            ]
        )
        resource = self.env["api.resource.partner"]
        before = self.env.cr.sql_log_count
        xids = resource._api_xids_of(partners.ids)
        self.assertEqual(self.env.cr.sql_log_count - before, 1)
        self.assertEqual(xids, {p.id: f"shopify.p_{p.id}" for p in partners})
