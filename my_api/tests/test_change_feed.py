import time
from unittest.mock import patch

from werkzeug.datastructures import MultiDict

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..lib.cursor import encode_cursor
from .common import ApiCase


@tagged("post_install", "-at_install")
class TestChangeFeed(ApiCase):
    """GET /<path>/changes: created, updated, archived and deleted records in
    commit order, as the caller may see them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)

    def settle(self):
        """Number the log rows written so far, as a commit would."""
        self.env["api.change.log"]._settle()

    def changes(self, path="partners", query="", key=None):
        self.settle()
        return self.api("GET", f"/api/v1/{path}/changes{query}", key=key or self.key)

    def start(self, path="partners", key=None):
        response = self.changes(path, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["data"], [], "a first call without cursor starts now")
        return body["pagination"]["next_cursor"]

    def test_reports_created_updated_archived_deleted_in_order(self):
        cursor = self.start()
        Partner = self.env["res.partner"]
        created = Partner.create({"name": "Feed New"})
        self.settle()
        self.partner.write({"phone": "+32 2 555 00 00"})
        self.settle()
        doomed = Partner.create({"name": "Feed Doomed"})
        self.settle()
        archived = Partner.create({"name": "Feed Archived"})
        self.settle()
        archived.action_archive()
        self.settle()
        doomed_id = doomed.id
        doomed.unlink()
        response = self.changes(query=f"?cursor={cursor}")
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        entries = [(entry["type"], entry["id"]) for entry in body["data"]]
        self.assertEqual(
            entries,
            [
                ("created", created.id),
                ("updated", self.partner.id),
                ("created", archived.id),
                ("archived", archived.id),
                ("deleted", doomed_id),
            ],
            "one entry per change, in commit order; the creation of a record deleted "
            "since is left out (its deletion tells it)",
        )
        by_type = {(entry["type"], entry["id"]): entry for entry in body["data"]}
        self.assertEqual(by_type[("updated", self.partner.id)]["data"]["phone"], "+32 2 555 00 00")
        partner_row = self.api("GET", f"/api/v1/partners/{created.id}", key=self.key).json()["data"]
        self.assertEqual(by_type[("created", created.id)]["data"], partner_row, "as GET renders it")
        self.assertIsNone(by_type[("deleted", doomed_id)]["data"])
        self.assertTrue(by_type[("archived", archived.id)]["data"], "an archived record renders")
        self.assertTrue(by_type[("deleted", doomed_id)]["at"].endswith("Z"))
        # the next cursor goes on after the last change
        again = self.changes(query=f"?cursor={body['pagination']['next_cursor']}").json()
        self.assertEqual(again["data"], [])
        self.assertFalse(again["pagination"]["has_more"])

    def test_product_changed_through_its_template_is_reported(self):
        """A product's name and price live on its template: a PATCH of the
        product, or the web client's product form, writes the template only.
        The feed of products reports the product updated all the same."""
        product = self.env["product.product"].create({"name": "Feed Lamp", "list_price": 5})
        self.settle()
        cursor = self.start("products")
        product.write({"name": "Feed Lamp XL"})  # a template field, through the variant
        self.settle()
        product.product_tmpl_id.write({"list_price": 42})  # the template's own form
        response = self.changes("products", f"?cursor={cursor}")
        self.assertEqual(response.status_code, 200, response.text)
        entries = [(entry["type"], entry["id"]) for entry in response.json()["data"]]
        self.assertEqual(entries, [("updated", product.id), ("updated", product.id)])
        self.assertEqual(response.json()["data"][-1]["data"]["name"], "Feed Lamp XL")

    def test_pages_with_limit(self):
        cursor = self.start()
        partners = self.env["res.partner"].create([{"name": f"Feed Page {i}"} for i in range(3)])
        first = self.changes(query=f"?cursor={cursor}&limit=2").json()
        self.assertEqual([entry["id"] for entry in first["data"]], partners.ids[:2])
        self.assertTrue(first["pagination"]["has_more"])
        second = self.changes(query=f"?cursor={first['pagination']['next_cursor']}&limit=2")
        self.assertEqual([entry["id"] for entry in second.json()["data"]], partners.ids[2:])

    def test_since_starts_in_the_past(self):
        partner = self.env["res.partner"].create({"name": "Feed Since"})
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        response = self.changes(query=f"?since={yesterday}")
        self.assertEqual(response.status_code, 200, response.text)
        ids = [entry["id"] for entry in response.json()["data"]]
        self.assertIn(partner.id, ids)

    def test_since_older_than_retention_is_gone(self):
        long_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 40 * 86400))
        error = self.assertError(self.changes(query=f"?since={long_ago}"), 410, "gone")
        self.assertIn("Resync", error["message"])

    def test_cursor_older_than_retention_is_gone(self):
        secret = self.env["api.resource"]._api_cursor_secret()
        old = encode_cursor(secret, "changes:partners", [0, int(time.time()) - 31 * 86400])
        error = self.assertError(self.changes(query=f"?cursor={old}"), 410, "gone")
        self.assertIn("without cursor", error["message"])

    def test_attacker_cursors_are_refused(self):
        self.assertError(self.changes(query="?cursor=garbage"), 400, "bad_request")
        products_cursor = self.start(path="products")
        error = self.assertError(self.changes(query=f"?cursor={products_cursor}"), 400)
        self.assertIn("another resource", error["message"])
        secret = self.env["api.resource"]._api_cursor_secret()
        forged = encode_cursor(secret + "x", "changes:partners", [0, int(time.time())])
        self.assertError(self.changes(query=f"?cursor={forged}"), 400, "bad_request")
        shaped = encode_cursor(secret, "changes:partners", ["0", int(time.time())])
        self.assertError(self.changes(query=f"?cursor={shaped}"), 400, "bad_request")
        both = f"?cursor={products_cursor}&since=2026-01-01"
        self.assertError(self.changes(query=both), 400, "bad_request")
        self.assertError(self.changes(query="?order=id"), 400, "validation_error")
        self.assertError(self.changes(query="?since=yesterday"), 400, "validation_error")

    def test_records_the_caller_cannot_read_do_not_leak(self):
        own_only = new_test_user(
            self.env,
            login="api_feed_own",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        key = self.new_api_key(own_only)
        cursor = self.start(path="orders", key=key)
        mine = self.new_order(user_id=own_only.id)
        theirs = self.new_order(user_id=self.salesman.id)
        other_company = self.env["res.company"].create({"name": "Feed Other Co"})
        elsewhere = self.new_order(company_id=other_company.id, user_id=own_only.id)
        elsewhere_id, theirs_id = elsewhere.id, theirs.id
        (elsewhere | theirs).unlink()
        response = self.changes("orders", f"?cursor={cursor}", key=key)
        self.assertEqual(response.status_code, 200, response.text)
        entries = [(entry["type"], entry["id"]) for entry in response.json()["data"]]
        self.assertIn(("created", mine.id), entries)
        self.assertNotIn(("created", theirs_id), entries, "a record rule hides it: no id")
        self.assertNotIn(("deleted", elsewhere_id), entries, "another company's deletion")
        # a user who may not read the model learns nothing
        plain = new_test_user(self.env, login="api_feed_plain", groups="base.group_user")
        self.assertError(self.changes("orders", key=self.new_api_key(plain)), 403, "forbidden")

    def test_oauth_scope_is_the_resource_read_scope(self):
        with self.oauth_tokens(self.salesman, {"tok-orders": {"orders:read"}}):
            self.assertError(self.changes(key="tok-orders"), 403, "insufficient_scope")
            self.assertEqual(self.changes("orders", key="tok-orders").status_code, 200)

    def test_documented_for_every_resource(self):
        document = self.env["api.resource"]._api_openapi_document("http://x")
        for path in self.env["api.resource"]._api_resource_models():
            resource = self.env["api.resource"]._api_get_resource(path)
            if resource._api_has_changes():
                self.assertIn(f"/{path}/changes", document["paths"])
                responses = document["paths"][f"/{path}/changes"]["get"]["responses"]
                self.assertIn("410", responses)

    def test_one_insert_per_operation(self):
        log = type(self.env["api.change.log"])
        calls = []
        real = log._log

        def counting(model, *args, **kwargs):
            calls.append(args[0])
            return real(model, *args, **kwargs)

        before = self.env["api.change.log"].search_count([])
        with patch.object(log, "_log", counting):
            self.env["res.partner"].create([{"name": f"Feed Bulk {i}"} for i in range(20)])
            self.env.flush_all()
        self.assertEqual(calls, ["res.partner"], "one INSERT for the 20 records")
        self.assertEqual(self.env["api.change.log"].search_count([]), before + 20)


@tagged("post_install", "-at_install")
class TestChangeFeedCommitOrder(TransactionCase):
    """Two transactions committing out of start order: a client polling in
    between loses neither change (the log is numbered at commit)."""

    def poll(self, cursor=None):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            args = MultiDict({"cursor": cursor} if cursor else {})
            body = env["api.resource.partner"]._api_changes_run(args)
        return [entry["id"] for entry in body["data"]], body["pagination"]["next_cursor"]

    def test_transaction_committing_last_is_not_skipped(self):
        _ids, cursor = self.poll()
        first = self.registry.cursor()
        second = self.registry.cursor()
        made = []
        try:
            early = api.Environment(first, SUPERUSER_ID, {})["res.partner"].create(
                {"name": "Feed Early Starter"}
            )
            early.env.flush_all()  # its log row now has the lower serial id
            late = api.Environment(second, SUPERUSER_ID, {})["res.partner"].create(
                {"name": "Feed Late Starter"}
            )
            made += [late.id, early.id]
            second.commit()
            seen, cursor = self.poll(cursor)
            self.assertEqual(seen, [late.id])
            first.commit()
            seen, cursor = self.poll(cursor)
            self.assertEqual(seen, [early.id], "the change committed last comes next")
        finally:
            first.close()
            second.close()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["res.partner"].browse(made).exists().unlink()
                cr.execute(
                    SQL(
                        "DELETE FROM api_change_log WHERE model = 'res.partner' "
                        "AND res_id = ANY(%s)",
                        made,
                    )
                )
