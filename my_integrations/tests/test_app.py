"""The suite as an app: found in Apps under its default filter, a home
screen entry with its icon, a first screen that says what to do first,
and a dashboard whose every figure opens."""

from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import file_open
from odoo.tools.safe_eval import safe_eval

SUITE = ("my_api", "my_webhooks", "my_oauth_provider")


@tagged("post_install", "-at_install")
class TestIntegrationsApp(TransactionCase):
    def test_the_app_is_under_the_apps_default_filter(self):
        Module = self.env["ir.module.module"]
        action = self.env.ref("base.open_module_tree")
        self.assertIn("search_default_app", action.context)
        apps = Module.search([("application", "=", True), ("name", "=", "my_integrations")])
        self.assertEqual(apps.shortdesc, "Integrations")
        self.assertEqual(apps.icon, "/my_integrations/static/description/icon.png")
        self.assertIn("First steps", apps.description_html or "")
        modules = Module.search([("name", "in", SUITE)])
        self.assertEqual(set(modules.mapped("category_id")), {apps.category_id})
        self.assertEqual(apps.category_id.name, "Integrations")
        self.assertFalse(any(modules.mapped("application")), "one app, not four")
        for name in (*SUITE, "my_integrations"):
            with self.subTest(addon=name):
                with file_open(f"{name}/static/description/icon.png", "rb") as icon:
                    self.assertEqual(icon.read(8), b"\x89PNG\r\n\x1a\n")
                with file_open(f"{name}/static/description/index.html") as page:
                    self.assertIn("First steps", page.read())

    def test_home_screen_menu_with_the_icon_for_administrators(self):
        root = self.env.ref("my_integrations.integration_menu_root")
        self.assertFalse(root.parent_id)
        self.assertEqual(root.web_icon, "my_integrations,static/description/icon.png")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(root.id, Menu._visible_menu_ids())
        clerk = new_test_user(self.env, login="integrations_clerk", groups="base.group_user")
        self.assertNotIn(root.id, Menu.with_user(clerk)._visible_menu_ids())
        # the Settings > Technical entries stay
        for xml_id in (
            "my_api.menu_api_request_log",
            "my_webhooks.webhook_endpoint_menu",
            "my_oauth_provider.apikey_menu",
        ):
            self.assertIn(self.env.ref(xml_id).id, Menu._visible_menu_ids(), xml_id)
        leaves = Menu.search([("id", "child_of", root.id), ("action", "!=", False)])
        self.assertGreaterEqual(len(leaves), 15)

    def _home(self):
        return self.env.ref("my_integrations.integration_home_action").run()

    def test_first_screen_says_what_to_do_first_then_the_dashboard(self):
        self.env["webhook.endpoint"].with_context(active_test=False).search([]).unlink()
        self.env["res.users"].with_context(active_test=False).search(
            [("my_is_integration", "=", True)]
        ).write({"my_is_integration": False})
        home = self._home()
        self.assertEqual(home["res_model"], "integration.onboarding")
        steps = self.env["integration.onboarding"].browse(home["res_id"])
        self.assertFalse(steps.step_user_done or steps.step_key_done or steps.step_endpoint_done)
        # each step's button opens its form
        self.assertEqual(
            steps.action_create_integration_user()["res_model"], "integration.user.wizard"
        )
        self.assertEqual(steps.action_mint_key()["res_model"], "apikey.mint.wizard")
        self.assertEqual(steps.action_add_endpoint()["views"], [(False, "form")])

        shop = new_test_user(self.env, login="integrations_shop", groups="base.group_user")
        shop.my_is_integration = True
        self.assertEqual(self._home()["res_model"], "integration.onboarding")
        self.env["res.users.apikeys"].with_user(shop).sudo()._generate(
            None, "shop", self.env.cr.now().replace(year=self.env.cr.now().year + 1)
        )
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "127.0.0.1")
        self.env["webhook.endpoint"].create(
            {
                "name": "Shop",
                "url": "http://127.0.0.1:9/hook",
                "model_id": self.env["ir.model"]._get("res.partner").id,
                "trigger": "create",
            }
        )
        home = self._home()
        self.assertEqual(home["res_model"], "board.board")
        steps = self.env["integration.onboarding"].create({})
        self.assertTrue(steps.all_done)

    def test_dashboard_figures_all_open(self):
        action = self.env.ref("my_integrations.integration_dashboard_action")
        views = self.env["board.board"].get_views([(action.view_id.id, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        figures = arch.xpath("//board/column/action")
        self.assertGreaterEqual(len(figures), 6)
        for figure in figures:
            with self.subTest(figure=figure.get("string")):
                shown = self.env["ir.actions.act_window"].browse(int(figure.get("name")))
                self.assertTrue(shown.exists())
                self.assertIn(figure.get("view_mode"), shown.view_mode)
                model = self.env[shown.res_model]
                model.get_views([(False, figure.get("view_mode"))])
                model.search_count(safe_eval(figure.get("domain") or "[]"))
