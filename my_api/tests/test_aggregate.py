import datetime
from unittest.mock import patch

from werkzeug.datastructures import MultiDict

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..models.api_resource_aggregate import bucket_label
from .common import ApiCase

AGGREGATE = "odoo.addons.my_api.models.api_resource_aggregate.ApiResource"


@tagged("post_install", "-at_install")
class TestAggregate(ApiCase):
    """GET /<path>/aggregate: grouped totals as the caller, over the list's filters."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Dashboard Customer"})
        cls.other = cls.env["res.partner"].create({"name": "Other Customer"})
        cls.key = cls.new_api_key(cls.salesman)
        cls.jan1 = cls.new_order(partner=cls.customer, date_order="2026-01-05 10:00:00")
        cls.jan2 = cls.new_order(partner=cls.customer, lines=2, date_order="2026-01-20 10:00:00")
        cls.feb = cls.new_order(partner=cls.customer, date_order="2026-02-03 10:00:00")
        cls.jan2.action_confirm()
        cls.feb.action_confirm()
        # confirming dates an order today: put the dates back
        cls.jan2.date_order = "2026-01-20 10:00:00"
        cls.feb.date_order = "2026-02-03 10:00:00"
        cls.new_order(partner=cls.other, date_order="2026-01-05 10:00:00")

    def aggregate(self, query, key=None, path="orders"):
        return self.api("GET", f"/api/v1/{path}/aggregate?{query}", key=key or self.key)

    def test_groups_by_month_and_state_with_measures(self):
        response = self.aggregate(
            f"group_by=date_order:month,state&measures=amount_total:sum,amount_untaxed:max,count"
            f"&partner_id={self.customer.id}"
        )
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["group_by"], ["date_order:month", "state"])
        self.assertEqual(body["measures"], ["amount_total:sum", "amount_untaxed:max", "count"])
        self.assertEqual(body["timezone"], "UTC")
        rows = {(row["date_order:month"], row["state"]): row for row in body["data"]}
        self.assertEqual(
            set(rows), {("2026-01", "draft"), ("2026-01", "sale"), ("2026-02", "sale")}
        )
        self.assertEqual(rows["2026-01", "draft"]["count"], 1)
        self.assertAlmostEqual(rows["2026-01", "draft"]["amount_total:sum"], self.jan1.amount_total)
        self.assertAlmostEqual(
            rows["2026-01", "sale"]["amount_untaxed:max"], self.jan2.amount_untaxed
        )
        self.assertAlmostEqual(rows["2026-02", "sale"]["amount_total:sum"], self.feb.amount_total)

    def test_many2one_groups_are_id_and_name_and_filters_apply(self):
        response = self.aggregate("group_by=partner&measures=count&date_to=2026-01-31")
        self.assertEqual(response.status_code, 200, response.text)
        rows = {row["partner"]["id"]: row for row in response.json()["data"] if row["partner"]}
        self.assertEqual(rows[self.customer.id]["partner"]["name"], "Dashboard Customer")
        self.assertEqual(rows[self.customer.id]["count"], 2)  # February is filtered out
        self.assertEqual(rows[self.other.id]["count"], 1)

    def test_without_group_by_one_total_and_an_empty_sum_is_zero(self):
        nobody = self.env["res.partner"].create({"name": "No orders"})
        response = self.aggregate(
            f"measures=amount_total:sum,amount_total:avg&partner_id={nobody.id}"
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json()["data"], [{"amount_total:sum": 0, "amount_total:avg": None}]
        )
        default = self.aggregate(f"partner_id={self.customer.id}").json()
        self.assertEqual((default["measures"], default["data"]), (["count"], [{"count": 3}]))

    def test_buckets_are_labelled_by_granularity(self):
        for granularity, label in (
            ("day", "2026-01-05"),
            ("week", "2026-W02"),
            ("month", "2026-01"),
            ("quarter", "2026-Q1"),
            ("year", "2026"),
        ):
            response = self.aggregate(
                f"group_by=date_order:{granularity}&partner_id={self.customer.id}"
                "&date_to=2026-01-05"
            )
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(
                response.json()["data"], [{f"date_order:{granularity}": label, "count": 1}]
            )

    def test_weeks_are_iso_weeks_whatever_the_language(self):
        # Sunday 2026-01-04 belongs to ISO week 1; an English (Sunday first)
        # week would put it with Monday the 5th
        self.new_order(partner=self.customer, date_order="2026-01-04 10:00:00")
        self.env["res.lang"]._activate_lang("en_US").week_start = "7"
        response = self.aggregate(
            f"group_by=date_order:week&partner_id={self.customer.id}&date_to=2026-01-05"
        )
        self.assertEqual(
            response.json()["data"],
            [
                {"date_order:week": "2026-W01", "count": 1},
                {"date_order:week": "2026-W02", "count": 1},
            ],
        )

    def test_datetime_buckets_follow_the_context_timezone(self):
        # 2026-01-31 21:00 UTC is 2026-02-01 01:00 in Dubai
        self.new_order(partner=self.other, date_order="2026-01-31 21:00:00")
        resource = self.env["api.resource.order"].with_user(self.salesman)
        args = MultiDict({"group_by": "date_order:month", "partner_id": str(self.other.id)})
        utc = resource._api_aggregate_run(args)
        dubai = resource.with_context(tz="Asia/Dubai")._api_aggregate_run(args)
        self.assertEqual(utc["data"], [{"date_order:month": "2026-01", "count": 2}])
        self.assertEqual(dubai["timezone"], "Asia/Dubai")
        self.assertEqual(
            dubai["data"],
            [
                {"date_order:month": "2026-01", "count": 1},
                {"date_order:month": "2026-02", "count": 1},
            ],
        )

    def test_user_without_sales_rights_is_refused(self):
        clerk = new_test_user(self.env, login="api_agg_clerk", groups="base.group_user")
        response = self.aggregate("group_by=state", key=self.new_api_key(clerk))
        self.assertError(response, 403, "forbidden")

    def test_record_rules_apply(self):
        own = new_test_user(
            self.env, login="api_agg_own", groups="base.group_user,sales_team.group_sale_salesman"
        )
        mine = self.new_order(
            partner=self.customer, user_id=own.id, date_order="2026-03-01 10:00:00"
        )
        self.new_order(partner=self.customer, user_id=self.salesman.id)
        response = self.aggregate(
            "group_by=partner&measures=amount_total:sum", key=self.new_api_key(own)
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json()["data"],
            [
                {
                    "partner": {"id": self.customer.id, "name": "Dashboard Customer"},
                    "amount_total:sum": mine.amount_total,
                }
            ],
        )

    def test_bad_terms_are_400_naming_them(self):
        cases = {
            "group_by=name": ("group_by", "'name'"),
            "group_by=state:month": ("group_by", "state:month"),
            "group_by=date_order:hour": ("group_by", "date_order:hour"),
            "group_by=date_order": ("group_by", "date_order:month"),
            "group_by=state,state": ("group_by", "state twice"),
            "group_by=date_order:month,date_order:year": ("group_by", "date_order twice"),
            "group_by=state,": ("group_by", "empty"),
            "group_by=": ("group_by", "empty"),
            "measures=amount_total": ("measures", "amount_total:sum"),
            "measures=margin:sum": ("measures", "'margin'"),
            "measures=amount_total:median": ("measures", "amount_total:median"),
            "measures=count,count": ("measures", "count twice"),
            "limit=5": ("limit", "limit"),
            "nope=1": ("nope", "nope"),
            "state=bogus": ("state", "state"),
        }
        for query, (field, named) in cases.items():
            with self.subTest(query=query):
                error = self.assertError(self.aggregate(query), 400)
                self.assertIn(named, error["message"])
                self.assertEqual(error["details"][0]["field"], field)

    def test_more_groups_than_the_limit_is_400_saying_how_to_narrow(self):
        with patch(f"{AGGREGATE}._api_aggregate_max_groups", return_value=2):
            too_many = self.aggregate(f"group_by=date_order:day&partner_id={self.customer.id}")
            error = self.assertError(too_many, 400, "too_many_groups")
            self.assertIn("more than 2 groups", error["message"])
            self.assertIn("coarser granularity", error["message"])
            fits = self.aggregate(f"group_by=date_order:month&partner_id={self.customer.id}")
            self.assertEqual(len(fits.json()["data"]), 2)

    def test_1001_groups_is_400(self):
        # 1,001 days of one customer, one order a day: copies of one order
        # made by SQL, as the ORM would take half a minute to create them
        customer = self.env["res.partner"].create({"name": "Every day"})
        first = self.new_order(partner=customer, date_order="2023-01-01 12:00:00")
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'sale_order' AND column_name NOT IN ('id', 'date_order')"
        )
        columns = SQL(", ").join(SQL.identifier(name) for (name,) in self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                "INSERT INTO sale_order (%s, date_order) SELECT %s, date_order + day * INTERVAL "
                "'1 day' FROM sale_order, generate_series(1, 1000) AS day WHERE id = %s",
                columns,
                columns,
                first.id,
            )
        )
        error = self.assertError(
            self.aggregate(f"group_by=date_order:day&partner_id={customer.id}"),
            400,
            "too_many_groups",
        )
        self.assertIn("more than 1000 groups", error["message"])
        fits = self.aggregate(f"group_by=date_order:month&partner_id={customer.id}")
        self.assertEqual(sum(row["count"] for row in fits.json()["data"]), 1001)

    def test_query_count_does_not_grow_with_groups(self):
        resource = self.env["api.resource.order"].with_user(self.salesman)
        partners = self.env["res.partner"].create([{"name": f"Group {i}"} for i in range(50)])
        self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": self.product.id})],
                    "date_order": f"2026-01-{1 + i % 28:02d} 10:00:00",
                }
                for i, partner in enumerate(partners)
            ]
        )

        def count(size):
            args = MultiDict(
                {
                    "group_by": "partner,date_order:day",
                    "measures": "amount_total:sum,count",
                    "updated_since": "2000-01-01",
                }
            )
            domain = [("partner_id", "in", partners[:size].ids)]
            with patch(f"{AGGREGATE}._api_aggregate_domain", return_value=domain):
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                result = resource._api_aggregate_run(args)
                self.assertEqual(len(result["data"]), size)
                return self.cr.sql_log_count - before

        count(10)  # warm the metadata caches
        self.assertEqual(count(10), count(50))

    def test_invoices_aggregate_by_month_and_payment_state(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2026-01-31",
                "invoice_line_ids": [
                    Command.create({"product_id": self.product.id, "quantity": 3, "price_unit": 10})
                ],
            }
        )
        invoice.action_post()
        accountant = new_test_user(
            self.env,
            login="api_agg_accountant",
            groups="base.group_user,account.group_account_invoice",
        )
        response = self.aggregate(
            "group_by=invoice_date:month,payment_state,partner"
            "&measures=amount_total_signed:sum,amount_residual_signed:sum,count"
            f"&partner_id={self.customer.id}&kind=customer&state=posted",
            key=self.new_api_key(accountant),
            path="invoices",
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json()["data"],
            [
                {
                    "invoice_date:month": "2026-01",
                    "payment_state": "not_paid",
                    "partner": {"id": self.customer.id, "name": "Dashboard Customer"},
                    "amount_total_signed:sum": invoice.amount_total_signed,
                    "amount_residual_signed:sum": invoice.amount_residual_signed,
                    "count": 1,
                }
            ],
        )

    def test_resource_without_aggregates_has_no_route(self):
        self.assertError(self.aggregate("group_by=name", path="partners"), 404, "not_found")
        self.assertError(
            self.api("POST", "/api/v1/orders/aggregate", key=self.key), 405, "method_not_allowed"
        )

    def test_declared_fields_are_stored_and_groupable(self):
        """Every declared field exists and PostgreSQL can group by or sum it
        (a computed field that is not stored would fail at the first call)."""
        for name in self.env.registry:
            if not name.startswith("api.resource.") or not self.env[name]._api_aggregate:
                continue
            resource = self.env[name]
            spec = resource._api_aggregate_spec()
            with self.subTest(resource=name):
                for public in spec["group_by"]:
                    term = (
                        f"{public}:month"
                        if resource._api_aggregate_descriptor()["group_by"][public]["date"]
                        else public
                    )
                    resource._api_aggregate_run(MultiDict({"group_by": term}))
                for public, (_orm, functions) in spec["measures"].items():
                    measures = ",".join(f"{public}:{function}" for function in functions)
                    resource._api_aggregate_run(MultiDict({"measures": measures}))

    def test_bucket_labels(self):
        self.assertEqual(bucket_label(datetime.date(2026, 12, 31), "week"), "2026-W53")
        self.assertEqual(bucket_label(datetime.date(2027, 1, 1), "week"), "2026-W53")
        self.assertEqual(bucket_label(datetime.datetime(2026, 10, 1), "quarter"), "2026-Q4")
        self.assertIsNone(bucket_label(False, "month"))
