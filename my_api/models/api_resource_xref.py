"""External ids and references of /api/v1 resources.

A shop, a marketplace or a WMS keeps its own keys, not Odoo's ids. Three
things let it talk in its own keys:

- a relation field of a body (an `s.Id(target=...)`) names its record by
  id, by `ref:<value>` (the external reference of the target's resource:
  `default_code` of a product, `ref` of a partner) or by
  `xid:<module.name>` (ir.model.data). The references of one body are
  resolved with the caller's rights, in one query per target model and
  kind, whatever the number of lines; one that names no record the caller
  may read is a 400 naming its field, with the same message whether the
  record is missing or hidden (existence is not leaked);
- a create may assign an external id (`"xid": "shopify.order_9821"`), and
  `PUT /<path>/xid:<module.name>` creates or updates the record that id
  names, in one idempotent call;
- every row carries its `xid` (null when none), read for a whole page in
  one query.

An external id the API assigns belongs to the integration, never to an
Odoo module: its module part may not be the name of a module this
database knows (installed or not: installing it later would make Odoo
take the record over, or delete it on upgrade) nor start with `_`
(Odoo's `__export__` / `__import__`). Referring to any readable record by
its xid, `xid:base.main_company` included, is allowed.
"""

import re

from odoo import Command, api, models
from odoo.tools import SQL

from ..core import ApiError, validation_error
from ..lib import schema as s

XID_RE = re.compile(s.XID_NAME_PATTERN)
XID_READ = s.Field(
    "string",
    nullable=True,
    read_only=True,
    example="shopify.order_9821",
    description="External id (module.name) of the record, null when it has none",
)
XID_WRITE = s.Field(
    "string",
    max_length=255,
    pattern=s.XID_NAME_PATTERN,
    pattern_hint="be an external id module.name",
    example="shopify.order_9821",
    description="Assign this external id (module.name) to the record: 409 if it names "
    "another record already. The module part is yours (not an Odoo module's name).",
)


def _reference_sites(value, spec, path, sites):
    """Append (container, key, path, spec) of every relation field of a
    validated `value` (ids and reference strings alike)."""
    if value is None:
        return
    if spec.target is not None:
        return
    if spec.type == "array" and spec.items is not None and isinstance(value, list):
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if spec.items.target is not None and item is not None:
                sites.append((value, index, item_path, spec.items))
            else:
                _reference_sites(item, spec.items, item_path, sites)
    elif spec.type == "object" and spec.properties and isinstance(value, dict):
        for key, sub in spec.properties.items():
            if key not in value:
                continue
            sub_path = f"{path}.{key}" if path else key
            if sub.target is not None:
                if value[key] is not None:
                    sites.append((value, key, sub_path, sub))
            else:
                _reference_sites(value[key], sub, sub_path, sites)


