import time
import uuid

import psycopg2.errors

from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.my_api.core.connections import _BookkeepingConnections


@tagged("post_install", "-at_install")
class TestBookkeepingConnections(TransactionCase):
    """The autocommit connections behind side_execute, on the real database
    (outside the test's transaction, as in production)."""

    def setUp(self):
        super().setUp()
        self.connections = _BookkeepingConnections()
        self.addCleanup(self.connections.close_all)
        self.dbname = self.env.cr.dbname
        self.marker = f"bookkeeping-{uuid.uuid4().hex}"
        self.addCleanup(self._delete_rows)

    def _delete_rows(self):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("DELETE FROM api_request_log WHERE request_id = %s", [self.marker])

    def _committed_rows(self):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("SELECT count(*) FROM api_request_log WHERE request_id = %s", [self.marker])
            return cr.fetchone()[0]

    def _backend_pid(self):
        (row,) = self.connections.execute(self.dbname, SQL("SELECT pg_backend_pid()"), True)
        return row[0]

    def _insert(self):
        self.connections.execute(
            self.dbname,
            SQL(
                "INSERT INTO api_request_log (method, path, status, request_id)"
                " VALUES ('GET', '/api/v1/test', 200, %s)",
                self.marker,
            ),
            False,
        )

    def test_a_statement_is_committed_at_once(self):
        self._insert()
        self.assertEqual(self._committed_rows(), 1)
        # the connection is reused: one backend for consecutive statements
        self.assertEqual(self._backend_pid(), self._backend_pid())

    def test_a_connection_closed_by_the_server_is_replaced(self):
        pid = self._backend_pid()
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _attempt in range(100):
                cr.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if not cr.fetchone():
                    break
                time.sleep(0.05)
        self._insert()  # on a fresh connection, nothing lost
        self.assertEqual(self._committed_rows(), 1)
        self.assertNotEqual(self._backend_pid(), pid)

    def test_a_failed_statement_raises_and_keeps_the_connection_usable(self):
        pid = self._backend_pid()
        with self.assertRaises(psycopg2.errors.DivisionByZero) as caught:
            self.connections.execute(self.dbname, SQL("SELECT 1 / 0"), True)
        self.assertIn("division by zero", str(caught.exception))
        self.assertEqual(self._backend_pid(), pid)  # the same connection, reused
        self._insert()
        self.assertEqual(self._committed_rows(), 1)

    def test_no_more_than_max_open_connections(self):
        self.connections.MAX_OPEN = 1
        held = self.connections._take(self.dbname)  # in use by another request
        try:
            # no second connection: the caller falls back to Odoo's pool
            self.assertIsNone(self.connections.execute(self.dbname, SQL("SELECT 1"), True))
        finally:
            self.connections._give_back(self.dbname, held)
        self.assertEqual(self.connections.execute(self.dbname, SQL("SELECT 1"), True), ((1,),))
