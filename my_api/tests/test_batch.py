import copy
from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.my_api.models.api_resource_batch import ApiResourceBatch

from ..resources.order import ORDER_CREATE
from .common import ApiCase


@contextmanager
def item_by_item():
    """Batches take the item-by-item path only: the contract the bulk path
    must answer exactly as."""
    with patch.object(ApiResourceBatch, "_api_batch_bulk_allowed", lambda self: False):
        yield


@tagged("post_install", "-at_install")
class TestFastBatch(ApiCase):
    """A batch's consecutive creates are one create() call, and the answer
    and the database end as the item-by-item path leaves them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env.ref("base.user_admin")
        cls.key = cls.new_api_key(cls.manager)

    def batch(self, path, items):
        return self.api("POST", f"/api/v1/{path}/batch", key=self.key, body={"items": items})

    def assertSameAsItemByItem(self, path, items, status=400):
        """POST the batch both ways (nothing is saved: it fails) and return
        the error, which must be the same both ways."""
        count = self.env[self.env[f"api.resource.{path[:-1]}"]._api_model].search_count([])
        fast = self.assertError(self.batch(path, items), status, "batch_failed")
        with item_by_item():
            slow = self.assertError(self.batch(path, items), status, "batch_failed")
        for error in (fast, slow):
            error.pop("request_id")
        self.assertEqual(fast, slow)
        self.assertEqual(
            self.env[self.env[f"api.resource.{path[:-1]}"]._api_model].search_count([]), count
        )
        return fast

    def count_creates(self, items):
        """(the sizes of the create() calls on res.partner, queries) of the
        batch `items`."""
        resource = self.env["api.resource.partner"].with_user(self.manager)
        partners = type(self.env["res.partner"])
        calls = []
        original = partners.create

        def counting(records, vals_list):
            calls.append(len(vals_list) if isinstance(vals_list, list) else 1)
            return original(records, vals_list)

        self.env.invalidate_all()
        with patch.object(partners, "create", counting):
            before = self.cr.sql_log_count
            results = resource._api_batch({"items": items})
            queries = self.cr.sql_log_count - before
        self.assertEqual(len(results), len(items))
        self.assertEqual(len(self.env["res.partner"].browse(r["id"] for r in results)), len(items))
        return calls, queries

    def test_consecutive_creates_are_one_create_call(self):
        def creates(n, tag):
            return [
                {"op": "create", "data": {"name": f"Bulk {tag} {i}", "email": f"b{i}@x.test"}}
                for i in range(n)
            ]

        self.count_creates(creates(3, "warm"))  # metadata caches
        calls_10, queries_10 = self.count_creates(creates(10, "ten"))
        calls_50, queries_50 = self.count_creates(creates(50, "fifty"))
        self.assertEqual((calls_10, calls_50), ([10], [50]))
        self.assertLessEqual(queries_50, queries_10 + 2, (queries_10, queries_50))
        # an update between creates splits them in two runs: two calls
        mixed = creates(4, "mixed")
        mixed.insert(2, {"op": "update", "id": str(self.partner.id), "data": {"city": "Gent"}})
        calls, _queries = self.count_creates(mixed)
        self.assertEqual(calls, [2, 2])

    @mute_logger("odoo.addons.my_api.core")
    def test_creates_with_xid_and_company_take_the_bulk_path(self):
        """An external id to assign and a company are steps of the create
        pipeline the bulk path shares: such creates are one create() per company."""
        items = [
            {
                "op": "create",
                "data": {
                    "name": f"Xid {i}",
                    "xid": f"batchbulk.p_{i}",
                    "company_id": self.company.id,
                },
            }
            for i in range(4)
        ]
        items[2]["data"].pop("company_id")
        calls, _queries = self.count_creates(items)
        # a create in another company (here: none) starts another create()
        self.assertEqual(calls, [2, 1, 1])
        partners = [self.env.ref(f"batchbulk.p_{i}") for i in range(4)]
        self.assertEqual([p.name for p in partners], [f"Xid {i}" for i in range(4)])
        self.assertEqual(
            [p.company_id for p in partners],
            [self.company, self.company, self.env["res.company"], self.company],
        )
        # one external id twice: the second is named, as item by item
        items = [
            {"op": "create", "data": {"name": f"Twice {i}", "xid": "batchbulk.twice"}}
            for i in range(2)
        ]
        error = self.assertSameAsItemByItem("partners", items, status=409)
        self.assertEqual([(item["index"], item["status"]) for item in error["details"]], [(1, 409)])
        self.assertFalse(self.env.ref("batchbulk.twice", raise_if_not_found=False))

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_constraint_on_third_of_five_creates_names_it_and_saves_nothing(self):
        self.product.barcode = "BATCH-TAKEN"
        items = [
            {"op": "create", "data": {"name": f"Batch product {i}", "default_code": f"BP-{i}"}}
            for i in range(5)
        ]
        items[2]["data"]["barcode"] = "BATCH-TAKEN"
        error = self.assertSameAsItemByItem("products", items)
        self.assertEqual([item["index"] for item in error["details"]], [2])
        self.assertEqual(error["details"][0]["status"], 400)
        self.assertFalse(self.env["product.product"].search([("default_code", "like", "BP-%")]))
        # two new items that clash only with each other: the second is named
        items[2]["data"]["barcode"] = "BATCH-NEW"
        items[4]["data"]["barcode"] = "BATCH-NEW"
        error = self.assertSameAsItemByItem("products", items)
        self.assertEqual([item["index"] for item in error["details"]], [4])
        # without the clash, all five are created in order
        del items[4]["data"]["barcode"]
        response = self.batch("products", items)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual([row["index"] for row in data], [0, 1, 2, 3, 4])
        products = self.env["product.product"].browse([row["id"] for row in data])
        self.assertEqual(products.mapped("default_code"), [f"BP-{i}" for i in range(5)])
        self.assertEqual(sorted(products.ids), products.ids)

    @mute_logger("odoo.addons.my_api.core")
    def test_garbage_in_one_item_is_that_items_400(self):
        items = [{"op": "create", "data": {"name": f"Fine {i}"}} for i in range(6)]
        items[1]["data"]["parent_id"] = 2**31  # beyond PostgreSQL's integer
        items[3]["data"]["name"] = "nul \x00 inside"
        items[4]["data"]["name"] = "lone \ud800 surrogate"
        error = self.assertSameAsItemByItem("partners", items)
        self.assertEqual([item["index"] for item in error["details"]], [1, 3, 4])
        self.assertEqual({item["status"] for item in error["details"]}, {400})
        self.assertEqual(
            [detail["field"] for item in error["details"] for detail in item["details"]],
            ["parent_id", "name", "name"],
        )
        self.assertFalse(self.env["res.partner"].search([("name", "like", "Fine %")]))
        # control characters PostgreSQL stores are text like any other
        response = self.batch("partners", [{"op": "create", "data": {"name": "tab\tbell\x07"}}])
        self.assertEqual(response.status_code, 200, response.text)
        created = self.env["res.partner"].browse(response.json()["data"][0]["id"])
        self.assertEqual(created.name, "tab\tbell\x07")

    def test_creates_and_updates_keep_their_order(self):
        items = [
            {"op": "create", "data": {"name": "Ordered A", "ref": "ORD-A"}},
            {"op": "update", "id": "ref:ORD-A", "data": {"city": "Gent"}},  # made just before
            {"op": "create", "data": {"name": "Ordered B", "ref": "ORD-B"}},
            {"op": "create", "data": {"name": "Ordered C", "parent_id": self.partner.id}},
            {"op": "update", "id": "ref:ORD-B", "data": {"name": "Ordered B2"}},
            {"op": "update", "id": "ref:ORD-A", "data": {"city": "Brugge"}},  # last write wins
            {"op": "create", "data": {"name": "Ordered A again", "ref": "ORD-A"}},
        ]
        response = self.batch("partners", items)
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        a = self.env["res.partner"].search([("ref", "=", "ORD-A")])
        b = self.env["res.partner"].search([("ref", "=", "ORD-B")])
        c = self.env["res.partner"].search([("name", "=", "Ordered C")])
        self.assertEqual(
            data,
            [
                {"index": 0, "id": a.id, "created": True},
                {"index": 1, "id": a.id, "created": False},
                {"index": 2, "id": b.id, "created": True},
                {"index": 3, "id": c.id, "created": True},
                {"index": 4, "id": b.id, "created": False},
                {"index": 5, "id": a.id, "created": False},
                {"index": 6, "id": a.id, "created": False},
            ],
        )
        self.assertEqual(
            (a.name, a.city, b.name, c.parent_id),
            ("Ordered A", "Brugge", "Ordered B2", self.partner),
        )
        self.assertLess(a.id, b.id)
        self.assertLess(b.id, c.id)

    def test_same_external_ref_twice_in_one_batch(self):
        existing = self.env["res.partner"].create({"name": "Known", "ref": "TWICE-OLD"})
        items = [
            {"op": "create", "data": {"name": "First", "ref": "TWICE-1"}},
            {"op": "create", "data": {"name": "Other", "ref": "TWICE-2"}},
            {"op": "create", "data": {"name": "Second", "ref": "TWICE-1"}},
            {"op": "create", "data": {"name": "Not me", "ref": "TWICE-OLD"}},
            {"op": "create", "data": {"name": "Third", "ref": "TWICE-1"}},
            {"op": "create", "data": {"name": "No ref"}},
        ]
        response = self.batch("partners", items)
        self.assertEqual(response.status_code, 200, response.text)
        first = self.env["res.partner"].search([("ref", "=", "TWICE-1")])
        other = self.env["res.partner"].search([("ref", "=", "TWICE-2")])
        no_ref = self.env["res.partner"].search([("name", "=", "No ref")])
        self.assertEqual(len(first), 1)
        self.assertEqual(first.name, "First")
        self.assertEqual(existing.name, "Known")
        self.assertEqual(
            response.json()["data"],
            [
                {"index": 0, "id": first.id, "created": True},
                {"index": 1, "id": other.id, "created": True},
                {"index": 2, "id": first.id, "created": False},
                {"index": 3, "id": existing.id, "created": False},
                {"index": 4, "id": first.id, "created": False},
                {"index": 5, "id": no_ref.id, "created": True},
            ],
        )

    @mute_logger("odoo.addons.my_api.core")
    def test_failure_after_creates_by_ref_is_reported_as_item_by_item(self):
        """A batch whose creates by reference return records, then fails:
        the same answer both ways, and no record made."""
        self.env["res.partner"].create({"name": "Known", "ref": "FAIL-OLD"})
        items = [
            {"op": "create", "data": {"name": "New", "ref": "FAIL-1"}},
            {"op": "create", "data": {"name": "Again", "ref": "FAIL-1"}},
            {"op": "create", "data": {"name": "Known again", "ref": "FAIL-OLD"}},
            {"op": "update", "id": "ref:FAIL-1", "data": {"country_code": "ZZ"}},
            {"op": "create", "data": {"name": "Bad parent", "parent_id": 2**31 - 1}},
        ]
        error = self.assertSameAsItemByItem("partners", items)
        self.assertEqual([item["index"] for item in error["details"]], [3, 4])
        self.assertFalse(self.env["res.partner"].search([("ref", "=", "FAIL-1")]))


@tagged("post_install", "-at_install")
class TestBatchReferences(ApiCase):
    """The references of a batch's creates (`ref:`, `xid:` in relation
    fields) are resolved once for the whole run, and answer as a single
    create answers them, item by item."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.customer = cls.env["res.partner"].create({"name": "Batch customer", "ref": "BR-C"})
        cls.skus = cls.env["product.product"].create(
            [{"name": f"Batch sku {i}", "default_code": f"BR-SKU-{i}"} for i in range(5)]
        )
        cls.env["ir.model.data"].create(
            [
                {
                    "module": "batchtest",
                    "name": "customer",
                    "model": "res.partner",
                    "res_id": cls.customer.id,
                },
                {
                    "module": "batchtest",
                    "name": "sku_0",
                    "model": "product.product",
                    "res_id": cls.skus[0].id,
                },
            ]
        )
        # a company the salesman is not in, and its records
        cls.other_company = cls.env["res.company"].create({"name": "Batch other entity"})
        cls.hidden_customer = cls.env["res.partner"].create(
            {"name": "Hidden", "ref": "BR-HIDDEN", "company_id": cls.other_company.id}
        )
        cls.hidden_sku = cls.env["product.product"].create(
            {
                "name": "Hidden sku",
                "default_code": "BR-SKU-HIDDEN",
                "company_id": cls.other_company.id,
            }
        )

    def order(self, i, partner="ref:BR-C", products=None):
        """The create body of order `i`: its customer by reference, two
        lines naming two of the five products (by ref:, one by xid:)."""
        if products is None:
            products = [
                "xid:batchtest.sku_0" if i % 5 == 0 else f"ref:BR-SKU-{i % 5}",
                f"ref:BR-SKU-{(i + 1) % 5}",
            ]
        return {"partner_id": partner, "lines": [{"product_id": p} for p in products]}

    def batch(self, bodies, key=None, headers=None):
        items = [{"op": "create", "data": body} for body in bodies]
        return self.api(
            "POST",
            "/api/v1/orders/batch",
            key=key or self.key,
            body={"items": items},
            headers=headers,
        )

    def single(self, body, key=None, headers=None):
        return self.api("POST", "/api/v1/orders", key=key or self.key, body=body, headers=headers)

    def assertBatchFails(self, bodies, key=None, headers=None):
        """The error of the batch `bodies`, the same through the bulk path
        and item by item, and no order saved."""
        count = self.env["sale.order"].search_count([])
        fast = self.batch(bodies, key, headers)
        with item_by_item():
            slow = self.batch(bodies, key, headers)
        self.assertIn(fast.status_code, (400, 409), fast.text)
        fast, slow = fast.json()["error"], slow.json()["error"]
        for error in (fast, slow):
            error.pop("request_id")
        self.assertEqual(fast, slow)
        self.assertEqual(self.env["sale.order"].search_count([]), count)
        return fast

    def single_error(self, body, key=None, headers=None):
        """What a single create of `body` answers: (status, details)."""
        response = self.single(body, key, headers)
        self.assertGreaterEqual(response.status_code, 400, response.text)
        return response.status_code, response.json()["error"].get("details", [])

    def test_references_resolve_once_per_batch(self):
        orders = self.env["api.resource.order"].with_user(self.salesman)
        sale_order = self.env["sale.order"].with_user(self.salesman)
        xid_sku = self.skus[0]

        def values(i):
            first = xid_sku if i % 5 == 0 else self.skus[i % 5]
            return {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": first.id, "product_uom_qty": 1}),
                    Command.create({"product_id": self.skus[(i + 1) % 5].id, "product_uom_qty": 1}),
                ],
            }

        def queries(n):
            """(queries of a batch of n orders with references, queries of
            one create() of the same n orders by id)."""
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            results = orders._api_batch(
                {"items": [{"op": "create", "data": self.order(i)} for i in range(n)]}
            )
            batch = self.cr.sql_log_count - before
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            sale_order.create([values(i) for i in range(n)])
            self.env.flush_all()
            native = self.cr.sql_log_count - before
            made = self.env["sale.order"].browse(row["id"] for row in results)
            self.assertEqual(len(made), n)
            self.assertEqual(made.partner_id, self.customer)
            for i, order in enumerate(made):
                self.assertEqual(
                    [line.product_id.id for line in order.order_line],
                    [(xid_sku if i % 5 == 0 else self.skus[i % 5]).id, self.skus[(i + 1) % 5].id],
                )
            return batch, native

        queries(3)  # metadata caches, access rules
        batch_10, native_10 = queries(10)
        batch_50, native_50 = queries(50)
        # what the batch costs beyond the creates themselves does not grow
        # with its items (it did by a few searches per item)
        self.assertLessEqual(
            batch_50 - native_50,
            batch_10 - native_10 + 2,
            (batch_10, native_10, batch_50, native_50),
        )

    @mute_logger("odoo.addons.my_api.core")
    def test_unknown_reference_names_the_item_and_field(self):
        bodies = [self.order(i) for i in range(6)]
        bodies[3]["lines"][1]["product_id"] = "ref:BR-NO-SUCH"
        bodies[5]["partner_id"] = "xid:batchtest.nobody"
        error = self.assertBatchFails(bodies)
        self.assertEqual(error["code"], "batch_failed")
        self.assertEqual([item["index"] for item in error["details"]], [3, 5])
        self.assertEqual(
            [[d["field"] for d in item["details"]] for item in error["details"]],
            [["lines[1].product_id"], ["partner_id"]],
        )
        self.assertEqual(
            [item["details"] for item in error["details"]],
            [self.single_error(bodies[3])[1], self.single_error(bodies[5])[1]],
        )

    def test_same_reference_twice(self):
        bodies = [
            self.order(0, products=["ref:BR-SKU-1", "ref:BR-SKU-1", "xid:batchtest.sku_0"]),
            self.order(1, partner="xid:batchtest.customer", products=["xid:batchtest.sku_0"]),
            self.order(2, products=["ref:BR-SKU-1", "ref:BR-SKU-1"]),
        ]
        response = self.batch(bodies)
        self.assertEqual(response.status_code, 200, response.text)
        made = self.env["sale.order"].browse(row["id"] for row in response.json()["data"])
        self.assertEqual(made.partner_id, self.customer)
        self.assertEqual(
            [[line.product_id.id for line in order.order_line] for order in made],
            [
                [self.skus[1].id, self.skus[1].id, self.skus[0].id],
                [self.skus[0].id],
                [self.skus[1].id, self.skus[1].id],
            ],
        )

    @mute_logger("odoo.addons.my_api.core")
    def test_record_the_caller_cannot_read_is_an_error_as_in_a_single_create(self):
        # by reference: the same 400 as a reference to nothing, with the
        # same message (whether the record exists is not told)
        bodies = [self.order(0), self.order(1, partner="ref:BR-HIDDEN")]
        hidden = self.assertBatchFails(bodies)
        unknown = self.assertBatchFails([self.order(0), self.order(1, partner="ref:BR-NOBODY")])
        self.assertEqual([item["index"] for item in hidden["details"]], [1])
        self.assertEqual(
            hidden["details"][0]["details"][0]["message"].replace("BR-HIDDEN", "X"),
            unknown["details"][0]["details"][0]["message"].replace("BR-NOBODY", "X"),
        )
        self.assertEqual(hidden["details"][0]["details"], self.single_error(bodies[1])[1])
        # by id: refused as a single create refuses it (403)
        bodies = [self.order(0), self.order(1, products=[self.hidden_sku.id])]
        error = self.assertBatchFails(bodies)
        status, _details = self.single_error(bodies[1])
        self.assertEqual(status, 403)
        self.assertEqual(
            [(item["index"], item["status"]) for item in error["details"]], [(1, status)]
        )
        # by xid: as unknown
        self.env["ir.model.data"].create(
            {
                "module": "batchtest",
                "name": "hidden",
                "model": "res.partner",
                "res_id": self.hidden_customer.id,
            }
        )
        bodies = [self.order(0, partner="xid:batchtest.hidden")]
        error = self.assertBatchFails(bodies)
        self.assertEqual(error["details"][0]["details"], self.single_error(bodies[0])[1])

    @mute_logger("odoo.addons.my_api.core")
    def test_references_outside_the_selected_companies(self):
        """A user of two companies who selects one: a reference to a record
        of the other is unknown, in a batch as in a single create."""
        user = new_test_user(
            self.env,
            login="batch_two_companies",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id, self.other_company.id])],
        )
        key = self.new_api_key(user)
        only_mine = {"X-Odoo-Company": str(self.company.id)}
        bodies = [
            self.order(0),
            self.order(1, partner="ref:BR-HIDDEN"),
            self.order(2, products=["ref:BR-SKU-HIDDEN"]),
        ]
        error = self.assertBatchFails(bodies, key, only_mine)
        self.assertEqual([item["index"] for item in error["details"]], [1, 2])
        self.assertEqual(
            [item["details"] for item in error["details"]],
            [self.single_error(body, key, only_mine)[1] for body in bodies[1:]],
        )
        # with both companies selected, the same references name the records
        bodies = [copy.deepcopy(body) for body in bodies]
        orders = self.env["api.resource.order"].with_user(user)
        orders.with_context(
            allowed_company_ids=[self.company.id, self.other_company.id]
        )._api_resolve_bodies(bodies, ORDER_CREATE)
        self.assertEqual(
            [(body["partner_id"], body["lines"][0]["product_id"]) for body in bodies],
            [
                (self.customer.id, self.skus[0].id),
                (self.hidden_customer.id, self.skus[1].id),
                (self.customer.id, self.hidden_sku.id),
            ],
        )

    @mute_logger("odoo.addons.my_api.core")
    def test_ambiguous_reference_is_400_as_in_a_single_create(self):
        self.env["res.partner"].create([{"name": f"Twin {i}", "ref": "BR-TWIN"} for i in range(2)])
        bodies = [self.order(0), self.order(1, partner="ref:BR-TWIN"), self.order(2)]
        error = self.assertBatchFails(bodies)
        self.assertEqual([item["index"] for item in error["details"]], [1])
        details = error["details"][0]["details"]
        self.assertEqual(details[0]["issue"], "ambiguous")
        self.assertEqual(details, self.single_error(bodies[1])[1])

    def test_reference_to_a_record_an_earlier_item_creates(self):
        """Item by item, a contact may name the company an earlier item of
        the batch creates: the bulk path answers the same."""
        items = [
            {"op": "create", "data": {"name": "Batch parent", "ref": "BR-PARENT"}},
            {"op": "create", "data": {"name": "Batch contact", "parent_id": "ref:BR-PARENT"}},
        ]
        admin_key = self.new_api_key(self.env.ref("base.user_admin"))
        response = self.api("POST", "/api/v1/partners/batch", key=admin_key, body={"items": items})
        self.assertEqual(response.status_code, 200, response.text)
        parent, contact = self.env["res.partner"].browse(
            row["id"] for row in response.json()["data"]
        )
        self.assertEqual(contact.parent_id, parent)
        self.assertEqual(parent.ref, "BR-PARENT")
