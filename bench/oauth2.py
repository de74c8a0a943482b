"""Benchmark of OAuth2 access tokens on /api/v1 against the other credentials.

    python3 bench/oauth2.py --db-host /tmp/pg --db-port 5432 --db-user odoo

Creates (once) a database `bench_oauth2` with my_api and my_oauth_provider
installed, a client-credentials client acting as the administrator and an
API key of the administrator, starts an Odoo server on 127.0.0.1, then
times, in one run and in interleaved rounds:

- GET /api/v1/me with an OAuth2 access token (a SHA-256 lookup per request),
  with an API key (PBKDF2 once, then the per-worker cache) and with a
  session cookie: what each credential adds to a request;
- POST /oauth2/token (client credentials) and POST /oauth2/introspect.

It prints p50/p95 and the ratios the project tracks (see bench/README.md).
"""

import requests
from common import (
    db_exists,
    db_parser,
    interleaved,
    odoo,
    odoo_db_args,
    odoo_server,
    print_tables,
    shell,
)

SETUP = """
import datetime  # the key expires: /api/v1 refuses keys without expiry
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
env['ir.config_parameter'].set_param('my_api.rate_limit', '100000000')
admin = env.ref('base.user_admin')
client = env['oauth.client'].create({'name': 'bench', 'allow_authorization_code': False,
    'allow_client_credentials': True, 'user_id': admin.id,
    'scope': 'orders:read partners:read'})
secret = client.action_generate_secret()['context']['default_secret']
key = env['res.users.apikeys'].with_user(admin).sudo()._generate(None, 'bench', expiry)
print('CLIENT=' + client.identifier)
print('SECRET=' + secret)
print('KEY=' + key)
"""


def main():
    parser = db_parser(__doc__.split("\n\n")[0], "bench_oauth2")
    parser.add_argument("--rounds", type=int, default=100)
    options = parser.parse_args()
    db_args = odoo_db_args(options)
    db = options.db
    if not db_exists(options, db):
        print(f"creating {db} with my_api and my_oauth_provider ...", flush=True)
        install = ["server", "-d", db, "-i", "my_api,my_oauth_provider", "--stop-after-init"]
        install += ["--log-level", "warn", "--no-http"]
        if odoo(install, db_args).returncode:
            raise SystemExit("install failed")
    values = dict(
        line.split("=", 1)
        for line in shell(SETUP, db_args, db).splitlines()
        if line[:4] in ("CLIE", "SECR", "KEY=")
    )
    client_auth = (values["CLIENT"], values["SECRET"])

    with odoo_server(db_args, db) as url:
        token = requests.post(
            f"{url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=client_auth,
            timeout=30,
        ).json()["access_token"]
        oauth = requests.Session()
        oauth.headers["Authorization"] = f"Bearer {token}"
        apikey = requests.Session()
        apikey.headers["Authorization"] = f"Bearer {values['KEY']}"
        web = requests.Session()
        auth = web.post(
            f"{url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": "admin"}},
            timeout=30,
        ).json()
        assert "error" not in auth, auth

        cases = {
            "/me, OAuth2 token": lambda: oauth.get(f"{url}/api/v1/me", timeout=30),
            "/me, API key": lambda: apikey.get(f"{url}/api/v1/me", timeout=30),
            "/me, session": lambda: web.get(f"{url}/api/v1/me", timeout=30),
            "token (client credentials)": lambda: requests.post(
                f"{url}/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=client_auth,
                timeout=30,
            ),
            "introspect": lambda: requests.post(
                f"{url}/oauth2/introspect", data={"token": token}, auth=client_auth, timeout=30
            ),
        }
        samples = interleaved(cases, options.rounds)

    print_tables(
        f"{options.rounds} interleaved rounds",
        samples,
        [
            ("OAuth2 token / API key (/me)", ("/me, OAuth2 token", "/me, API key"), 1.2),
            ("OAuth2 token / session (/me)", ("/me, OAuth2 token", "/me, session"), None),
        ],
    )


if __name__ == "__main__":
    main()
