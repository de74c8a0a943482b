from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.my_api.models.api_resource_batch import ApiResourceBatch

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

    def assertSameAsItemByItem(self, path, items):
        """POST the batch both ways (nothing is saved: it fails) and return
        the error, which must be the same both ways."""
        count = self.env[self.env[f"api.resource.{path[:-1]}"]._api_model].search_count([])
        fast = self.assertError(self.batch(path, items), 400, "batch_failed")
        with item_by_item():
            slow = self.assertError(self.batch(path, items), 400, "batch_failed")
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
