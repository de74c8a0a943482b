import contextlib
import datetime
import http.client
import json
import socket
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user
from odoo.tests.common import HOST, TEST_CURSOR_COOKIE_NAME

from ..core import Credential


class ApiCase(HttpCase):
    """Base class of the REST API's HTTP tests: users, keys and a client.

    In production, GET routes run on a read-only cursor while rate counters,
    key usage and the request log are written on a connection of their own.
    Test cursors all share the test's single connection, where "read-only"
    would also forbid those side writes: tests run routes read/write.
    """

    _registry_readonly_enabled = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.salesman = new_test_user(
            cls.env,
            login="api_salesman",
            password="api_salesman_pw",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Api Customer", "email": "c@example.com"}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Api Widget", "list_price": 10.0, "default_code": "API-W"}
        )

    @classmethod
    def new_api_key(cls, user, name="test key", days=30):
        """Mint an Odoo API key for `user` the way Odoo does, return it.

        It expires in `days` (None: never, as administrators could make
        them; /api/v1 refuses those while my_api.refuse_keys_without_expiry
        is on, as it is in a new database)."""
        expiry = fields.Datetime.now() + datetime.timedelta(days=days) if days else None
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, name, expiry)

    @classmethod
    def new_order(cls, partner=None, lines=1, **values):
        return cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.partner).id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 1 + i})
                    for i in range(lines)
                ],
                **values,
            }
        )

    @contextlib.contextmanager
    def oauth_tokens(self, user, tokens, client_id="test-client"):
        """Within the block, each token of `tokens` ({token: scopes}) is an
        OAuth2 access token of `user` with those scopes (read when the token
        is used: a test may take a scope away meanwhile); any other bearer
        token is checked as usual."""
        ir_http = type(self.env["ir.http"])
        real = ir_http._api_authenticate_bearer

        def authenticate(model, token):
            if token not in tokens:
                return real(model, token)
            return Credential(
                uid=user.id,
                method="oauth2",
                client_id=client_id,
                scopes=frozenset(tokens[token]),
                extra={"share": False},
            )

        with patch.object(ir_http, "_api_authenticate_bearer", authenticate):
            yield

    def api(self, method, path, key=None, body=None, headers=None, raw=None):
        headers = dict(headers or {})
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = raw
        if body is not None:
            data = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        return self.url_open(path, data=data, headers=headers, method=method, allow_redirects=False)

    def assertError(self, response, status, code=None):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        error = response.json()["error"]
        if code:
            self.assertEqual(error["code"], code)
        self.assertTrue(error["message"])
        self.assertEqual(error["request_id"], response.headers["X-Request-Id"])
        return error

    def chunked_post(self, path, chunks, headers=None, finish=True, tail=b"", timeout=10):
        """POST `chunks` with Transfer-Encoding: chunked (no Content-Length)
        over a socket of its own; return (status, headers, body) of the answer.

        With `finish=False` the body is never terminated: the server can only
        answer if it stops reading at its limit rather than waiting for the end.
        `tail` is sent as is after the chunks (a broken encoding).
        """
        self.cr.flush()  # as url_open: the server's test cursor must see our data
        self.cr.clear()
        with self.allow_requests():
            sock = socket.create_connection((HOST, self.http_port()), timeout=timeout)
            try:
                head = [f"POST {path} HTTP/1.1", f"Host: {HOST}", "Transfer-Encoding: chunked"]
                head.append(f"Cookie: {TEST_CURSOR_COOKIE_NAME}={self.http_request_key}")
                head += [f"{name}: {value}" for name, value in (headers or {}).items()]
                sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
                for chunk in chunks:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sock.sendall(tail)
                if finish:
                    sock.sendall(b"0\r\n\r\n")
                response = http.client.HTTPResponse(sock)
                response.begin()
                return response.status, dict(response.getheaders()), response.read()
            finally:
                sock.close()
