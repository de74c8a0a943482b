"""Operating webhooks from code, end to end (a real server and receiver):
a redelivery reaches the receiver with the same webhook-id, recover sends
again only what failed, a ping to a receiver that is down answers with the
error; and scoped API keys: a key with read scopes cannot write, a key used
from outside its address range is refused.

Endpoints are made through JSON-2 as the administrator (conftest's
make_endpoint), operated through /api/v1 with the administrator's key.
"""

import json
import time
import uuid

import pytest
import requests
from conftest import odoo_shell, wait_for

# Receiver: conftest's `receiver` fixture takes the test module's own class
from test_webhooks_outbound import (  # noqa: F401
    Receiver,
    assert_verified,
    deliveries,
    free_port,
    partner,
)

WAIT = 60


def settled(rpc, endpoint_id, count):
    """The endpoint's deliveries once `count` of them are no longer due."""

    def done():
        rows = deliveries(rpc, endpoint_id)
        ready = [row for row in rows if row["state"] in ("delivered", "dead")]
        return rows if len(ready) == count else None

    assert wait_for(done, WAIT), deliveries(rpc, endpoint_id)
    return done()


def test_a_redelivery_keeps_the_event_id(api, rpc, receiver, make_endpoint):
    tag = "rd" + uuid.uuid4().hex[:8]
    endpoint = make_endpoint(tag, receiver.url(f"/{tag}"))
    partner(api, name="Redelivered", ref=f"{tag}-1")
    (row,) = settled(rpc, endpoint["id"], 1)
    assert row["state"] == "delivered"

    response = api("POST", f"/webhook-deliveries/{row['id']}/redeliver")
    assert response.status_code == 202, response.text
    assert response.json()["data"]["event_id"] == row["event_id"]
    assert receiver.wait_for(lambda: len(receiver.events(f"/{tag}")) == 2)
    first, second = receiver.events(f"/{tag}")
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == row["event_id"]
    assert first["body"] == second["body"]
    assert_verified(second, endpoint["secret"])

    detail = api("GET", f"/webhook-deliveries/{row['id']}").json()["data"]
    assert [attempt["status"] for attempt in detail["attempts"]] == [200, 200]


def test_recover_requeues_only_what_failed(api, rpc, receiver, make_endpoint):
    tag = "rc" + uuid.uuid4().hex[:8]
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    receiver.statuses[f"/{tag}"] = [500, 500]
    endpoint = make_endpoint(tag, receiver.url(f"/{tag}"), max_attempts=1)
    for i in range(2):
        partner(api, name=f"Missed {i}", ref=f"{tag}-{i}")
    settled(rpc, endpoint["id"], 2)
    partner(api, name="Received", ref=f"{tag}-ok")
    rows = settled(rpc, endpoint["id"], 3)
    dead = {row["event_id"] for row in rows if row["state"] == "dead"}
    assert len(dead) == 2, rows
    (delivered,) = [row["event_id"] for row in rows if row["state"] == "delivered"]

    response = api("POST", f"/webhook-endpoints/{endpoint['id']}/recover?since={since}")
    assert response.status_code == 202, response.text
    assert response.json()["data"]["requeued"] == 2
    assert receiver.wait_for(lambda: len(receiver.events(f"/{tag}")) == 5)
    time.sleep(2)  # anything sent twice would arrive meanwhile
    sent = [r["headers"]["webhook-id"] for r in receiver.events(f"/{tag}")]
    assert len(sent) == 5
    assert set(sent[3:]) == dead
    assert sent.count(delivered) == 1
    assert {row["state"] for row in deliveries(rpc, endpoint["id"])} == {"delivered"}

    bad = api("POST", f"/webhook-endpoints/{endpoint['id']}/recover?since=yesterday")
    assert bad.status_code == 400, bad.text


