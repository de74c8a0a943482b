"""Business events end to end: an endpoint subscribed to event types through
/api/v1/webhook-endpoints, every event triggered on a real server, and
every payload the receiver gets checked against the catalog's JSON Schema
(GET /api/v1/event-types) with the reference `jsonschema` library, and its
signature with the reference Standard Webhooks library. The change feed
reports the deleted partner too."""

import base64
import json
import os
import time
import uuid

import jsonschema
import pytest
from conftest import odoo_shell
from standardwebhooks.webhooks import Webhook
from test_webhooks_outbound import WAIT, Receiver, run_cron  # noqa: F401 - Receiver: fixture

TYPES = [
    "account.move.paid",
    "account.move.posted",
    "product.product.updated",
    "res.partner.created",
    "res.partner.deleted",
    "res.partner.updated",
    "sale.order.cancelled",
    "sale.order.confirmed",
    "sale.order.created",
    "stock.picking.done",
    "stock.quant.changed",
]


@pytest.fixture(scope="module")
def catalog(api):
    response = api("GET", "/event-types")
    assert response.status_code == 200, response.text
    return {entry["type"]: entry for entry in response.json()["data"]}


@pytest.fixture(scope="module")
def subscribed(api, rpc, receiver):
    rpc("ir.config_parameter", "set_param", key="my_webhooks.allowed_targets", value="127.0.0.1")
    tag = "evt" + uuid.uuid4().hex[:8]
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    response = api(
        "POST",
        "/webhook-endpoints",
        {
            "name": f"e2e {tag}",
            "url": receiver.url(f"/{tag}"),
            "event_types": TYPES,
            "secret": secret,
        },
    )
    assert response.status_code == 201, response.text
    endpoint = response.json()["data"]
    assert endpoint["event_types"] == TYPES
    assert (endpoint["model"], endpoint["payload_version"]) == (None, "1")
    yield {"id": endpoint["id"], "path": f"/{tag}", "secret": secret, "tag": tag}
    api("DELETE", f"/webhook-endpoints/{endpoint['id']}")


def received(receiver, path):
    return [json.loads(request["body"]) for request in receiver.events(path)]


def test_catalog_schemas_are_valid_json_schema(catalog):
    assert set(TYPES) | {"ping"} <= set(catalog)
    for entry in catalog.values():
        jsonschema.Draft202012Validator.check_schema(entry["schema"])
        jsonschema.validate(entry["example"], entry["schema"])


def test_every_business_event_validates_against_the_catalog(
    api, rpc, receiver, subscribed, catalog
):
    tag = subscribed["tag"]
    feed = api("GET", "/partners/changes")
    assert feed.status_code == 200, feed.text
    cursor = feed.json()["pagination"]["next_cursor"]

    # partners, products and orders through the API (a transaction each)
    response = api("POST", "/partners", {"name": f"E2E events {tag}", "ref": f"{tag}-1"})
    assert response.status_code == 201, response.text
    pid = response.json()["data"]["id"]
    assert api("PATCH", f"/partners/{pid}", {"phone": "+32 2 555 00 00"}).status_code == 200
    assert api("DELETE", f"/partners/{pid}").status_code in (200, 204)
    response = api("POST", "/products", {"name": f"E2E event service {tag}", "type": "service"})
    assert response.status_code == 201, response.text
    product = response.json()["data"]["id"]
    assert api("PATCH", f"/products/{product}", {"list_price": 12.5}).status_code == 200
    response = api("POST", "/partners", {"name": f"E2E event customer {tag}"})
    customer = response.json()["data"]["id"]
    orders = []
    for _ in range(2):
        response = api(
            "POST",
            "/orders",
            {"partner_id": customer, "lines": [{"product_id": product, "quantity": 1}]},
        )
        assert response.status_code == 201, response.text
        orders.append(response.json()["data"]["id"])
    assert api("POST", f"/orders/{orders[0]}/confirm").status_code == 200
    assert api("POST", f"/orders/{orders[1]}/cancel").status_code == 200
    # invoices, payments, stock: in the server's shell (one transaction)
    odoo_shell(
        f"""
from odoo import Command
customer = env['res.partner'].browse({customer})
invoice = env['account.move'].create({{
    'move_type': 'out_invoice', 'partner_id': customer.id,
    'invoice_line_ids': [Command.create({{'name': 'Work', 'quantity': 1, 'price_unit': 100}})],
}})
invoice.action_post()
env.cr.commit()
env['account.payment.register'].with_context(
    active_model='account.move', active_ids=invoice.ids).create({{}})._create_payments()
env.cr.commit()
widget = env['product.product'].create({{'name': 'E2E widget {tag}', 'is_storable': True}})
warehouse = env['stock.warehouse'].search([('company_id', '=', env.company.id)], limit=1)
env['stock.quant']._update_available_quantity(widget, warehouse.lot_stock_id, 10)
env.cr.commit()
picking = env['stock.picking'].create({{
    'picking_type_id': warehouse.out_type_id.id,
    'move_ids': [Command.create({{'product_id': widget.id, 'product_uom_qty': 2}})],
}})
picking.action_confirm()
picking.move_ids.quantity = 2
picking.move_ids.picked = True
picking.button_validate()
"""
    )
    path = subscribed["path"]

    def all_types_arrived():
        run_cron(rpc)
        return set(TYPES) <= {body["type"] for body in received(receiver, path)}

    deadline = time.monotonic() + WAIT
    while not all_types_arrived() and time.monotonic() < deadline:
        time.sleep(1)
    got = {body["type"] for body in received(receiver, path)}
    assert set(TYPES) <= got, set(TYPES) - got
    for request in receiver.events(path):
        headers = {key.lower(): value for key, value in request["headers"].items()}
        Webhook(subscribed["secret"]).verify(request["body"], headers)
        body = json.loads(request["body"])
        jsonschema.validate(body, catalog[body["type"]]["schema"])
        assert headers["x-odoo-event"] == body["type"]
        assert body["id"] == headers["webhook-id"]
    by_type = {}
    for body in received(receiver, path):
        by_type.setdefault(body["type"], []).append(body)
    deleted = [body for body in by_type["res.partner.deleted"] if body["data"]["id"] == pid]
    assert len(deleted) == 1
    assert deleted[0]["data"]["name"] == f"E2E events {tag}"  # its last rendering
    confirmed = [
        body for body in by_type["sale.order.confirmed"] if body["data"]["id"] == orders[0]
    ]
    assert len(confirmed) == 1
    # what a GET shows is what the webhook showed (the order did not change since)
    assert api("GET", f"/orders/{orders[0]}").json()["data"] == confirmed[0]["data"]

    # the change feed: the partner's creation is left out (it is gone), its deletion is not
    entries = []
    while True:
        page = api("GET", f"/partners/changes?cursor={cursor}")
        assert page.status_code == 200, page.text
        entries += page.json()["data"]
        cursor = page.json()["pagination"]["next_cursor"]
        if not page.json()["pagination"]["has_more"]:
            break
    assert {"type": "deleted", "id": pid, "data": None} in [
        {key: entry[key] for key in ("type", "id", "data")} for entry in entries
    ]
    assert ("created", customer) in [(entry["type"], entry["id"]) for entry in entries]


def test_garbage_cursor_and_other_resources_cursor(api):
    assert api("GET", "/partners/changes?cursor=garbage").status_code == 400
    other = api("GET", "/orders/changes").json()["pagination"]["next_cursor"]
    response = api("GET", f"/partners/changes?cursor={other}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
