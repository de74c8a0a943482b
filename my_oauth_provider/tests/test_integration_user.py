from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIntegrationUser(TransactionCase):
    def wizard(self, **values):
        return self.env["integration.user.wizard"].create({"name": "Shopify EU", **values})

    def test_creates_a_technical_user_with_only_the_chosen_groups(self):
        sales = self.env.ref("sales_team.group_sale_salesman")
        stock = self.env.ref("stock.group_stock_user")
        wizard = self.wizard(group_ids=[(6, 0, (sales | stock).ids)])
        self.assertTrue(wizard.login.startswith("api-shopify-eu@"))
        action = wizard.action_create()
        user = self.env["res.users"].browse(action["res_id"])
        self.assertTrue(user.my_is_integration)
        self.assertEqual(user.my_integration_responsible_id, self.env.user)
        self.assertFalse(user.share)
        self.assertTrue(user.has_group("sales_team.group_sale_salesman"))
        self.assertTrue(user.has_group("stock.group_stock_user"))
        self.assertFalse(user.has_group("base.group_system"))
        self.assertFalse(user.has_group("base.group_erp_manager"))
        self.assertFalse(user.has_group("sales_team.group_sale_manager"))

    def test_administrator_rights_need_the_explicit_tick(self):
        wizard = self.wizard(group_ids=[(6, 0, self.env.ref("base.group_erp_manager").ids)])
        with self.assertRaisesRegex(UserError, "Administrator"):
            wizard.action_create()
        self.assertFalse(self.env["res.users"].search([("login", "=", wizard.login)]))
        wizard.allow_admin = True
        user = self.env["res.users"].browse(wizard.action_create()["res_id"])
        self.assertTrue(user.has_group("base.group_system"))

    def test_only_administrators_create_integration_users(self):
        clerk = new_test_user(self.env, login="iu_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["integration.user.wizard"].with_user(clerk).create(
                {"name": "x"}
            ).action_create()
