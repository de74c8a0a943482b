from odoo import api, models

from ..lib import schema as s
from ..models.api_resource import eq, ilike, names_of

PRODUCT_TYPES = ["consu", "service", "combo"]
# a combo needs its choices (combo_ids), which the API does not expose
WRITABLE_TYPES = ["consu", "service"]

WAREHOUSE_QUANTITIES = s.Object(
    {
        "warehouse": s.Object({"id": s.Field("integer"), "name": s.Field("string")}),
        "qty_available": s.Field("number", description="On hand"),
        "free_qty": s.Field("number", description="Available: on hand and not reserved"),
        "virtual_available": s.Field(
            "number", description="Forecast: on hand plus incoming minus outgoing"
        ),
    }
)

PRODUCT_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string"),
        "default_code": s.Field("string", nullable=True, description="Internal reference (SKU)"),
        "barcode": s.Field("string", nullable=True),
        "type": s.Field("string", enum=PRODUCT_TYPES),
        "is_storable": s.Field("boolean", description="Inventory is tracked"),
        "sale_ok": s.Field("boolean"),
        "list_price": s.Field("number", description="Sales price"),
        "uom": s.Field("string", description="Unit of measure"),
        "qty_available": s.Field("number", description="On hand, all warehouses"),
        "free_qty": s.Field(
            "number", description="Available (on hand and not reserved), all warehouses"
        ),
        "virtual_available": s.Field("number", description="Forecast, all warehouses"),
        "warehouses": s.Array(
            WAREHOUSE_QUANTITIES,
            description="The same quantities per warehouse you may read (empty when the "
            "product's inventory is not tracked)",
        ),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def _write_schema(required_name):
    return s.Object(
        {
            "name": s.Field("string", required=required_name, max_length=256),
            "default_code": s.Field("string", max_length=256, nullable=True),
            "barcode": s.Field("string", max_length=256, nullable=True),
            "type": s.Field("string", enum=WRITABLE_TYPES),
            "is_storable": s.Field("boolean"),
            "sale_ok": s.Field("boolean"),
            "list_price": s.Field("number", minimum=0, maximum=s.MAX_AMOUNT),
            "description_sale": s.Field("string", max_length=10000, nullable=True),
        }
    )


class ApiResourceProduct(models.AbstractModel):
    _name = "api.resource.product"
    _inherit = "api.resource"
    _description = "REST API resource: products"

    _api_path = "products"
    _api_model = "product.product"
    _api_description = "products and their stock quantities"
    _api_operations = ("list", "get", "create", "update", "delete", "batch")
    _api_filters = {
        "name": (s.Field("string", max_length=256, description="Part of the name"), ilike("name")),
        "default_code": (s.Field("string", max_length=256), eq("default_code")),
        "barcode": (s.Field("string", max_length=256), eq("barcode")),
        "type": (s.Field("string", enum=PRODUCT_TYPES), eq("type")),
        "sale_ok": (s.Field("boolean"), eq("sale_ok")),
    }
    _api_operator_filters = {
        "list_price": (
            "list_price",
            s.Field("number", minimum=-s.MAX_AMOUNT, maximum=s.MAX_AMOUNT),
            ("gte", "lte"),
        ),
        "default_code": ("default_code", s.Field("string", max_length=256), ("in",)),
    }
    _api_search_fields = ("name", "default_code", "barcode")
    _api_orders = {"id": "id", "updated_at": "write_date", "default_code": "default_code"}
    _api_default_order = "id"
    _api_read_schema = PRODUCT_READ
    _api_create_schema = _write_schema(True)
    _api_update_schema = _write_schema(False)
    _api_external_ref = ("default_code", "default_code")

    @api.model
    def _api_warehouse_quantities(self, products):
        """{product id: [quantities per warehouse]} for the storable ones of
        `products`, with the caller's rights (the warehouses they may read).

        Odoo computes a product's quantities for one warehouse at a time
        (context `warehouse_id`), for a whole recordset at once: a few
        grouped queries per warehouse, however many products. A page costs
        as much for 200 products as for 5; a database with many warehouses
        pays that per warehouse."""
        storable = products.filtered("is_storable")
        if not storable:
            return {}
        warehouses = self.env["stock.warehouse"].search([])
        names = names_of(warehouses)
        result = {product.id: [] for product in storable}
        for warehouse in warehouses:
            for product in storable.with_context(warehouse_id=warehouse.id):
                result[product.id].append(
                    {
                        "warehouse": {"id": warehouse.id, "name": names[warehouse.id]},
                        "qty_available": product.qty_available,
                        "free_qty": product.free_qty,
                        "virtual_available": product.virtual_available,
                    }
                )
        return result

    @api.model
    def _api_render(self, records, detail=False):
        # the quantities are computed for the whole page at once by the
        # stock addon (a few grouped queries), the totals and per warehouse
        per_warehouse = self._api_warehouse_quantities(records)
        return [
            {
                "id": product.id,
                "name": product.name,
                "default_code": product.default_code or None,
                "barcode": product.barcode or None,
                "type": product.type,
                "is_storable": product.is_storable,
                "sale_ok": product.sale_ok,
                "list_price": product.list_price,
                "uom": product.uom_id.name,
                "qty_available": product.qty_available,
                "free_qty": product.free_qty,
                "virtual_available": product.virtual_available,
                "warehouses": per_warehouse.get(product.id, []),
                "updated_at": product.write_date,
            }
            for product in records
        ]
