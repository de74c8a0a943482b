from odoo import Command, api, models
from odoo.tools import SQL

from ..core import ApiError, parse_datetime
from ..lib import schema as s
from ..lib.timestamps import date_filter_description
from ..models.api_resource import eq, names_of, ref, since, until
from ..models.api_resource_reads import Expansion

STATES = ["draft", "sent", "sale", "cancel"]
TIMESTAMP_IN = (
    "With its UTC offset (Z or +HH:MM), which is honoured; a timestamp without one is refused."
)

PARTNER_REF = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string", read_only=True),
        "email": s.Field("string", nullable=True, read_only=True),
    },
    read_only=True,
)

LINE_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "product": s.Object(
            {
                "id": s.Field("integer"),
                "name": s.Field("string"),
                "default_code": s.Field("string", nullable=True),
            },
            nullable=True,
        ),
        "description": s.Field("string"),
        "quantity": s.Field("number"),
        "unit_price": s.Field("number"),
        "discount": s.Field("number"),
        "subtotal": s.Field("number", description="Untaxed line amount"),
        "total": s.Field("number", description="Line amount with taxes"),
    }
)

ORDER_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string", read_only=True, example="S00042"),
        "external_ref": s.Field("string", nullable=True, description="client_order_ref"),
        "partner": PARTNER_REF,
        "date_order": s.Field("string", format="date-time", description="UTC"),
        "state": s.Field("string", enum=STATES),
        "currency": s.Field("string", example="EUR"),
        "amount_untaxed": s.Field("number", description="Detail only"),
        "amount_tax": s.Field("number", description="Detail only"),
        "amount_total": s.Field("number"),
        "line_count": s.Field("integer"),
        "lines": s.Array(LINE_READ, description="Detail only"),
        "updated_at": s.Field("string", format="date-time", description="UTC"),
    }
)

LINE_WRITE = s.Object(
    {
        "product_id": s.Id(
            required=True,
            target="product.product",
            example="ref:SKU-1",
            description="The product: its id, ref:<default_code> or xid:<module.name>",
        ),
        "quantity": s.Field(
            "number", exclusive_minimum=0, maximum=s.MAX_QUANTITY, description="Default 1"
        ),
        "price": s.Field(
            "number",
            minimum=0,
            maximum=s.MAX_AMOUNT,
            description="Unit price; default: the pricelist price",
        ),
        "discount": s.Field("number", minimum=0, maximum=100),
        "description": s.Field("string", max_length=2000),
    }
)

ORDER_CREATE = s.Object(
    {
        "partner_id": s.Id(
            required=True,
            target="res.partner",
            example=42,
            description="The customer: its id, ref:<ref> or xid:<module.name>",
        ),
        "external_ref": s.Field(
            "string",
            max_length=256,
            example="SHOPIFY-9821",
            description="Your reference (client_order_ref). Creating again with the same "
            "reference returns the existing order instead of a duplicate.",
        ),
        "date_order": s.Field(
            "string",
            format="date-time",
            example="2026-01-31T10:00:00+04:00",
            description=TIMESTAMP_IN + " Default: now.",
        ),
        "note": s.Field("string", max_length=10000),
        "lines": s.Array(LINE_WRITE, required=True, min_items=1, max_items=1000),
    }
)

ORDER_UPDATE = s.Object(
    {
        "external_ref": s.Field("string", max_length=256, nullable=True),
        "note": s.Field("string", max_length=10000, nullable=True),
        "commitment_date": s.Field(
            "string", format="date-time", nullable=True, description=TIMESTAMP_IN
        ),
        "validity_date": s.Field("string", format="date", nullable=True),
    }
)


def _quotation(value):
    return [("state", "in" if value else "not in", ["draft", "sent"])]


def _orm_datetime(value, name):
    """A body timestamp (validated by its schema: it has an offset) as the
    naive UTC datetime Odoo stores, to the second as Odoo keeps them."""
    return parse_datetime(value, name).replace(microsecond=0)


