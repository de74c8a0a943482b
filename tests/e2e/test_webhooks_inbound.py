"""Inbound webhooks against a real multi-threaded Odoo server and its cron.

What only a real server shows: 50 identical deliveries racing each other in
50 threads are stored and processed once (the database's unique constraint
decides, not process memory), processing really happens after the answer
(the cron woken by `ir.cron._trigger()`), a refused request leaves only
a counter behind, committed although the request failed, and a body signed
alone (GitHub) replayed under new delivery ids, even concurrently, is
processed once.
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
    """A flood of forgeries leaves a counter, written at most once a second
    by a statement of its own (committed although every request fails), and
    one request log line each."""

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
    marker = uuid.uuid4().hex[:12]
    body = json.dumps({"id": f"forged-{marker}"}).encode()
    url = f"{odoo_url}/api/v1/webhooks/{slug}"
    started = time.monotonic()
    forged = requests.post(url, data=body, headers=signed(body, "whsec_guess"), timeout=30)
    assert forged.status_code == 401
    error = forged.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["request_id"] == forged.headers["X-Request-Id"]
    for number in range(20):
        headers = {**signed(body), "X-Request-Id": f"{marker}-{number}"}
        tampered = requests.post(url, data=body + b" ", headers=headers, timeout=30)
        assert tampered.status_code == 401
    elapsed = time.monotonic() - started
    after = rejected()
    counted = after["rejected_count"] - before
    assert 1 <= counted <= int(elapsed) + 2, (counted, elapsed)
    assert after["last_rejected_reason"] == "bad_signature"
    stored = json2(
        odoo_url,
        api_key,
        "webhook.event",
        "search_count",
        domain=[["event_id", "=", json.loads(body)["id"]]],
    )
    assert stored == 0
    logged = json2(
        odoo_url,
        api_key,
        "api.request.log",
        "search_read",
        domain=[["request_id", "=like", f"{marker}-%"]],
        fields=["status"],
    )
    assert [line["status"] for line in logged] == [401] * 20


GITHUB_SECRET = "e2e github secret"


@pytest.fixture(scope="module")
def github_slug():
    """A GitHub source (the signature covers the body only) whose server
    action makes one partner per event."""
    name = f"e2e-gh-{uuid.uuid4().hex[:10]}"
    shell(
        "action = env['ir.actions.server'].create({"
        f"'name': 'e2e {name}', 'model_id': env['ir.model']._get_id('res.partner'), "
        f"'state': 'code', 'code': {HANDLER!r}}})\n"
        "env['webhook.source'].create({"
        f"'name': {name!r}, 'slug': {name!r}, 'scheme': 'github', "
        f"'secret': {GITHUB_SECRET!r}, 'handler': 'action', 'action_id': action.id}})\n"
    )
    return name


def github_delivery(odoo_url, slug, body, delivery):
    signature = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": f"sha256={signature}",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Event": "push",
    }
    response = requests.post(
        f"{odoo_url}/api/v1/webhooks/{slug}", data=body, headers=headers, timeout=120
    )
    assert response.status_code == 200, response.text
    return response.json()


def wait_processed(odoo_url, api_key, domain):
    deadline = time.monotonic() + 90
    while True:
        events = json2(
            odoo_url, api_key, "webhook.event", "search_read", domain=domain, fields=["state"]
        )
        if all(event["state"] in ("done", "failed") for event in events) or (
            time.monotonic() > deadline
        ):
            return events
        time.sleep(0.5)


def test_replayed_github_body_with_new_delivery_id_is_processed_once(
    odoo_url, api_key, github_slug
):
    """GitHub signs the body only: a captured delivery re-sent with a new
    X-GitHub-Delivery verifies, and must not run the handler again, even
    sent many times at once."""
    marker = uuid.uuid4().hex[:12]
    body = json.dumps({"data": {"id": f"gh_{marker}"}, "ref": "refs/heads/main"}).encode()
    first = github_delivery(odoo_url, github_slug, body, f"{marker}-original")
    assert first == {"status": "accepted", "event_id": f"{marker}-original"}
    replay = github_delivery(odoo_url, github_slug, body, f"{marker}-replay")
    assert replay == {"status": "duplicate", "event_id": f"{marker}-original"}

    # twenty replays at once, and twenty copies of a new body racing each other
    fresh = json.dumps({"data": {"id": f"gh2_{marker}"}}).encode()
    answers = []
    lock = threading.Lock()
    barrier = threading.Barrier(40, timeout=60)

    def deliver(sent, number):
        barrier.wait()
        answer = github_delivery(odoo_url, github_slug, sent, f"{marker}-race-{number}")
        with lock:
            answers.append((sent, answer["status"]))

    threads = [
        threading.Thread(target=deliver, args=(sent, number))
        for number, sent in enumerate([body] * 20 + [fresh] * 20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert len(answers) == 40
    assert sorted(status for sent, status in answers if sent == body) == ["duplicate"] * 20
    fresh_statuses = sorted(status for sent, status in answers if sent == fresh)
    assert fresh_statuses == ["accepted"] + ["duplicate"] * 19, fresh_statuses

    events = wait_processed(
        odoo_url,
        api_key,
        [["source_id.slug", "=", github_slug], ["event_id", "=like", f"{marker}-%"]],
    )
    assert len(events) == 2, events
    assert {event["state"] for event in events} == {"done"}, events
    for name in (f"gh_{marker}", f"gh2_{marker}"):
        partners = json2(
            odoo_url,
            api_key,
            "res.partner",
            "search_count",
            domain=[["name", "=", f"whe2e {name}"]],
        )
        assert partners == 1, name
