"""A client asks for exactly what it needs, with plain `requests`: a few
fields, the customer and the products of the lines in the same call,
filter operators, a two-key sort, a text search, then a revalidation that
answers 304 until something changes."""

import json
import uuid

import pytest
import requests
from conftest import odoo_shell


@pytest.fixture(scope="module")
def shop():
    """Three orders of one new customer (totals 10, 30 and 300), one of
    them confirmed, with products of their own."""
    marker = uuid.uuid4().hex
    out = odoo_shell(
        f"""
import json
from odoo import Command
tag = "{marker[:8]}"
customer = env["res.partner"].create({{"name": "e2e query power " + tag,
                                       "email": tag + "@example.com"}})
orders = []
for price, day in ((10, 1), (30, 2), (300, 3)):
    product = env["product.product"].create({{
        "name": f"e2e query power {{tag}} {{price}}", "default_code": f"QP-{{tag}}-{{price}}",
        "list_price": price,
    }})
    orders.append(env["sale.order"].create({{
        "partner_id": customer.id,
        "date_order": f"2026-05-0{{day}} 10:00:00",
        "order_line": [Command.create({{"product_id": product.id, "price_unit": price}})],
    }}))
orders[2].action_confirm()
print("{marker}" + json.dumps({{"tag": tag, "customer": customer.id,
                                "orders": [order.id for order in orders]}}))
"""
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise RuntimeError(f"no shop in odoo shell output: {out[-500:]}")


@pytest.fixture(scope="module")
def client(odoo_url, api_key):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_key}"

    def get(path, **kwargs):
        return session.get(f"{odoo_url}/api/v1{path}", timeout=60, **kwargs)

    return get


def test_fields_expand_operators_and_304(client, shop, api):
    customer = shop["customer"]
    small, middle, big = shop["orders"]
    # 1. a few fields of a page
    page = client("/orders", params={"partner_id": customer, "fields": "name,amount_total"})
    assert page.status_code == 200, page.text
    assert [sorted(row) for row in page.json()["data"]] == [["amount_total", "id", "name"]] * 3

    # 2. the customer and the lines' products in the same call
    page = client(
        "/orders",
        params={"partner_id": customer, "expand": "partner,lines.product", "order": "id"},
    )
    assert page.status_code == 200, page.text
    rows = page.json()["data"]
    assert rows[0]["partner"]["email"] == f"{shop['tag']}@example.com"
    assert rows[0]["partner"]["is_company"] is False
    product = rows[2]["lines"][0]["product"]
    assert product["default_code"] == f"QP-{shop['tag']}-300"
    assert "qty_available" in product and product["list_price"] == 300

    # 3. operators, a two-key sort and a text search
    def ids(**params):
        answer = client("/orders", params={"partner_id[in]": customer, **params})
        assert answer.status_code == 200, answer.text
        return [row["id"] for row in answer.json()["data"]]

    assert ids(**{"amount_total[gte]": 20, "amount_total[lt]": 100}) == [middle]
    assert ids(**{"state[in]": "sale"}) == [big]
    assert ids(**{"date_order[lt]": "2026-05-02", "order": "id"}) == [small]
    assert ids(order="name,-id") == [small, middle, big]
    assert ids(q=shop["tag"], order="-date_order,id") == [big, middle, small]
    refused = client("/orders", params={"amount_total[ne]": 1})
    assert refused.status_code == 400
    assert refused.json()["error"]["details"][0]["issue"] == "invalid_operator"
    refused = client("/orders", params={"fields": "name,secret"})
    assert refused.status_code == 400 and "secret" in refused.json()["error"]["message"]
    refused = client("/orders", params={"amount_total[gte]": "1e999"})
    assert refused.status_code == 400

    # 4. revalidation: 304 without a body while nothing changed
    detail = client(f"/orders/{middle}")
    etag = detail.headers["ETag"]
    again = client(f"/orders/{middle}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    params = {"partner_id": customer, "limit": 2}
    first = client("/orders", params=params)
    page_etag = first.headers["ETag"]
    assert client("/orders", params=params, headers={"If-None-Match": page_etag}).status_code == 304
    changed = api("PATCH", f"/orders/{middle}", {"external_ref": f"QP-{shop['tag']}"})
    assert changed.status_code == 200, changed.text
    assert client(f"/orders/{middle}", headers={"If-None-Match": etag}).status_code == 200
    assert client("/orders", params=params, headers={"If-None-Match": page_etag}).status_code == 200


def test_gzip_and_language(client, shop):
    page = client(
        "/orders",
        params={"partner_id": shop["customer"], "expand": "partner,lines.product"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert page.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert len(page.json()["data"]) == 3
    me = client("/me", headers={"Accept-Language": "xx-YY, en;q=0.4"})
    assert me.json()["data"]["language"] == "en_US"
    assert me.headers["Content-Language"] == "en-US"
