"""Documents of /api/v1 records: Odoo's own report as a PDF, and the files
attached to a record.

A resource declares them with two attributes:

- `_api_pdf_report`: the xml id of the ir.actions.report that prints its
  records (`account.account_invoices`): `GET /<path>/<id>/pdf`;
- `_api_attachments`: True for `GET|POST /<path>/<id>/attachments` and
  `GET /<path>/<id>/attachments/<attachment_id>`.

Both find the record as the JSON detail does (`_api_resolve`: the same
400, 403 and 404), then work with the caller's rights, never sudo: Odoo
renders the report as the user (its record rules apply to everything the
report reads), and ir.attachment grants reading and writing a record's
files by reading and writing the record. An attachment is looked up among
the record's own: another record's id is a 404, whatever the caller may
read elsewhere. The OpenAPI document gets the routes of exactly the
resources that declare them (lib/openapi_documents.py).
"""

import mimetypes

from odoo import api, models
from odoo.tools.mimetypes import guess_mimetype

from ..core import ApiError
from ..lib import documents, timestamps
from ..lib.openapi_documents import add_document_routes
from ..lib.schema import INT4_MAX
from ..settings import setting
from .api_resource import DEFAULT_LIMIT, _parse_int

# wkhtmltopdf states in which Odoo cannot render a PDF (ir.actions.report)
PDF_UNAVAILABLE = ("install", "broken")


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    _api_pdf_report = None
    _api_attachments = False

    # ---------------------------------------------------------- declaration
    @api.model
    def _api_descriptor(self):
        desc = super()._api_descriptor()
        desc["pdf"] = bool(self._api_pdf_report)
        desc["attachments"] = bool(self._api_attachments)
        return desc

    @api.model
    def _api_scopes(self):
        """A resource that takes attachments has a write scope, even when
        it offers no other write (invoices)."""
        scopes = super()._api_scopes()
        for path, name in self._api_resource_models().items():
            resource = self.env[name]
            if resource._api_attachments and not resource._api_scope:
                scopes.setdefault(
                    f"{path}:write", f"Attach files to {resource._api_description or path}"
                )
        return scopes

    @api.model
    def _api_openapi_document(self, base_url):
        document = super()._api_openapi_document(base_url)
        descriptors = [
            self.env[name]._api_descriptor()
            for _path, name in sorted(self._api_resource_models().items())
        ]
        return add_document_routes(document, descriptors)

    # ------------------------------------------------------------------ pdf
    @api.model
    def _api_pdf_etag(self, record):
        """The ETag of a record's PDF, known before rendering it (a PDF's
        bytes hold their creation time): the record's detail (what its
        JSON answer shows), its last change, the report's and the
        request's language and companies."""
        report = self.env.ref(self._api_pdf_report)
        detail = self._api_etag(self._api_rows(record, detail=True)[0])
        return "W/" + documents.etag_of(
            detail,
            record.write_date,
            report.id,
            report.sudo().write_date,  # sudo: when the report changed, not what it holds
            self.env.lang,
            self.env.companies.ids,
        )

    @api.model
    def _api_pdf(self, ident, if_none_match=None):
        """(ETag, PDF bytes or None when If-None-Match names the ETag,
        file name) of the record `ident`, printed by Odoo's own report with
        the caller's rights; 404 where the resource has no report, 503 when
        this server cannot render PDFs."""
        if not self._api_pdf_report:
            raise ApiError(404, f"no PDF of {self._api_path}", "not_found")
        self._api_check_operation("get")
        record = self._api_resolve(ident)
        etag = self._api_pdf_etag(record)
        filename = documents.ascii_filename(record.display_name or str(record.id)) + ".pdf"
        if documents.etag_matches(if_none_match, etag):
            return etag, None, filename
        reports = self.env["ir.actions.report"]
        if reports.get_wkhtmltopdf_state() in PDF_UNAVAILABLE:
            raise ApiError(
                503,
                "PDF rendering is not available on this server (wkhtmltopdf is missing or "
                "broken); ask the administrator",
                "service_unavailable",
            )
        # force_report_rendering: a PDF even under --test-enable, where Odoo
        # renders HTML instead
        pdf, report_type = reports.with_context(force_report_rendering=True)._render_qweb_pdf(
            self._api_pdf_report, [record.id]
        )
        if report_type != "pdf":
            raise ApiError(503, "the report did not render as a PDF", "service_unavailable")
        return etag, pdf, filename

    # --------------------------------------------------------- attachments
    @api.model
    def _api_attachment_record(self, ident):
        """The record whose attachments a call reads or writes (as the
        detail finds it); 404 where the resource takes none."""
        if not self._api_attachments:
            raise ApiError(404, f"no attachments on {self._api_path}", "not_found")
        self._api_check_operation("get")
        return self._api_resolve(ident)

    @api.model
    def _api_attachment_domain(self, record):
        return [
            ("res_model", "=", record._name),
            ("res_id", "=", record.id),
            ("res_field", "=", False),
            ("type", "=", "binary"),
        ]

    @api.model
    def _api_attachment_rows(self, attachments):
        return [
            {
                "id": attachment.id,
                "name": attachment.name,
                "mimetype": attachment.mimetype or "application/octet-stream",
                "size": attachment.file_size or 0,
                "checksum": attachment.checksum or None,
                "created": timestamps.format_timestamp(attachment.create_date),
            }
            for attachment in attachments
        ]

    @api.model
    def _api_attachment_list(self, ident, args):
        """(rows, pagination) of the record's attachments, newest first."""
        record = self._api_attachment_record(ident)
        self._api_check_query(args, {"limit", "offset"})
        limit = min(_parse_int(args, "limit", DEFAULT_LIMIT, 1), self._api_max_page_size())
        offset = _parse_int(args, "offset", 0, 0)
        attachments = self.env["ir.attachment"]
        domain = self._api_attachment_domain(record)
        found = attachments.search(domain, order="id desc", limit=limit + 1, offset=offset)
        has_more = len(found) > limit
        found = found[:limit]
        total = offset + len(found) if not has_more else attachments.search_count(domain)
        pagination = {
            "total": total,
            "total_exact": True,
            "limit": limit,
            "offset": offset,
            "has_more": has_more,
            "next_cursor": None,
        }
        return self._api_attachment_rows(found), pagination

    @api.model
    def _api_attachment_get(self, ident, attachment_id):
        """The attachment `attachment_id` of the record `ident`: 404 unless
        it is one of that record's files."""
        record = self._api_attachment_record(ident)
        if not (attachment_id.isascii() and attachment_id.isdigit()):
            raise ApiError(
                400,
                "attachment_id is a positive integer",
                "bad_request",
                [{"field": "attachment_id", "issue": "invalid_format"}],
            )
        number = int(attachment_id)
        attachment = self.env["ir.attachment"]
        if 0 < number <= INT4_MAX:
            attachment = attachment.search(
                [("id", "=", number), *self._api_attachment_domain(record)], limit=1
            )
        if not attachment:
            raise ApiError(
                404,
                f"attachment {attachment_id} of {self._api_path} {ident} not found",
                "not_found",
            )
        return attachment

    @api.model
    def _api_attachment_create(self, ident, name, mimetype, raw):
        """Attach `raw` (bytes) named `name` to the record `ident` (the
        caller must be allowed to change it); return the attachment. The
        name, the type (given, else guessed from the name, else from the
        bytes) and the content are checked first (400, 415)."""
        record = self._api_attachment_record(ident)
        record.check_access("write")
        try:
            name = documents.clean_name(name)
            sniffed = guess_mimetype(raw, default="application/octet-stream")
            if mimetype is None:
                mimetype = mimetypes.guess_type(name, strict=False)[0] or sniffed
            mimetype = documents.check_mimetype(
                mimetype, setting(self.env, "attachment_mimetypes"), sniffed
            )
        except documents.DocumentError as exc:
            raise ApiError(
                exc.status,
                str(exc),
                "unsupported_media_type" if exc.status == 415 else "validation_error",
                [{"field": exc.field, "issue": exc.issue}],
            ) from None
        return self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": raw,
                "mimetype": mimetype,
                "res_model": record._name,
                "res_id": record.id,
                "type": "binary",
            }
        )
