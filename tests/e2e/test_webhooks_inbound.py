"""Inbound webhooks against a real multi-threaded Odoo server and its cron.

What only a real server shows: 50 identical deliveries racing each other in
50 threads are stored and processed once (the database's unique constraint
decides, not process memory), processing really happens after the answer
(the cron woken by `ir.cron._trigger()`), and a refused request leaves only
a counter behind, committed although the request failed.
"""

import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest
import requests
from conftest import odoo_shell as shell

SECRET = "whsec_e2e_secret"
HANDLER = (
    "env['res.partner'].create({'name': 'whe2e ' + payload['data']['id'], "
    "'ref': webhook_event.event_id})"
)


@pytest.fixture(scope="module")
def slug():
    """A generic-scheme source whose server action makes one partner per event."""
    name = f"e2e-{uuid.uuid4().hex[:10]}"
    shell(
        "action = env['ir.actions.server'].create({"
        f"'name': 'e2e {name}', 'model_id': env['ir.model']._get_id('res.partner'), "
        f"'state': 'code', 'code': {HANDLER!r}}})\n"
        "env['webhook.source'].create({"
        f"'name': {name!r}, 'slug': {name!r}, 'scheme': 'generic', "
        f"'signature_header': 'X-Stripe-Signature', 'secret': {SECRET!r}, "
        "'handler': 'action', 'action_id': action.id})\n"
    )
    return name


def signed(body, secret=SECRET):
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Stripe-Signature": f"sha256={signature}"}


def json2(odoo_url, api_key, model, method, **params):
    response = requests.post(
        f"{odoo_url}/json/2/{model}/{method}",
        headers={"Authorization": f"Bearer {api_key}"},
        json=params,
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def test_fifty_concurrent_identical_deliveries_are_processed_once(odoo_url, api_key, slug):
    marker = uuid.uuid4().hex[:12]
    body = json.dumps(
        {"type": "payment_intent.succeeded", "data": {"id": f"pi_{marker}", "amount": 24999}},
        separators=(",", ":"),
    ).encode()
    headers = signed(body)
    url = f"{odoo_url}/api/v1/webhooks/{slug}"
    barrier = threading.Barrier(50, timeout=60)
    answers = []
    lock = threading.Lock()

    def deliver(number):
        barrier.wait()
        request_headers = {**headers, "X-Request-Id": f"{marker}-{number}"}
        response = requests.post(url, data=body, headers=request_headers, timeout=120)
        with lock:
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=deliver, args=(number,)) for number in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert len(answers) == 50
    assert {status for status, _answer in answers} == {200}, answers
    statuses = sorted(answer["status"] for _status, answer in answers)
    assert statuses.count("accepted") == 1, statuses
    assert statuses.count("duplicate") == 49, statuses
    event_id = hashlib.sha256(body).hexdigest()  # no id in the body: the hash of its bytes
    assert {answer["event_id"] for _status, answer in answers} == {event_id}

    # processed after the answers, by the cron the intake woke up
    domain = [["source_id.slug", "=", slug], ["event_id", "=", event_id]]
    deadline = time.monotonic() + 90
    while True:
        events = json2(
            odoo_url,
            api_key,
            "webhook.event",
            "search_read",
            domain=domain,
            fields=["state", "attempts", "duplicate_count", "error"],
        )
        if (events and events[0]["state"] in ("done", "failed")) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(events) == 1, events
    assert events[0]["state"] == "done", events
    assert events[0]["attempts"] == 1
    assert events[0]["duplicate_count"] == 49
    partners = json2(
        odoo_url,
        api_key,
        "res.partner",
        "search_count",
        domain=[["name", "=", f"whe2e pi_{marker}"]],
    )
    assert partners == 1
    # each delivery has its request log line (written with the event's insert)
    logged = json2(
        odoo_url,
        api_key,
        "api.request.log",
        "search_read",
        domain=[["request_id", "=like", f"{marker}-%"]],
        fields=["status", "path"],
    )
    assert len(logged) == 50, logged
    assert {(line["status"], line["path"]) for line in logged} == {
        (200, f"/api/v1/webhooks/{slug}")
    }


def test_refused_delivery_stores_nothing_but_a_counter(odoo_url, api_key, slug):
    def rejected():
        return json2(
            odoo_url,
            api_key,
            "webhook.source",
            "search_read",
            domain=[["slug", "=", slug]],
            fields=["rejected_count", "last_rejected_reason"],
        )[0]

    before = rejected()["rejected_count"]
    body = json.dumps({"id": f"forged-{uuid.uuid4().hex}"}).encode()
    url = f"{odoo_url}/api/v1/webhooks/{slug}"
    forged = requests.post(url, data=body, headers=signed(body, "whsec_guess"), timeout=30)
    assert forged.status_code == 401
    error = forged.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["request_id"] == forged.headers["X-Request-Id"]
    tampered = requests.post(url, data=body + b" ", headers=signed(body), timeout=30)
    assert tampered.status_code == 401
    after = rejected()
    assert after["rejected_count"] == before + 2
    assert after["last_rejected_reason"] == "bad_signature"
    stored = json2(
        odoo_url,
        api_key,
        "webhook.event",
        "search_count",
        domain=[["event_id", "=", json.loads(body)["id"]]],
    )
    assert stored == 0
