"""/api/v1/pickings: receipts, deliveries and internal transfers.

A warehouse system reads what is to ship or receive, creates a receipt or
a delivery from lines, and confirms what it did with `validate`: the
quantities done per move, and, when something is not done, whether the
rest waits in a backorder or is cancelled. Odoo's web client asks that
question with a wizard (stock.backorder.confirmation) that button_validate
returns; the API never shows a wizard: the body answers it, and a body that
does not is a 409 saying what to send.
"""

import copy

from odoo import Command, api, models
from odoo.tools import SQL

from ..core import ApiError, parse_datetime, validation_error
from ..lib import schema as s
from ..lib.timestamps import date_filter_description
from ..models.api_resource import eq, names_of, ref, since, until
from .stock_move import MOVE_READ, REF, location_names

STATES = ["draft", "waiting", "confirmed", "assigned", "done", "cancel"]
TYPES = ["incoming", "outgoing", "internal"]

PICKING_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string", read_only=True, example="WH/OUT/00042"),
        "state": s.Field("string", enum=STATES),
        "type": s.Field(
            "string",
            description="Kind of operation: incoming, outgoing or internal",
            example="outgoing",
        ),
        "operation_type": REF,
        "warehouse": s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True),
        "partner": s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True),
        "origin": s.Field("string", nullable=True, description="Source document (an order)"),
        "scheduled_date": s.Field("string", format="date-time"),
        "date_done": s.Field("string", format="date-time", nullable=True),
        "location": REF,
        "location_dest": REF,
        "backorder_of": s.Object(
            {"id": s.Field("integer"), "name": s.Field("string")},
            nullable=True,
            description="The picking whose rest this one is",
        ),
        "move_count": s.Field("integer"),
        # a copy: the moves of a picking are rendered as the stock-moves
        # resource renders them, without what the framework adds to that
        # resource's own rows (its xid, company)
        "moves": s.Array(copy.deepcopy(MOVE_READ), description="Detail only"),
        "backorders": s.Array(
            REF, description="Detail only: pickings made of what this one left undone"
        ),
        "updated_at": s.Field("string", format="date-time"),
    }
)

LINE_WRITE = s.Object(
    {
        "product_id": s.Id(required=True),
        "quantity": s.Field(
            "number",
            required=True,
            exclusive_minimum=0,
            maximum=s.MAX_QUANTITY,
            description="In the product's unit",
        ),
    }
)

PICKING_CREATE = s.Object(
    {
        "type": s.Field(
            "string",
            enum=TYPES,
            required=True,
            description="incoming: a receipt, outgoing: a delivery, internal: a transfer",
        ),
        "warehouse_id": s.Id(
            description="Whose operation type of that kind; default: the company's first warehouse"
        ),
        "picking_type_id": s.Id(
            description="The operation type itself, when a warehouse has several of one kind"
        ),
        "partner_id": s.Id(description="Vendor of a receipt, customer of a delivery"),
        "origin": s.Field("string", max_length=256, description="Source document"),
        "scheduled_date": s.Field(
            "string",
            format="date-time",
            description="With its UTC offset (Z or +HH:MM), which is honoured. Default: now.",
        ),
        "lines": s.Array(LINE_WRITE, required=True, min_items=1, max_items=1000),
    }
)

VALIDATE_MOVE = s.Object(
    {
        "id": s.Id(required=True, description="A move of this picking"),
        "quantity": s.Field(
            "number",
            required=True,
            minimum=0,
            maximum=s.MAX_QUANTITY,
            description="Quantity done, in the move's unit (rounded to its precision as "
            "Odoo rounds it); 0: none of it",
        ),
    }
)

PICKING_VALIDATE = s.Object(
    {
        "moves": s.Array(
            VALIDATE_MOVE,
            max_items=1000,
            description="Quantities done; moves left out are not done. Without moves, "
            "every move is done with the quantity reserved or set in Odoo (a receipt's "
            "demand).",
        ),
        "backorder": s.Field(
            "boolean",
            description="What becomes of what is not done: true keeps it in a backorder "
            "(a new picking), false cancels it. Needed when something is not done and the "
            "operation type asks (409 otherwise); an operation type that always or never "
            "makes backorders refuses the other choice (409).",
        ),
    }
)


def _by_warehouse(warehouse_id):
    return [("picking_type_id.warehouse_id", "=", warehouse_id)]


