"""The JSON-2 snippets of README.md ("Odoo's own APIs beside /api/v1"),
curl and Python, run as written against the real server."""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from conftest import odoo_shell

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTION = README.split("## Odoo's own APIs beside /api/v1", 1)[1].split("\n## ", 1)[0]
DOCUMENTED_URL = "http://localhost:8069"


def snippet(language):
    blocks = [
        block
        for block in re.findall(rf"```{language}\n(.*?)```", SECTION, re.S)
        if "/json/2/" in block
    ]
    assert len(blocks) == 1, f"one {language} JSON-2 snippet expected in the README, not {blocks}"
    return blocks[0]


def run(command, odoo_url, api_key, **kwargs):
    """Run a snippet as a reader would, the key in $KEY, against our server."""
    result = subprocess.run(
        command,
        env={**os.environ, "KEY": api_key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_section_says_what_the_issue_asks():
    assert "2027 on Odoo Online" in SECTION and "2028 for self-hosted" in SECTION
    assert "XML-RPC" in SECTION and "JSON-RPC" in SECTION
    assert "session" in SECTION


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_readme_json2_curl_snippet_runs(odoo_url, api_key):
    code = snippet("sh").replace(DOCUMENTED_URL, odoo_url)
    out = run(["bash", "-e", "-c", code], odoo_url, api_key)
    currencies = json.loads(out)
    assert currencies, out
    assert {"id", "name", "symbol", "rate"} <= set(currencies[0])
    assert len(currencies) <= 10


def test_readme_json2_python_snippet_runs(odoo_url, api_key, rpc):
    code = snippet("python").replace(DOCUMENTED_URL, odoo_url)
    out = run([sys.executable, "-c", code], odoo_url, api_key)
    lines = out.splitlines()
    active = rpc("res.currency", "search_read", domain=[["active", "=", True]], fields=["name"])
    assert lines and len(lines) == min(10, len(active)), out
    names = {currency["name"] for currency in active}
    assert all(line.split()[0] in names for line in lines), out


def test_readme_json2_wants_an_unscoped_key(odoo_url):
    """As the README says: a key minted with the scope `api` works for
    /api/v1 and JSON-2 refuses it."""
    marker = uuid.uuid4().hex
    out = odoo_shell(
        "import datetime\n"
        "from odoo import fields\n"
        "expiry = fields.Datetime.now() + datetime.timedelta(days=5)\n"
        f"user = env['res.users'].create({{'name': 'E2E json2 {marker[:8]}', "
        f"'login': 'json2-{marker[:8]}@example.com', "
        "'group_ids': [(6, 0, [env.ref('base.group_user').id])]})\n"
        "key = env['res.users.apikeys']._mint_for_user(user, 'e2e json2', 'api', expiry)\n"
        f"print('{marker}' + key)\n"
    )
    key = next(line[len(marker) :] for line in out.splitlines() if line.startswith(marker))
    status = "curl -s -o /dev/null -w '%{http_code}'"
    code = snippet("sh").replace(DOCUMENTED_URL, odoo_url).replace("curl -s", status)
    assert run(["bash", "-e", "-c", code], odoo_url, key).strip() == "401"
    me = requests.get(
        f"{odoo_url}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert me.status_code == 200, me.text
