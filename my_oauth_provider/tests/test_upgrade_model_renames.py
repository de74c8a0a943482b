"""The 19.0.1.1.0 upgrade renames the models of the key lifecycle
(migrations/19.0.1.1.0/pre-migrate.py): what a database holds survives it.

The script's functions run here on tables in the shape the old version
left (built by the test, under names of its own), and the database this
suite runs on is checked for leftovers of the old names: it was upgraded
from the previous version when the suite runs on one.
"""

import psycopg2

from odoo.modules.module import load_script
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.sql import table_exists

SCRIPT = "my_oauth_provider/migrations/19.0.1.1.0/pre-migrate.py"


def _script():
    return load_script(SCRIPT, "my_oauth_provider_pre_migrate_19_0_1_1_0")


@tagged("post_install", "-at_install")
class TestUpgradeModelRenames(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = _script()

    def execute(self, query, *args):
        self.env.cr.execute(SQL(query, *args))
        return self.env.cr.fetchall() if self.env.cr.description else None

    def old_model(self, model, transient):
        """An ir_model row and its external id, as the old version left them."""
        [(model_id,)] = self.execute(
            """INSERT INTO ir_model (model, name, state, transient, "order")
               VALUES (%s, %s, 'base', %s, 'id') RETURNING id""",
            model,
            '{"en_US": "Old"}',
            transient,
        )
        self.xmlid(f"model_{model.replace('.', '_')}", "ir.model", model_id)
        return model_id

    def old_field(self, model_id, model, name, ttype="integer"):
        [(field_id,)] = self.execute(
            """INSERT INTO ir_model_fields
                   (model_id, model, name, ttype, state, field_description, store)
               VALUES (%s, %s, %s, %s, 'base', %s, true) RETURNING id""",
            model_id,
            model,
            name,
            ttype,
            '{"en_US": "Old"}',
        )
        self.xmlid(f"field_{model.replace('.', '_')}__{name}", "ir.model.fields", field_id)
        return field_id

    def xmlid(self, name, model, res_id):
        self.execute(
            """INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
               VALUES ('my_oauth_provider', %s, %s, %s, false)""",
            name,
            model,
            res_id,
        )

    def xmlid_target(self, name):
        rows = self.execute(
            "SELECT res_id FROM ir_model_data WHERE module = 'my_oauth_provider' AND name = %s",
            name,
        )
        return rows[0][0] if rows else None

    def test_reminders_sent_before_the_upgrade_are_kept(self):
        # my.apikey.reminder as the old version created it, under test names
        self.execute(
            """CREATE TABLE old_test_reminder (
                   id serial NOT NULL, key_id int4 NOT NULL, threshold int4 NOT NULL,
                   sent_at timestamp NOT NULL, PRIMARY KEY (id));
               ALTER TABLE old_test_reminder ADD CONSTRAINT
                   old_test_reminder_key_threshold_unique UNIQUE (key_id, threshold);
               CREATE INDEX old_test_reminder__key_id_index ON old_test_reminder (key_id);
               INSERT INTO old_test_reminder (key_id, threshold, sent_at)
                   VALUES (7, 14, now()), (7, 3, now())"""
        )
        model_id = self.old_model("old.test.reminder", transient=False)
        field_id = self.old_field(model_id, "old.test.reminder", "key_id")
        [(constraint_id,)] = self.execute(
            """INSERT INTO ir_model_constraint (model, module, name, type, definition)
               SELECT %s, id, 'old_test_reminder_key_threshold_unique', 'u',
                      'UNIQUE(key_id, threshold)'
               FROM ir_module_module WHERE name = 'my_oauth_provider' RETURNING id""",
            model_id,
        )
        self.xmlid(
            "constraint_old_test_reminder_key_threshold_unique",
            "ir.model.constraint",
            constraint_id,
        )

        self.script.rename_model(self.env.cr, "old.test.reminder", "test.expiry.reminder")

        self.assertFalse(table_exists(self.env.cr, "old_test_reminder"))
        self.assertEqual(
            self.execute("SELECT id, key_id, threshold FROM test_expiry_reminder ORDER BY id"),
            [(1, 7, 14), (2, 7, 3)],
            "the reminders sent are kept, ids included",
        )
        self.assertEqual(
            self.execute("SELECT model FROM ir_model WHERE id = %s", model_id),
            [("test.expiry.reminder",)],
        )
        self.assertEqual(self.xmlid_target("model_test_expiry_reminder"), model_id)
        self.assertEqual(
            self.execute("SELECT model, name FROM ir_model_fields WHERE id = %s", field_id),
            [("test.expiry.reminder", "key_id")],
        )
        self.assertEqual(self.xmlid_target("field_test_expiry_reminder__key_id"), field_id)
        self.assertEqual(
            self.xmlid_target("constraint_test_expiry_reminder_key_threshold_unique"),
            constraint_id,
        )
        self.assertEqual(
            self.execute("SELECT name FROM ir_model_constraint WHERE id = %s", constraint_id),
            [("test_expiry_reminder_key_threshold_unique",)],
        )
        # named as the ORM names them, so that it finds them and adds no second copy
        self.assertEqual(
            sorted(
                self.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'test_expiry_reminder'"
                )
            ),
            [
                ("test_expiry_reminder__key_id_index",),
                ("test_expiry_reminder_key_threshold_unique",),
                ("test_expiry_reminder_pkey",),
            ],
        )
        # the sequence goes on where it was, and a reminder is still sent once
        self.execute(
            "INSERT INTO test_expiry_reminder (key_id, threshold, sent_at) VALUES (8, 3, now())"
        )
        self.assertEqual(self.execute("SELECT max(id) FROM test_expiry_reminder"), [(3,)])
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            with self.env.cr.savepoint():
                self.execute(
                    "INSERT INTO test_expiry_reminder (key_id, threshold, sent_at) "
                    "VALUES (7, 14, now())"
                )

    def test_a_wizard_keeps_its_records_and_loses_its_scratch_rows(self):
        # my.integration.user as the old version created it, with its many2many
        self.execute(
            """CREATE TABLE old_test_wizard (id serial PRIMARY KEY, name varchar);
               CREATE TABLE old_test_wizard_res_groups_rel (
                   old_test_wizard_id int4 NOT NULL REFERENCES old_test_wizard (id),
                   res_groups_id int4 NOT NULL REFERENCES res_groups (id),
                   PRIMARY KEY (old_test_wizard_id, res_groups_id));
               INSERT INTO old_test_wizard (name) VALUES ('half-filled form')"""
        )
        model_id = self.old_model("old.test.wizard", transient=True)
        field_id = self.old_field(model_id, "old.test.wizard", "group_ids", "many2many")
        self.execute(
            """INSERT INTO ir_model_relation (model, module, name)
               SELECT %s, id, 'old_test_wizard_res_groups_rel'
               FROM ir_module_module WHERE name = 'my_oauth_provider';
               INSERT INTO ir_model_constraint (model, module, name, type)
               SELECT %s, id, 'old_test_wizard_res_groups_rel_old_test_wizard_id_fkey', 'f'
               FROM ir_module_module WHERE name = 'my_oauth_provider'""",
            model_id,
            model_id,
        )
        [(access_id,)] = self.execute(
            """INSERT INTO ir_model_access (name, model_id, active, perm_read)
               VALUES ('old.test.wizard system', %s, true, true) RETURNING id""",
            model_id,
        )

        self.script.rename_model(self.env.cr, "old.test.wizard", "test.wizard")

        for table in ("old_test_wizard", "old_test_wizard_res_groups_rel"):
            self.assertFalse(table_exists(self.env.cr, table))
        self.assertFalse(
            self.execute("SELECT 1 FROM ir_model_relation WHERE model = %s", model_id)
            + self.execute("SELECT 1 FROM ir_model_constraint WHERE model = %s", model_id),
            "the ORM records the new table's relations and constraints itself",
        )
        self.assertEqual(
            self.execute("SELECT model FROM ir_model WHERE id = %s", model_id), [("test.wizard",)]
        )
        self.assertEqual(self.xmlid_target("field_test_wizard__group_ids"), field_id)
        self.assertEqual(
            self.execute("SELECT model_id FROM ir_model_access WHERE id = %s", access_id),
            [(model_id,)],
            "the access rule still applies to the model, under its new name",
        )

    def test_renaming_again_changes_nothing(self):
        before = self.execute("SELECT id, model FROM ir_model ORDER BY id")
        self.script.migrate(self.env.cr, "19.0.1.0.0")
        self.assertEqual(self.execute("SELECT id, model FROM ir_model ORDER BY id"), before)

    def test_no_trace_of_the_old_names_is_left(self):
        """On a database upgraded from 19.0.1.0.0, as on a new one."""
        old_tables = [m.replace(".", "_") for m in self.script.MODELS]
        self.assertFalse(
            [table for table in old_tables if table_exists(self.env.cr, table)]
            + [
                table
                for (table,) in self.execute(
                    "SELECT tablename FROM pg_tables WHERE tablename LIKE %s",
                    self.script._like_prefix("my_integration_user"),
                )
            ]
        )
        self.assertFalse(
            self.execute("SELECT model FROM ir_model WHERE model IN %s", tuple(self.script.MODELS))
        )
        self.assertFalse(
            self.execute(
                """SELECT name FROM ir_model_data WHERE module = 'my_oauth_provider'
                   AND (name ~ %s OR name ~ %s)""",
                "my_apikey",
                "my_integration_user",
            )
        )
        self.assertEqual(
            self.execute(
                """SELECT conname FROM pg_constraint
                   WHERE conrelid = 'apikey_expiry_reminder'::regclass AND contype = 'u'"""
            ),
            [("apikey_expiry_reminder_key_threshold_unique",)],
        )
        reminder = self.env["apikey.expiry.reminder"]
        self.assertEqual(
            self.env.ref("my_oauth_provider.ir_cron_apikey_reminder").model_id.model,
            reminder._name,
        )
