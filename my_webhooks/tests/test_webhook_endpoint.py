from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..lib.signing import SECRET_PREFIX, secret_key


@tagged("post_install", "-at_install")
class TestWebhookEndpoint(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = cls.env["webhook.endpoint"].create(
            {
                "name": "Orders",
                "url": "https://receiver.example.com/hook",
                "model_id": cls.env["ir.model"]._get_id("sale.order"),
                "trigger": "create",
            }
        )

    def test_secret_is_generated_in_standard_webhooks_form(self):
        secret = self.endpoint.secret
        self.assertTrue(secret.startswith(SECRET_PREFIX))
        self.assertGreaterEqual(len(secret_key(secret)), 24)
        other = self.endpoint.copy({"name": "Copy"})
        self.assertNotEqual(other.secret, secret)

    def test_secret_is_admin_only(self):
        user = new_test_user(
            self.env, login="hook_user", groups="base.group_user,base.group_erp_manager"
        )
        with self.assertRaises(AccessError):
            self.endpoint.with_user(user).read(["secret"])
