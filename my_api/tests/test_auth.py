import uuid
from unittest.mock import patch

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestAuth(ApiCase):
    def test_no_credentials_is_401_with_bearer_challenge(self):
        response = self.api("GET", "/api/v1/orders")
        self.assertError(response, 401, "unauthorized")
        self.assertTrue(response.headers["WWW-Authenticate"].startswith("Bearer"))

    def test_invalid_key_is_401_invalid_token(self):
        response = self.api("GET", "/api/v1/me", key="0123456789abcdef" * 2)
        self.assertError(response, 401, "unauthorized")
        self.assertIn('error="invalid_token"', response.headers["WWW-Authenticate"])

    def test_unknown_key_401_writes_no_log(self):
        """Anyone can send a made-up key: its 401 must not cost a log row
        (a flood of them would fill the request log)."""
        RequestLog = type(self.env["api.request.log"])
        real_insert = RequestLog._insert_query
        logged = []

        def insert_query(model, values):
            logged.append(values["request_id"])
            return real_insert(model, values)

        with patch.object(RequestLog, "_insert_query", insert_query):
            for headers in (
                {"Authorization": "Bearer " + "f" * 40},
                {"Authorization": "Basic YTpi"},
                {"Authorization": "Bearer"},
                {},
            ):
                marker = f"nolog-{uuid.uuid4().hex}"
                with self.subTest(headers=headers):
                    response = self.api(
                        "GET", "/api/v1/orders", headers={**headers, "X-Request-Id": marker}
                    )
                    self.assertError(response, 401, "unauthorized")
                    self.assertEqual(response.headers["X-Request-Id"], marker)
                    self.assertNotIn(marker, logged)
            # a known key's request is still logged
            key = self.new_api_key(self.salesman)
            self.api("GET", "/api/v1/me", key=key, headers={"X-Request-Id": "logged-one"})
        self.assertIn("logged-one", logged)
        self.assertTrue(self.env["api.request.log"].search([("request_id", "=", "logged-one")]))

    def test_non_bearer_scheme_is_401(self):
        response = self.api("GET", "/api/v1/me", headers={"Authorization": "Basic YTpi"})
        self.assertError(response, 401, "unauthorized")

    def test_api_key_authenticates(self):
        key = self.new_api_key(self.salesman)
        response = self.api("GET", "/api/v1/me", key=key)
        self.assertEqual(response.status_code, 200, response.text)
        me = response.json()["data"]
        self.assertEqual(me["id"], self.salesman.id)
        self.assertEqual(me["auth_method"], "api_key")

    def test_session_authenticates(self):
        self.authenticate("api_salesman", "api_salesman_pw")
        response = self.api("GET", "/api/v1/me")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["data"]["auth_method"], "session")

    def test_session_write_needs_json_content_type(self):
        self.authenticate("api_salesman", "api_salesman_pw")
        response = self.api(
            "POST",
            "/api/v1/orders",
            raw="partner_id=1",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertError(response, 403, "forbidden")
        self.assertFalse(self.env["sale.order"].search([("create_uid", "=", self.salesman.id)]))

    def test_removed_key_stops_working_in_this_worker(self):
        key = self.new_api_key(self.salesman)
        self.assertEqual(self.api("GET", "/api/v1/me", key=key).status_code, 200)
        self.env["res.users.apikeys"].search([("user_id", "=", self.salesman.id)])._remove()
        self.assertError(self.api("GET", "/api/v1/me", key=key), 401)

    def test_expired_key_is_refused(self):
        key = self.new_api_key(self.salesman)
        self.env.cr.execute(
            "UPDATE res_users_apikeys"
            " SET expiration_date = now() at time zone 'utc' - interval '1 day'"
            " WHERE user_id = %s",
            [self.salesman.id],
        )
        self.assertError(self.api("GET", "/api/v1/me", key=key), 401)

    def test_portal_user_is_403(self):
        portal = new_test_user(self.env, login="api_portal", groups="base.group_portal")
        key = self.new_api_key(portal)
        self.assertError(self.api("GET", "/api/v1/orders", key=key), 403, "forbidden")

    def test_request_id_is_echoed_or_generated(self):
        response = self.api("GET", "/api/v1/me", headers={"X-Request-Id": "abc-123"})
        self.assertEqual(response.headers["X-Request-Id"], "abc-123")
        generated = self.api("GET", "/api/v1/me").headers["X-Request-Id"]
        self.assertEqual(len(generated), 32)

    def test_unknown_route_and_method(self):
        key = self.new_api_key(self.salesman)
        self.assertError(self.api("GET", "/api/v1/nothing/here/at/all", key=key), 404, "not_found")
        self.assertError(self.api("GET", "/api/v1/unicorns", key=key), 404, "not_found")
        response = self.api("PUT", "/api/v1/orders", key=key, body={})
        self.assertError(response, 405, "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "GET, POST")

    @mute_logger("odoo.http")
    def test_web_session_authenticate_refuses_api_key(self):
        """Odoo 19: an API key is not a password for /web/session/authenticate."""
        key = self.new_api_key(self.salesman)
        response = self.url_open(
            "/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {"db": self.env.cr.dbname, "login": "api_salesman", "password": key},
            },
        )
        self.assertIn("error", response.json())


@tagged("post_install", "-at_install")
class TestSessionResources(ApiCase):
    def test_session_lists_and_creates_orders(self):
        self.authenticate("api_salesman", "api_salesman_pw")
        self.new_order()
        listed = self.api("GET", "/api/v1/orders?limit=5")
        self.assertEqual(listed.status_code, 200, listed.text)
        self.assertTrue(listed.json()["data"])
        body = {"partner_id": self.partner.id, "lines": [{"product_id": self.product.id}]}
        created = self.api("POST", "/api/v1/orders", body=body)
        self.assertEqual(created.status_code, 201, created.text)
        order = self.env["sale.order"].browse(created.json()["data"]["id"])
        self.assertEqual(order.create_uid, self.salesman)
