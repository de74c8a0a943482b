"""A "Webhooks / Manager" tries to read what is not theirs through outbound
webhooks, end to end: a real server, the manager's own API key, a real
receiver on 127.0.0.1 that records everything it is sent.

The manager tries to subscribe to system parameters and outgoing mails, to
take over the administrator's endpoint, to send or filter on a field they
cannot read, and to filter through a relation on a contact they cannot read
(the automation rule evaluates filters as superuser: an event arriving
would tell what the contact holds); then an administrator writes secrets everywhere the
manager aimed at, the delivery cron runs, and not one secret may arrive.
"""

import json
import time
import uuid

import pytest
import requests
from conftest import odoo_shell
from test_webhooks_outbound import Receiver, run_cron

WAIT = 60


def shell_value(code, marker):
    """Run `code` in odoo shell; return what it printed after `marker`."""
    out = odoo_shell(code)
    for line in out.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise RuntimeError(f"no {marker} in odoo shell output: {out[-1000:]}")


@pytest.fixture(scope="module")
def tag():
    return "atk" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def setup(tag, receiver):
    """The manager (only extra group: Webhooks / Manager) and their API key;
    an administrator's endpoint; loopback allowed as a webhook target."""
    marker = uuid.uuid4().hex
    values = shell_value(
        "import json\n"
        "env['ir.config_parameter'].set_param('my_webhooks.allowed_targets', '127.0.0.1')\n"
        "groups = [env.ref('base.group_user').id,"
        " env.ref('my_webhooks.group_webhook_manager').id]\n"
        f"user = env['res.users'].create({{'name': 'Manager {tag}', 'login': '{tag}-manager',"
        " 'group_ids': [(6, 0, groups)]})\n"
        "import datetime\n"
        "from odoo import fields\n"
        "expiry = fields.Datetime.now() + datetime.timedelta(days=30)\n"
        "key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'e2e', expiry)\n"
        "admin = env.ref('base.user_admin')\n"
        "endpoint = env['webhook.endpoint'].with_user(admin).create({"
        f"'name': 'Admin {tag}', 'url': {receiver.url(f'/{tag}/admin')!r},"
        " 'model_id': env['ir.model']._get_id('res.partner'), 'trigger': 'unlink',"
        f" 'domain': repr([('ref', '=', 'never-{tag}')])}})\n"
        "print(" + repr(marker) + " + json.dumps({'key': key, 'uid': user.id,"
        " 'admin_endpoint': endpoint.id}))\n",
        marker,
    )
    yield values
    odoo_shell(
        f"env['webhook.endpoint'].with_context(active_test=False).search([('name', 'like', "
        f"'{tag}')]).unlink()\n"
        f"env['res.users'].browse({values['uid']}).active = False\n"
    )


def api(odoo_url, key, method, path, body=None):
    return requests.request(
        method,
        f"{odoo_url}/api/v1{path}",
        headers={"Authorization": f"Bearer {key}"},
        json=body,
        timeout=60,
    )


def endpoint_body(tag, receiver, path, **values):
    return {
        "name": f"Manager {tag} {path}",
        "url": receiver.url(f"/{tag}/{path}"),
        "model": "res.partner",
        "trigger": "create",
        "secret": "whsec_" + "QUJD" * 11,  # 33 bytes, base64
        **values,
    }


def test_manager_cannot_read_secrets_through_webhooks(odoo_url, rpc, tag, receiver, setup):
    key = setup["key"]
    secret = "S3CRET-" + uuid.uuid4().hex

    def post(path, **values):
        return api(
            odoo_url,
            key,
            "POST",
            "/webhook-endpoints",
            endpoint_body(tag, receiver, path, **values),
        )

    # 1. the system parameters, outgoing mails (reset links), chat, API keys
    for path, model, fields_ in (
        ("params", "ir.config_parameter", ["key", "value"]),
        ("mails", "mail.mail", ["body_html"]),
        ("messages", "mail.message", ["body"]),
        ("keys", "res.users.apikeys", ["name"]),
        ("sources", "webhook.source", ["name"]),
        ("deliveries", "webhook.delivery", ["payload"]),
    ):
        response = post(path, model=model, payload_fields=fields_)
        assert response.status_code in (400, 403), (model, response.text)
        assert response.json()["error"]["code"] in ("forbidden", "validation_error")
    assert post("params", model="ir.config_parameter").status_code == 403

    # 2. the administrator's endpoint: invisible, and not the manager's to change
    item = f"/webhook-endpoints/{setup['admin_endpoint']}"
    listed = api(odoo_url, key, "GET", "/webhook-endpoints").json()["data"]
    assert setup["admin_endpoint"] not in [row["id"] for row in listed]
    hijack = {"url": receiver.url(f"/{tag}/hijack"), "domain": None, "trigger": "create"}
    assert api(odoo_url, key, "PATCH", item, hijack).status_code in (403, 404)
    assert api(odoo_url, key, "DELETE", item).status_code in (403, 404)

    # 3. an allowed model, but a field (or a filter on a field) the manager cannot read
    refused = post("fields", payload_fields=["name", "signup_type"])
    assert refused.status_code == 403, refused.text
    refused = post("filter", domain="[('signup_type', '=like', 'S3CRET%')]")
    assert refused.status_code == 403, refused.text
    # ... while a subscription within the manager's rights works
    mine = post("mine", payload_fields=["name", "ref"], domain=repr([("ref", "=like", f"{tag}-%")]))
    assert mine.status_code == 201, mine.text
    # ... and a filter whose fields the manager reads, through a relation
    # onto a contact of another company, which the manager cannot read
    oracle = post(
        "oracle",
        trigger="write",
        payload_fields=["name"],
        domain=repr(
            [("ref", "=", f"{tag}-visible"), ("child_ids.name", "=like", "Hidden S3CRET-%")]
        ),
    )
    assert oracle.status_code == 201, oracle.text

    # 4. an administrator writes secrets where the manager aimed
    odoo_shell(
        f"env['ir.config_parameter'].set_param('e2e.{tag}', {secret!r})\n"
        "env['mail.mail'].create({'subject': 'Reset', 'email_to': 'victim@example.com',"
        " 'state': 'cancel',"
        f" 'body_html': '<a href=\"/web/reset_password?token={secret}\">reset</a>'}})\n"
        f"other = env['res.company'].create({{'name': 'Elsewhere {tag}'}})\n"
        f"visible = env['res.partner'].create({{'name': 'Visible {tag}', 'ref': '{tag}-visible',"
        f" 'signup_type': {secret!r}}})\n"
        f"env['res.partner'].create({{'name': 'Hidden {secret}', 'ref': '{tag}-hidden',"
        " 'company_id': other.id, 'parent_id': visible.id})\n"
        "visible.comment = 'touched'\n"
    )
    run_cron(rpc)
    assert receiver.wait_for(lambda: receiver.events(f"/{tag}/mine"), WAIT)
    time.sleep(2)  # anything else on its way would arrive meanwhile

    received = [r for r in receiver.requests if r["path"].startswith(f"/{tag}/")]
    assert [r["path"] for r in received] == [f"/{tag}/mine"]
    data = json.loads(received[0]["body"])["data"]
    assert data["ref"] == f"{tag}-visible"
    assert "signup_type" not in data
    for request in receiver.requests:
        assert secret.encode() not in request["body"]
        assert secret not in json.dumps(request["headers"])
