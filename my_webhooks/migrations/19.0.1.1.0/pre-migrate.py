"""19.0.1.1.0: webhook.source.secret_previous is now previous_secret, the
name webhook.endpoint gives the same idea.

Odoo renames no field: left alone, the update would add an empty
previous_secret column and then drop secret_previous with the field's
old record, and a sender still signing with its old secret, mid-rotation,
would be refused. The column, its ir_model_fields row and that row's
external id are renamed before the module loads: the value, and the
field's record (its id, its label's translations), stay.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)

MODULE = "my_webhooks"
FIELDS = [("webhook.source", "secret_previous", "previous_secret")]


def migrate(cr, version):
    for model, old, new in FIELDS:
        rename_field(cr, model, old, new)


def rename_field(cr, model, old, new, module=MODULE):
    """Rename the stored field `old` of `model` to `new`; nothing when the
    column is renamed already (or was never there)."""
    table = model.replace(".", "_")
    if not column_exists(cr, table, old) or column_exists(cr, table, new):
        return
    cr.execute(
        SQL(
            "ALTER TABLE %s RENAME COLUMN %s TO %s",
            SQL.identifier(table),
            SQL.identifier(old),
            SQL.identifier(new),
        )
    )
    cr.execute(
        SQL(
            "UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s",
            new,
            model,
            old,
        )
    )
    cr.execute(
        SQL(
            """UPDATE ir_model_data SET name = %s
               WHERE module = %s AND model = 'ir.model.fields' AND name = %s""",
            f"field_{table}__{new}",
            module,
            f"field_{table}__{old}",
        )
    )
    _logger.info("Field %s.%s renamed to %s", model, old, new)
