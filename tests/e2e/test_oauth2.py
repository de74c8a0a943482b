"""The OAuth2 authorization server end to end, over real HTTP.

An administrator registers the clients (odoo shell, as the UI would); the
rest is what third-party applications and a signed-in user's browser do.
"""

import base64
import contextlib
import hashlib
import html
import json
import os
import re
import secrets
import shlex
import subprocess
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import odoo_shell
from requests_oauthlib import OAuth2Session

REDIRECT_URI = "https://portal.example.com/oauth/callback"
TIMEOUT = 30
# Run in odoo shell with `held` (the secrets) and `marker` set: searches
# every text column of every table for each secret.
SCAN_SCRIPT = """
from odoo.tools import SQL
env.cr.execute(
    "SELECT c.table_name, array_agg(c.column_name::text)"
    "  FROM information_schema.columns c"
    "  JOIN information_schema.tables t"
    "    ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
    " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
    "   AND c.data_type IN ('character varying', 'text', 'jsonb', 'bytea')"
    " GROUP BY c.table_name"
)
tables = env.cr.fetchall()
found = []
for table, columns in tables:
    for index, secret in enumerate(held):
        condition = SQL(' OR ').join(
            SQL('position(%s in %s::text) > 0', secret, SQL.identifier(column))
            for column in columns
        )
        env.cr.execute(SQL('SELECT 1 FROM %s WHERE %s LIMIT 1', SQL.identifier(table), condition))
        if env.cr.fetchone():
            found.append((index, table))
print(marker, len(tables), found)
"""

# Run in odoo shell with `digest` and `marker` set: locks the row of that
# refresh token until two other transactions of the database wait for a
# lock (at most 60 s), then lets go without changing anything.
LOCK_SCRIPT = """
import time
from odoo.tools import SQL
env.cr.execute(SQL(
    "SELECT id FROM oauth_token WHERE refresh_token_hash = %s FOR UPDATE", digest
))
assert env.cr.rowcount == 1
print(marker, "locked", flush=True)
deadline = time.monotonic() + 60
waiting = 0
while waiting < 2 and time.monotonic() < deadline:
    time.sleep(0.05)
    env.cr.execute(SQL("SELECT pg_stat_clear_snapshot()"))
    env.cr.execute(SQL(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))
    waiting = env.cr.fetchone()[0]
print(marker, "released", waiting, flush=True)
env.cr.rollback()
"""


