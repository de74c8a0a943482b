"""The receiver snippets of my_webhooks/readme/USAGE.md verify what we sign."""

import base64
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT, load_lib

signing = load_lib("my_webhooks", "signing")
USAGE = (ROOT / "my_webhooks" / "readme" / "USAGE.md").read_text()
BODY = b'{"id":"evt_1","event":"create","model":"res.partner","data":{"id":7}}'


def snippet(language):
    blocks = re.findall(rf"```{language}\n(.*?)```", USAGE, re.S)
    assert blocks, f"no {language} snippet in USAGE.md"
    return blocks[-1]


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


@pytest.fixture(scope="module")
def python_verify():
    namespace = {}
    exec(snippet("python"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def test_python_snippet_accepts_our_signatures(python_verify):
    secret = signing.generate_secret()
    headers = signing.signature_headers([secret], "evt_1", time.time(), BODY)
    python_verify(secret, lower(headers), BODY)


def test_python_snippet_accepts_either_secret_during_rotation(python_verify):
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = lower(signing.signature_headers([new, old], "evt_2", time.time(), BODY))
    python_verify(old, headers, BODY)
    python_verify(new, headers, BODY)


@pytest.mark.parametrize("case", ["stale", "tampered", "other secret"])
def test_python_snippet_rejects(python_verify, case):
    secret = signing.generate_secret()
    stamp = time.time() - (400 if case == "stale" else 0)
    headers = lower(signing.signature_headers([secret], "evt_3", stamp, BODY))
    body = BODY + b" " if case == "tampered" else BODY
    key = signing.generate_secret() if case == "other secret" else secret
    with pytest.raises(ValueError):
        python_verify(key, headers, body)


HARNESS = """
const { verify } = require(process.argv[2]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
try {
  verify(input.secret, input.headers, Buffer.from(input.body, "base64"));
  console.log("ok");
} catch (e) {
  console.log("rejected: " + e.message);
}
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize(
    ("case", "expected"),
    [("good", "ok"), ("rotation", "ok"), ("stale", "rejected"), ("tampered", "rejected")],
)
def test_node_snippet(tmp_path, case, expected):
    module = Path(tmp_path, "verify.js")
    module.write_text(snippet("js"))
    harness = Path(tmp_path, "harness.js")
    harness.write_text(HARNESS)
    secret = signing.generate_secret()
    secrets_ = [signing.generate_secret(), secret] if case == "rotation" else [secret]
    stamp = time.time() - (400 if case == "stale" else 0)
    headers = lower(signing.signature_headers(secrets_, "evt_4", stamp, BODY))
    body = BODY + b" " if case == "tampered" else BODY
    payload = {"secret": secret, "headers": headers, "body": base64.b64encode(body).decode()}
    result = subprocess.run(
        [shutil.which("node"), str(harness), str(module)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip().startswith(expected), result.stdout + result.stderr
