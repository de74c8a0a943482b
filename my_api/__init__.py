from odoo.tools import SQL

from . import controllers, models, resources


def uninstall_hook(env):
    """Drop what api.change.log's init() made beside its table (which the
    ORM drops): the table of the transactions to number, its trigger
    function and the commit sequence. Once this transaction commits, so
    that the deletions of the uninstall still find them."""
    dbname = env.cr.dbname

    def drop():
        from odoo.sql_db import db_connect  # noqa: PLC0415 - after commit only

        with db_connect(dbname).cursor() as cr:
            cr.execute(
                SQL(
                    "DROP TABLE IF EXISTS api_change_log_pending; "
                    "DROP FUNCTION IF EXISTS api_change_log_number(); "
                    "DROP SEQUENCE IF EXISTS api_change_log_commit_seq"
                )
            )

    env.cr.postcommit.add(drop)