class ApiResourcePicking(models.AbstractModel):
    _name = "api.resource.picking"
    _inherit = "api.resource"
    _description = "REST API resource: pickings (receipts, deliveries, transfers)"

    _api_path = "pickings"
    _api_model = "stock.picking"
    _api_description = "pickings: receipts, deliveries and internal transfers"
    _api_attachments = True
    _api_operations = ("list", "get", "create")
    _api_filters = {
        "state": (s.Field("string", enum=STATES), eq("state")),
        "type": (s.Field("string", enum=TYPES), eq("picking_type_code")),
        "warehouse_id": (s.Id(), _by_warehouse),
        "origin": (
            s.Field("string", max_length=256, description="Exactly this source document"),
            eq("origin"),
        ),
        "partner_id": (s.Id(), eq("partner_id")),
        "scheduled_from": (
            s.Field(
                "string",
                format="date-time",
                description=date_filter_description(
                    "Scheduled at or after", "scheduled_from", "scheduled_to"
                ),
            ),
            since("scheduled_date"),
        ),
        "scheduled_to": (
            s.Field(
                "string",
                format="date-time",
                description=date_filter_description(
                    "Scheduled at or before", "scheduled_from", "scheduled_to"
                ),
            ),
            until("scheduled_date"),
        ),
    }
    # GET /pickings/aggregate: pickings per day, state, operation type...
    _api_aggregate = {
        "group_by": {
            "scheduled_date": "scheduled_date",
            "date_done": "date_done",
            "state": "state",
            "picking_type": "picking_type_id",
            "partner": "partner_id",
            "location": "location_id",
            "location_dest": "location_dest_id",
        },
        "measures": {},
    }
    _api_orders = {
        "scheduled_date": "scheduled_date",
        "id": "id",
        "name": "name",
        "updated_at": "write_date",
    }
    _api_default_order = "scheduled_date"
    _api_read_schema = PICKING_READ
    _api_create_schema = PICKING_CREATE
    _api_actions = {"validate": "_api_action_validate", "cancel": "_api_action_cancel"}
    _api_action_schemas = {"validate": PICKING_VALIDATE}
    _api_list_fields = (
        "name",
        "state",
        "picking_type_id",
        "partner_id",
        "origin",
        "scheduled_date",
        "date_done",
        "location_id",
        "location_dest_id",
        "backorder_id",
        "write_date",
        "company_id",  # read by the record rules that check each page
    )

    # -------------------------------------------------------------- render
    @api.model
    def _api_render(self, records, detail=False):
        """Picking rows in a fixed number of queries: one per relation (its
        names read as ref() reads them) and one grouped count of moves;
        the detail adds its moves (see stock_move.py) and backorders."""
        records.fetch(self._api_list_fields)
        types = records.picking_type_id.sudo()  # sudo: names and kinds, as ref() reads names
        types.fetch(["name", "code", "warehouse_id"])
        type_names = dict(zip(types.ids, types.mapped("name"), strict=True))
        warehouses = names_of(types.warehouse_id)
        partners = names_of(records.partner_id)
        locations = location_names(records.location_id | records.location_dest_id)
        backorders_of = names_of(records.backorder_id)
        if detail:
            move_rows = self.env["api.resource.stock_move"]._api_render(records.move_ids)
            moves_by_id = {row["id"]: row for row in move_rows}
            backorders = names_of(records.backorder_ids)
            move_counts = {picking.id: len(picking.move_ids) for picking in records}
        else:
            # one grouped count under the caller's record rules (as orders count lines)
            query = self.env["stock.move"]._search([("picking_id", "in", records.ids)])
            column = SQL.identifier(query.table, "picking_id")
            query.groupby = column
            move_counts = dict(self.env.execute_query(query.select(column, SQL("COUNT(*)"))))
        rows = []
        for picking in records:
            kind = types.browse(picking.picking_type_id.id)
            row = {
                "id": picking.id,
                "name": picking.name,
                "state": picking.state,
                "type": kind.code,
                "operation_type": {"id": kind.id, "name": type_names[kind.id]},
                "warehouse": ref(kind.warehouse_id, warehouses.get(kind.warehouse_id.id)),
                "partner": ref(picking.partner_id, partners.get(picking.partner_id.id)),
                "origin": picking.origin or None,
                "scheduled_date": picking.scheduled_date,
                "date_done": picking.date_done or None,
                "location": {
                    "id": picking.location_id.id,
                    "name": locations[picking.location_id.id],
                },
                "location_dest": {
                    "id": picking.location_dest_id.id,
                    "name": locations[picking.location_dest_id.id],
                },
                "backorder_of": ref(
                    picking.backorder_id, backorders_of.get(picking.backorder_id.id)
                ),
                "move_count": move_counts.get(picking.id, 0),
                "updated_at": picking.write_date,
            }
            if detail:
                row["moves"] = [moves_by_id[move.id] for move in picking.move_ids]
                row["backorders"] = [
                    {"id": backorder.id, "name": backorders[backorder.id]}
                    for backorder in picking.backorder_ids
                ]
            rows.append(row)
        return rows

    # -------------------------------------------------------------- create
    @api.model
    def _api_check_exists(self, model, record_id, path):
        """The record `path` names, readable by the caller (403 otherwise),
        or a 400 naming `path`."""
        record = self.env[model].browse(record_id).exists()
        if not record:
            raise validation_error(path, "not_found", f"{path} {record_id} does not exist")
        record.check_access("read")
        return record

    @api.model
    def _api_picking_type(self, body):
        """The operation type a create body names: its `picking_type_id`,
        else its warehouse's (or the company's first warehouse's) type of
        that kind. What the body says must agree."""
        kind = body["type"]
        warehouse = None
        if "warehouse_id" in body:
            warehouse = self._api_check_exists(
                "stock.warehouse", body["warehouse_id"], "warehouse_id"
            )
        if "picking_type_id" in body:
            picking_type = self._api_check_exists(
                "stock.picking.type", body["picking_type_id"], "picking_type_id"
            )
            if picking_type.code != kind:
                raise validation_error(
                    "picking_type_id",
                    "conflict",
                    f"picking_type_id {picking_type.id} is of type {picking_type.code}, not {kind}",
                )
            if warehouse is not None and picking_type.warehouse_id != warehouse:
                raise validation_error(
                    "picking_type_id",
                    "conflict",
                    f"picking_type_id {picking_type.id} is not an operation type of "
                    f"warehouse_id {warehouse.id}",
                )
            return picking_type
        if warehouse is None:
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", self.env.company.id)], limit=1
            )
            if not warehouse:
                raise ApiError(409, f"company {self.env.company.name} has no warehouse", "conflict")
        field_name = {
            "incoming": "in_type_id",
            "outgoing": "out_type_id",
            "internal": "int_type_id",
        }
        picking_type = warehouse[field_name[kind]]
        if not picking_type.active:
            raise validation_error(
                "warehouse_id",
                "not_found",
                f"warehouse {warehouse.name} has no active operation type of type {kind}",
            )
        return picking_type

    @api.model
    def _api_prepare_create(self, body):
        picking_type = self._api_picking_type(body)
        values = {"picking_type_id": picking_type.id, "move_ids": []}
        if "partner_id" in body:
            values["partner_id"] = self._api_check_exists(
                "res.partner", body["partner_id"], "partner_id"
            ).id
        if body.get("origin"):
            values["origin"] = body["origin"]
        if body.get("scheduled_date"):
            values["scheduled_date"] = parse_datetime(
                body["scheduled_date"], "scheduled_date"
            ).replace(microsecond=0)
        for index, line in enumerate(body["lines"]):
            path = f"lines[{index}].product_id"
            product = self._api_check_exists("product.product", line["product_id"], path)
            if product.type != "consu":
                raise validation_error(
                    path, "conflict", f"{path} {product.id} is a {product.type}: it is not moved"
                )
            values["move_ids"].append(
                Command.create({"product_id": product.id, "product_uom_qty": line["quantity"]})
            )
        return values

    @api.model
    def _api_create_many(self, bodies):
        """Create and confirm: a picking the API makes is ready to process
        (Odoo reserves a delivery's stock as the operation type says)."""
        results = super()._api_create_many(bodies)
        for picking, created in results:
            if created:
                picking.action_confirm()
        return results

    # ------------------------------------------------------------- actions
    @api.model
    def _api_check_open(self, picking, verb):
        if picking.state == "done":
            raise ApiError(
                409, f"picking {picking.name} is already done; it cannot be {verb}", "conflict"
            )
        if picking.state == "cancel":
            raise ApiError(
                409, f"picking {picking.name} is cancelled; it cannot be {verb}", "conflict"
            )

    @api.model
    def _api_action_cancel(self, picking):
        self._api_check_open(picking, "cancelled")
        picking.action_cancel()

    @api.model
    def _api_action_validate(self, picking, body):
        """Set the quantities done, then validate as the web client does;
        the decisions its wizards ask for come from the body, or are a 409
        naming what to send. All or nothing: a refusal leaves the picking
        as it was."""
        self._api_check_open(picking, "validated")
        backorder = body.get("backorder")
        with self.env.cr.savepoint():
            if picking.state == "draft":
                picking.action_confirm()
            open_moves = picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
            if "moves" in body:
                self._api_set_quantities(picking, open_moves, body["moves"])
            self._api_check_something_done(picking, open_moves)
            context = {}
            if backorder is not None:
                context["skip_backorder"] = True  # the body answered the wizard's question
            if backorder is False:
                context["picking_ids_not_to_backorder"] = picking.ids
            before = {move.id: move.state for move in open_moves}
            result = picking.with_context(**context).button_validate()
            if picking.state != "done":
                # a wizard's question; once done, what comes back (a report to
                # print or show) is only for the web client
                if isinstance(result, dict) and result.get("type") == "ir.actions.act_window":
                    raise self._api_decision_needed(picking, open_moves, result)
                raise ApiError(
                    409,
                    f"picking {picking.name} could not be validated (it is {picking.state})",
                    "conflict",
                )
            self._api_check_backorder_choice(picking, open_moves, before, backorder)

    @api.model
    def _api_set_quantities(self, picking, open_moves, given):
        """Apply the body's quantities: the moves it names are done with
        them (picked), the others are not done. A move id that is not an
        open move of this picking, or one named twice, is a 400."""
        by_id = {move.id: move for move in open_moves}
        problems, seen = [], set()
        for index, item in enumerate(given):
            path = f"moves[{index}].id"
            if item["id"] not in by_id:
                problems.append(
                    {
                        "field": path,
                        "issue": "not_found",
                        "message": f"{path} {item['id']} is not an open move of picking "
                        f"{picking.name}",
                    }
                )
            elif item["id"] in seen:
                problems.append(
                    {
                        "field": path,
                        "issue": "conflict",
                        "message": f"{path} {item['id']} is given twice",
                    }
                )
            seen.add(item["id"])
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ApiError(400, problems[0]["message"] + more, "validation_error", problems)
        quantities = {item["id"]: item["quantity"] for item in given}
        for move in open_moves:
            if move.id in quantities:
                move.quantity = quantities[move.id]
                move.picked = True
            else:
                move.picked = False

    @api.model
    def _api_check_something_done(self, picking, open_moves):
        """409 when no move would be done (Odoo refuses to validate nothing):
        the moves the body names (or, without them, every move) all have
        no quantity."""
        picked = open_moves.filtered("picked")
        considered = picked or open_moves
        if all(move.product_uom.is_zero(move.quantity) for move in considered):
            raise ApiError(
                409,
                f"nothing to validate: no move of picking {picking.name} has a quantity done "
                "(nothing is reserved or set); send moves with their quantities",
                "conflict",
                [{"field": "moves", "issue": "required"}],
            )

    @api.model
    def _api_short_moves(self, moves):
        """Text of each move that is not done in full: what is left of it."""
        texts = []
        for move in moves:
            done = move.quantity if move.picked else 0.0
            if move.product_uom.compare(done, move.product_uom_qty) < 0:
                texts.append(
                    f"{move.product_uom_qty - done:g} of {move.product_uom_qty:g} "
                    f"{move.product_uom.name} of {move.product_id.display_name}"
                )
        return texts

    @api.model
    def _api_decision_needed(self, picking, open_moves, action):
        """The 409 of a wizard button_validate returned: the backorder
        question (the body did not say), or a question this API does not
        answer (a module's own wizard), named."""
        if action.get("res_model") == "stock.backorder.confirmation":
            short = "; ".join(self._api_short_moves(open_moves)) or "part of it"
            return ApiError(
                409,
                f"validating picking {picking.name} leaves {short} undone: send "
                '"backorder": true to keep the rest in a backorder, or false to cancel it',
                "conflict",
                [{"field": "backorder", "issue": "required"}],
            )
        model = self.env["ir.model"]._get(action.get("res_model") or "")
        what = model.name if model else action.get("name") or action.get("res_model")
        return ApiError(
            409,
            f"Odoo asks a question before validating picking {picking.name} ({what}) that "
            "this API does not answer; validate it in Odoo",
            "conflict",
        )

    @api.model
    def _api_check_backorder_choice(self, picking, open_moves, before, backorder):
        """409 when the operation type's own setting overrode the body's
        choice: a type that always makes backorders made one against
        `backorder: false`, or one that never does cancelled the rest
        against `backorder: true`."""
        setting = picking.picking_type_id.create_backorder
        if backorder is False and picking.backorder_ids and setting == "always":
            raise ApiError(
                409,
                f"operation type {picking.picking_type_id.name} always keeps the rest in a "
                'backorder; send "backorder": true or leave it out',
                "conflict",
                [{"field": "backorder", "issue": "conflict"}],
            )
        if backorder is True and setting == "never" and not picking.backorder_ids:
            left = [
                move
                for move in open_moves
                if (move.state == "cancel" and before[move.id] != "cancel")
                or move.product_uom.compare(move.quantity, move.product_uom_qty) < 0
            ]
            if left:
                raise ApiError(
                    409,
                    f"operation type {picking.picking_type_id.name} never makes backorders: "
                    'the rest would be cancelled; send "backorder": false or leave it out',
                    "conflict",
                    [{"field": "backorder", "issue": "conflict"}],
                )
