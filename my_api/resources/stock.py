from odoo import api, models

from ..lib import schema as s
from ..models.api_resource import eq, names_of, ref

REF = s.Object({"id": s.Field("integer"), "name": s.Field("string")})

STOCK_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "product": s.Object(
            {
                "id": s.Field("integer"),
                "name": s.Field("string"),
                "default_code": s.Field("string", nullable=True),
            }
        ),
        "location": REF,
        "warehouse": s.Object(
            {"id": s.Field("integer"), "name": s.Field("string")},
            nullable=True,
            description="The warehouse of the location (null: none)",
        ),
        "lot": s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True),
        "quantity": s.Field("number", description="On hand"),
        "reserved_quantity": s.Field("number"),
        "available_quantity": s.Field("number", description="On hand minus reserved"),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def _by_code(value):
    return [("product_id.default_code", "=", value)]


class ApiResourceStock(models.AbstractModel):
    _name = "api.resource.stock"
    _inherit = "api.resource"
    _description = "REST API resource: stock levels"

    _api_path = "stock"
    _api_model = "stock.quant"
    _api_description = "stock levels per product and location"
    _api_operations = ("list", "get")
    _api_filters = {
        "product_id": (s.Id(), eq("product_id")),
        "default_code": (
            s.Field("string", max_length=256, description="Product internal reference"),
            _by_code,
        ),
        "location_id": (s.Id(description="Exactly this location"), eq("location_id")),
        "warehouse_id": (
            s.Id(description="Any location of this warehouse"),
            eq("location_id.warehouse_id"),
        ),
    }
    _api_aggregate = {
        "group_by": {"product": "product_id", "location": "location_id", "lot": "lot_id"},
        # value: with stock_account (quantity x unit cost, in the company's
        # currency), which sums it itself; left out without it
        "measures": {
            "quantity": "quantity",
            "reserved_quantity": "reserved_quantity",
            "value": ("value", ("sum",)),
        },
    }
    _api_orders = {"id": "id", "updated_at": "write_date"}
    _api_default_order = "id"
    _api_read_schema = STOCK_READ

    @api.model
    def _api_base_domain(self):
        return [("location_id.usage", "=", "internal")]

    @api.model
    def _api_render(self, records, detail=False):
        lot_names = names_of(records.lot_id)
        # stored on the location: read with the page's locations, one query for the names
        warehouse_names = names_of(records.location_id.warehouse_id)
        return [
            {
                "id": quant.id,
                "product": {
                    "id": quant.product_id.id,
                    "name": quant.product_id.name,
                    "default_code": quant.product_id.default_code or None,
                },
                "location": {"id": quant.location_id.id, "name": quant.location_id.complete_name},
                "warehouse": ref(
                    quant.location_id.warehouse_id,
                    warehouse_names.get(quant.location_id.warehouse_id.id),
                ),
                "lot": ref(quant.lot_id, lot_names.get(quant.lot_id.id)),
                "quantity": quant.quantity,
                "reserved_quantity": quant.reserved_quantity,
                "available_quantity": quant.quantity - quant.reserved_quantity,
                "updated_at": quant.write_date,
            }
            for quant in records
        ]
