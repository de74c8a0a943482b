"""The change log behind GET /api/v1/<resource>/changes.

One row per record created, updated, archived or deleted, for the models an
/api/v1 resource exposes, written in the transaction of the change (one
INSERT per ORM operation, see models/base.py): a rolled-back change (or a
rolled-back savepoint) leaves no row, a committed one is never missed.

Commit order. A serial id is taken when a row is inserted, not when its
transaction commits: a transaction that started first and commits last
holds ids below those a client already read, and a client polling with
"after id N" would never see them. So the rows are numbered again, at
COMMIT: a deferred constraint trigger (it fires when the transaction
commits, after everything Odoo does, savepoints and precommit hooks
included) takes a transaction-level advisory lock and gives the
transaction's rows their `seq` from a sequence. The lock is held until the
commit is visible, so a transaction numbers its rows only after every
transaction that numbered before it is visible: `seq` order is commit
order, and a reader that sees row N sees every row below N. Rows not yet
numbered (their transaction is still running) are seen by nobody else.
The lock serializes only the numbering of committing writers (a few
milliseconds), never their work. Considered and left: a cursor on
`pg_current_xact_id()` below the snapshot's xmin needs no lock, but any
long transaction of the cluster (another database's included) holds the
whole feed back for as long as it runs.

The rows carry no data: the feed renders records as they are when it is
read, with the reader's rights. A deleted record's company is kept (it can
no longer be read) so that a deletion is told only to readers of that
company. Rows older than the retention (`my_api.changes_retention_days`,
30 by default) are purged daily.
"""

import datetime

from odoo import api, fields, models
from odoo.tools import SQL

from ..settings import setting

KINDS = [
    ("created", "Created"),
    ("updated", "Updated"),
    ("archived", "Archived"),
    ("deleted", "Deleted"),
]


class ApiChangeLog(models.Model):
    _name = "api.change.log"
    _description = "REST API change log"
    _log_access = False
    _order = "id"

    model = fields.Char(readonly=True)
    res_id = fields.Integer("Record ID", readonly=True)
    kind = fields.Selection(KINDS, readonly=True)
    at = fields.Datetime(readonly=True)
    company_id = fields.Integer(
        "Company", readonly=True, help="A deleted record's company (none for the others)."
    )

    # The columns are NOT NULL but not `required`: the ORM would set the
    # constraint after the data of the modules is loaded, when the rows that
    # loading wrote have trigger events pending (PostgreSQL refuses to alter
    # such a table); init() sets it on the new, empty table.

    def init(self):
        """The columns and the trigger the ORM does not make: `seq` (the
        commit sequence, bigint, empty until the commit), `txid` (the
        transaction that wrote a row, which the numbering looks up), and
        the deferred trigger that numbers the rows at commit. The trigger
        is on `api_change_log_pending`, one row per writing transaction
        (the first write inserts it, the others find it there), so that a
        transaction queues one trigger event, not one per logged record."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT count(*) FROM pg_attribute "
                "WHERE attrelid = 'api_change_log'::regclass AND attnotnull "
                "AND attname IN ('model', 'res_id', 'kind', 'at')"
            )
        )
        if cr.fetchone()[0] < 4:
            cr.execute(
                SQL(
                    "ALTER TABLE api_change_log ALTER COLUMN model SET NOT NULL, "
                    "ALTER COLUMN res_id SET NOT NULL, ALTER COLUMN kind SET NOT NULL, "
                    "ALTER COLUMN at SET NOT NULL"
                )
            )
        cr.execute(
            SQL(
                """
                ALTER TABLE api_change_log
                    ADD COLUMN IF NOT EXISTS seq bigint,
                    ADD COLUMN IF NOT EXISTS txid xid8 NOT NULL DEFAULT pg_current_xact_id();
                CREATE SEQUENCE IF NOT EXISTS api_change_log_commit_seq;
                CREATE INDEX IF NOT EXISTS api_change_log_model_seq_idx
                    ON api_change_log (model, seq) WHERE seq IS NOT NULL;
                CREATE INDEX IF NOT EXISTS api_change_log_unnumbered_idx
                    ON api_change_log (txid) WHERE seq IS NULL;
                CREATE INDEX IF NOT EXISTS api_change_log_at_idx ON api_change_log (at);
                CREATE TABLE IF NOT EXISTS api_change_log_pending (txid xid8 PRIMARY KEY);
                CREATE OR REPLACE FUNCTION api_change_log_number() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    -- my_api uninstalled in this transaction: its log is gone
                    IF to_regclass('api_change_log') IS NULL THEN
                        DELETE FROM api_change_log_pending WHERE txid = NEW.txid;
                        RETURN NULL;
                    END IF;
                    PERFORM pg_advisory_xact_lock(hashtext('my_api.api_change_log.seq'));
                    UPDATE api_change_log
                       SET seq = nextval('api_change_log_commit_seq')
                     WHERE txid = NEW.txid AND seq IS NULL;
                    DELETE FROM api_change_log_pending WHERE txid = NEW.txid;
                    RETURN NULL;
                END $$;
                DROP TRIGGER IF EXISTS api_change_log_number ON api_change_log;
                DROP TRIGGER IF EXISTS api_change_log_number ON api_change_log_pending;
                CREATE CONSTRAINT TRIGGER api_change_log_number
                    AFTER INSERT ON api_change_log_pending
                    DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION api_change_log_number();
                """
            )
        )

    @api.model
    def _log(self, model_name, ids, kind, company_ids=None):
        """Write one row per id (one INSERT for all of them)."""
        if not ids:
            return
        self.env.cr.execute(
            SQL(
                "WITH pending AS (INSERT INTO api_change_log_pending VALUES "
                "(pg_current_xact_id()) ON CONFLICT DO NOTHING) "
                "INSERT INTO api_change_log (model, res_id, kind, at, company_id) "
                "SELECT %s, r.id, %s, %s, r.company_id "
                "FROM unnest(%s::int[], %s::int[]) AS r(id, company_id)",
                model_name,
                kind,
                self.env.cr.now(),
                list(ids),
                list(company_ids) if company_ids is not None else [None] * len(ids),
            )
        )

    @api.model
    def _settle(self):
        """Number the rows this transaction wrote now, as its commit would
        (tests, which never commit, read the feed after this)."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SET CONSTRAINTS api_change_log_number IMMEDIATE"))
        self.env.cr.execute(SQL("SET CONSTRAINTS api_change_log_number DEFERRED"))

    @api.model
    def _retention(self):
        return datetime.timedelta(days=setting(self.env, "changes_retention_days"))

    @api.autovacuum
    def _gc_change_log(self):
        """Purge the rows older than the retention."""
        limit = fields.Datetime.now() - self._retention()
        self.env.cr.execute(SQL("DELETE FROM api_change_log WHERE at < %s", limit))
