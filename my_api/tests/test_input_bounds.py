"""Every bound a client can hit answers 400 naming the field, never 500.

Found by fuzzing /api/v1 from its own OpenAPI document: integers beyond
PostgreSQL's int4, floats that overflow, NUL characters and lone surrogates
that PostgreSQL refuses, path identifiers made of non-ASCII digits. And the
document says each of these bounds, so that a client generated from it
never sends what the server refuses.
"""

import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ApiCase

INT4_MAX = 2**31 - 1


@tagged("post_install", "-at_install")
class TestInputBounds(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.env.ref("base.user_admin"))

    def assertFieldError(self, response, field, status=400):
        error = self.assertError(response, status)
        self.assertIn(field, [detail["field"] for detail in error.get("details", [])], error)
        return error

    def order_body(self, **line):
        return {
            "partner_id": self.partner.id,
            "lines": [{"product_id": self.product.id, **line}],
        }

    # ------------------------------------------------------------ query
    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_offset_beyond_int4_is_400(self):
        for value in (INT4_MAX + 1, 36893488147419103231):
            response = self.api("GET", f"/api/v1/products?offset={value}", key=self.key)
            self.assertFieldError(response, "offset")
        response = self.api("GET", f"/api/v1/products?offset={INT4_MAX}", key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"], [])

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_limit_beyond_int4_is_400_and_within_it_capped(self):
        response = self.api("GET", f"/api/v1/orders?limit={INT4_MAX + 1}", key=self.key)
        self.assertFieldError(response, "limit")
        response = self.api("GET", f"/api/v1/orders?limit={INT4_MAX}", key=self.key)
        self.assertEqual(response.json()["pagination"]["limit"], 200)

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_filter_ids_negative_or_beyond_int4_are_400(self):
        for url, field in (
            ("/api/v1/invoices?partner_id=-1040", "partner_id"),
            ("/api/v1/partners?parent_id=-7162462", "parent_id"),
            (f"/api/v1/orders?partner_id={INT4_MAX + 1}", "partner_id"),
            ("/api/v1/stock?location_id=99999999999", "location_id"),
            ("/api/v1/stock?product_id=%C2%B2", "product_id"),  # "²".isdigit()
            ("/api/v1/orders?partner_id=1_0", "partner_id"),  # int() reads 10
        ):
            with self.subTest(url=url):
                self.assertFieldError(self.api("GET", url, key=self.key), field)

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_path_id_superscript_digit_is_404_or_400(self):
        for ident in ("%C2%B2", "%D9%A5", "-5", "0", "007"):
            with self.subTest(ident=ident):
                response = self.api("GET", f"/api/v1/orders/{ident}", key=self.key)
                self.assertFieldError(response, "ident")
        # an id beyond int4 names no record: not found, like any other
        response = self.api("GET", f"/api/v1/orders/{INT4_MAX + 1}", key=self.key)
        self.assertError(response, 404, "not_found")
        response = self.api("POST", f"/api/v1/orders/{10**30}/confirm", key=self.key)
        self.assertError(response, 404, "not_found")

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_nul_in_string_is_400(self):
        response = self.api("GET", "/api/v1/partners?name=a%00b", key=self.key)
        self.assertFieldError(response, "name")
        response = self.api("GET", "/api/v1/orders/ref:a%00b", key=self.key)
        self.assertFieldError(response, "ident")
        response = self.api("GET", "/api/v1/orders/xid:base.%00", key=self.key)
        self.assertFieldError(response, "ident")
        body = {"name": "a\x00b", "street": "x\x00"}
        response = self.api("POST", "/api/v1/partners", key=self.key, body=body)
        error = self.assertFieldError(response, "name")
        self.assertIn("street", [detail["field"] for detail in error["details"]])
        self.assertFalse(self.env["res.partner"].search([("name", "=like", "a%b")]))

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_lone_surrogate_in_string_is_400(self):
        response = self.api(
            "POST",
            "/api/v1/partners",
            key=self.key,
            raw='{"name": "x\\ud800"}',
            headers={"Content-Type": "application/json"},
        )
        self.assertFieldError(response, "name")

    # ------------------------------------------------------------- body
    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_batch_item_op_of_any_json_type_is_400(self):
        """A batch item's `op` that is an object, a list or a number (the
        fuzzer's first guess) is a 400 naming it, not a 500."""
        for op in ({"a": 1}, ["create"], 7, None):
            body = {"items": [{"op": op, "data": {}}]}
            response = self.api("POST", "/api/v1/orders/batch", key=self.key, body=body)
            self.assertFieldError(response, "items[0].op")

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_body_ids_beyond_int4_are_400(self):
        body = dict(self.order_body(), partner_id=INT4_MAX + 1)
        error = self.assertFieldError(
            self.api("POST", "/api/v1/orders", key=self.key, body=body), "partner_id"
        )
        self.assertEqual(error["details"][0]["issue"], "too_large")
        body = {"partner_id": self.partner.id, "lines": [{"product_id": 2**63}]}
        response = self.api("POST", "/api/v1/orders", key=self.key, body=body)
        error = self.assertFieldError(response, "lines[0].product_id")
        self.assertEqual(error["details"][0]["issue"], "too_large")

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_float_overflow_is_400(self):
        count = self.env["sale.order"].search_count([])
        response = self.api(
            "POST",
            "/api/v1/orders",
            key=self.key,
            body=self.order_body(quantity=1e308, price=1e308),
        )
        error = self.assertFieldError(response, "lines[0].quantity")
        self.assertIn("lines[0].price", [detail["field"] for detail in error["details"]])
        # Python's json reads NaN and Infinity, which no column stores
        for literal in ("NaN", "Infinity", "-Infinity"):
            raw = json.dumps(self.order_body(quantity=1)).replace("1}", f"{literal}}}")
            response = self.api(
                "POST",
                "/api/v1/orders",
                key=self.key,
                raw=raw,
                headers={"Content-Type": "application/json"},
            )
            self.assertFieldError(response, "lines[0].quantity")
        body = {"name": "Big", "list_price": 1e300}
        self.assertFieldError(
            self.api("POST", "/api/v1/products", key=self.key, body=body), "list_price"
        )
        self.assertEqual(self.env["sale.order"].search_count([]), count)

    @mute_logger("odoo.addons.my_api.core", "odoo.sql_db")
    def test_country_code_is_two_letters_not_a_like_pattern(self):
        """The code was looked up with =ilike: "%" or "_E" named a country."""
        for code in ("%", "_E", "B%", "1E"):
            body = {"name": "Wildcard", "country_code": code}
            response = self.api("POST", "/api/v1/partners", key=self.key, body=body)
            self.assertFieldError(response, "country_code")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Wildcard")]))
        body = {"name": "Belgian", "country_code": "be"}
        response = self.api("POST", "/api/v1/partners", key=self.key, body=body)
        self.assertEqual(response.json()["data"]["country_code"], "BE", response.text)

    def test_malformed_patch_is_400_whatever_its_if_match(self):
        """A body the document refuses is refused as such (400), not
        answered 412 because the If-Match it came with is stale."""
        response = self.api(
            "PATCH",
            f"/api/v1/partners/{self.partner.id}",
            key=self.key,
            body={"colour": "red"},
            headers={"If-Match": '"stale"'},
        )
        self.assertFieldError(response, "colour")

    def test_empty_cursor_is_the_first_page(self):
        """cursor= (a previous page's null next_cursor) is no cursor."""
        response = self.api("GET", "/api/v1/partners?cursor=&offset=0&limit=1", key=self.key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["pagination"]["offset"], 0)

    # ---------------------------------------------------------- methods
    def test_undeclared_method_is_405_with_the_resources_allow(self):
        response = self.api("PATCH", "/api/v1/invoices/1", key=self.key)
        self.assertError(response, 405, "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "GET")
        response = self.api("POST", "/api/v1/stock", key=self.key, body={})
        self.assertError(response, 405, "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "GET")
        response = self.api("PUT", "/api/v1/orders", key=self.key, body={})
        self.assertEqual(response.headers["Allow"], "GET, POST")
        response = self.api("GET", "/api/v1/orders/1/confirm", key=self.key)
        self.assertError(response, 405, "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "POST")

    # --------------------------------------------------------- document
    def test_document_declares_the_bounds_the_server_enforces(self):
        document = self.url_open("/api/v1/openapi.json").json()
        parameters = document["components"]["parameters"]
        self.assertEqual(parameters["offset"]["schema"]["maximum"], INT4_MAX)
        self.assertEqual(parameters["limit"]["schema"]["maximum"], INT4_MAX)
        schemas = document["components"]["schemas"]
        line = schemas["OrderCreate"]["properties"]["lines"]["items"]["properties"]
        # an id (or a reference string: see test_xref.py)
        self.assertEqual(line["product_id"]["oneOf"][0]["maximum"], INT4_MAX)
        self.assertIn("maximum", line["quantity"])
        self.assertIn("maximum", line["price"])
        self.assertIn("pattern", line["description"])
        self.assertIn("maximum", schemas["ProductCreate"]["properties"]["list_price"])
        listing = {p.get("name"): p for p in document["paths"]["/invoices"]["get"]["parameters"]}
        self.assertEqual(listing["partner_id"]["schema"]["minimum"], 1)
        self.assertEqual(listing["partner_id"]["schema"]["maximum"], INT4_MAX)
        self.assertIn("pattern", listing["date_from"]["schema"])
        (ident,) = document["paths"]["/orders/{ident}"]["parameters"]
        ident = parameters[ident["$ref"].rsplit("/", 1)[1]]
        self.assertIn("ref:", ident["schema"]["pattern"])
        (ident,) = document["paths"]["/invoices/{ident}"]["parameters"]
        ident = parameters[ident["$ref"].rsplit("/", 1)[1]]
        self.assertNotIn("ref:", ident["schema"]["pattern"])  # invoices have no reference
        for path in ("/orders/{ident}/confirm", "/orders/{ident}/cancel"):
            self.assertIn("422", document["paths"][path]["post"]["responses"])

    def test_integer_written_with_a_fraction_is_an_integer(self):
        """JSON Schema's integer includes 3.0: the document admits it."""
        body = {
            "partner_id": float(self.partner.id),
            "lines": [{"product_id": float(self.product.id)}],
        }
        response = self.api("POST", "/api/v1/orders", key=self.key, body=body)
        self.assertEqual(response.status_code, 201, response.text)
        order = self.env["sale.order"].browse(response.json()["data"]["id"])
        self.assertEqual(order.partner_id, self.partner)
        error = self.assertFieldError(
            self.api("POST", "/api/v1/orders", key=self.key, body=dict(body, partner_id=1.5)),
            "partner_id",
        )
        self.assertEqual(error["details"][0]["issue"], "invalid_type")
