"""Companies and timezones of a request: `X-Odoo-Company`, `X-Odoo-Timezone`.

A database that runs several legal entities must never mix them: without
the header a request works in the user's current company only, with it in
the companies it names, each of them the user's. A date alone in a filter
is a day in the request's timezone; a date field is a day in none.
"""

import datetime

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import ApiCase

ORDERS = "/api/v1/orders"


@tagged("post_install", "-at_install")
class TestCompanies(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Api Company B"})
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company_b, install_demo=False
        )
        cls.company_c = cls.env["res.company"].create({"name": "Api Company C"})
        cls.user = new_test_user(
            cls.env,
            login="api_two_companies",
            groups="base.group_user,sales_team.group_sale_manager,"
            "account.group_account_invoice,stock.group_stock_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set([cls.company_a.id, cls.company_b.id])],
            tz=False,
        )
        cls.key = cls.new_api_key(cls.user)
        cls.customer = cls.env["res.partner"].create({"name": "Two Companies Customer"})
        cls.order_a = cls.new_order(partner=cls.customer)
        cls.order_b = cls.order_in(cls.company_b)
        cls.order_c = cls.order_in(cls.company_c)

    @classmethod
    def order_in(cls, company):
        return (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "order_line": [Command.create({"product_id": cls.product.id})],
                }
            )
        )

    def get(self, path, company=None, timezone=None):
        headers = {}
        if company is not None:
            headers["X-Odoo-Company"] = company
        if timezone is not None:
            headers["X-Odoo-Timezone"] = timezone
        return self.api("GET", path, key=self.key, headers=headers)

    def ids(self, path, company=None, timezone=None):
        response = self.get(path, company, timezone)
        self.assertEqual(response.status_code, 200, response.text)
        return {row["id"] for row in response.json()["data"]}

    def header(self, *companies):
        return ",".join(str(company.id) for company in companies)

    # ------------------------------------------------------------ selection
    def test_orders_default_to_the_current_company_only(self):
        path = f"{ORDERS}?partner_id={self.customer.id}"
        self.assertEqual(self.ids(path), {self.order_a.id})
        self.assertEqual(self.ids(path, self.header(self.company_b)), {self.order_b.id})
        self.assertEqual(
            self.ids(path, self.header(self.company_a, self.company_b)),
            {self.order_a.id, self.order_b.id},
        )

    def test_a_company_outside_the_users_is_403_naming_it(self):
        for value in (self.header(self.company_c), self.header(self.company_a, self.company_c)):
            with self.subTest(value=value):
                error = self.assertError(self.get(ORDERS, value), 403, "forbidden")
                self.assertIn(str(self.company_c.id), error["message"])
                self.assertEqual(error["details"][0]["field"], "X-Odoo-Company")
        # a company that does not exist is no company of the user's either
        self.assertError(self.get(ORDERS, "999999"), 403, "forbidden")

    def test_garbage_company_headers_are_400(self):
        many = ",".join([str(self.company_a.id)] * 101)
        for value in ("abc", "1,,2", ",1", "1,", "-1", "0", "1 2", "2147483648", many, ""):
            with self.subTest(value=value):
                error = self.assertError(self.get(ORDERS, value), 400, "bad_request")
                self.assertEqual(error["details"][0]["field"], "X-Odoo-Company")

    def test_another_companys_order_is_403_by_id(self):
        self.assertError(self.get(f"{ORDERS}/{self.order_b.id}"), 403)
        response = self.get(f"{ORDERS}/{self.order_b.id}", self.header(self.company_b))
        self.assertEqual(response.status_code, 200, response.text)

    def test_rows_carry_their_company(self):
        response = self.get(f"{ORDERS}/{self.order_b.id}", self.header(self.company_b))
        self.assertEqual(
            response.json()["data"]["company"],
            {"id": self.company_b.id, "name": "Api Company B"},
        )
        rows = self.get(f"{ORDERS}?partner_id={self.customer.id}").json()["data"]
        self.assertEqual([row["company"]["id"] for row in rows], [self.company_a.id])
        shared = self.get(f"/api/v1/partners/{self.customer.id}").json()["data"]
        self.assertIsNone(shared["company"])

    def test_a_renamed_company_is_named_anew_in_the_next_answer(self):
        """Company names are cached for rows: a rename must not leave the
        old name in answers."""
        path = f"{ORDERS}/{self.order_b.id}"
        self.assertEqual(
            self.get(path, self.header(self.company_b)).json()["data"]["company"]["name"],
            "Api Company B",
        )
        self.company_b.name = "Api Company B (renamed)"
        self.assertEqual(
            self.get(path, self.header(self.company_b)).json()["data"]["company"]["name"],
            "Api Company B (renamed)",
        )

    def test_company_id_filters_within_the_selection(self):
        both = self.header(self.company_a, self.company_b)
        path = f"{ORDERS}?partner_id={self.customer.id}&company_id="
        self.assertEqual(self.ids(path + str(self.company_b.id), both), {self.order_b.id})
        # outside the selection (the user's own company B, not selected): 403
        error = self.assertError(self.get(path + str(self.company_b.id)), 403, "forbidden")
        self.assertEqual(error["details"][0]["field"], "company_id")
        self.assertError(self.get(path + str(self.company_c.id), both), 403, "forbidden")
        self.assertError(self.get(path + "abc", both), 400)

    def test_invoices_follow_the_selection(self):
        invoices = {}
        for company in (self.company_a, self.company_b):
            invoice = (
                self.env["account.move"]
                .with_company(company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": self.customer.id,
                        "invoice_line_ids": [
                            Command.create({"name": "Work", "quantity": 1, "price_unit": 10})
                        ],
                    }
                )
            )
            self.assertEqual(invoice.company_id, company)
            invoices[company] = invoice.id
        path = f"/api/v1/invoices?partner_id={self.customer.id}"
        self.assertEqual(self.ids(path), {invoices[self.company_a]})
        self.assertEqual(self.ids(path, self.header(self.company_b)), {invoices[self.company_b]})
        self.assertEqual(
            self.ids(path, self.header(self.company_b, self.company_a)), set(invoices.values())
        )
        self.assertError(self.get(path, self.header(self.company_c)), 403)

    def test_stock_follows_the_selection(self):
        product = self.env["product.product"].create(
            {"name": "Two Companies Stocked", "is_storable": True}
        )
        quants = {}
        for company in (self.company_a, self.company_b):
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            self.env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 5)
            quants[company] = (
                self.env["stock.quant"]
                .search(
                    [
                        ("product_id", "=", product.id),
                        ("location_id", "=", warehouse.lot_stock_id.id),
                    ]
                )
                .id
            )
        path = f"/api/v1/stock?product_id={product.id}"
        self.assertEqual(self.ids(path), {quants[self.company_a]})
        self.assertEqual(self.ids(path, self.header(self.company_b)), {quants[self.company_b]})
        self.assertEqual(
            self.ids(path, self.header(self.company_a, self.company_b)), set(quants.values())
        )

    def test_pickings_follow_the_selection(self):
        pickings = {}
        for company in (self.company_a, self.company_b):
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            picking = (
                self.env["stock.picking"]
                .with_company(company)
                .create({"picking_type_id": warehouse.out_type_id.id, "origin": "TWO-COMPANIES"})
            )
            self.assertEqual(picking.company_id, company)
            pickings[company] = picking.id
        path = "/api/v1/pickings?origin=TWO-COMPANIES"
        self.assertEqual(self.ids(path), {pickings[self.company_a]})
        self.assertEqual(self.ids(path, self.header(self.company_b)), {pickings[self.company_b]})
        self.assertEqual(
            self.ids(path, self.header(self.company_a, self.company_b)), set(pickings.values())
        )
        rows = self.get(path, self.header(self.company_b)).json()["data"]
        self.assertEqual([row["company"]["id"] for row in rows], [self.company_b.id])
        error = self.assertError(self.get(path, self.header(self.company_c)), 403, "forbidden")
        self.assertEqual(error["details"][0]["field"], "X-Odoo-Company")
        response = self.get(f"/api/v1/pickings/{pickings[self.company_b]}")
        self.assertError(response, 403)

    def groups(self, path, company=None):
        """{group label: count} of an aggregate answer."""
        response = self.get(path, company)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        (term,) = body["group_by"]
        return {row[term]: row["count"] for row in body["data"]}

    def test_aggregates_follow_the_selection(self):
        """An aggregate counts the selected companies' records only: one
        day per company, so that each group says whose it is."""
        customer = self.env["res.partner"].create({"name": "Two Companies Dashboard"})
        days = {self.company_a: "2026-03-01", self.company_b: "2026-03-02"}
        for company, day in days.items():
            (
                self.env["sale.order"]
                .with_company(company)
                .create(
                    {
                        "partner_id": customer.id,
                        "date_order": f"{day} 10:00:00",
                        "order_line": [Command.create({"product_id": self.product.id})],
                    }
                )
            )
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            (
                self.env["stock.picking"]
                .with_company(company)
                .create(
                    {
                        "picking_type_id": warehouse.out_type_id.id,
                        "origin": "TWO-COMPANIES-DASHBOARD",
                        "scheduled_date": f"{day} 10:00:00",
                    }
                )
            )
        both = self.header(self.company_a, self.company_b)
        for path in (
            f"/api/v1/orders/aggregate?group_by=date_order:day&partner_id={customer.id}",
            "/api/v1/pickings/aggregate?group_by=scheduled_date:day&origin=TWO-COMPANIES-DASHBOARD",
        ):
            with self.subTest(path=path):
                self.assertEqual(self.groups(path), {"2026-03-01": 1})
                self.assertEqual(self.groups(path, self.header(self.company_b)), {"2026-03-02": 1})
                self.assertEqual(self.groups(path, both), {"2026-03-01": 1, "2026-03-02": 1})
                error = self.assertError(
                    self.get(path, self.header(self.company_c)), 403, "forbidden"
                )
                self.assertEqual(error["details"][0]["field"], "X-Odoo-Company")
                self.assertError(
                    self.get(path + f"&company_id={self.company_b.id}"), 403, "forbidden"
                )

    def test_partners_of_a_company_stay_in_it(self):
        own_b = self.env["res.partner"].create(
            {"name": "Two Companies Partner B", "company_id": self.company_b.id}
        )
        path = "/api/v1/partners?name=Two Companies"
        self.assertEqual(self.ids(path), {self.customer.id})
        self.assertEqual(self.ids(path, self.header(self.company_b)), {self.customer.id, own_b.id})
        self.assertEqual(
            self.ids(path + f"&company_id={self.company_b.id}", self.header(self.company_b)),
            {own_b.id},
        )

    # -------------------------------------------------------------- creates
    def create_order(self, company=None, **body):
        headers = {"X-Odoo-Company": company} if company else {}
        body = {"partner_id": self.customer.id, "lines": [{"product_id": self.product.id}], **body}
        return self.api("POST", ORDERS, key=self.key, body=body, headers=headers)

    def test_creates_land_in_the_first_selected_company(self):
        cases = [
            (None, self.company_a),
            (self.header(self.company_b), self.company_b),
            (self.header(self.company_b, self.company_a), self.company_b),
            (self.header(self.company_a, self.company_b), self.company_a),
        ]
        for header, company in cases:
            with self.subTest(header=header):
                response = self.create_order(header)
                self.assertEqual(response.status_code, 201, response.text)
                data = response.json()["data"]
                self.assertEqual(data["company"]["id"], company.id)
                order = self.env["sale.order"].browse(data["id"])
                self.assertEqual(order.company_id, company)

    def test_a_create_may_name_a_company_of_the_selection(self):
        response = self.create_order(
            self.header(self.company_a, self.company_b), company_id=self.company_b.id
        )
        self.assertEqual(response.status_code, 201, response.text)
        order = self.env["sale.order"].browse(response.json()["data"]["id"])
        self.assertEqual(order.company_id, self.company_b)
        self.assertEqual(order.warehouse_id.company_id, self.company_b)
        # the user's own company B, but not selected: 403, nothing created
        count = self.env["sale.order"].search_count([])
        error = self.assertError(self.create_order(company_id=self.company_b.id), 403)
        self.assertEqual(error["details"][0]["field"], "company_id")
        self.assertError(self.create_order(company_id=self.company_c.id), 403)
        self.assertEqual(self.env["sale.order"].search_count([]), count)

    def test_a_partner_created_in_a_company_belongs_to_it(self):
        body = {"name": "Two Companies Created", "company_id": self.company_b.id}
        headers = {"X-Odoo-Company": self.header(self.company_b)}
        response = self.api("POST", "/api/v1/partners", key=self.key, body=body, headers=headers)
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["data"]["company"]["id"], self.company_b.id)
        # without company_id a partner is shared, as Odoo creates them
        body = {"name": "Two Companies Shared"}
        response = self.api("POST", "/api/v1/partners", key=self.key, body=body, headers=headers)
        self.assertIsNone(response.json()["data"]["company"])

    # ------------------------------------------------------------------- me
    def test_me_lists_the_companies_and_the_timezone(self):
        me = self.get("/api/v1/me").json()["data"]
        self.assertEqual(me["company"], {"id": self.company_a.id, "name": self.company_a.name})
        self.assertEqual(
            me["companies"],
            [
                {"id": company.id, "name": company.name}
                for company in (self.company_a | self.company_b).sorted("id")
            ],
        )
        self.assertEqual(me["timezone"], "UTC")
        me = self.get("/api/v1/me", self.header(self.company_b), "Asia/Dubai").json()["data"]
        self.assertEqual(me["company"]["id"], self.company_b.id)
        self.assertEqual(me["timezone"], "Asia/Dubai")
        self.user.tz = "America/New_York"
        self.assertEqual(self.get("/api/v1/me").json()["data"]["timezone"], "America/New_York")


