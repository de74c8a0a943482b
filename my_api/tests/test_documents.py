"""Documents of /api/v1 records: Odoo's report as a PDF and the record's
attachments, tried as an integrator and as an attacker (another user's
record, fewer rights, another record's attachment, garbage uploads)."""

import base64
import io
import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileWriter

from ..controllers.documents import ApiV1DocumentsController
from .common import ApiCase


def _blank_pdf():
    """A real one-page PDF (Odoo's sale report reads what wkhtmltopdf gives)."""
    writer = PdfFileWriter()
    writer.addBlankPage(72, 72)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


FAKE_PDF = _blank_pdf()
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class DocumentsCase(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="api_accountant",
            groups="base.group_user,account.group_account_invoice,"
            "sales_team.group_sale_salesman_all_leads",
        )
        cls.accountant_key = cls.new_api_key(cls.accountant)
        cls.key = cls.new_api_key(cls.salesman)
        # a salesman who sees only their own documents
        cls.own_salesman = new_test_user(
            cls.env,
            login="api_own_salesman",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.own_key = cls.new_api_key(cls.own_salesman)
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.partner.id,
                "invoice_user_id": cls.accountant.id,
                "invoice_line_ids": [
                    Command.create({"product_id": cls.product.id, "quantity": 2, "price_unit": 50})
                ],
            }
        )
        cls.invoice.action_post()
        cls.order = cls.new_order(user_id=cls.salesman.id)

    @contextmanager
    def pdf_renderer(self, state="ok"):
        """wkhtmltopdf as `state` says, its binary replaced by a stand-in
        that records the HTML Odoo gives it (this machine may not have it;
        Odoo's own tests render HTML instead, which the routes refuse)."""
        reports = type(self.env["ir.actions.report"])
        bodies = []

        def run(_self, html_bodies, *args, **kwargs):
            bodies.extend(str(body) for body in html_bodies)
            return FAKE_PDF

        with (
            patch.object(reports, "get_wkhtmltopdf_state", lambda _self: state),
            patch.object(reports, "_run_wkhtmltopdf", run),
        ):
            yield bodies


