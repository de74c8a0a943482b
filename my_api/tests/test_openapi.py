import html

from openapi_spec_validator import validate

from odoo.tests import tagged

from ..lib.schema import SPAN_PATTERN
from ..lib.timestamps import DATE_FILTER_RULE
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
        # the one script is the addon's own file, which the server serves
        self.assertEqual(response.text.count("<script"), 1)
        self.assertIn("<script src='/my_api/static/src/js/api_docs.js' defer>", response.text)
        self.assertNotIn("cdn", response.text.lower())
        self.assertNotIn("//", response.text.split("<script", 1)[1].split(">", 1)[0])
        script = self.url_open("/my_api/static/src/js/api_docs.js")
        self.assertEqual(script.status_code, 200)
        self.assertNotIn("://", script.text)  # fetches nothing from another origin

    def test_every_timestamp_filter_says_how_a_date_alone_is_read(self):
        """A date alone in a timestamp filter is a day of the request's
        timezone, a timestamp with its offset an exact instant: every such
        filter of every resource says so alike, on the document and the
        docs page (none may still say the day is UTC's)."""
        document = self.url_open("/api/v1/openapi.json").json()
        components = document["components"]["parameters"]
        span = f"^{SPAN_PATTERN}$"
        seen = set()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method == "parameters":
                    continue
                for param in operation.get("parameters", []):
                    param = (
                        components[param["$ref"].rsplit("/", 1)[1]] if "$ref" in param else param
                    )
                    if param["in"] != "query" or param["schema"].get("pattern") != span:
                        continue
                    seen.add(f"{path} {param['name']}")
                    with self.subTest(operation=f"{method} {path}", parameter=param["name"]):
                        description = param["description"]
                        self.assertIn(DATE_FILTER_RULE, description)
                        self.assertNotIn("(UTC)", description)
        for expected in (
            "/orders date_from",
            "/pickings scheduled_from",
            "/pickings scheduled_to",
            "/stock-moves date_from",
            "/stock-moves date_to",
            "/stock-moves/aggregate date_to",
            "/partners updated_since",
        ):
            self.assertIn(expected, seen)
        page = self.url_open("/api/v1/docs").text
        self.assertNotIn("whole day (UTC)", page)
        self.assertIn(html.escape(DATE_FILTER_RULE), page)