def test_ping_answers_with_the_receivers_status_or_error(api, receiver, make_endpoint):
    tag = "pg" + uuid.uuid4().hex[:8]
    endpoint = make_endpoint(tag, receiver.url(f"/{tag}"))
    response = api("POST", f"/webhook-endpoints/{endpoint['id']}/ping")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["ok"], data["status"]) == (True, 200)
    (request,) = receiver.events(f"/{tag}")
    payload = assert_verified_ping(request, endpoint["secret"])
    assert payload["id"] == data["event_id"]

    down = make_endpoint(tag, f"http://127.0.0.1:{free_port()}/{tag}")
    response = api("POST", f"/webhook-endpoints/{down['id']}/ping")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["ok"] is False
    assert data["status"] is None
    assert data["error"]


def assert_verified_ping(request, secret):
    """A ping carries the business event shape, not the record event's."""
    from standardwebhooks.webhooks import Webhook  # noqa: PLC0415 - as assert_verified

    headers = {k.lower(): v for k, v in request["headers"].items()}
    Webhook(secret).verify(request["body"], headers)
    payload = json.loads(request["body"])
    assert payload["type"] == "ping"
    assert set(payload) == {"type", "id", "created_at", "version", "data"}
    assert payload["id"] == headers["webhook-id"]
    return payload


# ------------------------------------------------------------ scoped keys
@pytest.fixture(scope="module")
def restricted_key():
    """Mint a key of a user made for it, with restrictions; the user and its
    keys are deleted after the module."""
    login = f"api-e2e-scoped-{uuid.uuid4().hex[:8]}@example.com"
    made = []

    def mint(**restrictions):
        marker = uuid.uuid4().hex
        out = odoo_shell(
            f"""
import datetime
from odoo import fields
Users = env["res.users"]
user = Users.search([("login", "=", {login!r})])
if not user:
    user = Users.create({{
        "name": "e2e scoped", "login": {login!r},
        "group_ids": [(6, 0, [env.ref("base.group_user").id,
                              env.ref("base.group_partner_manager").id])],
    }})
expiry = fields.Datetime.now() + datetime.timedelta(days=5)
key = env["res.users.apikeys"]._mint_for_user(user, "e2e scoped", "api", expiry,
                                              restrictions={restrictions!r})
print({marker!r} + key)
"""
        )
        (key,) = [line[len(marker) :] for line in out.splitlines() if line.startswith(marker)]
        made.append(key)
        return key

    yield mint
    odoo_shell(
        f"""
user = env["res.users"].search([("login", "=", {login!r})])
env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)]).unlink()
user.active = False
"""
    )


def call(odoo_url, key, method, path, body=None):
    return requests.request(
        method,
        f"{odoo_url}/api/v1{path}",
        headers={"Authorization": f"Bearer {key}"},
        json=body,
        timeout=60,
    )


def test_a_scoped_key_cannot_write(odoo_url, restricted_key):
    key = restricted_key(api_scopes="partners:read")
    assert call(odoo_url, key, "GET", "/partners?limit=1").status_code == 200
    response = call(odoo_url, key, "POST", "/partners", {"name": "Intruder"})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert "insufficient_scope" in response.headers["WWW-Authenticate"]
    me = call(odoo_url, key, "GET", "/me").json()["data"]
    assert me["scopes"] == ["partners:read"]

    read_only = restricted_key(read_only=True)
    response = call(odoo_url, read_only, "POST", "/partners", {"name": "Intruder"})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "read_only_key"


def test_a_key_outside_its_range_gets_403(odoo_url, restricted_key):
    key = restricted_key(allowed_networks="192.168.0.0/24")
    response = call(odoo_url, key, "GET", "/me")
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "address_not_allowed"
    response = requests.get(
        f"{odoo_url}/api/v1/me",
        headers={"Authorization": f"Bearer {key}", "X-Forwarded-For": "192.168.0.9"},
        timeout=60,
    )
    assert response.status_code == 403, response.text

    inside = restricted_key(allowed_networks="127.0.0.0/8, ::1")
    assert call(odoo_url, inside, "GET", "/me").status_code == 200
