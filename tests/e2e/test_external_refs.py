"""Create by external reference on a real multi-threaded server: concurrent
creates with one reference make one record."""

import threading
import uuid

import requests


def _post(odoo_url, api_key, path, body):
    response = requests.post(
        f"{odoo_url}/api/v1/{path}",
        json=body,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=120,
    )
    return response


def _concurrently(count, call):
    barrier = threading.Barrier(count)
    responses = [None] * count

    def run(index):
        barrier.wait()
        responses[index] = call()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_creates_one_ref_one_record(odoo_url, api_key):
    marker = uuid.uuid4().hex[:12]
    partner = _post(odoo_url, api_key, "partners", {"name": f"e2e ref {marker}"})
    assert partner.status_code == 201, partner.text
    product = _post(odoo_url, api_key, "products", {"name": f"e2e ref {marker}"})
    assert product.status_code == 201, product.text
    ref = f"E2E-REF-{marker}"
    body = {
        "partner_id": partner.json()["data"]["id"],
        "external_ref": ref,
        "lines": [{"product_id": product.json()["data"]["id"], "quantity": 2}],
    }
    for attempt in range(3):  # a few rounds: a race lost once is not a race that cannot happen
        body["external_ref"] = f"{ref}-{attempt}"
        responses = _concurrently(3, lambda: _post(odoo_url, api_key, "orders", body))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 200, 201], [r.text for r in responses]
        ids = {response.json()["data"]["id"] for response in responses}
        assert len(ids) == 1, ids
        listed = requests.get(
            f"{odoo_url}/api/v1/orders",
            params={"external_ref": body["external_ref"]},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        ).json()
        assert [row["id"] for row in listed["data"]] == list(ids)
        assert listed["pagination"]["total"] == 1

    # partners go the same way (their reference is `ref`)
    partner_body = {"name": f"e2e ref {marker}", "ref": f"E2E-CUST-{marker}"}
    responses = _concurrently(3, lambda: _post(odoo_url, api_key, "partners", partner_body))
    assert sorted(r.status_code for r in responses) == [200, 200, 201], [r.text for r in responses]
    assert len({r.json()["data"]["id"] for r in responses}) == 1
