"""Query power of reads: fields=, expand=, filter operators, multi-key
order, q=, If-None-Match, the language and gzip, on every resource alike."""

import json
import urllib.parse
import uuid

from werkzeug.datastructures import MultiDict

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ApiCase


class ReadsCase(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Reads Customer", "email": "reads@example.com", "is_company": True}
        )
        cls.other = cls.env["res.partner"].create({"name": "Reads Other"})
        cls.small = cls.new_order(partner=cls.customer, date_order="2026-03-01 09:00:00")
        cls.big = cls.new_order(partner=cls.customer, lines=3, date_order="2026-03-05 09:00:00")
        cls.big.order_line.price_unit = 100.0
        cls.third = cls.new_order(partner=cls.other, date_order="2026-03-09 09:00:00")
        cls.third.action_confirm()

    def get(self, path, params=None, headers=None, key=None):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return self.api("GET", f"/api/v1/{path}{query}", key=key or self.key, headers=headers)

    def customer_ids(self, params=None, **kwargs):
        params = {"partner_id": self.customer.id, **(params or {})}
        response = self.get("orders", params, **kwargs)
        self.assertEqual(response.status_code, 200, response.text)
        return [row["id"] for row in response.json()["data"]]


@tagged("post_install", "-at_install")
class TestSparseFieldsets(ReadsCase):
    def test_list_answers_only_the_fields_asked_and_id(self):
        response = self.get(
            "orders", {"partner_id": self.customer.id, "fields": "name,amount_total"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        rows = response.json()["data"]
        self.assertEqual(len(rows), 2)
        self.assertEqual({tuple(sorted(row)) for row in rows}, {("amount_total", "id", "name")})
        self.assertEqual(rows[0]["name"], self.big.name)

    def test_detail_answers_only_the_fields_asked(self):
        response = self.get(f"orders/{self.big.id}", {"fields": "lines,state"})
        self.assertEqual(response.status_code, 200, response.text)
        data = response.json()["data"]
        self.assertEqual(sorted(data), ["id", "lines", "state"])
        self.assertEqual(len(data["lines"]), 3)

    def test_fields_of_the_framework_are_fields_too(self):
        data = self.get(f"orders/{self.big.id}", {"fields": "company,xid"}).json()["data"]
        self.assertEqual(sorted(data), ["company", "id", "xid"])
        self.assertEqual(data["company"]["id"], self.big.company_id.id)

    def test_unknown_field_is_a_400_naming_it(self):
        for path in ("orders", f"orders/{self.big.id}"):
            response = self.get(path, {"fields": "name,password_hash"})
            error = self.assertError(response, 400, "validation_error")
            self.assertIn("password_hash", error["message"])
            self.assertEqual(error["details"][0]["field"], "fields")
            self.assertEqual(error["details"][0]["issue"], "unknown_field")

    def test_malformed_fields_are_a_400(self):
        for raw in ("", "name,,state", "name,name"):
            self.assertError(self.get("orders", {"fields": raw}), 400, "validation_error")
        response = self.api("GET", "/api/v1/orders?fields=name&fields=state", key=self.key)
        self.assertError(response, 400)

    def test_every_resource_takes_fields(self):
        for path in ("partners", "products", "invoices", "stock", "pickings", "stock-moves"):
            response = self.get(path, {"fields": "id", "limit": 2})
            self.assertEqual(response.status_code, 200, (path, response.text))
            self.assertTrue(all(list(row) == ["id"] for row in response.json()["data"]), path)


@tagged("post_install", "-at_install")
class TestExpand(ReadsCase):
    def test_expand_partner_renders_the_partner_resource(self):
        response = self.get("orders", {"partner_id": self.customer.id, "expand": "partner"})
        self.assertEqual(response.status_code, 200, response.text)
        partner = response.json()["data"][0]["partner"]
        expected = self.get(f"partners/{self.customer.id}").json()["data"]
        self.assertEqual(partner, expected)
        self.assertTrue(partner["is_company"])

    def test_expand_lines_product_on_a_list(self):
        response = self.get(
            "orders", {"partner_id": self.customer.id, "expand": "lines.product", "order": "id"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        rows = response.json()["data"]
        self.assertEqual([len(row["lines"]) for row in rows], [1, 3])
        product = rows[1]["lines"][0]["product"]
        self.assertEqual(product, self.get(f"products/{self.product.id}").json()["data"])
        self.assertIn("qty_available", product)

    def test_expand_on_a_detail_with_fields(self):
        response = self.get(
            f"orders/{self.big.id}", {"expand": "partner,lines.product", "fields": "name"}
        )
        data = response.json()["data"]
        self.assertEqual(sorted(data), ["id", "lines", "name", "partner"])
        self.assertEqual(data["partner"]["email"], "reads@example.com")
        self.assertEqual(data["lines"][0]["product"]["default_code"], "API-W")

    def test_unreadable_reference_stays_a_reference(self):
        hidden = self.env["res.partner"].create({"name": "Reads Hidden"})
        order = self.new_order(partner=hidden)
        self.env["ir.rule"].create(
            {
                "name": "hide one partner",
                "model_id": self.env["ir.model"]._get("res.partner").id,
                "domain_force": f"[('id', '!=', {hidden.id})]",
                "perm_read": True,
            }
        )
        data = self.get(f"orders/{order.id}", {"expand": "partner"}).json()["data"]
        self.assertEqual(data["partner"]["id"], hidden.id)
        self.assertEqual(set(data["partner"]), {"id", "name", "email"})
        self.assertIsNone(data["partner"]["email"])

    def test_unknown_or_too_deep_expansion_is_a_400(self):
        for raw, issue in (
            ("customer", "unknown_expansion"),
            ("lines.order", "unknown_expansion"),
            ("lines.product.uom", "too_deep"),
            ("partner,partner", "invalid_format"),
        ):
            error = self.assertError(self.get("orders", {"expand": raw}), 400, "validation_error")
            self.assertEqual(error["details"][0]["issue"], issue, raw)
        # partners declare no expansion at all
        self.assertError(self.get("partners", {"expand": "parent"}), 400, "validation_error")

    def test_expanding_needs_the_read_scope_of_the_target(self):
        with self.oauth_tokens(
            self.salesman,
            {"only-orders": ["orders:read"], "both": ["orders:read", "partners:read"]},
        ):
            response = self.get(f"orders/{self.big.id}", {"expand": "partner"}, key="only-orders")
            self.assertError(response, 403, "insufficient_scope")
            response = self.get(f"orders/{self.big.id}", {"expand": "partner"}, key="both")
            self.assertEqual(response.status_code, 200, response.text)
            response = self.get(f"orders/{self.big.id}", {"expand": "lines"}, key="only-orders")
            self.assertEqual(response.status_code, 200, response.text)

    def test_expand_query_count_does_not_grow_with_page_size(self):
        customer = self.env["res.partner"].create({"name": "Counted expand"})
        for index in range(21):  # both pages have more: both count the total
            product = self.env["product.product"].create(
                {"name": f"Expanded {index}", "is_storable": index % 2 == 0}
            )
            self.new_order(partner=customer, lines=0).order_line = [
                (0, 0, {"product_id": product.id}),
                (0, 0, {"product_id": self.product.id}),
            ]
        resource = self.env["api.resource.order"].with_user(self.salesman)

        def page(size):
            args = MultiDict(
                {
                    "partner_id": str(customer.id),
                    "limit": str(size),
                    "expand": "partner,lines.product",
                }
            )
            return lambda: resource._api_with_read_params(args)._api_list(args)

        def count(func):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            rows, _pagination = func()
            self.assertTrue(rows[0]["lines"][0]["product"]["uom"])
            return self.cr.sql_log_count - before

        count(page(5))  # warm the metadata caches
        self.assertEqual(count(page(5)), count(page(20)))


@tagged("post_install", "-at_install")
class TestFilterOperators(ReadsCase):
    def test_number_comparisons(self):
        self.assertEqual(self.customer_ids({"amount_total[gte]": 100}), [self.big.id])
        self.assertEqual(self.customer_ids({"amount_total[lt]": 100}), [self.small.id])
        self.assertEqual(
            self.customer_ids({"amount_total[gt]": 0, "amount_total[lte]": "1e6"}),
            [self.big.id, self.small.id],
        )

    def test_in_lists(self):
        params = {
            "state[in]": "sale,draft",
            "partner_id[in]": f"{self.customer.id},{self.other.id}",
        }
        response = self.get("orders", {**params, "order": "id"})
        ids = [row["id"] for row in response.json()["data"]]
        self.assertEqual(ids, [self.small.id, self.big.id, self.third.id])
        response = self.get("orders", {"state[in]": "sale", "partner_id[in]": self.other.id})
        self.assertEqual([row["id"] for row in response.json()["data"]], [self.third.id])

    def test_ilike_and_dates(self):
        self.assertEqual(self.customer_ids({"name[ilike]": self.big.name[-3:]}), [self.big.id])
        # a date alone is its whole day; before it is before its first instant
        self.assertEqual(self.customer_ids({"date_order[lt]": "2026-03-05"}), [self.small.id])
        self.assertEqual(self.customer_ids({"date_order[lte]": "2026-03-01"}), [self.small.id])
        self.assertEqual(self.customer_ids({"date_order[gt]": "2026-03-01"}), [self.big.id])
        self.assertEqual(
            self.customer_ids({"date_order[gte]": "2026-03-05T09:00:00Z"}), [self.big.id]
        )

    def test_undeclared_operator_is_a_400(self):
        for name in ("amount_total[ne]", "state[gte]", "amount_total[in]", "name[lt]"):
            error = self.assertError(self.get("orders", {name: "1"}), 400, "validation_error")
            self.assertEqual(error["details"][0]["issue"], "invalid_operator", name)
            self.assertEqual(error["details"][0]["field"], name)
        # a filter that declares no operator at all is an unknown parameter
        error = self.assertError(self.get("orders", {"quotation[in]": "1"}), 400)
        self.assertEqual(error["details"][0]["issue"], "unknown_parameter")

    @mute_logger("odoo.sql_db")
    def test_bad_values_are_400_never_500(self):
        for name, value in (
            ("amount_total[gte]", "1e400"),
            ("amount_total[gte]", "NaN"),
            ("amount_total[gte]", "12abc"),
            ("amount_total[gte]", "2e12"),
            ("partner_id[in]", "99999999999"),
            ("partner_id[in]", "1,,2"),
            ("partner_id[in]", "-1"),
            ("partner_id[in]", ",".join(["1"] * 101)),
            ("state[in]", "sale,shipped"),
            ("date_order[lt]", "2026-02-31"),
            ("date_order[lt]", "99999-01-01"),
            ("date_order[lt]", "2026-01-01T10:00:00"),
            ("name[ilike]", "acme\x00"),
            ("name[ilike]", "acme\x1b[2J"),
            ("name[ilike]", "x" * 257),
        ):
            response = self.get("orders", {name: value})
            self.assertError(response, 400, "validation_error")

    def test_multi_key_order(self):
        response = self.get(
            "orders",
            {
                "partner_id[in]": f"{self.customer.id},{self.other.id}",
                "order": "-date_order,id",
                "limit": 2,
            },
        )
        body = response.json()
        self.assertEqual([row["id"] for row in body["data"]], [self.third.id, self.big.id])
        # offset pages: a cursor follows one sort key
        self.assertTrue(body["pagination"]["has_more"])
        self.assertIsNone(body["pagination"]["next_cursor"])
        response = self.get("orders", {"order": "name,-id", "partner_id": self.customer.id})
        self.assertEqual(
            [row["id"] for row in response.json()["data"]],
            (self.small | self.big).sorted(lambda o: (o.name, -o.id)).ids,
        )
        for raw in ("-id,id", "id,name,date_order", "id,,name", "amount_total"):
            self.assertError(self.get("orders", {"order": raw}), 400, "validation_error")
        response = self.get("orders", {"order": "name,id", "cursor": "abc"})
        error = self.assertError(response, 400)
        self.assertEqual(error["details"][0]["issue"], "invalid_cursor")

    def test_q_searches_the_declared_text_fields(self):
        response = self.get("orders", {"q": "reads cust", "order": "id"})
        self.assertEqual(
            [row["id"] for row in response.json()["data"]], [self.small.id, self.big.id]
        )
        response = self.get("orders", {"q": self.third.name})
        self.assertEqual([row["id"] for row in response.json()["data"]], [self.third.id])
        response = self.get("partners", {"q": "reads@example"})
        self.assertEqual([row["id"] for row in response.json()["data"]], [self.customer.id])
        self.assertError(self.get("orders", {"q": "a\x07"}), 400, "validation_error")
        self.assertError(self.get("orders", {"q": "q" * 257}), 400, "validation_error")
        # the stock levels declare no text fields: q is unknown there
        self.assertError(self.get("stock", {"q": "x"}), 400, "validation_error")


@tagged("post_install", "-at_install")
class TestConditionalReads(ReadsCase):
    def test_detail_revalidates_with_304(self):
        plain = {"Accept-Encoding": "identity"}
        first = self.get(f"orders/{self.big.id}", headers=plain)
        etag = first.headers["ETag"]
        self.assertFalse(etag.startswith("W/"))
        for header in (etag, f"W/{etag}", f'"nope", {etag}', f'W/"x",W/{etag}', "*"):
            response = self.get(f"orders/{self.big.id}", headers={"If-None-Match": header})
            self.assertEqual(response.status_code, 304, header)
            self.assertEqual(response.content, b"")
            self.assertEqual(response.headers["ETag"], etag)
            self.assertTrue(response.headers["X-Request-Id"])
        for header in ('"nope"', "garbage", etag[1:-1], "", f"{etag} junk"):
            response = self.get(f"orders/{self.big.id}", headers={"If-None-Match": header})
            self.assertEqual(response.status_code, 200, header)
        self.big.client_order_ref = "changed"
        response = self.get(f"orders/{self.big.id}", headers={"If-None-Match": etag})
        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(response.headers["ETag"], etag)

    def test_list_page_revalidates_with_304(self):
        params = {"partner_id": self.customer.id, "limit": 1}
        first = self.get("orders", params)
        etag = first.headers["ETag"]
        response = self.get("orders", params, headers={"If-None-Match": etag})
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response.content, b"")
        # another page, other fields, or a change of pagination: another ETag
        second = self.get("orders", {**params, "offset": 1})
        self.assertNotEqual(second.headers["ETag"], etag)
        sparse = self.get("orders", {**params, "fields": "name"}, headers={"If-None-Match": etag})
        self.assertEqual(sparse.status_code, 200)
        self.new_order(partner=self.customer, date_order="2026-01-01 09:00:00")
        response = self.get("orders", params, headers={"If-None-Match": etag})
        self.assertEqual(response.status_code, 200)  # the total changed, row unchanged
        self.assertEqual(response.json()["data"], first.json()["data"])

    def test_errors_are_never_304(self):
        response = self.get("orders/999999999", headers={"If-None-Match": "*"})
        self.assertError(response, 404, "not_found")


@tagged("post_install", "-at_install")
class TestLanguage(ReadsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.product.with_context(lang="fr_FR").name = "Bidule API"

    def test_accept_language_translates_names(self):
        response = self.get(
            f"products/{self.product.id}", headers={"Accept-Language": "de;q=0.9, fr-FR;q=0.8"}
        )
        self.assertEqual(response.json()["data"]["name"], "Bidule API")
        self.assertEqual(response.headers["Content-Language"], "fr-FR")
        self.assertIn("Accept-Language", response.headers["Vary"])
        response = self.get(f"products/{self.product.id}", headers={"Accept-Language": "fr"})
        self.assertEqual(response.json()["data"]["name"], "Bidule API")

    def test_lang_parameter_wins_and_garbage_is_ignored(self):
        response = self.get(
            f"products/{self.product.id}", {"lang": "en_US"}, headers={"Accept-Language": "fr"}
        )
        self.assertEqual(response.json()["data"]["name"], "Api Widget")
        self.assertEqual(response.headers["Content-Language"], "en-US")
        for garbage in ("de", "fr;q=0", ";;,x", "\u00e9t\u00e9", "*", "x" * 3000):
            response = self.get(
                "products",
                {"lang": garbage, "default_code": "API-W"},
                headers={"Accept-Language": garbage[:200]},
            )
            self.assertEqual(response.status_code, 200, garbage)
            self.assertEqual(response.json()["data"][0]["name"], "Api Widget")
        response = self.get("products", {"lang": "fr-FR", "default_code": "API-W"})
        self.assertEqual(response.json()["data"][0]["name"], "Bidule API")

    def test_me_shows_the_language(self):
        me = self.get("me", headers={"Accept-Language": "fr-CA, en;q=0.1"}).json()["data"]
        self.assertEqual(me["language"], "fr_FR")
        self.assertEqual(self.get("me").json()["data"]["language"], "en_US")
        self.salesman.lang = "fr_FR"
        me = self.get("me", headers={"Accept-Language": "es"}).json()["data"]
        self.assertEqual(me["language"], "fr_FR")  # none installed: the user's


@tagged("post_install", "-at_install")
class TestCompression(ReadsCase):
    def test_large_answers_are_gzipped_when_asked(self):
        params = {"limit": 20, "expand": "partner,lines.product"}
        response = self.get("orders", params, headers={"Accept-Encoding": "gzip"})
        self.assertGreater(len(response.content), 1024)
        self.assertEqual(response.headers.get("Content-Encoding"), "gzip")
        self.assertIn("Accept-Encoding", response.headers["Vary"])
        self.assertTrue(response.json()["data"])  # requests decodes it
        self.assertTrue(response.headers["ETag"].startswith("W/"))
        plain = self.get("orders", params, headers={"Accept-Encoding": "identity"})
        self.assertNotIn("Content-Encoding", plain.headers)
        self.assertIn("Accept-Encoding", plain.headers["Vary"])
        self.assertEqual(plain.json(), response.json())
        # the weak tag of the compressed answer revalidates either form
        for encoding in ("gzip", "identity"):
            again = self.get(
                "orders",
                params,
                headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]},
            )
            self.assertEqual(again.status_code, 304, encoding)

    def test_small_answers_and_refusals_of_gzip_stay_plain(self):
        response = self.get(
            "orders", {"limit": 1, "fields": "id"}, headers={"Accept-Encoding": "gzip"}
        )
        self.assertNotIn("Content-Encoding", response.headers)
        response = self.get("orders", {"limit": 20}, headers={"Accept-Encoding": "gzip;q=0, br"})
        self.assertNotIn("Content-Encoding", response.headers)

    def test_idempotency_replay_is_stored_plain_and_replayed_compressed(self):
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Accept-Encoding": "gzip"}
        body = {
            "partner_id": self.customer.id,
            "lines": [{"product_id": self.product.id, "quantity": 1} for _ in range(8)],
        }
        first = self.api("POST", "/api/v1/orders", key=self.key, body=body, headers=headers)
        self.assertEqual(first.status_code, 201, first.text)
        self.assertEqual(first.headers.get("Content-Encoding"), "gzip")
        self.env.cr.execute(
            "SELECT r.body FROM api_idempotency_response r JOIN api_idempotency_key k "
            "ON k.id = r.key_id WHERE k.key = %s",
            [headers["Idempotency-Key"]],
        )
        [(stored,)] = self.env.cr.fetchall()
        self.assertEqual(json.loads(stored), first.json())
        again = self.api("POST", "/api/v1/orders", key=self.key, body=body, headers=headers)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(again.headers.get("Content-Encoding"), "gzip")
        self.assertEqual(again.json(), first.json())
        raw = self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            body=body,
            headers={**headers, "Accept-Encoding": "identity"},
        )
        self.assertEqual(raw.json(), first.json())
        self.assertNotIn("Content-Encoding", raw.headers)


@tagged("post_install", "-at_install")
class TestReadsDocument(ReadsCase):
    def test_document_describes_the_read_parameters(self):
        document = self.url_open("/api/v1/openapi.json").json()
        listing = document["paths"]["/orders"]["get"]
        params = {param.get("name"): param for param in listing["parameters"]}
        fields = params["fields"]
        self.assertEqual((fields["style"], fields["explode"]), ("form", False))
        self.assertIn("amount_total", fields["schema"]["items"]["enum"])
        self.assertIn("xid", fields["schema"]["items"]["enum"])
        self.assertEqual(
            params["expand"]["schema"]["items"]["enum"], ["lines", "lines.product", "partner"]
        )
        self.assertIn("amount_total[gte]", params)
        self.assertIn("state[in]", params)
        self.assertNotIn("state[gte]", params)
        self.assertIn("q", params)
        self.assertIn("-date_order,id", params["order"]["schema"]["enum"])
        self.assertIn("304", listing["responses"])
        refs = {param.get("$ref") for param in listing["parameters"]}
        self.assertIn("#/components/parameters/IfNoneMatch", refs)
        self.assertIn("#/components/parameters/AcceptLanguage", refs)
        detail = document["paths"]["/orders/{ident}"]["get"]
        self.assertIn("304", detail["responses"])
        partner = document["components"]["schemas"]["Order"]["properties"]["partner"]
        self.assertEqual(partner["anyOf"][1], {"$ref": "#/components/schemas/Partner"})
