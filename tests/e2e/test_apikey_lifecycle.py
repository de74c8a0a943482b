"""API keys minted for an integration user, rotated by the integration itself."""

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from conftest import odoo_shell


def mint_for_integration(days=30, unscoped=False):
    """An administrator mints a key for a fresh integration user; return (login, key).

    `unscoped`: a key as Preferences > New API Key makes it (scope NULL).
    """
    login, keys = integration_with_keys(1, days, unscoped)
    return login, keys[0]


def integration_with_keys(count, days=30, unscoped=False):
    """A fresh integration user with `count` keys minted by an administrator;
    return (login, [keys])."""
    mint = (
        "env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'e2e sync', expiry)"
        if unscoped
        else "env['res.users.apikeys']._mint_for_user(user, 'e2e sync', 'api', expiry)"
    )
    marker = uuid.uuid4().hex
    login = f"api-e2e-{marker[:8]}@example.com"
    out = odoo_shell(
        "import datetime\n"
        "from odoo import fields\n"
        "groups = [env.ref('base.group_user').id, env.ref('sales_team.group_sale_salesman').id]\n"
        f"user = env['res.users'].create({{'name': 'E2E {marker[:8]}', 'login': '{login}', "
        "'my_is_integration': True, 'group_ids': [(6, 0, groups)]})\n"
        f"expiry = fields.Datetime.now() + datetime.timedelta(days={days})\n"
        f"for _i in range({count}):\n"
        f"    print('{marker}' + {mint})\n"
    )
    keys = [line[len(marker) :] for line in out.splitlines() if line.startswith(marker)]
    if len(keys) != count:
        raise RuntimeError(f"no keys in odoo shell output: {out[-500:]}")
    return login, keys


def rotate(odoo_url, key):
    return requests.post(
        f"{odoo_url}/api/v1/keys/rotate", headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def me(odoo_url, key):
    return requests.get(
        f"{odoo_url}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def test_minted_key_rotates_itself_and_both_work_during_the_grace_period(odoo_url):
    login, old = mint_for_integration()
    assert me(odoo_url, old).json()["data"]["login"] == login
    response = requests.post(
        f"{odoo_url}/api/v1/keys/rotate", headers={"Authorization": f"Bearer {old}"}, timeout=30
    )
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json()["data"]
    new = data["key"]
    assert new != old
    assert data["old_key_expires_at"] < data["expires_at"]
    for key in (old, new):
        answer = me(odoo_url, key)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["login"] == login
    # the new key is what the next rotation is done with; the old one is just a key now
    assert requests.get(
        f"{odoo_url}/api/v1/orders?limit=1", headers={"Authorization": f"Bearer {new}"}, timeout=30
    ).ok


def test_a_garbage_key_cannot_rotate(odoo_url):
    response = requests.post(
        f"{odoo_url}/api/v1/keys/rotate",
        headers={"Authorization": "Bearer " + "f" * 40},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_unscoped_key_rotates_into_a_working_key(odoo_url):
    login, old = mint_for_integration(unscoped=True)
    response = rotate(odoo_url, old)
    assert response.status_code == 201, response.text
    new = response.json()["data"]["key"]
    answer = me(odoo_url, new)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["login"] == login


def test_concurrent_rotations_of_one_key_give_one_successor(odoo_url):
    """A key and its copy, rotated at the same moment: one new key, not two."""
    _login, old = mint_for_integration()
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _i: rotate(odoo_url, old), range(4)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    successor = next(r for r in responses if r.status_code == 201).json()["data"]["key_id"]
    for response in responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["code"] == "conflict"
            assert f"#{successor}" in error["message"]


def rotate_at_once(odoo_url, db, keys):
    """Rotate `keys` at the same moment; return the responses.

    The overlap is made certain: a transaction of the test holds the keys'
    rows locked until every rotation waits for them, so all have started,
    and none has counted its user's keys, before any can mint."""
    import psycopg2  # noqa: PLC0415 - the db fixture skipped the test without ODOO_DSN

    with db.cursor() as cur:
        cur.execute(
            "SELECT id FROM res_users_apikeys WHERE index IN %s", [tuple(k[:8] for k in keys)]
        )
        ids = tuple(row[0] for row in cur.fetchall())
    assert len(ids) == len(keys)
    locker = psycopg2.connect(os.environ["ODOO_DSN"])
    responses = []
    threads = [
        threading.Thread(target=lambda key=key: responses.append(rotate(odoo_url, key)))
        for key in keys
    ]
    try:
        with locker.cursor() as cur:
            cur.execute("SELECT id FROM res_users_apikeys WHERE id IN %s FOR UPDATE", [ids])
        for thread in threads:
            thread.start()
        waiting, deadline = 0, time.monotonic() + 60
        while waiting < len(keys) and time.monotonic() < deadline:
            time.sleep(0.05)
            with db.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query ILIKE '%%res_users_apikeys%%'"
                )
                waiting = cur.fetchone()[0]
        assert waiting == len(keys), "the rotations did not overlap"
    finally:
        locker.rollback()
        locker.close()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def live_keys(db, login):
    with db.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM res_users_apikeys k JOIN res_users u ON u.id = k.user_id"
            " WHERE u.login = %s"
            " AND (k.expiration_date IS NULL OR k.expiration_date >= now() at time zone 'utc')",
            [login],
        )
        return cur.fetchone()[0]


def test_concurrent_rotations_of_two_keys_stay_within_the_key_cap(odoo_url, db):
    """Two keys of one user (two servers of one integration, or copies an
    attacker holds) rotated at the same moment when the user has one key
    less than the cap (5): one new key, the other rotation refused, never a
    sixth live key."""
    login, keys = integration_with_keys(3)
    assert rotate(odoo_url, keys[2]).status_code == 201  # 4 live keys now
    responses = rotate_at_once(odoo_url, db, keys[:2])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409], [response.text for response in responses]
    refused = next(response for response in responses if response.status_code == 409)
    assert "at most 5 live API keys" in refused.json()["error"]["message"]
    assert live_keys(db, login) == 5


def test_concurrent_rotations_of_two_keys_both_succeed(odoo_url, db):
    """Below the cap, two keys of one integration rotated at the same moment
    both get their successor, and its responsible hears of both (the first
    activity on the integration's contact makes the responsible a follower:
    two at once must not clash on that)."""
    login, keys = integration_with_keys(2)
    responses = rotate_at_once(odoo_url, db, keys)
    statuses = [response.status_code for response in responses]
    assert statuses == [201, 201], [response.text for response in responses]
    assert live_keys(db, login) == 4
    with db.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM mail_activity a JOIN res_users u ON u.partner_id = a.res_id"
            " WHERE a.res_model = 'res.partner' AND u.login = %s",
            [login],
        )
        assert cur.fetchone()[0] == 2
