"""API keys minted for an integration user, rotated by the integration itself."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from conftest import odoo_shell


def mint_for_integration(days=30, unscoped=False):
    """An administrator mints a key for a fresh integration user; return (login, key).

    `unscoped`: a key as Preferences > New API Key makes it (scope NULL).
    """
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
        f"key = {mint}\n"
        f"print('{marker}' + key)\n"
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return login, line[len(marker) :]
    raise RuntimeError(f"no key in odoo shell output: {out[-500:]}")


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