def _has_targets(spec):
    if spec is None:
        return False
    if spec.target is not None:
        return True
    if spec.type == "array":
        return _has_targets(spec.items)
    return any(_has_targets(sub) for sub in spec.properties.values())


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    _api_xid = True  # rows carry `xid`; creates and PUT may assign one

    # ------------------------------------------------------------ registry
    def _register_hook(self):
        """Every resource's read schema states `xid`, and its create schema
        the `xid` a create may assign (as the rows and creates do)."""
        super()._register_hook()
        if self._name.startswith("api.resource.") and self._api_model and self._api_xid:
            if self._api_read_schema is not None:
                self._api_read_schema.properties.setdefault("xid", XID_READ)
            if self._api_create_schema is not None and "create" in self._api_operations:
                self._api_create_schema.properties.setdefault("xid", XID_WRITE)

    @api.model
    def _api_descriptor(self):
        descriptor = super()._api_descriptor()
        descriptor["upsert"] = self._api_can_upsert()
        return descriptor

    @api.model
    def _api_can_upsert(self):
        ops = self._api_operations
        return bool(self._api_xid and "create" in ops and "update" in ops)

    @api.model
    def _api_allowed_methods(self, route):
        methods = super()._api_allowed_methods(route)
        if route == "item" and self._api_can_upsert():
            methods = (*methods, "PUT")
        return methods

    # ----------------------------------------------------- body references
    @api.model
    def _api_resolve_bodies(self, bodies, spec):
        """Turn the references of the relation fields of every body into
        ids (see the module docstring): the sites of all the bodies are
        resolved together, so that a batch of 200 orders naming the same 5
        products costs the queries of one."""
        super()._api_resolve_bodies(bodies, spec)
        if _has_targets(spec):
            sites = []
            for body in bodies:
                _reference_sites(body, spec, "", sites)
            if sites:
                self._api_resolve_references(sites)

    @api.model
    def _api_ref_field(self, target, spec):
        """The field `ref:<value>` of `target` looks up: the field's own
        `ref_field`, else the external reference of the target's resource."""
        if spec.ref_field:
            return spec.ref_field
        for name in self._api_resource_models().values():
            resource = self.env[name]
            if resource._api_model == target and resource._api_external_ref:
                return resource._api_external_ref[1]
        return None

    @api.model
    def _api_resolve_references(self, sites):
        """Replace, in place, each reference of `sites` by the id it names;
        check the ids exist. One query per target model and kind (ids,
        refs) and one for all the xids, however many lines refer."""
        by_target = {}
        for site in sites:
            by_target.setdefault(site[3].target, []).append(site)
        xid_rows = self._api_xid_rows(
            {
                tuple(container[key][4:].split(".", 1))
                for container, key, _path, _spec in sites
                if isinstance(container[key], str) and container[key].startswith("xid:")
            }
        )
        problems = []
        for target, target_sites in by_target.items():
            problems.extend(self._api_resolve_target(target, target_sites, xid_rows))
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ApiError(400, problems[0]["message"] + more, "validation_error", problems)

    @api.model
    def _api_resolve_target(self, target, sites, xid_rows):
        """Resolve the sites of one target model; return the problems."""
        records = self.env[target]
        problems = []
        ids = {c[k] for c, k, _p, _s in sites if not isinstance(c[k], str)}
        if ids:
            existing = records.browse(sorted(ids)).exists()
            for container, key, path, _spec in sites:
                value = container[key]
                if not isinstance(value, str) and value not in existing._ids:
                    problems.append(_problem(path, "not_found", f"{path} {value} does not exist"))
            # an id names itself: who may not read it is told so (403)
            existing.check_access("read")
        refs = {c[k][4:] for c, k, _p, _s in sites if isinstance(c[k], str) and c[k][:4] == "ref:"}
        if refs:
            ref_field = self._api_ref_field(target, sites[0][3])
            found = {}
            if ref_field:
                # the caller's rights: a record they may not read is not found
                for record in records.search_fetch([(ref_field, "in", sorted(refs))], [ref_field]):
                    found.setdefault(record[ref_field], []).append(record.id)
            for container, key, path, _spec in sites:
                value = container[key]
                if not isinstance(value, str) or not value.startswith("ref:"):
                    continue
                if not ref_field:
                    problems.append(
                        _problem(
                            path,
                            "invalid_format",
                            f"{path}: these records have no external reference; "
                            "use an id or xid:<module.name>",
                        )
                    )
                    continue
                matches = found.get(value[4:], [])
                if len(matches) == 1:
                    container[key] = matches[0]
                elif matches:
                    problems.append(
                        _problem(
                            path,
                            "ambiguous",
                            f"{path}: {len(matches)} records have the reference {value[4:]!r}; "
                            "use an id or xid:<module.name>",
                        )
                    )
                else:
                    problems.append(_unknown(path, value))
        xid_sites = [
            site
            for site in sites
            if isinstance(site[0][site[1]], str) and site[0][site[1]][:4] == "xid:"
        ]
        if xid_sites:
            named = {tuple(c[k][4:].split(".", 1)) for c, k, _p, _s in xid_sites}
            candidates = {
                row[1] for pair, row in xid_rows.items() if pair in named and row[0] == target
            }
            # the caller's rights: a record they may not read is not found
            readable = (
                set(records.search([("id", "in", sorted(candidates))]).ids) if candidates else set()
            )
            for container, key, path, _spec in xid_sites:
                value = container[key]
                row = xid_rows.get(tuple(value[4:].split(".", 1)))
                if row and row[0] == target and row[1] in readable:
                    container[key] = row[1]
                else:
                    problems.append(_unknown(path, value))
        return problems

    # ------------------------------------------------------------ xid rows
    @api.model
    def _api_xid_rows(self, pairs):
        """{(module, name): (model, res_id)} of the external ids `pairs`, in
        one query. ir.model.data says only which record an id names; reading
        that record is still checked with the caller's rights."""
        if not pairs:
            return {}
        condition = SQL(" OR ").join(
            SQL("(module = %s AND name = %s)", module, name) for module, name in sorted(pairs)
        )
        rows = self.env.execute_query(
            SQL("SELECT module, name, model, res_id FROM ir_model_data WHERE %s", condition)
        )
        return {(module, name): (model, res_id) for module, name, model, res_id in rows}

    @api.model
    def _api_xids_of(self, ids):
        """{res_id: "module.name"} of records of this resource's model (the
        oldest external id of each), in one query."""
        if not ids or not self._api_xid:
            return {}
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT ON (res_id) res_id, module, name FROM ir_model_data "
                "WHERE model = %s AND res_id = ANY(%s) ORDER BY res_id, id",
                self._api_model,
                list(ids),
            )
        )
        return {res_id: f"{module}.{name}" for res_id, module, name in rows}

    @api.model
    def _api_rows(self, records, detail=False):
        """The rendered rows, each with its `xid`."""
        rows = super()._api_rows(records, detail=detail)
        if self._api_xid and self._api_model and self._api_wants("xid"):
            xids = self._api_xids_of([row["id"] for row in rows])
            for row in rows:
                row["xid"] = xids.get(row["id"])
        return rows

    # -------------------------------------------------------- assigning one
    @api.model
    def _api_parse_new_xid(self, value, field):
        """(module, name) of an external id the API may assign, or a 400
        naming `field`."""
        if not isinstance(value, str) or len(value) > 255 or not XID_RE.fullmatch(value):
            raise validation_error(
                field, "invalid_format", f"{field} must be an external id module.name"
            )
        module, name = value.split(".", 1)
        # sudo: whether a module of that name exists, not what it is
        known = self.env["ir.module.module"].sudo().search_count([("name", "=", module)], limit=1)
        if module.startswith("_") or known:
            raise validation_error(
                field,
                "reserved",
                f"{field}: {module!r} is the name of an Odoo module; external ids the API "
                "assigns take a module part of your own (e.g. shopify.order_9821)",
            )
        return module, name

    @api.model
    def _api_lock_xid(self, module, name):
        """Serialize the requests that assign or upsert one external id, and
        have the request retried when one committed it after our snapshot
        began (as _api_find_existing does for external references)."""
        key = f"my_api.xid:{module}.{name}"
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", key))
        if self._api_xid_rows({(module, name)}):
            return
        self._api_retry_if_committed(
            lambda env: env["api.resource"]._api_xid_rows({(module, name)}),
            "a concurrent request assigned this external id",
        )

    @api.model
    def _api_assign_xid(self, record, module, name, field="xid"):
        """Make `module.name` name `record`; 409 if it names another one."""
        row = self._api_xid_rows({(module, name)}).get((module, name))
        if row == (record._name, record.id):
            return
        if row:
            raise ApiError(
                409,
                f"the external id {module}.{name} already names another record",
                "conflict",
                [{"field": field, "issue": "already_exists"}],
            )
        # sudo: ir.model.data is written by administrators only; the caller
        # has just created (or may write) the record it names
        self.env["ir.model.data"].sudo().create(
            {
                "module": module,
                "name": name,
                "model": record._name,
                "res_id": record.id,
                "noupdate": True,
            }
        )

    @api.model
    def _api_create_many(self, bodies):
        """Creates, assigning each body's `xid` when it has one (checked
        and locked before anything else of the body)."""
        if not self._api_xid:
            return super()._api_create_many(bodies)
        xids = []
        for body in bodies:
            value = body.pop("xid", None) if isinstance(body, dict) else None
            if value is None:
                xids.append(None)
                continue
            self._api_check_operation("create")
            module, name = self._api_parse_new_xid(value, "xid")
            self._api_lock_xid(module, name)
            xids.append((module, name))
        results = super()._api_create_many(bodies)
        for (record, _created), xid in zip(results, xids, strict=True):
            if xid is not None:
                self._api_assign_xid(record, *xid)
        return results

    # ----------------------------------------------------------------- PUT
    @api.model
    def _api_upsert(self, ident, body, if_match=None):
        """PUT /<path>/xid:<module.name>: create the record (with that
        external id) or, when the id names one, update it; return
        (record, created). The body is a create body both times; on update
        the fields an update cannot change (an order's lines) are left as
        they are, so that sending the same body again changes nothing."""
        if not self._api_can_upsert():
            raise ApiError(405, f"PUT is not available on /{self._api_path}", "method_not_allowed")
        # the write hook first, as POST and PATCH run it: what counts writes
        # (a write rate limit) counts a refused PUT too, and only once
        self._api_before_write("upsert")
        return self.with_context(api_before_write_done=True)._api_upsert_run(ident, body, if_match)

    @api.model
    def _api_upsert_run(self, ident, body, if_match):
        """The PUT of `_api_upsert`, its write hook run."""
        if not ident.startswith("xid:"):
            raise ApiError(
                400,
                "PUT names its record by external id: /" + self._api_path + "/xid:<module.name>",
                "bad_request",
                [{"field": "ident", "issue": "invalid_format"}],
            )
        module, name = self._api_parse_new_xid(ident[4:], "ident")
        if not isinstance(body, dict):
            self._api_validate(body, self._api_create_body_schema())  # the 400 it deserves
        xid = body.pop("xid", None)
        if xid is not None and xid != f"{module}.{name}":
            raise validation_error(
                "xid", "conflict", "xid differs from the external id in the path"
            )
        self._api_lock_xid(module, name)
        row = self._api_xid_rows({(module, name)}).get((module, name))
        record = self._api_records()
        if row:
            if row[0] != self._api_model:
                raise ApiError(
                    409,
                    f"the external id {module}.{name} names a record of another kind",
                    "conflict",
                    [{"field": "ident", "issue": "already_exists"}],
                )
            record = record.browse(row[1]).exists()
        if not record:
            if row:
                # sudo: an external id left behind by a deleted record names
                # nothing; it is reassigned to the record created now
                self.env["ir.model.data"].sudo().search(
                    [("module", "=", module), ("name", "=", name)]
                ).unlink()
            record, created = super()._api_create(body)
            self._api_assign_xid(record, module, name, field="ident")
            return record, created
        if not record._filtered_access("read"):
            raise ApiError(
                409,
                f"the external id {module}.{name} names a record you may not read",
                "conflict",
                [{"field": "ident", "issue": "already_exists"}],
            )
        self._api_validate(body, self._api_create_body_schema())
        # a company named must be one of the request's (403 otherwise); an
        # update keeps the record in its company
        body, _company = self._api_pop_company(body)
        update_fields = self._api_update_schema.properties
        changes = {key: value for key, value in body.items() if key in update_fields}
        # the same body again writes nothing: the record keeps its
        # updated_at (a re-sync must not mark every record changed)
        self.with_context(api_write_changes_only=True)._api_update(
            str(record.id), changes, if_match
        )
        return record, False

    @api.model
    def _api_write(self, record, values):
        if self.env.context.get("api_write_changes_only"):
            values = {
                name: value
                for name, value in values.items()
                if not _unchanged(record, {name: value})
            }
            if not values:
                return
        super()._api_write(record, values)


def _unchanged(record, values):
    """Whether writing the ORM `values` would leave `record` as it is."""
    for name, value in values.items():
        field = record._fields[name]
        if field.type in ("one2many", "many2many"):
            commands = value if isinstance(value, list) else []
            if not (
                len(commands) == 1
                and commands[0][0] == Command.SET
                and set(commands[0][2]) == set(record[name].ids)
            ):
                return False
            continue
        try:
            wanted = field.convert_to_record(field.convert_to_cache(value, record), record)
        except (TypeError, ValueError):
            return False
        if wanted != record[name]:
            return False
    return True


def _problem(path, issue, message):
    return {"field": path, "issue": issue, "message": message}


def _unknown(path, value):
    """A reference that names no record the caller may read: the same
    message whether it is missing, hidden or of another model."""
    return _problem(path, "not_found", f"{path}: no record you can read has the reference {value}")