@contextlib.contextmanager
def refresh_token_row_locked(refresh_token):
    """Hold the token's row locked (LOCK_SCRIPT) while the block runs; on
    leaving, wait for the lock to go and return how many waited for it."""
    marker = uuid.uuid4().hex
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    shell = subprocess.Popen(
        shlex.split(os.environ["ODOO_SHELL"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    shell.stdin.write(f"digest = {digest!r}\nmarker = {marker!r}\n{LOCK_SCRIPT}")
    shell.stdin.close()
    result = {}
    try:
        for line in shell.stdout:
            if line.startswith(f"{marker} locked"):
                break
        else:
            raise RuntimeError("odoo shell did not lock the token row")
        yield result
        for line in shell.stdout:
            if line.startswith(f"{marker} released"):
                result["waiting"] = int(line.split()[-1])
    finally:
        shell.wait(timeout=120)


@pytest.fixture(scope="module")
def public_url(odoo_url):
    """The administrator sets the server's public URL (web.base.url): the
    OAuth2 issuer and every URL of the metadata derive from it."""
    odoo_shell(f"env['ir.config_parameter'].set_param('web.base.url', {odoo_url!r})")
    return odoo_url


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def clients():
    """A client-credentials client acting as the admin, and a web client."""
    marker = uuid.uuid4().hex
    suffix = uuid.uuid4().hex[:8]
    out = odoo_shell(
        "import json\n"
        "Client = env['oauth.client']\n"
        "service = Client.create({'name': 'e2e service " + suffix + "',"
        " 'allow_authorization_code': False, 'allow_client_credentials': True,"
        " 'user_id': env.ref('base.user_admin').id, 'scope': 'orders:read partners:read'})\n"
        "web = Client.create({'name': 'e2e portal " + suffix + "',"
        f" 'redirect_uris': '{REDIRECT_URI}', 'scope': 'orders:read orders:write'}})\n"
        "result = {'service': [service.identifier,"
        " service.action_generate_secret()['context']['default_secret']],"
        " 'web': [web.identifier, web.action_generate_secret()['context']['default_secret']]}\n"
        f"print('{marker}' + json.dumps(result))\n"
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise RuntimeError(f"no clients in odoo shell output: {out[-500:]}")


def token_request(odoo_url, auth, **data):
    return requests.post(f"{odoo_url}/oauth2/token", data=data, auth=tuple(auth), timeout=TIMEOUT)


def api_get(odoo_url, token, path="/api/v1/orders"):
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{odoo_url}{path}", headers=headers, timeout=TIMEOUT)


def authorize_params(client_id, verifier, **extra):
    """The query of an authorization request with PKCE (S256)."""
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "orders:read",
        "state": "e2e-state",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **extra,
    }


def open_authorize(odoo_url, session, params):
    return session.get(
        f"{odoo_url}/oauth2/authorize", params=params, allow_redirects=False, timeout=TIMEOUT
    )


def submit_consent(odoo_url, session, page, decision):
    """Post the consent form of `page` as a browser does: every hidden input
    in page order, then the button that was clicked."""
    fields = [
        (name, html.unescape(value))
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
        )
    ]
    return session.post(
        f"{odoo_url}/oauth2/authorize",
        data=[*fields, ("decision", decision)],
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def authorize(odoo_url, session, client_id, verifier, decision="allow", **extra):
    """The browser's side: open /oauth2/authorize, consent if asked; return
    the redirect's query (or the last response if there is no redirect)."""
    response = open_authorize(odoo_url, session, authorize_params(client_id, verifier, **extra))
    if response.status_code == 200:
        response = submit_consent(odoo_url, session, response, decision)
    if response.status_code != 302:
        return response
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(odoo_url, clients, code, verifier):
    return token_request(
        odoo_url,
        clients["web"],
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )


def test_client_credentials_token_reads_orders_is_refused_writes_and_dies_on_revoke(
    odoo_url, clients
):
    response = token_request(odoo_url, clients["service"], grant_type="client_credentials")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert "refresh_token" not in token
    access = token["access_token"]

    assert api_get(odoo_url, access).status_code == 200

    refused = requests.post(
        f"{odoo_url}/api/v1/orders",
        headers={"Authorization": f"Bearer {access}"},
        json={"partner_id": 1, "lines": []},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]

    revoked = requests.post(
        f"{odoo_url}/oauth2/revoke",
        data={"token": access},
        auth=tuple(clients["service"]),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200
    after = api_get(odoo_url, access)
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]


def test_token_endpoint_errors(odoo_url, clients):
    identifier, _secret = clients["service"]
    bad_secret = token_request(odoo_url, (identifier, "wrong"), grant_type="client_credentials")
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"
    assert bad_secret.headers["Cache-Control"] == "no-store"
    for data, error in (
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "orders:write"}, "invalid_scope"),
        ({"scope": "orders:read"}, "invalid_request"),
    ):
        response = token_request(odoo_url, clients["service"], **data)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == error
        assert response.headers["Cache-Control"] == "no-store"
    wrong_grant = token_request(odoo_url, clients["web"], grant_type="client_credentials")
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "unauthorized_client"


def test_authorization_code_with_pkce_consent_and_code_reuse(odoo_url, admin_session, clients):
    identifier = clients["web"][0]
    verifier = secrets.token_urlsafe(48)

    # the consent page names the client and the scopes in plain words
    page = open_authorize(
        odoo_url,
        admin_session,
        authorize_params(identifier, verifier, scope="orders:read orders:write", state="s"),
    )
    assert page.status_code == 200, page.text
    assert "e2e portal" in page.text
    assert "Read " in page.text and "Create, change and delete " in page.text

    # deny goes back with access_denied
    denied = authorize(odoo_url, admin_session, identifier, verifier, decision="deny")
    assert denied["error"] == "access_denied"
    assert denied["state"] == "e2e-state"

    # allow: a code; the wrong verifier is invalid_grant (and burns the code)
    query = authorize(odoo_url, admin_session, identifier, verifier)
    wrong = exchange(odoo_url, clients, query["code"], secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    # the grant is remembered: no consent page this time
    direct = open_authorize(
        odoo_url, admin_session, authorize_params(identifier, verifier, state="again")
    )
    assert direct.status_code == 302, direct.text
    code = parse_qs(urlsplit(direct.headers["Location"]).query)["code"][0]

    first = exchange(odoo_url, clients, code, verifier)
    assert first.status_code == 200, first.text
    assert first.headers["Cache-Control"] == "no-store"
    tokens = first.json()
    assert api_get(odoo_url, tokens["access_token"]).status_code == 200

    # the same code again: refused, and the tokens it gave are revoked
    again = exchange(odoo_url, clients, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert api_get(odoo_url, tokens["access_token"]).status_code == 401
    refreshed = token_request(
        odoo_url, clients["web"], grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_redirect_uri_mismatch_shows_an_error_page_and_never_redirects(
    odoo_url, admin_session, clients
):
    response = authorize(
        odoo_url,
        admin_session,
        clients["web"][0],
        secrets.token_urlsafe(48),
        redirect_uri="https://attacker.example.net/steal",
    )
    assert isinstance(response, requests.Response)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "cannot be accepted" in response.text


def test_refresh_rotation_and_reuse_detection(odoo_url, admin_session, clients):
    verifier = secrets.token_urlsafe(48)
    query = authorize(odoo_url, admin_session, clients["web"][0], verifier)
    first = exchange(odoo_url, clients, query["code"], verifier).json()

    second = token_request(
        odoo_url, clients["web"], grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api_get(odoo_url, second["access_token"]).status_code == 200

    reuse = token_request(
        odoo_url, clients["web"], grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    # the whole family is revoked: the rotated tokens too
    assert api_get(odoo_url, second["access_token"]).status_code == 401
    later = token_request(
        odoo_url, clients["web"], grant_type="refresh_token", refresh_token=second["refresh_token"]
    )
    assert later.json()["error"] == "invalid_grant"


def test_concurrent_refresh_one_wins_family_survives(odoo_url, admin_session, clients):
    """Two refreshes with one refresh token at once (a client with two
    threads, or a retry overtaking the first try): one gets new tokens, the
    other invalid_grant, and the tokens the winner holds keep working. Only
    a later replay of the used token revokes the family.

    The overlap is made certain rather than left to timing: an odoo shell
    holds the token's row locked until both requests wait for it, so both
    have read the token as unused before either can consume it."""
    verifier = secrets.token_urlsafe(48)
    query = authorize(odoo_url, admin_session, clients["web"][0], verifier)
    first = exchange(odoo_url, clients, query["code"], verifier).json()
    barrier = threading.Barrier(2)
    responses = []

    def refresh():
        barrier.wait()
        responses.append(
            token_request(
                odoo_url,
                clients["web"],
                grant_type="refresh_token",
                refresh_token=first["refresh_token"],
            )
        )

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    with refresh_token_row_locked(first["refresh_token"]) as lock:
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert lock["waiting"] >= 2, "the two refreshes did not overlap"
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 400], [response.text for response in responses]
    winner = next(response for response in responses if response.status_code == 200).json()
    loser = next(response for response in responses if response.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    assert loser.headers["Cache-Control"] == "no-store"

    # the winner's tokens work: the family was not revoked
    assert api_get(odoo_url, winner["access_token"]).status_code == 200
    following = token_request(
        odoo_url, clients["web"], grant_type="refresh_token", refresh_token=winner["refresh_token"]
    )
    assert following.status_code == 200, following.text
    following = following.json()

    # a later replay of the used token still ends the whole authorization
    replay = token_request(
        odoo_url, clients["web"], grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert replay.json()["error"] == "invalid_grant"
    assert api_get(odoo_url, following["access_token"]).status_code == 401


def test_authorization_code_flow_with_requests_oauthlib(
    odoo_url, public_url, admin_session, clients, monkeypatch
):
    """A stock client library (requests-oauthlib: PKCE S256, state check,
    HTTP Basic client authentication, refresh) finds everything it needs
    in the metadata and gets through the whole flow."""
    # the test server speaks plain http on 127.0.0.1
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    identifier, secret = clients["web"]
    meta = requests.get(
        f"{public_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT
    ).json()
    app = OAuth2Session(identifier, redirect_uri=REDIRECT_URI, scope=["orders:read"], pkce="S256")
    url, state = app.authorization_url(meta["authorization_endpoint"])
    assert "code_challenge_method=S256" in url

    page = admin_session.get(url, allow_redirects=False, timeout=TIMEOUT)
    if page.status_code == 200:
        page = submit_consent(odoo_url, admin_session, page, "allow")
    assert page.status_code == 302, page.text
    callback = page.headers["Location"]
    assert callback.startswith(REDIRECT_URI) and f"state={state}" in callback

    token = app.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback,
        client_secret=secret,
        timeout=TIMEOUT,
    )
    assert token["scope"] == ["orders:read"]
    assert app.get(f"{odoo_url}/api/v1/orders", timeout=TIMEOUT).status_code == 200

    refreshed = app.refresh_token(
        meta["token_endpoint"], auth=(identifier, secret), timeout=TIMEOUT
    )
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert app.get(f"{odoo_url}/api/v1/orders", timeout=TIMEOUT).status_code == 200

    revoked = requests.post(
        meta["revocation_endpoint"],
        data={"token": refreshed["refresh_token"]},
        auth=(identifier, secret),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == 200
    assert app.get(f"{odoo_url}/api/v1/orders", timeout=TIMEOUT).status_code == 401


def test_introspection_active_then_inactive(odoo_url, clients):
    access = token_request(
        odoo_url, clients["service"], grant_type="client_credentials", scope="orders:read"
    ).json()["access_token"]

    def introspect():
        response = requests.post(
            f"{odoo_url}/oauth2/introspect",
            data={"token": access},
            auth=tuple(clients["service"]),
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.json()

    claims = introspect()
    assert claims["active"] is True
    assert claims["scope"] == "orders:read"
    assert claims["client_id"] == clients["service"][0]
    assert claims["username"] == "admin"
    requests.post(
        f"{odoo_url}/oauth2/revoke",
        data={"token": access},
        auth=tuple(clients["service"]),
        timeout=TIMEOUT,
    )
    assert introspect() == {"active": False}
    anonymous = requests.post(f"{odoo_url}/oauth2/introspect", data={"token": access}, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"


def test_metadata_document(odoo_url, public_url):
    response = requests.get(f"{odoo_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert response.status_code == 200
    meta = response.json()
    # RFC 8414 section 3.3: the issuer is the server's public URL (web.base.url)
    assert meta["issuer"] == public_url
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ):
        assert meta[key].startswith(odoo_url + "/oauth2/")
        # each endpoint exists: a GET answers an OAuth2 error or the login, never a 404
        assert requests.get(meta[key], timeout=TIMEOUT, allow_redirects=False).status_code != 404
    assert meta["response_types_supported"] == ["code"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
    }
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"orders:read", "orders:write", "partners:read"} <= set(meta["scopes_supported"])
    openapi = requests.get(f"{odoo_url}/api/v1/openapi.json", timeout=TIMEOUT).json()
    flows = openapi["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["authorizationCode"]["tokenUrl"] == meta["token_endpoint"]
    assert set(flows["authorizationCode"]["scopes"]) == set(meta["scopes_supported"])


def test_database_holds_no_token_or_secret_in_clear(odoo_url, admin_session, clients):
    verifier = secrets.token_urlsafe(48)
    query = authorize(odoo_url, admin_session, clients["web"][0], verifier)
    pair = exchange(odoo_url, clients, query["code"], verifier).json()
    service = token_request(odoo_url, clients["service"], grant_type="client_credentials").json()
    held = [
        pair["access_token"],
        pair["refresh_token"],
        query["code"],
        service["access_token"],
        clients["service"][1],
        clients["web"][1],
    ]
    marker = uuid.uuid4().hex
    out = odoo_shell(f"held = {held!r}\nmarker = {marker!r}\n{SCAN_SCRIPT}")
    line = next(line for line in out.splitlines() if line.startswith(marker))
    _marker, table_count, found = line.split(" ", 2)
    assert int(table_count) > 100  # every table of the database was read
    assert found == "[]"
