"""/api/v1/stock-moves: the stock moves that were done, read-only.

What went where, when, and how much: the history behind days of supply and
consumption per location, without the quants' present-only view. A move
row is also how a picking's detail shows its moves (see picking.py), and
how an outbound webhook renders a picking's `move_ids` (see
`_api_payload_rows`).
"""

from odoo import api, models

from ..core import ApiError
from ..lib import schema as s
from ..lib.timestamps import date_filter_description
from ..models.api_resource import eq, names_of, ref, since, until

MOVE_STATES = ["draft", "waiting", "confirmed", "partially_available", "assigned", "done", "cancel"]

REF = s.Object({"id": s.Field("integer"), "name": s.Field("string")})
PRODUCT_REF = s.Object(
    {
        "id": s.Field("integer"),
        "default_code": s.Field("string", nullable=True, description="Internal reference (SKU)"),
        "name": s.Field("string"),
    }
)

MOVE_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "reference": s.Field(
            "string", nullable=True, description="The picking's name, or the inventory's"
        ),
        "product": PRODUCT_REF,
        "demand": s.Field("number", description="Quantity planned, in unit"),
        "quantity": s.Field(
            "number",
            description="Quantity done (a done move: what moved), in unit; before the "
            "move is done, what is reserved or set so far",
        ),
        "unit": s.Field("string", description="Unit of measure of demand and quantity"),
        "state": s.Field("string", enum=MOVE_STATES),
        "date": s.Field(
            "string", format="date-time", description="When it was done (else when it is due)"
        ),
        "location": REF,
        "location_dest": REF,
        "picking": s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True),
        "type": s.Field(
            "string",
            nullable=True,
            description="Its picking's kind: incoming, outgoing or internal (null: no picking)",
        ),
        "lots": s.Array(REF, description="Lots or serial numbers moved"),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def _in_or_out_of(location_id):
    """Moves from or to this location or a location inside it."""
    return [
        "|",
        ("location_id", "child_of", location_id),
        ("location_dest_id", "child_of", location_id),
    ]


def location_names(locations):
    """{id: full name} ("WH/Stock/Shelf 1") of locations, in one query, read
    as ref() reads a name: whoever reads a move sees where it went."""
    # sudo: only the names of the locations the caller's moves point to
    locations = locations.sudo()
    locations.fetch(["complete_name"])
    return {location.id: location.complete_name for location in locations}


class ApiResourceStockMove(models.AbstractModel):
    _name = "api.resource.stock_move"
    _inherit = "api.resource"
    _description = "REST API resource: stock moves (done)"

    _api_path = "stock-moves"
    _api_model = "stock.move"
    _api_description = "stock moves that were done"
    _api_operations = ("list", "get")
    _api_filters = {
        "product_id": (s.Id(), eq("product_id")),
        "picking_id": (s.Id(), eq("picking_id")),
        "location_id": (
            s.Id(description="Moves from or to this location or a location inside it"),
            _in_or_out_of,
        ),
        "date_from": (
            s.Field(
                "string",
                format="date-time",
                description=date_filter_description("Done at or after", "date_from", "date_to"),
            ),
            since("date"),
        ),
        "date_to": (
            s.Field(
                "string",
                format="date-time",
                description=date_filter_description("Done at or before", "date_from", "date_to"),
            ),
            until("date"),
        ),
    }
    # GET /stock-moves/aggregate: what moved per day, product, location
    # (the outflow that days of supply divides the on-hand quantity by)
    _api_aggregate = {
        "group_by": {
            "date": "date",
            "product": "product_id",
            "location": "location_id",
            "location_dest": "location_dest_id",
            "picking_type": "picking_type_id",
        },
        "measures": {"quantity": "quantity", "demand": "product_uom_qty"},
    }
    _api_orders = {"date": "date", "id": "id", "updated_at": "write_date"}
    _api_default_order = "-date"
    _api_read_schema = MOVE_READ
    _api_list_fields = (
        "reference",
        "product_id",
        "product_uom_qty",
        "quantity",
        "product_uom",
        "state",
        "date",
        "location_id",
        "location_dest_id",
        "picking_id",
        "write_date",
        "company_id",  # read by the record rules that check each page
    )
    # an outbound webhook renders a one2many of moves (a picking's move_ids)
    # as these rows rather than {id, name}: a receiver wants what moved
    _api_payload_rows = True

    @api.model
    def _api_descriptor(self):
        # StockMove, not Stock-move: the name of its schemas and of generated classes
        return dict(super()._api_descriptor(), title="StockMove")

    @api.model
    def _api_base_domain(self):
        return [("state", "=", "done")]

    @api.model
    def _api_resolve(self, ident):
        """A move that is not done is none of this resource's (as the list
        says): 404, like a move that does not exist. A picking's detail
        shows its open moves."""
        move = super()._api_resolve(ident)
        if move.state != "done":
            raise ApiError(404, f"{self._api_path} {ident} not found", "not_found")
        return move

    @api.model
    def _api_lots(self, moves):
        """{move id: [lot ids]} of the lots each move moves (or reserves), in
        one grouped query, as stock.move's lot_ids computes them."""
        # sudo: the lots of moves the caller may read; whoever reads a move
        # may know its lots (a role may read moves and not their lines)
        groups = (
            self.env["stock.move.line"]
            .sudo()
            ._read_group(
                [("move_id", "in", moves.ids), ("lot_id", "!=", False), ("quantity", "!=", 0.0)],
                ["move_id"],
                ["lot_id:array_agg"],
            )
        )
        return {move.id: sorted(set(lot_ids)) for move, lot_ids in groups}

    @api.model
    def _api_render(self, records, detail=False):
        """Move rows, in a fixed number of queries whatever their number: one
        per relation read (products, units, locations, pickings, lots)."""
        records.fetch(self._api_list_fields)
        records.product_id.sudo().fetch(["default_code", "name"])  # sudo: as ref() reads names
        units = names_of(records.product_uom)
        locations = location_names(records.location_id | records.location_dest_id)
        pickings = names_of(records.picking_id)
        # sudo: the kind of the pickings' operation types, as their names
        kinds = {picking.id: picking.picking_type_id.code for picking in records.picking_id.sudo()}
        lots_by_move = self._api_lots(records)
        lots = names_of(
            self.env["stock.lot"].browse({i for ids in lots_by_move.values() for i in ids})
        )
        rows = []
        for move in records:
            product = move.product_id.sudo()
            rows.append(
                {
                    "id": move.id,
                    "reference": move.reference or None,
                    "product": {
                        "id": product.id,
                        "default_code": product.default_code or None,
                        "name": product.name,
                    },
                    "demand": move.product_uom_qty,
                    "quantity": move.quantity,
                    "unit": units.get(move.product_uom.id),
                    "state": move.state,
                    "date": move.date,
                    "location": {
                        "id": move.location_id.id,
                        "name": locations[move.location_id.id],
                    },
                    "location_dest": {
                        "id": move.location_dest_id.id,
                        "name": locations[move.location_dest_id.id],
                    },
                    "picking": ref(move.picking_id, pickings.get(move.picking_id.id)),
                    "type": kinds.get(move.picking_id.id) or None,
                    "lots": [
                        {"id": lot_id, "name": lots[lot_id]}
                        for lot_id in lots_by_move.get(move.id, [])
                    ],
                    "updated_at": move.write_date,
                }
            )
        return rows
