"""/api/v1 survives a fuzzer driven by its own OpenAPI document, and a
client generated from that document works.

Schemathesis runs every operation of /api/v1/openapi.json (but the key
rotation) through its examples, coverage and fuzzing phases, with a fixed
seed and a bounded number of cases, and fails on any server error,
undocumented status code, response or header that breaks the document,
content type not documented, schema-violating request accepted, or
schema-valid request refused for its form (see schemathesis_hooks.py).
Its configuration is tests/e2e/schemathesis.toml, which also serves a run
by hand.

The fuzzer writes: it creates, changes, confirms, cancels and deletes. It
runs as a user made for it, with every business right (sales, inventory,
contacts, invoices) but no administration (so no webhook endpoint, whose
targets it would pick at random), and a global record rule that lets that
user change and delete only what it created itself: the records other tests
rely on stay as they are. The rate limit is lifted for the run and
restored after it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from conftest import odoo_shell

ROOT = Path(__file__).resolve().parent.parent.parent
CONFIG = ROOT / "tests" / "e2e" / "schemathesis.toml"
FUZZ_LOGIN = "api_fuzz"
SANDBOXED_MODELS = (
    "res.partner",
    "product.product",
    "product.template",
    "sale.order",
    "sale.order.line",
    "stock.picking",
)
# seconds: the run takes about three minutes on two idle cores; the read
# parameters (fields, expand, operators, two-key orders) add cases to every list
LIFTED = ("my_api.rate_limit", "my_api.rate_limit_anonymous")
FUZZ_BUDGET = 900


@pytest.fixture(scope="module")
def fuzz_key(odoo_url):
    """The API key of the sandboxed fuzz user; the rate limits lifted."""
    marker = uuid.uuid4().hex
    out = odoo_shell(
        f"""
import datetime
params = env["ir.config_parameter"].sudo()
# the fuzz user's limit and that of requests without credentials (the
# checks of unauthenticated requests send one per operation and phase)
print("{marker}" + repr({{name: params.get_param(name) for name in {LIFTED!r}}}))
for name in {LIFTED!r}:
    params.set_param(name, "0")
groups = [
    env.ref(xid).id
    for xid in (
        "base.group_user",
        "base.group_partner_manager",
        "sales_team.group_sale_manager",
        "product.group_product_manager",
        "stock.group_stock_manager",
        "account.group_account_invoice",
    )
]
Users = env["res.users"].with_context(active_test=False)
user = Users.search([("login", "=", "{FUZZ_LOGIN}")])
if not user:
    user = Users.create({{"name": "API fuzz", "login": "{FUZZ_LOGIN}"}})
user.write({{"active": True, "group_ids": [(6, 0, groups)]}})
for model in {SANDBOXED_MODELS!r}:
    env["ir.rule"].create({{
        "name": "API fuzz sandbox",
        "model_id": env["ir.model"]._get(model).id,
        "domain_force": "[('create_uid', '=', user.id)] if user.login == '{FUZZ_LOGIN}' else []",
        "perm_read": False,
        "perm_create": False,
        "perm_write": True,
        "perm_unlink": True,
    }})
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "fuzz", expiry)
print("{marker}" + key)
"""
    )
    lines = [line for line in out.splitlines() if line.startswith(marker)]
    assert len(lines) == 2, out[-500:]
    old_limits, key = (line[len(marker) :] for line in lines)
    # the running server sees the lifted limit (no stale cached parameter):
    # an unlimited user's answers carry no RateLimit fields
    bearer = {"Authorization": f"Bearer {key}"}
    me = requests.get(f"{odoo_url}/api/v1/me", headers=bearer, timeout=30)
    assert me.status_code == 200, me.text
    assert "RateLimit-Limit" not in me.headers, dict(me.headers)
    yield key
    odoo_shell(
        f"""
params = env["ir.config_parameter"].sudo()
for name, old in {old_limits}.items():
    if old is None:
        params.search([("key", "=", name)]).unlink()
    else:
        params.set_param(name, old)
env["ir.rule"].search([("name", "=", "API fuzz sandbox")]).unlink()
user = env["res.users"].search([("login", "=", "{FUZZ_LOGIN}")])
env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)]).unlink()
"""
    )


def _tool(name):
    """The console script `name` of the Python that runs the tests."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=path)
    assert found, f"{name} is not installed: pip install -r requirements-test.txt"
    return found


def test_every_operation_survives_the_fuzzer(odoo_url, fuzz_key):
    started = time.monotonic()
    result = subprocess.run(
        [
            _tool("schemathesis"),
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            f"{odoo_url}/api/v1/openapi.json",
            "--url",
            f"{odoo_url}/api/v1",
            "--checks",
            "all",
            # replaced by the hooks' schema_valid_request_accepted
            "--exclude-checks",
            "positive_data_acceptance",
        ],
        cwd=ROOT,
        env={**os.environ, "ODOO_FUZZ_KEY": fuzz_key},
        capture_output=True,
        text=True,
        timeout=FUZZ_BUDGET,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    # warnings (operations whose generated data is mostly refused...) and summary
    tail = output.rfind("WARNINGS") if "WARNINGS" in output else output.rfind("SUMMARY")
    summary = output[tail:] if tail >= 0 else output[-3000:]
    print(f"schemathesis took {elapsed:.0f} s\n{summary}")
    assert result.returncode == 0, output[-12000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) >= 30, summary
    assert "Runtime Error" not in output, output[-12000:]


def test_generated_client_lists_partners(odoo_url, fuzz_key, tmp_path):
    """openapi-python-client makes a client of the document without a
    warning, and the client lists partners with an API key. Files (a PDF,
    an attachment of any type) are bytes to it, as it reads
    application/octet-stream: its configuration says so."""
    config = tmp_path / "client.json"
    config.write_text(
        json.dumps(
            {
                "content_type_overrides": {
                    "application/pdf": "application/octet-stream",
                    "*/*": "application/octet-stream",
                }
            }
        )
    )
    generated = subprocess.run(
        [
            _tool("openapi-python-client"),
            "generate",
            "--config",
            str(config),
            "--url",
            f"{odoo_url}/api/v1/openapi.json",
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "odoo_api_client"),
            "--fail-on-warning",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    call = f"""
from odoo_api_client import AuthenticatedClient
from odoo_api_client.api.partners import list_partners
from odoo_api_client.models import ListPartnersOrder

client = AuthenticatedClient(base_url={odoo_url + "/api/v1"!r}, token={fuzz_key!r})
with client as client:
    response = list_partners.sync_detailed(client=client, limit=2, order=ListPartnersOrder.ID)
    assert response.status_code == 200, response.content
    page = response.parsed
    assert page.pagination.limit == 2, page
    assert 1 <= len(page.data) <= 2, page
    assert all(isinstance(partner.id, int) and partner.name is not None for partner in page.data)
print("listed", [partner.id for partner in page.data])
"""
    ran = subprocess.run(
        [sys.executable, "-c", call],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "listed" in ran.stdout