@tagged("post_install", "-at_install")
class TestDocumentPdf(DocumentsCase):
    def test_invoice_pdf_is_odoos_report_with_the_callers_rights(self):
        with self.pdf_renderer() as bodies:
            response = self.api(
                "GET", f"/api/v1/invoices/{self.invoice.id}/pdf", key=self.accountant_key
            )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertEqual(response.content, FAKE_PDF)
        disposition = response.headers["Content-Disposition"]
        self.assertTrue(disposition.startswith('attachment; filename="'), disposition)
        self.assertNotIn("/", disposition.split("filename=", 1)[1].split(";")[0])
        self.assertIn(".pdf", disposition)
        self.assertTrue(response.headers["ETag"])
        self.assertTrue(response.headers["X-Request-Id"])
        # Odoo's invoice report, for this invoice
        self.assertEqual(len(bodies), 1)
        self.assertIn(self.invoice.name, bodies[0])

    def test_pdf_if_none_match_is_304_without_rendering(self):
        with self.pdf_renderer() as bodies:
            first = self.api("GET", f"/api/v1/orders/{self.order.id}/pdf", key=self.key)
            self.assertEqual(first.status_code, 200, first.text)
            etag = first.headers["ETag"]
            again = self.api(
                "GET",
                f"/api/v1/orders/{self.order.id}/pdf",
                key=self.key,
                headers={"If-None-Match": etag},
            )
            self.assertEqual(again.status_code, 304)
            self.assertEqual(again.content, b"")
            self.assertEqual(again.headers["ETag"], etag)
            self.assertEqual(len(bodies), 1)  # the 304 rendered nothing
            self.order.order_line[0].product_uom_qty = 5  # the total changes
            changed = self.api(
                "GET",
                f"/api/v1/orders/{self.order.id}/pdf",
                key=self.key,
                headers={"If-None-Match": etag},
            )
        self.assertEqual(changed.status_code, 200)
        self.assertNotEqual(changed.headers["ETag"], etag)

    def test_pdf_route_has_a_read_write_cursor(self):
        """A report may write as it renders (its asset bundles the first
        time, a report saving its PDF): on a read-only cursor that would be
        a 500, as our endpoint answers what Odoo would otherwise retry."""
        routing = ApiV1DocumentsController.pdf.original_routing
        self.assertIs(routing["readonly"], False)
        self.assertTrue(callable(ApiV1DocumentsController.attachment.original_routing["readonly"]))

    def test_pdf_without_wkhtmltopdf_is_503_in_the_envelope(self):
        with self.pdf_renderer(state="install") as bodies:
            response = self.api(
                "GET", f"/api/v1/invoices/{self.invoice.id}/pdf", key=self.accountant_key
            )
        error = self.assertError(response, 503, "service_unavailable")
        self.assertIn("wkhtmltopdf", error["message"])
        self.assertEqual(bodies, [])

    def test_pdf_on_this_machine_is_a_pdf_or_a_503(self):
        """Unpatched: wkhtmltopdf present renders a PDF, absent a 503 (never
        Odoo's HTML fallback of test mode, never a 500)."""
        response = self.api("GET", f"/api/v1/orders/{self.order.id}/pdf", key=self.key)
        if response.status_code == 200:
            self.assertTrue(response.content.startswith(b"%PDF"))
        else:
            self.assertError(response, 503, "service_unavailable")

    def test_pdf_refusals_are_those_of_the_detail(self):
        entry = self.env["account.move"].create({"move_type": "entry"})
        hidden_order = self.new_order(user_id=self.accountant.id)
        cases = [
            ("invoices", str(self.invoice.id), self.own_key),  # another user's invoice: 403
            ("invoices", str(entry.id), self.accountant_key),  # a journal entry: 404
            ("invoices", "999999999", self.accountant_key),  # no such record: 404
            ("invoices", "99999999999999", self.accountant_key),  # beyond int4: 404
            ("invoices", "abc", self.accountant_key),  # malformed: 400
            ("orders", str(hidden_order.id), self.own_key),  # another salesman's order: 403
        ]
        with self.pdf_renderer() as bodies:
            for path, ident, key in cases:
                detail = self.api("GET", f"/api/v1/{path}/{ident}", key=key)
                pdf = self.api("GET", f"/api/v1/{path}/{ident}/pdf", key=key)
                self.assertIn(detail.status_code, (400, 403, 404), (path, ident))
                self.assertEqual(pdf.status_code, detail.status_code, (path, ident, pdf.text))
                self.assertEqual(
                    pdf.json()["error"]["code"], detail.json()["error"]["code"], (path, ident)
                )
        self.assertEqual(bodies, [])

    def test_pdf_refused_to_portal_users_and_tokens_without_the_read_scope(self):
        portal = new_test_user(self.env, login="api_portal_pdf", groups="base.group_portal")
        response = self.api(
            "GET", f"/api/v1/invoices/{self.invoice.id}/pdf", key=self.new_api_key(portal)
        )
        self.assertError(response, 403, "forbidden")
        with self.oauth_tokens(self.accountant, {"tok-orders": ["orders:read"]}):
            response = self.api("GET", f"/api/v1/invoices/{self.invoice.id}/pdf", key="tok-orders")
        self.assertError(response, 403, "insufficient_scope")

    def test_pdf_answers_get_only_and_only_where_declared(self):
        url = f"/api/v1/invoices/{self.invoice.id}/pdf"
        for method in ("PUT", "POST", "DELETE", "PATCH", "HEAD"):
            response = self.api(method, url, key=self.accountant_key)
            self.assertEqual(response.status_code, 405, method)
            self.assertEqual(response.headers["Allow"], "GET", method)
        self.assertError(
            self.api("GET", f"/api/v1/partners/{self.partner.id}/pdf", key=self.key), 404
        )
        self.assertError(
            self.api("GET", f"/api/v1/nothing/{self.partner.id}/pdf", key=self.key), 404
        )


