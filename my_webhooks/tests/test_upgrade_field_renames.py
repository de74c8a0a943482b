"""The 19.0.1.1.0 upgrade renames webhook.source.secret_previous to
previous_secret (migrations/19.0.1.1.0/pre-migrate.py): a secret kept for
a rotation in progress survives it."""

from odoo.modules.module import load_script
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL
from odoo.tools.sql import column_exists

SCRIPT = "my_webhooks/migrations/19.0.1.1.0/pre-migrate.py"


@tagged("post_install", "-at_install")
class TestUpgradeFieldRenames(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = load_script(SCRIPT, "my_webhooks_pre_migrate_19_0_1_1_0")

    def execute(self, query, *args):
        self.env.cr.execute(SQL(query, *args))
        return self.env.cr.fetchall() if self.env.cr.description else None

    def test_the_previous_secret_of_a_rotation_is_kept(self):
        # webhook.source as the old version left it, under test names
        self.execute(
            """CREATE TABLE old_test_source (id serial PRIMARY KEY, secret_previous varchar);
               INSERT INTO old_test_source (secret_previous) VALUES ('whsec_old')"""
        )
        [(model_id,)] = self.execute(
            """INSERT INTO ir_model (model, name, state, transient, "order")
               VALUES ('old.test.source', %s, 'base', false, 'id') RETURNING id""",
            '{"en_US": "Old"}',
        )
        [(field_id,)] = self.execute(
            """INSERT INTO ir_model_fields
                   (model_id, model, name, ttype, state, field_description, store)
               VALUES (%s, 'old.test.source', 'secret_previous', 'char', 'base', %s, true)
               RETURNING id""",
            model_id,
            '{"en_US": "Previous secret"}',
        )
        self.execute(
            """INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
               VALUES ('my_webhooks', 'field_old_test_source__secret_previous',
                       'ir.model.fields', %s, false)""",
            field_id,
        )

        for _run in range(2):  # a second run finds nothing left to do
            self.script.rename_field(
                self.env.cr, "old.test.source", "secret_previous", "previous_secret"
            )

        self.assertFalse(column_exists(self.env.cr, "old_test_source", "secret_previous"))
        self.assertEqual(
            self.execute("SELECT previous_secret FROM old_test_source"), [("whsec_old",)]
        )
        self.assertEqual(
            self.execute("SELECT name FROM ir_model_fields WHERE id = %s", field_id),
            [("previous_secret",)],
        )
        self.assertEqual(
            self.execute(
                "SELECT res_id FROM ir_model_data WHERE module = 'my_webhooks' AND name = %s",
                "field_old_test_source__previous_secret",
            ),
            [(field_id,)],
        )

    def test_no_trace_of_the_old_name_is_left(self):
        """On a database upgraded from 19.0.1.0.0, as on a new one."""
        self.assertFalse(column_exists(self.env.cr, "webhook_source", "secret_previous"))
        field = self.env["ir.model.fields"]._get("webhook.source", "previous_secret")
        self.assertEqual(field, self.env.ref("my_webhooks.field_webhook_source__previous_secret"))
        self.assertEqual(
            self.env["webhook.source"]._fields["previous_secret"].groups, "base.group_system"
        )
