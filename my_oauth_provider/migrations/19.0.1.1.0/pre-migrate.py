"""19.0.1.1.0: the models of the key lifecycle are named after what they are.

    my.apikey.reminder   -> apikey.expiry.reminder
    my.apikey.mint       -> apikey.mint.wizard
    my.apikey.show       -> apikey.show.wizard
    my.integration.user  -> integration.user.wizard

Odoo renames no model by itself. Left alone, the update would create the
new models and their tables, then delete the records of the old ones
(access rules, views, actions) but keep their tables: Odoo drops only the
tables of models still in the registry. The reminders already sent would
be forgotten, and sent again. So, before the module loads:

- the reminder table is renamed, with what is named after it (sequence,
  primary key, unique constraint, index): its rows stay, ids included;
- a wizard's table is dropped, with its many2many tables: its rows are
  scratch that Odoo deletes within the hour anyway, and the ORM creates
  the new tables, constraints and relations as for a new model;
- the rows of ir_model, ir_model_fields and ir_model_data, and the
  columns of Odoo's tables that name a model (views, actions,
  attachments, messages...), take the new name, so that the access rules,
  views, actions and menus keep their ids and are updated in place from
  the module's files.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists, make_identifier, table_exists

_logger = logging.getLogger(__name__)

MODULE = "my_oauth_provider"
MODELS = {
    "my.apikey.reminder": "apikey.expiry.reminder",
    "my.apikey.mint": "apikey.mint.wizard",
    "my.apikey.show": "apikey.show.wizard",
    "my.integration.user": "integration.user.wizard",
}
# external ids of the module's records that were named after a model
XMLIDS = {
    "access_my_apikey_reminder_system": "access_apikey_expiry_reminder_system",
    "access_my_apikey_show_system": "access_apikey_show_wizard_system",
    "access_my_apikey_mint_system": "access_apikey_mint_wizard_system",
    "access_my_integration_user_system": "access_integration_user_wizard_system",
    "my_apikey_show_view_form": "apikey_show_wizard_view_form",
    "my_apikey_mint_view_form": "apikey_mint_wizard_view_form",
    "my_apikey_mint_action": "apikey_mint_wizard_action",
    "my_integration_user_view_form": "integration_user_wizard_view_form",
    "my_integration_user_action": "integration_user_wizard_action",
}
# (table, column) of Odoo's tables that hold a model's name; those of
# modules not installed are skipped
MODEL_NAME_COLUMNS = [
    ("ir_model", "model"),
    ("ir_model_fields", "model"),
    ("ir_model_fields", "relation"),
    ("ir_model_data", "model"),
    ("ir_ui_view", "model"),
    ("ir_act_window", "res_model"),
    ("ir_act_client", "res_model"),
    ("ir_act_report_xml", "model"),
    ("ir_embedded_actions", "parent_res_model"),
    ("ir_attachment", "res_model"),
    ("ir_filters", "model_id"),
    ("ir_exports", "resource"),
    ("mail_message", "model"),
    ("mail_followers", "res_model"),
    ("mail_activity", "res_model"),
    ("mail_template", "model"),
]


def migrate(cr, version):
    for old, new in MODELS.items():
        rename_model(cr, old, new)
    rename_xmlids(cr, MODULE, XMLIDS)


def _table(model):
    return model.replace(".", "_")


def _like_prefix(prefix):
    """A LIKE pattern for names that start with `prefix` (its _ and % literal)."""
    return prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"


def rename_model(cr, old, new, module=MODULE):
    """Rename model `old` to `new` in the database: see the module docstring.

    Does nothing when `old` is not in ir_model (a new database, or this
    script run before), or when `new` is there already.
    """
    cr.execute(SQL("SELECT id, transient FROM ir_model WHERE model = %s", old))
    row = cr.fetchone()
    cr.execute(SQL("SELECT 1 FROM ir_model WHERE model = %s", new))
    if row is None or cr.fetchone():
        return
    model_id, transient = row
    old_table, new_table = _table(old), _table(new)
    if transient:
        _drop_scratch_tables(cr, model_id, old_table)
    else:
        _rename_table(cr, model_id, old_table, new_table)
    for table, column in MODEL_NAME_COLUMNS:
        if column_exists(cr, table, column):
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE %s = %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    new,
                    SQL.identifier(column),
                    old,
                )
            )
    # the external ids Odoo gives a model's own records, named after its table
    cr.execute(
        SQL(
            "UPDATE ir_model_data SET name = %s WHERE module = %s AND model = 'ir.model' "
            "AND name = %s",
            f"model_{new_table}",
            module,
            f"model_{old_table}",
        )
    )
    for old_prefix, new_prefix in (
        (f"field_{old_table}__", f"field_{new_table}__"),
        (f"selection__{old_table}__", f"selection__{new_table}__"),
        (f"constraint_{old_table}_", f"constraint_{new_table}_"),
    ):
        cr.execute(
            SQL(
                "UPDATE ir_model_data SET name = %s || substr(name, %s) "
                "WHERE module = %s AND name LIKE %s",
                new_prefix,
                len(old_prefix) + 1,
                module,
                _like_prefix(old_prefix),
            )
        )
    _logger.info("Model %s renamed to %s", old, new)


def _rename_table(cr, model_id, old_table, new_table):
    """Rename the table and the sequence, constraints and indexes named after it."""
    if not table_exists(cr, old_table):
        return
    cr.execute(
        SQL(
            "ALTER TABLE %s RENAME TO %s",
            SQL.identifier(old_table),
            SQL.identifier(new_table),
        )
    )
    cr.execute(
        SQL(
            "ALTER SEQUENCE IF EXISTS %s RENAME TO %s",
            SQL.identifier(f"{old_table}_id_seq"),
            SQL.identifier(f"{new_table}_id_seq"),
        )
    )
    # constraints first: renaming a primary key or unique constraint renames its index
    cr.execute(
        SQL(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND conname LIKE %s",
            new_table,
            _like_prefix(f"{old_table}_"),
        )
    )
    for (name,) in cr.fetchall():
        new_name = make_identifier(new_table + name[len(old_table) :])
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
                SQL.identifier(new_table),
                SQL.identifier(name),
                SQL.identifier(new_name),
            )
        )
        cr.execute(
            SQL(
                "UPDATE ir_model_constraint SET name = %s WHERE model = %s AND name = %s",
                new_name,
                model_id,
                name,
            )
        )
    cr.execute(
        SQL(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
            new_table,
            _like_prefix(f"{old_table}_"),
        )
    )
    for (name,) in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER INDEX %s RENAME TO %s",
                SQL.identifier(name),
                SQL.identifier(make_identifier(new_table + name[len(old_table) :])),
            )
        )


def _drop_scratch_tables(cr, model_id, old_table):
    """Drop a wizard's table and its many2many tables, and forget their
    constraints and relations: the ORM creates and records the new ones."""
    cr.execute(SQL("SELECT name FROM ir_model_relation WHERE model = %s", model_id))
    for (relation,) in cr.fetchall():
        cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(relation)))
    cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(old_table)))
    cr.execute(SQL("DELETE FROM ir_model_relation WHERE model = %s", model_id))
    cr.execute(
        SQL(
            """DELETE FROM ir_model_data
               WHERE model = 'ir.model.constraint'
                 AND res_id IN (SELECT id FROM ir_model_constraint WHERE model = %s)""",
            model_id,
        )
    )
    cr.execute(SQL("DELETE FROM ir_model_constraint WHERE model = %s", model_id))


def rename_xmlids(cr, module, names):
    """Rename external ids of `module`, unless the new one exists already."""
    for old, new in names.items():
        cr.execute(
            SQL(
                """UPDATE ir_model_data SET name = %s
                   WHERE module = %s AND name = %s
                     AND NOT EXISTS (
                         SELECT 1 FROM ir_model_data WHERE module = %s AND name = %s)""",
                new,
                module,
                old,
                module,
                new,
            )
        )
