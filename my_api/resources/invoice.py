from odoo import api, models

from ..core import ApiError
from ..lib import schema as s
from ..models.api_resource import eq, names_of, ref
from ..models.api_resource_reads import Expansion

MOVE_TYPES = ["out_invoice", "out_refund", "in_invoice", "in_refund"]
CUSTOMER_TYPES = ["out_invoice", "out_refund"]
VENDOR_TYPES = ["in_invoice", "in_refund"]
STATES = ["draft", "posted", "cancel"]
PAYMENT_STATES = [
    "not_paid",
    "in_payment",
    "paid",
    "partial",
    "reversed",
    "blocked",
    "invoicing_legacy",
]

INVOICE_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string", example="INV/2026/00001"),
        "move_type": s.Field("string", enum=MOVE_TYPES),
        "state": s.Field("string", enum=STATES),
        "payment_state": s.Field("string", enum=PAYMENT_STATES),
        "partner": s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True),
        "invoice_date": s.Field("string", format="date", nullable=True),
        "invoice_date_due": s.Field("string", format="date", nullable=True),
        "origin": s.Field("string", nullable=True, description="Source document, e.g. S00042"),
        "currency": s.Field("string"),
        "amount_untaxed": s.Field("number"),
        "amount_tax": s.Field("number"),
        "amount_total": s.Field("number"),
        "amount_residual": s.Field("number", description="Still to pay"),
        "lines": s.Array(
            s.Object(
                {
                    "id": s.Field("integer"),
                    "product_id": s.Field("integer", nullable=True),
                    "description": s.Field("string", nullable=True),
                    "quantity": s.Field("number"),
                    "unit_price": s.Field("number"),
                    "subtotal": s.Field("number"),
                }
            ),
            description="Detail only",
        ),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def _kind(value):
    return [("move_type", "in", CUSTOMER_TYPES if value == "customer" else VENDOR_TYPES)]


def _date_from(day):
    return [("invoice_date", ">=", day)]


def _date_to(day):
    return [("invoice_date", "<=", day)]


class ApiResourceInvoice(models.AbstractModel):
    _name = "api.resource.invoice"
    _inherit = "api.resource"
    _description = "REST API resource: invoices"

    _api_path = "invoices"
    _api_model = "account.move"
    _api_description = "invoices and credit notes"
    _api_pdf_report = "account.account_invoices"
    _api_attachments = True
    _api_operations = ("list", "get")
    _api_filters = {
        "state": (s.Field("string", enum=STATES), eq("state")),
        "payment_state": (s.Field("string", enum=PAYMENT_STATES), eq("payment_state")),
        "move_type": (s.Field("string", enum=MOVE_TYPES), eq("move_type")),
        "kind": (
            s.Field(
                "string",
                enum=["customer", "vendor"],
                description="customer: invoices and credit notes sent (out_invoice, "
                "out_refund); vendor: bills and refunds received (in_invoice, in_refund)",
            ),
            _kind,
        ),
        "partner_id": (s.Id(), eq("partner_id")),
        "origin": (
            s.Field("string", max_length=256, description="e.g. the sale order name"),
            eq("invoice_origin"),
        ),
        "date_from": (
            s.Field(
                "string",
                format="date",
                description="Invoice date on or after (YYYY-MM-DD; a day, in no timezone)",
            ),
            _date_from,
        ),
        "date_to": (
            s.Field(
                "string",
                format="date",
                description="Invoice date on or before (YYYY-MM-DD; a day, in no timezone)",
            ),
            _date_to,
        ),
    }
    _api_aggregate = {
        "group_by": {
            "invoice_date": "invoice_date",
            "invoice_date_due": "invoice_date_due",
            "state": "state",
            "move_type": "move_type",
            "payment_state": "payment_state",
            "partner": "partner_id",
            "currency": "currency_id",
            "journal": "journal_id",
        },
        "measures": {  # *_signed: in the company's currency, credit notes negative
            "amount_total_signed": "amount_total_signed",
            "amount_untaxed_signed": "amount_untaxed_signed",
            "amount_tax_signed": "amount_tax_signed",
            "amount_residual_signed": "amount_residual_signed",
            "amount_total": "amount_total",
            "amount_residual": "amount_residual",
        },
    }
    _api_operator_filters = {
        "amount_total": (
            "amount_total",
            s.Field("number", minimum=-s.MAX_AMOUNT, maximum=s.MAX_AMOUNT),
            ("gte", "lte"),
        ),
        "invoice_date": ("invoice_date", s.Field("string", format="date"), ("gte", "lte")),
        "state": ("state", s.Field("string", enum=STATES), ("in",)),
        "partner_id": ("partner_id", s.Id(), ("in",)),
    }
    _api_search_fields = ("name", "invoice_origin", "ref", "partner_id.name")
    _api_expansions = {"partner": Expansion("partner_id", resource="partners")}
    _api_orders = {"id": "id", "updated_at": "write_date", "date": "date"}
    _api_default_order = "-id"
    _api_read_schema = INVOICE_READ

    @api.model
    def _api_base_domain(self):
        return [("move_type", "in", MOVE_TYPES)]

    @api.model
    def _api_resolve(self, ident):
        record = super()._api_resolve(ident)
        if record.move_type not in MOVE_TYPES:
            raise ApiError(404, f"invoices {ident} not found", "not_found")
        return record

    @api.model
    def _api_render(self, records, detail=False):
        partner_names = names_of(records.partner_id)
        rows = []
        for move in records:
            row = {
                "id": move.id,
                "name": move.name,
                "move_type": move.move_type,
                "state": move.state,
                "payment_state": move.payment_state,
                "partner": ref(move.partner_id, partner_names.get(move.partner_id.id)),
                "invoice_date": move.invoice_date or None,
                "invoice_date_due": move.invoice_date_due or None,
                "origin": move.invoice_origin or None,
                "currency": move.currency_id.name,
                "amount_untaxed": move.amount_untaxed,
                "amount_tax": move.amount_tax,
                "amount_total": move.amount_total,
                "amount_residual": move.amount_residual,
                "updated_at": move.write_date,
            }
            if detail:
                row["lines"] = [
                    {
                        "id": line.id,
                        "product_id": line.product_id.id or None,
                        "description": line.name or None,
                        "quantity": line.quantity,
                        "unit_price": line.price_unit,
                        "subtotal": line.price_subtotal,
                    }
                    for line in move.invoice_line_ids
                    if line.display_type == "product"
                ]
            rows.append(row)
        return rows
