"""A path that two resources declare is an error of the registry."""

from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from odoo.addons.my_api.models.api_resource import resource_paths


@tagged("post_install", "-at_install")
class TestResourcePaths(TransactionCase):
    """Two resources with one `_api_path` fail the registry's loading,
    rather than one of them silently taking the other's routes."""

    def test_duplicate_path_names_both_models(self):
        declarations = [("api.resource.a", "things"), ("api.resource.b", None)]
        self.assertEqual(resource_paths(declarations), {"things": "api.resource.a"})
        declarations.append(("api.resource.c", "things"))
        with self.assertRaisesRegex(ValueError, "'things'.*api.resource.a and api.resource.c"):
            resource_paths(declarations)

    def test_registry_load_refuses_a_duplicate_path(self):
        # the hook that runs once the registry is loaded: fine as installed
        self.env["api.resource"]._register_hook()
        stock = self.env.registry["api.resource.stock"]
        with patch.object(stock, "_api_path", "orders"):
            with self.assertRaises(ValueError) as caught:
                self.env["api.resource"]._register_hook()
        self.assertIn("'orders'", str(caught.exception))
        self.assertIn("api.resource.order", str(caught.exception))
        self.assertIn("api.resource.stock", str(caught.exception))
