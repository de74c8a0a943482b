from openapi_spec_validator import validate

from odoo.tests import tagged

from .common import ApiCase


@tagged("post_install", "-at_install")
class TestOpenApi(ApiCase):
    def test_document_is_valid_openapi_31_and_complete(self):
        response = self.url_open("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200, response.text)
        document = response.json()
        validate(document)  # raises on any violation of the 3.1 schema
        self.assertEqual(document["openapi"], "3.1.0")
        paths = document["paths"]
        for path in (
            "/orders",
            "/orders/{ident}",
            "/orders/batch",
            "/orders/{ident}/confirm",
            "/orders/{ident}/cancel",
            "/partners",
            "/products",
            "/stock",
            "/invoices",
            "/me",
        ):
            self.assertIn(path, paths)
        self.assertNotIn("post", paths["/stock"])
        self.assertEqual(set(paths["/invoices/{ident}"]) - {"parameters"}, {"get"})
        create = document["components"]["schemas"]["OrderCreate"]
        self.assertEqual(create["required"], ["partner_id", "lines"])
        self.assertIn("429", paths["/orders"]["get"]["responses"])
        schemes = document["components"]["securitySchemes"]
        self.assertEqual(schemes["bearerApiKey"]["scheme"], "bearer")
        self.assertIn("orders:write", str(schemes["oauth2"]))

    def test_docs_page_is_self_contained_html(self):
        response = self.url_open("/api/v1/docs")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/html"))
        self.assertIn("/orders/{ident}/confirm", response.text)
        self.assertNotIn("<script", response.text)
        self.assertNotIn("cdn", response.text.lower())
