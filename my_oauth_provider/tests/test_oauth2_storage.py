import hashlib

from odoo.tests import tagged
from odoo.tools import SQL

from .oauth2_common import OAuth2Case


@tagged("post_install", "-at_install")
class TestNothingStoredInClear(OAuth2Case):
    def test_no_column_of_any_table_holds_a_token_code_or_client_secret(self):
        self.authenticate("oauth_consenting", "oauth_consenting_pw")
        page = self.open_authorize()
        code = self.redirect_query(self.consent(page))[1]["code"]
        # keep an unredeemed code too: it is stored as well
        spare_code = self.redirect_query(self.open_authorize())[1]["code"]
        pair = self.exchange(code).json()
        service = self.client_credentials_token()
        # the secrets as the clients hold them
        secrets = {
            "access token": pair["access_token"],
            "refresh token": pair["refresh_token"],
            "client-credentials token": service["access_token"],
            "authorization code": code,
            "unredeemed authorization code": spare_code,
            "client secret": self.service_secret,
            "web client secret": self.web_secret,
        }
        mine = [("client_id", "=", self.web_client.id)]
        self.assertEqual(self.env["oauth.token"].search_count(mine), 1)
        self.assertEqual(self.env["oauth.authorization.code"].search_count(mine), 2)

        # the scan does find a secret where one is written in clear
        planted = self.env["res.partner"].create({"name": "x", "comment": service["access_token"]})
        self.assertIn("client-credentials token in res_partner", self.scan(secrets))
        planted.unlink()
        self.assertEqual(self.scan(secrets), [])

    def scan(self, secrets):
        """Every text column of every table, searched for each secret."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("""
            SELECT c.table_name, array_agg(c.column_name::text)
              FROM information_schema.columns c
              JOIN information_schema.tables t
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               AND c.data_type IN ('character varying', 'text', 'jsonb', 'bytea')
             GROUP BY c.table_name
        """)
        tables = cr.fetchall()
        self.assertIn("oauth_token", {table for table, _columns in tables})
        found = []
        for table, columns in tables:
            for label, secret in secrets.items():
                condition = SQL(" OR ").join(
                    SQL("position(%s in %s::text) > 0", secret, SQL.identifier(column))
                    for column in columns
                )
                query = SQL("SELECT 1 FROM %s WHERE %s LIMIT 1", SQL.identifier(table), condition)
                cr.execute(query)
                if cr.fetchone():
                    found.append(f"{label} in {table}")
        return found

    def test_what_is_stored_is_the_sha256_of_the_token(self):
        access = self.client_credentials_token()["access_token"]
        row = self.env["oauth.token"].search([("client_id", "=", self.service_client.id)])
        self.assertEqual(row.access_token_hash, hashlib.sha256(access.encode()).hexdigest())
        self.assertEqual(
            self.service_client.client_secret_hash,
            hashlib.sha256(self.service_secret.encode()).hexdigest(),
        )