@tagged("post_install", "-at_install")
class TestAttachments(DocumentsCase):
    def upload(self, path, record, body=None, key=None, **kwargs):
        return self.api(
            "POST",
            f"/api/v1/{path}/{record.id}/attachments",
            key=key or self.key,
            body=body,
            **kwargs,
        )

    def attachments_of(self, record):
        return self.env["ir.attachment"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    def test_json_upload_list_and_download(self):
        body = {"name": "proof.png", "data": base64.b64encode(PNG).decode()}
        created = self.upload("orders", self.order, body)
        self.assertEqual(created.status_code, 201, created.text)
        row = created.json()["data"]
        self.assertEqual(set(row), {"id", "name", "mimetype", "size", "checksum", "created"})
        self.assertEqual(
            (row["name"], row["mimetype"], row["size"]), ("proof.png", "image/png", len(PNG))
        )
        self.assertTrue(row["created"].endswith("Z"))
        location = created.headers["Location"]
        self.assertEqual(location, f"/api/v1/orders/{self.order.id}/attachments/{row['id']}")
        listed = self.api("GET", f"/api/v1/orders/{self.order.id}/attachments", key=self.key)
        self.assertEqual(listed.status_code, 200, listed.text)
        self.assertEqual(listed.json()["data"], [row])
        self.assertEqual(listed.json()["pagination"]["total"], 1)
        download = self.api("GET", location, key=self.key)
        self.assertEqual(download.status_code, 200, download.text)
        self.assertEqual(download.content, PNG)
        self.assertEqual(download.headers["Content-Type"], "image/png")
        self.assertEqual(download.headers["X-Content-Type-Options"], "nosniff")
        self.assertTrue(download.headers["Content-Disposition"].startswith("attachment;"))
        self.assertEqual(download.headers["ETag"], f'"{row["checksum"]}"')
        again = self.api(
            "GET", location, key=self.key, headers={"If-None-Match": download.headers["ETag"]}
        )
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")

    def test_multipart_upload_with_an_api_key(self):
        response = self.url_open(
            f"/api/v1/orders/{self.order.id}/attachments",
            files={"file": ("contract.pdf", FAKE_PDF, "application/pdf")},
            headers={"Authorization": f"Bearer {self.key}"},
        )
        self.assertEqual(response.status_code, 201, response.text)
        row = response.json()["data"]
        self.assertEqual((row["name"], row["mimetype"]), ("contract.pdf", "application/pdf"))
        attachment = self.attachments_of(self.order)
        self.assertEqual(attachment.raw, FAKE_PDF)
        self.assertEqual(attachment.create_uid, self.salesman)  # created as the caller

    def test_pagination_and_unknown_parameters(self):
        for index in range(3):
            self.env["ir.attachment"].create(
                {
                    "name": f"f{index}.txt",
                    "raw": b"x",
                    "res_model": "sale.order",
                    "res_id": self.order.id,
                }
            )
        url = f"/api/v1/orders/{self.order.id}/attachments"
        page = self.api("GET", f"{url}?limit=2", key=self.key).json()
        self.assertEqual([row["name"] for row in page["data"]], ["f2.txt", "f1.txt"])
        self.assertEqual((page["pagination"]["total"], page["pagination"]["has_more"]), (3, True))
        rest = self.api("GET", f"{url}?limit=2&offset=2", key=self.key).json()
        self.assertEqual([row["name"] for row in rest["data"]], ["f0.txt"])
        self.assertError(
            self.api("GET", f"{url}?order=name", key=self.key), 400, "validation_error"
        )
        self.assertError(self.api("GET", f"{url}?limit=0", key=self.key), 400)

    def test_refused_types_are_415_and_store_nothing(self):
        cases = [
            {"name": "page.html", "data": base64.b64encode(b"<p>hi</p>").decode()},
            {"name": "logo.svg", "data": base64.b64encode(b"<svg></svg>").decode()},
            {"name": "a.png", "mimetype": "image/svg+xml", "data": base64.b64encode(PNG).decode()},
            {"name": "a.txt", "mimetype": "text/html; charset=utf-8", "data": "aGk="},
            {"name": "a.xml", "mimetype": "application/xhtml+xml", "data": "aGk="},
            # the bytes are HTML whatever the type says
            {
                "name": "a.png",
                "mimetype": "image/png",
                "data": base64.b64encode(b"<html><script>alert(1)</script></html>").decode(),
            },
            {"name": "run.exe", "mimetype": "application/x-msdownload", "data": "aGk="},
        ]
        for body in cases:
            response = self.upload("orders", self.order, body)
            self.assertError(response, 415, "unsupported_media_type")
        self.assertFalse(self.attachments_of(self.order))

    def test_office_documents_are_accepted(self):
        """Their types hold "xml" (openxmlformats) and are still documents,
        not pages a browser runs."""
        for name in ("offer.docx", "prices.xlsx", "notes.odt"):
            body = {"name": name, "data": base64.b64encode(b"PK\x03\x04 zipped").decode()}
            response = self.upload("orders", self.order, body)
            self.assertEqual(response.status_code, 201, (name, response.text))
            self.assertNotIn("html", response.json()["data"]["mimetype"])

    def test_garbage_uploads_are_400_and_store_nothing(self):
        cases = [
            {"name": "a.txt", "data": "not base64!"},
            {"name": "a.txt", "data": "aGk"},  # unpadded
            {"name": "a.txt", "data": "aG k="},
            {"name": "a.txt", "data": ""},
            {"name": "a.txt", "data": 12},
            {"name": "a.txt"},
            {"data": "aGk="},
            {"name": "", "data": "aGk="},
            {"name": "../../etc/passwd", "data": "aGk="},
            {"name": "dir\\file.txt", "data": "aGk="},
            {"name": "..", "data": "aGk="},
            {"name": "bad\x00name.txt", "data": "aGk="},
            {"name": "line\nbreak.txt", "data": "aGk="},
            {"name": "gpj\u202e.exe", "data": "aGk="},  # right-to-left override
            {"name": "x" * 300 + ".txt", "data": "aGk="},
            {"name": "a.txt", "data": "aGk=", "res_model": "res.users"},
            {"name": "a.txt", "mimetype": 5, "data": "aGk="},
        ]
        for body in cases:
            response = self.upload("orders", self.order, body)
            self.assertEqual(response.status_code, 400, (body, response.text))
        self.assertError(
            self.upload(
                "orders", self.order, raw=b"[1]", headers={"Content-Type": "application/json"}
            ),
            400,
        )
        self.assertFalse(self.attachments_of(self.order))

    def test_upload_over_the_body_limit_is_413(self):
        self.env["ir.config_parameter"].sudo().set_param("my_api.max_body_bytes", "4096")
        body = {"name": "big.txt", "data": base64.b64encode(b"x" * 8192).decode()}
        self.assertError(self.upload("orders", self.order, body), 413, "payload_too_large")
        response = self.url_open(
            f"/api/v1/orders/{self.order.id}/attachments",
            files={"file": ("big.txt", b"x" * 8192, "text/plain")},
            headers={"Authorization": f"Bearer {self.key}"},
        )
        self.assertError(response, 413, "payload_too_large")
        status, _headers, _body = self.chunked_post(
            f"/api/v1/orders/{self.order.id}/attachments",
            [b'{"name": "big.txt", "data": "' + b"eHh4" * 2048 + b'"}'],
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        self.assertEqual(status, 413)
        self.assertFalse(self.attachments_of(self.order))

    def test_another_records_attachment_is_404(self):
        other_order = self.new_order(user_id=self.salesman.id)
        theirs = self.env["ir.attachment"].create(
            {
                "name": "theirs.txt",
                "raw": b"secret",
                "res_model": "sale.order",
                "res_id": other_order.id,
            }
        )
        partners = self.env["ir.attachment"].create(
            {"name": "p.txt", "raw": b"p", "res_model": "res.partner", "res_id": self.order.id}
        )
        field = self.env["ir.attachment"].sudo().search([("res_field", "!=", False)], limit=1)
        for attachment in (theirs, partners, field):
            if not attachment:
                continue
            response = self.api(
                "GET", f"/api/v1/orders/{self.order.id}/attachments/{attachment.id}", key=self.key
            )
            self.assertError(response, 404, "not_found")
        for bad in ("0", "99999999999", "-1", "1e3", "abc"):
            response = self.api(
                "GET", f"/api/v1/orders/{self.order.id}/attachments/{bad}", key=self.key
            )
            self.assertIn(response.status_code, (400, 404), bad)

    def test_another_users_record_is_refused_as_the_detail_is(self):
        hidden_order = self.new_order(user_id=self.accountant.id)
        attachment = self.env["ir.attachment"].create(
            {"name": "h.txt", "raw": b"h", "res_model": "sale.order", "res_id": hidden_order.id}
        )
        base = f"/api/v1/orders/{hidden_order.id}"
        detail = self.api("GET", base, key=self.own_key)
        self.assertError(detail, 403, "forbidden")
        for method, url, body in (
            ("GET", f"{base}/attachments", None),
            ("GET", f"{base}/attachments/{attachment.id}", None),
            ("POST", f"{base}/attachments", {"name": "x.txt", "data": "aGk="}),
        ):
            response = self.api(method, url, key=self.own_key, body=body)
            self.assertError(response, 403, "forbidden")
        self.assertEqual(self.attachments_of(hidden_order), attachment)
        self.assertError(self.api("GET", "/api/v1/orders/999999999/attachments", key=self.key), 404)

    def test_upload_needs_write_access_to_the_record(self):
        reader = new_test_user(self.env, login="api_partner_reader", groups="base.group_user")
        key = self.new_api_key(reader)
        self.env["ir.attachment"].create(
            {"name": "r.txt", "raw": b"r", "res_model": "res.partner", "res_id": self.partner.id}
        )
        listed = self.api("GET", f"/api/v1/partners/{self.partner.id}/attachments", key=key)
        self.assertEqual(listed.status_code, 200, listed.text)
        self.assertEqual(len(listed.json()["data"]), 1)
        response = self.upload("partners", self.partner, {"name": "x.txt", "data": "aGk="}, key=key)
        self.assertError(response, 403, "forbidden")
        with self.oauth_tokens(self.salesman, {"tok-read": ["partners:read"]}):
            response = self.upload(
                "partners", self.partner, {"name": "x.txt", "data": "aGk="}, key="tok-read"
            )
        self.assertError(response, 403, "insufficient_scope")
        self.assertEqual(len(self.attachments_of(self.partner)), 1)

    def test_session_uploads_must_be_json(self):
        self.authenticate("api_salesman", "api_salesman_pw")
        url = f"/api/v1/orders/{self.order.id}/attachments"
        form = self.url_open(url, files={"file": ("a.txt", b"hi", "text/plain")})
        self.assertError(form, 403, "forbidden")  # a form can be posted cross-site
        body = json.dumps({"name": "a.txt", "data": "aGk="})
        created = self.url_open(url, data=body, headers={"Content-Type": "application/json"})
        self.assertEqual(created.status_code, 201, created.text)
        self.assertEqual(created.json()["data"]["mimetype"], "text/plain")

    def test_idempotent_upload_is_stored_once(self):
        body = {"name": "once.txt", "data": "aGk="}
        headers = {"Idempotency-Key": "upload-once-1"}
        first = self.upload("orders", self.order, body, headers=headers)
        second = self.upload("orders", self.order, body, headers=headers)
        self.assertEqual(first.status_code, 201, first.text)
        self.assertEqual(second.json(), first.json())
        self.assertEqual(len(self.attachments_of(self.order)), 1)

    def test_routes_exist_where_declared_and_refuse_other_methods(self):
        base = f"/api/v1/orders/{self.order.id}/attachments"
        for method in ("PUT", "PATCH", "DELETE", "HEAD"):
            response = self.api(method, base, key=self.key)
            self.assertEqual(response.status_code, 405, method)
            self.assertEqual(response.headers["Allow"], "GET, POST")
        attachment = self.env["ir.attachment"].create(
            {"name": "m.txt", "raw": b"m", "res_model": "sale.order", "res_id": self.order.id}
        )
        for method in ("PUT", "POST", "DELETE", "HEAD"):
            response = self.api(method, f"{base}/{attachment.id}", key=self.key)
            self.assertEqual(response.status_code, 405, method)
            self.assertEqual(response.headers["Allow"], "GET")
        self.assertError(
            self.api("GET", f"/api/v1/products/{self.product.id}/attachments", key=self.key), 404
        )
        for path, record in (("invoices", self.invoice), ("pickings", None)):
            if record is None:
                continue
            response = self.api(
                "GET", f"/api/v1/{path}/{record.id}/attachments", key=self.accountant_key
            )
            self.assertEqual(response.status_code, 200, response.text)

    @mute_logger("odoo.http")
    def test_html_stored_by_other_means_is_served_as_a_download(self):
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": "page.html",
                    "raw": b"<script>alert(1)</script>",
                    "mimetype": "text/html",
                    "res_model": "sale.order",
                    "res_id": self.order.id,
                }
            )
        )
        response = self.api(
            "GET", f"/api/v1/orders/{self.order.id}/attachments/{attachment.id}", key=self.key
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/octet-stream")
        self.assertIn("sandbox", response.headers["Content-Security-Policy"])


@tagged("post_install", "-at_install")
class TestDocumentsOpenApi(DocumentsCase):
    def test_document_routes_are_documented_for_the_declaring_resources(self):
        from openapi_spec_validator import validate  # noqa: PLC0415

        document = self.url_open("/api/v1/openapi.json").json()
        validate(document)
        paths = document["paths"]
        pdfs = sorted(path for path in paths if path.endswith("/pdf"))
        self.assertEqual(pdfs, ["/invoices/{ident}/pdf", "/orders/{ident}/pdf"])
        lists = sorted(path for path in paths if path.endswith("/attachments"))
        self.assertEqual(
            lists,
            [
                f"/{path}/{{ident}}/attachments"
                for path in ("invoices", "orders", "partners", "pickings")
            ],
        )
        pdf = paths["/invoices/{ident}/pdf"]["get"]
        self.assertIn("application/pdf", pdf["responses"]["200"]["content"])
        self.assertIn("503", pdf["responses"])
        upload = paths["/orders/{ident}/attachments"]["post"]["requestBody"]["content"]
        self.assertEqual(set(upload), {"application/json", "multipart/form-data"})
        scopes = document["components"]["securitySchemes"]["oauth2"]
        self.assertIn("invoices:write", json.dumps(scopes))

    def test_postman_collection_has_one_request_per_operation(self):
        document = self.url_open("/api/v1/openapi.json").json()
        response = self.url_open("/api/v1/postman.json")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("attachment;", response.headers["Content-Disposition"])
        collection = response.json()
        self.assertEqual(
            collection["info"]["schema"],
            "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        )
        requests_ = [request for folder in collection["item"] for request in folder["item"]]
        operations = [
            (method.upper(), path)
            for path, item in document["paths"].items()
            for method in item
            if method != "parameters"
        ]
        self.assertEqual(len(requests_), len(operations))
        self.assertEqual(collection["auth"]["type"], "bearer")
        self.assertIn("baseUrl", [variable["key"] for variable in collection["variable"]])
        urls = {request["request"]["url"]["raw"] for request in requests_}
        self.assertIn("{{baseUrl}}/orders/:ident/pdf", urls)
        self.assertTrue(all(url.startswith("{{baseUrl}}/") for url in urls))


@tagged("post_install", "-at_install")
class TestDocsPageInBrowser(DocumentsCase):
    """The docs page in a real browser (Chromium): an operation tried from
    the page, as the signed-in user, and its answer shown."""

    def test_list_partners_tried_from_the_docs_page(self):
        new_test_user(
            self.env,
            login="api_docs_browser",
            groups="base.group_user,base.group_partner_manager",
        )
        code = """
            (async () => {
                const wait = async (check, what) => {
                    for (let i = 0; i < 200; i++) {
                        if (check()) { return; }
                        await new Promise((resolve) => setTimeout(resolve, 50));
                    }
                    throw new Error("timed out waiting for " + what);
                };
                const select = document.getElementById("try-operation");
                select.value = "list_partners";
                select.dispatchEvent(new Event("change"));
                const limit = document.querySelector("input[data-in=query][data-name=limit]");
                limit.value = "1";
                document.getElementById("try-send").click();
                const output = document.getElementById("try-response");
                await wait(() => output.dataset.done, "the answer");
                const status = document.getElementById("try-status").dataset.status;
                if (status !== "200") {
                    throw new Error("status " + status + ": " + output.textContent);
                }
                const page = JSON.parse(output.textContent);
                if (!Array.isArray(page.data) || page.data.length !== 1 || !page.pagination) {
                    throw new Error("unexpected body " + output.textContent);
                }
                if (!document.getElementById("try-headers").textContent.includes("x-request-id")) {
                    throw new Error("headers not shown");
                }
                // a write from the page: JSON with the session
                select.value = "create_partners";
                select.dispatchEvent(new Event("change"));
                const body = document.getElementById("try-body-input");
                body.value = JSON.stringify({name: "From the docs page"});
                document.getElementById("try-send").click();
                await wait(() => output.dataset.done, "the created partner");
                const created = document.getElementById("try-status").dataset.status;
                if (created !== "201") {
                    throw new Error("create answered " + created + ": " + output.textContent);
                }
                console.log("test successful");
            })();
        """
        self.browser_js(
            "/api/v1/docs",
            code,
            ready="document.getElementById('try-it').dataset.ready === '1'",
            login="api_docs_browser",
        )
        self.assertTrue(self.env["res.partner"].search([("name", "=", "From the docs page")]))
