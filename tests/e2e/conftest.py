"""End-to-end fixtures: a real Odoo server started by scripts/test.sh.

Environment (set by scripts/test.sh): ODOO_URL, ODOO_DB, ODOO_LOGIN,
ODOO_PASSWORD, and ODOO_SHELL, the command line of `odoo shell` on the same
database (used to prepare data the way an administrator would). Optional:
ODOO_DSN, a libpq connection string to that database as the server's own
database user (`host=... port=... user=... dbname=...`), for the tests that
need a transaction of their own next to the server's (holding a row lock,
reading the bookkeeping tables as committed); they are skipped without it.
"""

import os
import shlex
import subprocess
import time
import uuid

import pytest
import requests

REQUIRED = ("ODOO_URL", "ODOO_DB", "ODOO_LOGIN", "ODOO_PASSWORD", "ODOO_SHELL")


def pytest_collection_modifyitems(config, items):
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        skip = pytest.mark.skip(
            reason=f"no Odoo server to test against ({', '.join(missing)} unset)"
        )
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def odoo_url():
    return os.environ["ODOO_URL"].rstrip("/")


@pytest.fixture(scope="session")
def odoo_db():
    return os.environ["ODOO_DB"]


def wait_for(predicate, timeout):
    """Poll `predicate` until it is true or `timeout` seconds passed; its
    last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def odoo_shell(code):
    """Run Python `code` in `odoo shell` on the test database; return stdout."""
    result = subprocess.run(
        shlex.split(os.environ["ODOO_SHELL"]),
        # signal_changes: servers running against the database drop the
        # caches (system parameters, rate policies) the code has changed
        input=code + "\nenv.cr.commit()\nenv.registry.signal_changes()\n",
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"odoo shell failed: {result.stderr[-2000:]}")
    return result.stdout


@pytest.fixture(scope="session")
def admin_session(odoo_url, odoo_db):
    """A requests.Session logged in through /web/session/authenticate."""
    session = requests.Session()
    response = session.post(
        f"{odoo_url}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "db": odoo_db,
                "login": os.environ["ODOO_LOGIN"],
                "password": os.environ["ODOO_PASSWORD"],
            },
        },
        timeout=30,
    )
    response.raise_for_status()
    assert "error" not in response.json(), response.text
    return session


@pytest.fixture(scope="session")
def api_key():
    """An Odoo API key of the administrator, minted as Odoo mints them."""
    marker = uuid.uuid4().hex
    out = odoo_shell(
        "import datetime\n"
        "from odoo import fields\n"
        "admin = env.ref('base.user_admin')\n"
        "expiry = fields.Datetime.now() + datetime.timedelta(days=30)\n"
        "key = env['res.users.apikeys'].with_user(admin).sudo()"
        "._generate(None, 'e2e', expiry)\n"
        f"print('{marker}' + key)\n"
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return line[len(marker) :]
    raise RuntimeError(f"no key in odoo shell output: {out[-500:]}")


@pytest.fixture
def db():
    """A psycopg2 connection to the test database (ODOO_DSN), autocommit."""
    dsn = os.environ.get("ODOO_DSN")
    if not dsn:
        pytest.skip("ODOO_DSN unset: no direct connection to the test database")
    import psycopg2  # noqa: PLC0415 - only the tests that need it import it

    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def rpc(odoo_url, api_key):
    """Call a model method through JSON-2 as the administrator's API key."""

    def call(model, method, **kwargs):
        response = requests.post(
            f"{odoo_url}/json/2/{model}/{method}",
            headers={"Authorization": f"Bearer {api_key}"},
            json=kwargs,
            timeout=120,
        )
        assert response.status_code == 200, response.text[:1000]
        return response.json()

    return call


@pytest.fixture(scope="module")
def api(odoo_url, api_key):
    """Call /api/v1 with the administrator's API key; returns the response."""

    def call(method, path, body=None):
        return requests.request(
            method,
            f"{odoo_url}/api/v1{path}",
            headers={"Authorization": f"Bearer {api_key}"},
            json=body,
            timeout=60,
        )

    return call


@pytest.fixture(scope="module")
def receiver(request):
    """The test module's own `Receiver` (each file scripts its receiver's
    answers its own way), listening on 127.0.0.1 for the whole module."""
    receiver = request.module.Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def make_endpoint(rpc):
    """Endpoints on res.partner for records whose ref starts with a tag;
    loopback allowed as a target, the endpoints deleted after the module.
    Returns the endpoint's id, secret and automation rule."""
    created = []
    rpc("ir.config_parameter", "set_param", key="my_webhooks.allowed_targets", value="127.0.0.1")
    partner_model = rpc("ir.model", "search", domain=[["model", "=", "res.partner"]])[0]

    def make(tag, url, **vals):
        ids = rpc(
            "webhook.endpoint",
            "create",
            vals_list=[
                {
                    "name": f"e2e {tag} {url.rsplit('/', 1)[-1]}",
                    "url": url,
                    "model_id": partner_model,
                    "trigger": "create",
                    "domain": repr([("ref", "=like", f"{tag}-%")]),
                    **vals,
                }
            ],
        )
        created.extend(ids)
        return rpc("webhook.endpoint", "read", ids=ids, fields=["secret", "automation_id"])[0]

    yield make
    if created:
        rpc("webhook.endpoint", "unlink", ids=created)