class ApiResourceOrder(models.AbstractModel):
    _name = "api.resource.order"
    _inherit = "api.resource"
    _description = "REST API resource: sale orders"

    _api_path = "orders"
    _api_model = "sale.order"
    _api_description = "sale orders"
    _api_pdf_report = "sale.action_report_saleorder"
    _api_attachments = True
    _api_operations = ("list", "get", "create", "update", "delete", "batch")
    _api_filters = {
        "state": (s.Field("string", enum=STATES), eq("state")),
        "partner_id": (s.Id(), eq("partner_id")),
        "external_ref": (s.Field("string", max_length=256), eq("client_order_ref")),
        "quotation": (
            s.Field(
                "boolean",
                description="true: quotations still open (draft or sent), the pipeline; "
                "false: the others (confirmed or cancelled)",
            ),
            _quotation,
        ),
        "date_from": (
            s.Field(
                "string",
                format="date-time",
                description=date_filter_description("Ordered at or after", "date_from", "date_to"),
            ),
            since("date_order"),
        ),
        "date_to": (
            s.Field(
                "string",
                format="date-time",
                description=date_filter_description("Ordered at or before", "date_from", "date_to"),
            ),
            until("date_order"),
        ),
    }
    _api_aggregate = {
        "group_by": {
            "date_order": "date_order",
            "state": "state",
            "partner": "partner_id",
            "salesperson": "user_id",
            "team": "team_id",
            "currency": "currency_id",
            "invoice_status": "invoice_status",
        },
        "measures": {
            "amount_total": "amount_total",
            "amount_untaxed": "amount_untaxed",
            "amount_tax": "amount_tax",
        },
    }
    _api_operator_filters = {
        "amount_total": (
            "amount_total",
            s.Field("number", minimum=-s.MAX_AMOUNT, maximum=s.MAX_AMOUNT),
            ("gt", "gte", "lt", "lte"),
        ),
        "date_order": (
            "date_order",
            s.Field("string", format="date-time"),
            ("gt", "gte", "lt", "lte"),
        ),
        "state": ("state", s.Field("string", enum=STATES), ("in",)),
        "partner_id": ("partner_id", s.Id(), ("in",)),
        "name": ("name", s.Field("string", max_length=256), ("ilike",)),
    }
    _api_search_fields = ("name", "client_order_ref", "partner_id.name")
    _api_expansions = {
        "partner": Expansion("partner_id", resource="partners"),
        "lines": Expansion(
            "order_line",
            render="_api_render_lines",
            nested={"product": Expansion("product_id", resource="products")},
        ),
    }
    _api_orders = {
        "date_order": "date_order",
        "id": "id",
        "name": "name",
        "updated_at": "write_date",
    }
    _api_default_order = "-date_order"
    _api_read_schema = ORDER_READ
    _api_create_schema = ORDER_CREATE
    _api_update_schema = ORDER_UPDATE
    _api_external_ref = ("external_ref", "client_order_ref")
    _api_actions = {"confirm": "_api_action_confirm", "cancel": "_api_action_cancel"}
    _api_list_fields = (
        "name",
        "client_order_ref",
        "partner_id",
        "date_order",
        "state",
        "currency_id",
        "amount_total",
        "write_date",
        "company_id",  # read by the record rules that check each page
    )

    @api.model
    def _api_render(self, records, detail=False):
        # fetch just the columns rendered (the ORM would otherwise load every
        # prefetchable column of sale.order and res.partner): one query each.
        # A list page comes from search_fetch(_api_list_fields) already.
        if detail:
            records.fetch([*self._api_list_fields, "order_line", "amount_untaxed", "amount_tax"])
        # fields= may leave out what costs a query of its own
        partner_names = names_of(records.partner_id) if self._api_wants("partner") else {}
        if detail:
            # the email only of a customer the caller may read (the name, as
            # ref() says, of any)
            readable_partners = records.partner_id._filtered_access("read")
            readable_partners.fetch(["email"])
        currency_names = names_of(records.currency_id) if self._api_wants("currency") else {}
        if detail:
            line_counts = {order.id: len(order.order_line) for order in records}
        elif not self._api_wants("line_count"):
            line_counts = {}
        else:
            # a count per order, in one grouped query under the caller's
            # record rules (_search applies them), rather than every line id
            # of the page and a record per line
            query = self.env["sale.order.line"]._search([("order_id", "in", records.ids)])
            column = SQL.identifier(query.table, "order_id")
            query.groupby = column
            line_counts = dict(self.env.execute_query(query.select(column, SQL("COUNT(*)"))))
        lines = self._api_render_lines(records) if detail else {}
        rows = []
        for order in records:
            partner = order.partner_id
            row = {
                "id": order.id,
                "name": order.name,
                "external_ref": order.client_order_ref or None,
                "partner": ref(partner, partner_names.get(partner.id))
                if self._api_wants("partner")
                else None,
                "date_order": order.date_order,
                "state": order.state,
                "currency": currency_names.get(order.currency_id.id),
                "amount_total": order.amount_total,
                "line_count": line_counts.get(order.id, 0),
                "updated_at": order.write_date,
            }
            if detail:
                if row["partner"]:
                    row["partner"]["email"] = (
                        partner.email or None if partner in readable_partners else None
                    )
                row["amount_untaxed"] = order.amount_untaxed
                row["amount_tax"] = order.amount_tax
                row["lines"] = lines.get(order.id, [])
            rows.append(row)
        return rows

    @api.model
    def _api_render_lines(self, orders):
        """{order id: its lines as a detail renders them}, for a whole page
        at once (a detail's lines, and expand=lines of a list)."""
        lines = orders.order_line
        lines.fetch(
            [
                "order_id",
                "display_type",
                "product_id",
                "name",
                "product_uom_qty",
                "price_unit",
                "discount",
                "price_subtotal",
                "price_total",
            ]
        )
        product_names = names_of(lines.product_id)
        lines.product_id.fetch(["default_code"])
        result = {order.id: [] for order in orders}
        for line in lines:
            if line.display_type:
                continue
            product = line.product_id
            result[line.order_id.id].append(
                {
                    "id": line.id,
                    "product": {
                        **ref(product, product_names.get(product.id)),
                        "default_code": product.default_code or None,
                    }
                    if product
                    else None,
                    "description": line.name,
                    "quantity": line.product_uom_qty,
                    "unit_price": line.price_unit,
                    "discount": line.discount,
                    "subtotal": line.price_subtotal,
                    "total": line.price_total,
                }
            )
        return result

    @api.model
    def _api_prepare_create(self, body):
        # partner_id and product_id are ids of records the caller may read
        # (resolved and checked with the body: see api_resource_xref.py)
        values = {"partner_id": body["partner_id"], "order_line": []}
        if body.get("external_ref"):
            values["client_order_ref"] = body["external_ref"]
        if body.get("date_order"):
            values["date_order"] = _orm_datetime(body["date_order"], "date_order")
        if body.get("note"):
            values["note"] = body["note"]
        for line in body["lines"]:
            line_values = {
                "product_id": line["product_id"],
                "product_uom_qty": line.get("quantity", 1),
            }
            if "price" in line:
                line_values["price_unit"] = line["price"]
            if "discount" in line:
                line_values["discount"] = line["discount"]
            if line.get("description"):
                line_values["name"] = line["description"]
            values["order_line"].append(Command.create(line_values))
        return values

    @api.model
    def _api_prepare_update(self, record, body):
        values = {}
        if "external_ref" in body:
            values["client_order_ref"] = body["external_ref"] or False
        if "note" in body:
            values["note"] = body["note"] or False
        if "commitment_date" in body:
            value = body["commitment_date"]
            values["commitment_date"] = value and _orm_datetime(value, "commitment_date")
        if "validity_date" in body:
            values["validity_date"] = body["validity_date"] or False
        return values

    @api.model
    def _api_action_confirm(self, order):
        if order.state not in ("draft", "sent"):
            raise ApiError(
                409,
                f"order {order.name} is {order.state}; only quotations can be confirmed",
                "conflict",
            )
        order.action_confirm()

    @api.model
    def _api_action_cancel(self, order):
        if order.state == "cancel":
            raise ApiError(409, f"order {order.name} is already cancelled", "conflict")
        order.action_cancel()
