"""PUT /<path>/xid:<module.name> on a real multi-threaded server: concurrent
upserts of one external id make one record."""

import threading
import uuid

import requests


def _concurrently(count, call):
    barrier = threading.Barrier(count)
    responses = [None] * count

    def run(index):
        barrier.wait()
        responses[index] = call(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_puts_of_one_xid_make_one_record(odoo_url, api_key, rpc):
    marker = uuid.uuid4().hex[:12]
    path = f"{odoo_url}/api/v1/partners/xid:e2eshop.customer_{marker}"

    def put(index):
        return requests.put(
            path,
            json={"name": f"Upsert {marker} {index}"},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=120,
        )

    responses = _concurrently(4, put)
    statuses = sorted(response.status_code for response in responses)
    # one create; the others updated the record it made (or, at worst,
    # were told of the conflict): never a second record
    assert statuses.count(201) == 1, [r.text for r in responses]
    assert set(statuses) <= {200, 201, 409}, [r.text for r in responses]
    ids = {response.json()["data"]["id"] for response in responses if response.status_code < 300}
    assert len(ids) == 1
    count = rpc("res.partner", "search_count", domain=[["name", "=like", f"Upsert {marker} %"]])
    assert count == 1
    xids = rpc(
        "ir.model.data",
        "search_count",
        domain=[["module", "=", "e2eshop"], ["name", "=", f"customer_{marker}"]],
    )
    assert xids == 1
