"""The authentication flows that work against Odoo 19, over real HTTP."""

import os
import uuid
import xmlrpc.client

import requests


def test_session_cookie_reaches_the_api(odoo_url, admin_session):
    response = admin_session.get(f"{odoo_url}/api/v1/me", timeout=30)
    assert response.status_code == 200, response.text
    me = response.json()["data"]
    assert me["login"] == os.environ["ODOO_LOGIN"]
    assert me["auth_method"] == "session"


def test_bearer_api_key_reaches_the_api(odoo_url, api_key):
    response = requests.get(
        f"{odoo_url}/api/v1/me", headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["auth_method"] == "api_key"
    assert response.headers["X-Request-Id"]


def test_bearer_api_key_creates_and_lists_orders(odoo_url, api_key):
    headers = {"Authorization": f"Bearer {api_key}"}
    # a customer and a product to sell, created through Odoo's own JSON-2 API
    partner_ids = requests.post(
        f"{odoo_url}/json/2/res.partner/create",
        headers=headers,
        json={"vals_list": [{"name": "E2E Customer"}]},
        timeout=30,
    ).json()
    product_ids = requests.post(
        f"{odoo_url}/json/2/product.product/create",
        headers=headers,
        json={"vals_list": [{"name": "E2E Widget", "list_price": 5.0}]},
        timeout=30,
    ).json()
    body = {
        "partner_id": partner_ids[0],
        "external_ref": "E2E-1",
        "lines": [{"product_id": product_ids[0], "quantity": 2, "price": 49.99}],
    }
    created = requests.post(f"{odoo_url}/api/v1/orders", headers=headers, json=body, timeout=30)
    assert created.status_code == 201, created.text
    order = created.json()["data"]
    assert order["amount_untaxed"] == 99.98
    listed = requests.get(
        f"{odoo_url}/api/v1/orders", headers=headers, params={"limit": 10}, timeout=30
    ).json()
    assert order["id"] in [row["id"] for row in listed["data"]]


def test_missing_credentials_get_the_error_envelope(odoo_url):
    response = requests.get(f"{odoo_url}/api/v1/orders", timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"


def test_api_key_is_a_password_for_xmlrpc_but_not_for_the_web_session(odoo_url, odoo_db, api_key):
    common = xmlrpc.client.ServerProxy(f"{odoo_url}/xmlrpc/2/common")
    assert common.login(odoo_db, os.environ["ODOO_LOGIN"], api_key)
    response = requests.post(
        f"{odoo_url}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"db": odoo_db, "login": os.environ["ODOO_LOGIN"], "password": api_key},
        },
        timeout=30,
    )
    assert "error" in response.json()


def test_failed_authentication_writes_no_log_line(odoo_url, api_key):
    """Anyone can send made-up keys: their 401s cost no request-log row (a
    flood of them would fill the log), while a real key's request is logged."""
    request_id = f"e2e-{uuid.uuid4().hex}"
    bad_key = "f" * 40
    response = requests.get(
        f"{odoo_url}/api/v1/orders",
        headers={"Authorization": f"Bearer {bad_key}", "X-Request-Id": request_id},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.headers["X-Request-Id"] == request_id
    logged_id = f"e2e-{uuid.uuid4().hex}"
    response = requests.get(
        f"{odoo_url}/api/v1/me",
        headers={"Authorization": f"Bearer {api_key}", "X-Request-Id": logged_id},
        timeout=30,
    )
    assert response.status_code == 200
    rows = requests.post(
        f"{odoo_url}/json/2/api.request.log/search_read",
        headers={"Authorization": f"Bearer {api_key}"},
        json={
            "domain": [["request_id", "in", [request_id, logged_id]]],
            "fields": ["status", "path", "request_id"],
        },
        timeout=30,
    ).json()
    assert [(row["request_id"], row["status"]) for row in rows] == [(logged_id, 200)]
