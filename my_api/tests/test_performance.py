from werkzeug.datastructures import MultiDict

from odoo.tests import tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestQueryCounts(ApiCase):
    """The number of queries of a list or a get does not grow with the data."""

    def count_queries(self, func):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        func()
        return self.cr.sql_log_count - before

    def test_list_query_count_does_not_grow_with_page_size(self):
        customer = self.env["res.partner"].create({"name": "Counted"})
        for _ in range(50):
            self.new_order(partner=customer, lines=2)
        resource = self.env["api.resource.order"].with_user(self.salesman)

        def page(size):
            return lambda: resource._api_list(
                MultiDict({"partner_id": str(customer.id), "limit": str(size)})
            )

        self.count_queries(page(5))  # warm the caches of metadata (access rules, ...)
        small = self.count_queries(page(5))
        large = self.count_queries(page(40))  # both pages have more: both count the total
        self.assertEqual(small, large)

    def test_get_query_count_does_not_grow_with_lines(self):
        resource = self.env["api.resource.order"].with_user(self.salesman)
        few = self.new_order(lines=1)
        many = self.new_order(lines=30)
        self.count_queries(lambda: resource._api_get(str(few.id)))  # warm metadata caches
        self.assertEqual(
            self.count_queries(lambda: resource._api_get(str(few.id))),
            self.count_queries(lambda: resource._api_get(str(many.id))),
        )

    def test_request_log_and_key_usage(self):
        key = self.new_api_key(self.salesman)
        apikey = self.env["res.users.apikeys"].search([("user_id", "=", self.salesman.id)], limit=1)
        response = self.api(
            "GET", "/api/v1/orders?limit=1", key=key, headers={"X-Request-Id": "log-me"}
        )
        self.assertEqual(response.status_code, 200)
        log = self.env["api.request.log"].search([("request_id", "=", "log-me")])
        self.assertEqual(len(log), 1)
        self.assertEqual(
            (log.method, log.path, log.status, log.user_id),
            ("GET", "/api/v1/orders", 200, self.salesman),
        )
        self.assertEqual(log.credential, f"API key #{apikey.id}")
        self.assertNotIn(key, str(log.read()))
        usage = self.env["api.key.usage"].search([("key_id", "=", apikey.id)])
        self.assertEqual(len(usage), 1)
        first_use = usage.last_used_at
        self.api("GET", "/api/v1/me", key=key)
        usage.invalidate_recordset()
        self.assertEqual(usage.last_used_at, first_use)  # at most one write a minute