@tagged("post_install", "-at_install")
class TestTimezones(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="api_timezones",
            groups="base.group_user,sales_team.group_sale_manager,account.group_account_invoice",
            tz=False,
        )
        cls.key = cls.new_api_key(cls.user)
        cls.customer = cls.env["res.partner"].create({"name": "Dubai Customer"})
        # 2026-02-01 01:00 in Dubai (+04:00)
        cls.order = cls.new_order(
            partner=cls.customer, date_order=datetime.datetime(2026, 1, 31, 21, 0)
        )

    def ids(self, query, timezone=None):
        headers = {"X-Odoo-Timezone": timezone} if timezone else {}
        response = self.api(
            "GET", f"{ORDERS}?partner_id={self.customer.id}&{query}", key=self.key, headers=headers
        )
        self.assertEqual(response.status_code, 200, response.text)
        return [row["id"] for row in response.json()["data"]]

    def test_a_date_alone_is_a_day_in_the_requests_timezone(self):
        found = [self.order.id]
        self.assertEqual(self.ids("date_from=2026-02-01", "Asia/Dubai"), found)
        self.assertEqual(self.ids("date_to=2026-01-31", "Asia/Dubai"), [])
        self.assertEqual(self.ids("date_from=2026-02-01", "UTC"), [])
        self.assertEqual(self.ids("date_to=2026-01-31", "UTC"), found)
        self.assertEqual(self.ids("date_from=2026-02-01"), [])  # no tz: UTC

    def test_the_users_timezone_is_the_default(self):
        self.user.tz = "Asia/Dubai"
        self.assertEqual(self.ids("date_from=2026-02-01"), [self.order.id])
        self.assertEqual(self.ids("date_from=2026-02-01", "UTC"), [])

    def test_a_change_of_the_users_timezone_or_company_holds_from_the_next_request(self):
        """The defaults are cached per user: Preferences writing them must
        not leave the old ones in force."""
        self.assertEqual(self.ids("date_from=2026-02-01"), [])  # cached: no tz, UTC
        self.user.with_user(self.user).write({"tz": "Asia/Dubai"})  # as Preferences does
        self.assertEqual(self.ids("date_from=2026-02-01"), [self.order.id])
        other = self.env["res.company"].create({"name": "Timezones Other Co"})
        self.user.write({"company_ids": [Command.link(other.id)]})
        self.user.with_user(self.user).write({"company_id": other.id})
        me = self.api("GET", "/api/v1/me", key=self.key).json()["data"]
        self.assertEqual(me["company"]["id"], other.id)
        self.assertEqual(me["timezone"], "Asia/Dubai")

    def test_a_timestamp_with_its_offset_is_an_exact_instant(self):
        for timezone in ("Asia/Dubai", "UTC", "Pacific/Honolulu"):
            with self.subTest(timezone=timezone):
                query = "date_from=2026-02-01T01:00:00%2B04:00"
                self.assertEqual(self.ids(query, timezone), [self.order.id])
                query = "date_from=2026-02-01T01:00:01%2B04:00"
                self.assertEqual(self.ids(query, timezone), [])

    def test_an_unknown_timezone_is_400(self):
        for value in (
            "Mars/Olympus",
            "../../etc/passwd",
            "Asia/Dubai;",
            "A" * 65,
            "",
            "asia/dubai",
        ):
            with self.subTest(value=value):
                response = self.api("GET", ORDERS, key=self.key, headers={"X-Odoo-Timezone": value})
                error = self.assertError(response, 400, "bad_request")
                self.assertEqual(error["details"][0]["field"], "X-Odoo-Timezone")

    def test_date_fields_never_shift(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2026-02-01",
                "invoice_line_ids": [
                    Command.create({"name": "Work", "quantity": 1, "price_unit": 10})
                ],
            }
        )
        path = f"/api/v1/invoices?partner_id={self.customer.id}"
        for timezone in ("Asia/Dubai", "UTC", "Pacific/Honolulu", "Pacific/Kiritimati"):
            with self.subTest(timezone=timezone):
                headers = {"X-Odoo-Timezone": timezone}
                found = self.api(
                    "GET",
                    f"{path}&date_from=2026-02-01&date_to=2026-02-01",
                    key=self.key,
                    headers=headers,
                ).json()["data"]
                self.assertEqual([row["id"] for row in found], [invoice.id])
                self.assertEqual(found[0]["invoice_date"], "2026-02-01")
                found = self.api(
                    "GET", f"{path}&date_to=2026-01-31", key=self.key, headers=headers
                ).json()["data"]
                self.assertEqual(found, [])

    def aggregate(self, path, timezone=None):
        headers = {"X-Odoo-Timezone": timezone} if timezone else {}
        response = self.api("GET", path, key=self.key, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def buckets(self, path, timezone=None):
        """(timezone named, {bucket: count}) of an aggregate by one term."""
        headers = {"X-Odoo-Timezone": timezone} if timezone else {}
        response = self.api("GET", path, key=self.key, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        (term,) = body["group_by"]
        return body["timezone"], {row[term]: row["count"] for row in body["data"]}

    def test_aggregate_buckets_are_days_of_the_requests_timezone(self):
        """The order placed 2026-02-01 01:00 in Dubai is February's there,
        January's for a UTC request; the answer names the timezone used."""
        path = f"{ORDERS}/aggregate?partner_id={self.customer.id}&group_by=date_order"
        cases = [
            ("Asia/Dubai", "Asia/Dubai", "2026-02", "2026-02-01"),
            ("UTC", "UTC", "2026-01", "2026-01-31"),
            (None, "UTC", "2026-01", "2026-01-31"),  # the user has no tz
            ("Pacific/Honolulu", "Pacific/Honolulu", "2026-01", "2026-01-31"),
        ]
        for timezone, named, month, day in cases:
            with self.subTest(timezone=timezone):
                self.assertEqual(self.buckets(f"{path}:month", timezone), (named, {month: 1}))
                self.assertEqual(self.buckets(f"{path}:day", timezone), (named, {day: 1}))
        # a date filter of the same request agrees with its buckets
        self.assertEqual(
            self.buckets(f"{path}:month&date_from=2026-02-01", "Asia/Dubai"),
            ("Asia/Dubai", {"2026-02": 1}),
        )
        self.assertEqual(self.buckets(f"{path}:month&date_from=2026-02-01", "UTC"), ("UTC", {}))
        # without the header, the user's own timezone
        self.user.tz = "Asia/Dubai"
        self.assertEqual(self.buckets(f"{path}:month"), ("Asia/Dubai", {"2026-02": 1}))

    def test_aggregate_of_a_date_field_never_shifts(self):
        for day in ("2026-01-31", "2026-02-01"):
            self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create({"name": "Work", "quantity": 1, "price_unit": 10})
                    ],
                }
            )
        path = f"/api/v1/invoices/aggregate?partner_id={self.customer.id}&group_by=invoice_date"
        for timezone in ("Asia/Dubai", "UTC", "Pacific/Honolulu", "Pacific/Kiritimati", None):
            with self.subTest(timezone=timezone):
                named = timezone or "UTC"
                self.assertEqual(
                    self.buckets(f"{path}:month", timezone),
                    (named, {"2026-01": 1, "2026-02": 1}),
                )
                self.assertEqual(
                    self.buckets(f"{path}:day", timezone),
                    (named, {"2026-01-31": 1, "2026-02-01": 1}),
                )

    def test_openapi_declares_the_headers_on_every_operation(self):
        document = self.url_open("/api/v1/openapi.json").json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method == "parameters" or not operation.get("security", True):
                    continue
                refs = {param.get("$ref") for param in operation.get("parameters", [])}
                with self.subTest(operation=f"{method} {path}"):
                    self.assertIn("#/components/parameters/XOdooCompany", refs)
                    self.assertIn("#/components/parameters/XOdooTimezone", refs)
        list_orders = document["paths"]["/orders"]["get"]
        self.assertIn("company_id", {param.get("name") for param in list_orders["parameters"]})
        self.assertIn("company", document["components"]["schemas"]["Order"]["properties"])
        self.assertIn("company_id", document["components"]["schemas"]["OrderCreate"]["properties"])
