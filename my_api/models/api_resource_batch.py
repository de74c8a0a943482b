"""Batches of /api/v1: POST /<path>/batch, up to 200 creates and updates
in one transaction, all or nothing.

The contract is the item-by-item path (`_api_batch_item_by_item`): each
item in turn, in a savepoint of its own, so that every failing item is
named; any failure rolls the whole batch back. The bulk path gives the same
answer faster: each run of consecutive creates goes through the create
pipeline of a single create (`_api_create_many`) as one list, its
references resolved together and its records made in one
`create(vals_list)`. It is optimistic:
on any problem (an item's 400, a constraint, an access right) it rolls back
to where the batch began and the item-by-item path runs instead, to name
the failing items exactly as it always did. A failed batch saves nothing
either way, so doing its work twice changes nothing but its cost.
"""

import copy

from odoo import api, models

from ..core import ApiError, translate_exception
from ..lib import schema as s
from .api_resource import ApiResource

MAX_BATCH = 200
# Methods that run once per item in the item-by-item path: a resource that
# overrides one of them keeps that path. The write hooks, since running them
# twice (bulk attempt, then fallback) or in another order could be seen (a
# write rate limit counts calls on a connection of its own, say); and the
# single create, which the bulk path does not call (it calls the pipeline,
# `_api_create_many`, which is the method to override).
PER_ITEM_HOOKS = ("_api_before_write", "_api_after_write", "_api_create")


class ApiResourceBatch(models.AbstractModel):
    _inherit = "api.resource"

    @api.model
    def _api_batch(self, body):
        """All-or-nothing creates/updates; per-item errors on failure."""
        self._api_check_operation("batch")
        self._api_batch_validate(body)
        items = body["items"]
        if self._api_batch_bulk_allowed():
            results = self._api_batch_try_bulk(items)
            if results is not None:
                return results
        results, errors = self._api_batch_item_by_item(items)
        if errors:
            raise ApiError(
                400 if all(e["status"] == 400 for e in errors) else 409,
                f"{len(errors)} of {len(items)} item(s) failed; nothing was saved",
                "batch_failed",
                errors,
            )
        return results

    @api.model
    def _api_batch_validate(self, body):
        """400 unless `body` is a list of items, each a create or an update
        as the document's oneOf says (a create carries no id, an update
        names its record); the item's data is validated by its operation."""
        spec = s.Object(
            {"items": s.Array(s.Field("object"), required=True, min_items=1, max_items=MAX_BATCH)}
        )
        self._api_validate(body, spec)
        item_specs = {
            "create": s.Object(
                {
                    "op": s.Field("string", enum=["create"], required=True),
                    "data": s.Field("object", required=True),
                }
            ),
            "update": s.Object(
                {
                    "op": s.Field("string", enum=["update"], required=True),
                    "id": s.Field(
                        "string", required=True, pattern=self._api_ident_pattern().pattern
                    ),
                    "data": s.Field("object", required=True),
                }
            ),
        }
        problems = []
        for index, item in enumerate(body["items"]):
            op = item.get("op")
            item_spec = item_specs.get(op) if isinstance(op, str) else None
            if item_spec is None:
                problems.append(
                    {
                        "field": f"items[{index}].op",
                        "issue": "invalid_value",
                        "message": f"items[{index}].op must be one of: create, update",
                    }
                )
                continue
            problems.extend(s.validate(item, item_spec, path=f"items[{index}]"))
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ApiError(400, problems[0]["message"] + more, "validation_error", problems)

    # ------------------------------------------------------ item by item
    @api.model
    def _api_batch_item_by_item(self, items):
        """(results, errors) of `items` run one after the other, each in a
        savepoint of its own: the batch's contract."""
        results, errors = [], []
        for index, item in enumerate(items):
            try:
                with self.env.cr.savepoint():
                    if item["op"] == "create":
                        record, created = self._api_create(item["data"])
                        results.append({"index": index, "id": record.id, "created": created})
                    else:
                        record = self._api_update(item["id"], item["data"])
                        results.append({"index": index, "id": record.id, "created": False})
                    self.env.flush_all()
            except Exception as exc:
                api_exc = translate_exception(exc)
                if api_exc is None:
                    raise
                errors.append(
                    {
                        "index": index,
                        "status": api_exc.status,
                        "code": api_exc.code,
                        "message": api_exc.message,
                        "details": api_exc.details or [],
                    }
                )
        return results, errors

    # -------------------------------------------------------------- bulk
    @api.model
    def _api_batch_bulk_allowed(self):
        """Whether this resource's batches may take the bulk path: not when
        it overrides a per-item hook (see PER_ITEM_HOOKS)."""
        cls = type(self)
        return all(getattr(cls, name) is getattr(ApiResource, name) for name in PER_ITEM_HOOKS)

    @api.model
    def _api_batch_try_bulk(self, items):
        """The results of `items` through the bulk path, or None (rolled
        back) when an item failed: the item-by-item path then names it.

        The bulk path works on a copy of the items: validation normalizes a
        body in place, and the fallback must see what the client sent."""
        savepoint = self.env.cr.savepoint()
        try:
            results = self._api_batch_bulk(copy.deepcopy(items))
        except Exception as exc:
            savepoint.close(rollback=True)
            if translate_exception(exc) is not None:
                return None
            raise  # not an item's error (a retry of the request, say)
        savepoint.close(rollback=False)
        return results

    @api.model
    def _api_batch_bulk(self, items):
        """Results of `items`, runs of consecutive creates in one create()
        each, updates one at a time between them, in the order given.

        A run ends before a create whose external reference an earlier
        create of the run carries: item by item, that create returns the
        record the first one made, so it has to see it."""
        results, run, refs = [], [], set()
        for index, item in enumerate(items):
            if item["op"] == "create":
                value = self._api_batch_ref_value(item["data"])
                if value is not None and value in refs:
                    results += self._api_batch_create_run(run)
                    run, refs = [], set()
                run.append((index, item["data"]))
                if value is not None:
                    refs.add(value)
                continue
            results += self._api_batch_create_run(run)
            run, refs = [], set()
            record = self._api_update(item["id"], item["data"])
            self.env.flush_all()
            results.append({"index": index, "id": record.id, "created": False})
        results += self._api_batch_create_run(run)
        return results

    @api.model
    def _api_batch_ref_value(self, body):
        """The external reference a create body carries, or None."""
        if not self._api_external_ref:
            return None
        value = body.get(self._api_external_ref[0])
        return value if isinstance(value, str) and value else None

    @api.model
    def _api_batch_create_run(self, run):
        """Create the (index, body) of `run` through the create pipeline
        (`_api_create_many`), all its bodies at once: the steps of a single
        create, each over the whole run, then one create() of the new
        records."""
        if not run:
            return []
        results = self._api_create_many([body for _index, body in run])
        self.env.flush_all()  # a constraint fails here, not at the commit
        return [
            {"index": index, "id": record.id, "created": created}
            for (index, _body), (record, created) in zip(run, results, strict=True)
        ]
