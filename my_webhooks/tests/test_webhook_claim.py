from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.my_api.public import read_committed

from .common import insert_due_deliveries


@tagged("post_install", "-at_install")
class TestWebhookClaim(TransactionCase):
    """Two workers on two real database connections (outside the test's
    transaction, so that their row locks really compete)."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        with self.db.cursor() as cr:
            self.endpoint_id = insert_due_deliveries(
                cr, "claim test", [f"evt_claim_{n}" for n in range(1, 11)]
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            cr.execute(SQL("DELETE FROM webhook_endpoint WHERE id = %s", self.endpoint_id))

    def worker(self):
        cr = self.db.cursor()
        self.addCleanup(cr.close)
        read_committed(cr)
        return api.Environment(cr, SUPERUSER_ID, {})["webhook.delivery"], cr

    def test_two_workers_claim_disjoint_rows(self):
        first, cr1 = self.worker()
        second, cr2 = self.worker()
        mine = first._claim_due(4)
        theirs = second._claim_due(100)
        self.assertEqual(len(mine), 4)
        self.assertEqual(len(theirs), 6)
        self.assertFalse(set(mine.ids) & set(theirs.ids))
        # a third worker finds nothing while both hold their rows
        third, cr3 = self.worker()
        self.assertFalse(third._claim_due(100))
        cr3.rollback()
        # the first delivers and commits; a transaction that started before
        # that commit skips those rows without a serialization error
        read_committed(cr3)
        cr3.execute("SELECT 1")
        mine.write({"state": "delivered"})
        cr1.commit()
        cr2.rollback()  # the second worker dies: its rows are free again
        self.assertEqual(sorted(third._claim_due(100).ids), sorted(theirs.ids))
