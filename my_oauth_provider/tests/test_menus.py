from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMenus(TransactionCase):
    def test_oauth_menu_is_for_administrators_only(self):
        menu = self.env.ref("my_oauth_provider.oauth_provider_menu")
        self.assertEqual(menu.action, self.env.ref("auth_oauth.action_oauth_provider"))
        admin_menus = self.env["ir.ui.menu"]._visible_menu_ids()
        self.assertIn(menu.id, admin_menus)
        user = new_test_user(self.env, login="oauth_menu_user", groups="base.group_user")
        user_menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        self.assertNotIn(menu.id, user_menus)
