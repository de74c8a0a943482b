from odoo.tests import tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestPagination(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.new_api_key(cls.salesman)
        cls.customer = cls.env["res.partner"].create({"name": "Paged Customer"})
        cls.orders = cls.env["sale.order"]
        for day in range(1, 13):
            # pairs of orders on the same date: the id breaks ties
            cls.orders |= cls.new_order(
                partner=cls.customer, date_order=f"2026-03-{(day + 1) // 2:02d} 09:00:00"
            )

    def pages(self, first_url):
        ids, url, calls = [], first_url, 0
        while url:
            body = self.api("GET", url, key=self.key).json()
            ids += [row["id"] for row in body["data"]]
            cursor = body["pagination"]["next_cursor"]
            url = cursor and f"/api/v1/orders?partner_id={self.customer.id}&limit=5&cursor={cursor}"
            calls += 1
        return ids, calls

    def test_cursor_walks_every_record_once_newest_first(self):
        ids, calls = self.pages(f"/api/v1/orders?partner_id={self.customer.id}&limit=5")
        expected = self.orders.sorted(lambda o: (o.date_order, o.id), reverse=True).ids
        self.assertEqual(ids, expected)
        self.assertEqual(calls, 3)

    def test_cursor_is_stable_under_concurrent_inserts(self):
        first = self.api(
            "GET", f"/api/v1/orders?partner_id={self.customer.id}&limit=5", key=self.key
        ).json()
        # a newer order arrives between two pages: it must not shift the next page
        self.new_order(partner=self.customer, date_order="2026-04-01 09:00:00")
        cursor = first["pagination"]["next_cursor"]
        second = self.api(
            "GET",
            f"/api/v1/orders?partner_id={self.customer.id}&limit=5&cursor={cursor}",
            key=self.key,
        ).json()
        expected = self.orders.sorted(lambda o: (o.date_order, o.id), reverse=True).ids
        self.assertEqual([row["id"] for row in second["data"]], expected[5:10])
        self.assertIsNone(second["pagination"]["total"])

    def test_offset_pagination_with_total(self):
        body = self.api(
            "GET", f"/api/v1/orders?partner_id={self.customer.id}&limit=5&offset=10", key=self.key
        ).json()
        self.assertEqual(len(body["data"]), 2)
        self.assertEqual(
            body["pagination"],
            {
                "total": 12,
                "total_exact": True,
                "limit": 5,
                "offset": 10,
                "has_more": False,
                "next_cursor": None,
            },
        )
        body = self.api(
            "GET", f"/api/v1/orders?partner_id={self.customer.id}&limit=5&offset=5", key=self.key
        ).json()
        self.assertEqual(body["pagination"]["total"], 12)
        self.assertTrue(body["pagination"]["has_more"])

    def test_total_stops_at_the_count_limit_unless_asked_exact(self):
        def pagination(query):
            url = f"/api/v1/orders?partner_id={self.customer.id}&limit=2{query}"
            body = self.api("GET", url, key=self.key).json()
            return body["pagination"]["total"], body["pagination"]["total_exact"]

        self.assertEqual(pagination(""), (12, True))
        self.env["ir.config_parameter"].set_param("my_api.count_limit", "5")
        self.assertEqual(pagination(""), (5, False))
        # a lower bound never below what the page itself shows: 8 skipped + 3 read
        self.assertEqual(pagination("&offset=8"), (11, False))
        self.assertEqual(pagination("&count=exact"), (12, True))
        self.assertEqual(pagination("&offset=10"), (12, True))  # the last page knows
        self.assertEqual(pagination("&offset=1000"), (12, True))  # past the end: counted
        self.env["ir.config_parameter"].set_param("my_api.count_limit", "0")
        self.assertEqual(pagination(""), (12, True))
        response = self.api("GET", "/api/v1/orders?count=fast", key=self.key)
        self.assertError(response, 400, "validation_error")
        self.assertEqual(response.json()["error"]["details"][0]["field"], "count")

    def test_limit_is_capped_and_bad_cursors_refused(self):
        body = self.api("GET", "/api/v1/orders?limit=5000", key=self.key).json()
        self.assertEqual(body["pagination"]["limit"], 200)
        self.assertError(
            self.api("GET", "/api/v1/orders?cursor=forged", key=self.key), 400, "bad_request"
        )
        first = self.api(
            "GET", f"/api/v1/orders?partner_id={self.customer.id}&limit=5", key=self.key
        ).json()
        cursor = first["pagination"]["next_cursor"]
        self.assertError(
            self.api("GET", f"/api/v1/orders?order=id&cursor={cursor}", key=self.key), 400
        )
        self.assertError(
            self.api("GET", f"/api/v1/orders?offset=5&cursor={cursor}", key=self.key), 400
        )

    def test_ascending_cursor_by_id(self):
        url = f"/api/v1/orders?partner_id={self.customer.id}&limit=7&order=id"
        first = self.api("GET", url, key=self.key).json()
        cursor = first["pagination"]["next_cursor"]
        second = self.api("GET", f"{url}&cursor={cursor}", key=self.key).json()
        self.assertEqual([r["id"] for r in first["data"] + second["data"]], sorted(self.orders.ids))
