"""Companies and timezones on a real server: a user of two companies sees
one at a time unless the request names both, and a date alone is a day in
the request's timezone."""

import json
import uuid

import pytest
import requests
from conftest import odoo_shell


@pytest.fixture(scope="module")
def world():
    """Two companies (A, the main one, and B), a third the user is not in,
    a user of A and B with an API key, and an order in each company (the
    one of A placed at 2026-02-01 01:00 Dubai time)."""
    marker = uuid.uuid4().hex
    out = odoo_shell(
        f"""
import datetime, json
from odoo import Command
tag = "{marker[:8]}"
company_a = env.ref("base.main_company")
company_b = env["res.company"].create({{"name": "e2e B " + tag}})
company_c = env["res.company"].create({{"name": "e2e C " + tag}})
groups = [env.ref(xid).id for xid in (
    "base.group_user", "sales_team.group_sale_manager", "stock.group_stock_user")]
user = env["res.users"].create({{
    "name": "e2e two companies " + tag,
    "login": "e2e_companies_" + tag,
    "company_id": company_a.id,
    "company_ids": [Command.set([company_a.id, company_b.id])],
    "group_ids": [Command.set(groups)],
    "tz": False,
}})
import datetime
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "e2e companies", expiry)
customer = env["res.partner"].create({{"name": "e2e companies customer " + tag}})
product = env["product.product"].create({{"name": "e2e companies product " + tag}})
def order_in(company, **values):
    return env["sale.order"].with_company(company).create({{
        "partner_id": customer.id,
        "order_line": [Command.create({{"product_id": product.id}})],
        **values,
    }})
order_a = order_in(company_a, date_order=datetime.datetime(2026, 1, 31, 21, 0))
order_b = order_in(company_b)
print("{marker}" + json.dumps({{
    "key": key, "a": company_a.id, "b": company_b.id, "c": company_c.id,
    "customer": customer.id, "product": product.id,
    "order_a": order_a.id, "order_b": order_b.id,
}}))
"""
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise RuntimeError(f"no world in odoo shell output: {out[-500:]}")


def call(odoo_url, world, method, path, company=None, timezone=None, **kwargs):
    headers = {"Authorization": f"Bearer {world['key']}"}
    if company is not None:
        headers["X-Odoo-Company"] = company
    if timezone is not None:
        headers["X-Odoo-Timezone"] = timezone
    return requests.request(
        method, f"{odoo_url}/api/v1{path}", headers=headers, timeout=60, **kwargs
    )


def order_ids(odoo_url, world, company=None, timezone=None, **params):
    response = call(
        odoo_url,
        world,
        "GET",
        "/orders",
        company,
        timezone,
        params={"partner_id": world["customer"], **params},
    )
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["data"]}


def test_a_user_of_two_companies_sees_one_unless_it_names_both(odoo_url, world):
    a, b = world["order_a"], world["order_b"]
    assert order_ids(odoo_url, world) == {a}
    assert order_ids(odoo_url, world, str(world["b"])) == {b}
    assert order_ids(odoo_url, world, f"{world['a']},{world['b']}") == {a, b}
    both = f"{world['b']},{world['a']}"
    assert order_ids(odoo_url, world, both, company_id=world["b"]) == {b}
    rows = call(odoo_url, world, "GET", f"/orders/{b}", str(world["b"])).json()["data"]
    assert rows["company"]["id"] == world["b"]


def test_a_company_outside_the_users_is_refused(odoo_url, world):
    response = call(odoo_url, world, "GET", "/orders", f"{world['a']},{world['c']}")
    assert response.status_code == 403, response.text
    assert str(world["c"]) in response.json()["error"]["message"]
    for garbage in ("abc", "1,,2", "2147483648", ",".join(["1"] * 101)):
        response = call(odoo_url, world, "GET", "/orders", garbage)
        assert response.status_code == 400, (garbage, response.text)


def test_creates_land_in_the_first_selected_company(odoo_url, world):
    body = {"partner_id": world["customer"], "lines": [{"product_id": world["product"]}]}
    response = call(odoo_url, world, "POST", "/orders", f"{world['b']},{world['a']}", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["company"]["id"] == world["b"]
    response = call(odoo_url, world, "POST", "/orders", json={**body, "company_id": world["b"]})
    assert response.status_code == 403, response.text


def test_me_shows_companies_and_timezone(odoo_url, world):
    me = call(odoo_url, world, "GET", "/me", str(world["b"]), "Asia/Dubai").json()["data"]
    assert me["company"]["id"] == world["b"]
    assert {company["id"] for company in me["companies"]} == {world["a"], world["b"]}
    assert me["timezone"] == "Asia/Dubai"
    assert call(odoo_url, world, "GET", "/me").json()["data"]["timezone"] == "UTC"


def test_a_date_alone_is_a_day_in_the_requests_timezone(odoo_url, world):
    a = world["order_a"]  # 2026-02-01 01:00 in Dubai, 2026-01-31 21:00 UTC
    assert order_ids(odoo_url, world, timezone="Asia/Dubai", date_from="2026-02-01") == {a}
    assert a not in order_ids(odoo_url, world, timezone="UTC", date_from="2026-02-01")
    assert a in order_ids(odoo_url, world, timezone="UTC", date_to="2026-01-31")
    assert a not in order_ids(odoo_url, world, timezone="Asia/Dubai", date_to="2026-01-31")
    # a timestamp with its offset is that instant in every timezone
    exact = {"date_from": "2026-02-01T01:00:00+04:00", "date_to": "2026-02-01T01:00:00+04:00"}
    assert order_ids(odoo_url, world, timezone="Pacific/Honolulu", **exact) == {a}


def test_an_unknown_timezone_is_400(odoo_url, world):
    for garbage in ("Mars/Olympus", "../../etc/passwd", "A" * 100):
        response = call(odoo_url, world, "GET", "/orders", timezone=garbage)
        assert response.status_code == 400, (garbage, response.text)
        assert response.json()["error"]["details"][0]["field"] == "X-Odoo-Timezone"
