"""The resource framework of /api/v1.

A resource is an abstract model that inherits `api.resource` and declares,
as class attributes, what the API exposes of one Odoo model:

- `_api_path`: URL segment (`orders`) and prefix of its OAuth scopes
  (`<path>:read` for list/get, `<path>:write` for the rest);
- `_api_scope`: one OAuth2 scope that guards both reading and writing,
  instead of those two (e.g. `webhooks:manage`); None keeps the default;
- `_api_model`: the Odoo model (`sale.order`);
- `_api_operations`: which of list, get, create, update, delete, batch exist;
- `_api_filters`: query parameter -> (schema Field, domain builder);
- `_api_orders`: public sort key -> ORM field (non-null, indexed ideally);
- `_api_default_order`: e.g. "-date_order" (newest first);
- `_api_read_schema` / `_api_create_schema` / `_api_update_schema`;
- `_api_external_ref`: (public name, ORM field) for `ref:<value>` lookups
  and creates by reference (a create with a reference that exists returns
  that record: see `_api_find_existing`);
- `_api_actions`: action name -> method name (POST /<path>/<id>/<action>);
- `_api_action_schemas`: action name -> schema of the JSON body it takes
  (optional: an action without one takes no body, the method only the
  record; one with a schema gets the validated body, `{}` when none came).
- `_api_company_field`: the model's company field (`company_id` by default;
  None for none). Where the model has it, the framework adds, without a
  word of the resource: `company` {id, name} to every row and the read
  schema, a `company_id` filter to the list, and `company_id` to the create
  body (see "Companies" below).

Companies: a request works in the companies of its `X-Odoo-Company`
header, else in the user's current one (ir.http._api_request_context puts
them in the context, `allowed_company_ids`, where record rules find them).

Routes, validation and the OpenAPI document are derived from these. A
resource implements only `_api_render` (and `_api_prepare_*` to turn a
validated body into ORM values). Its writes may add steps through hooks,
never by copying the create/update sequence: `_api_before_write` (first,
e.g. a write rate limit), `_api_check_body` (what the schema cannot say)
and `_api_after_write` (what ORM values cannot carry). Everything runs as
the authenticated user: access rights and record rules apply, and refusals
become 403.
"""

import copy
import datetime
import hashlib
import json
import re

from odoo import SUPERUSER_ID, api, models, tools
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

from ..core import ApiError, translate_exception, validation_error
from ..lib import reads, timestamps
from ..lib import schema as s
from ..lib.cursor import InvalidCursor, decode_cursor, encode_cursor
from ..lib.openapi import build_document, ident_pattern
from ..settings import setting

DEFAULT_LIMIT = 50
OPERATIONS = ("list", "get", "create", "update", "delete", "batch")
# The model access right each write operation needs (see _api_check_allowed).
OPERATION_ACCESS = {"create": "create", "update": "write", "delete": "unlink", "action": "write"}
BATCH_ACCESS = (("create", "create"), ("update", "write"))
# An integer in a query string: ASCII digits, or a JSON Schema integer
# written with a zero fraction (5.0). int() also reads "+5", " 5", "1_0" and
# other scripts' digits, which the document does not promise.
_QUERY_INT_RE = re.compile(r"(-?[0-9]+)(?:\.0+)?")


def ref(record, name=None):
    """`{"id", "name"}` of a many2one value, or None when it is empty.

    The name is read as Odoo's own read() reads the name of a many2one
    value: with sudo, so that whoever may read a record also sees the name
    of what it points to (an order's customer of another company, say)
    instead of a 403 for the whole page. Every other field of the linked
    record is read with the caller's rights.
    """
    if not record:
        return None
    return {"id": record.id, "name": name if name is not None else record.sudo().name}


def names_of(records):
    """{id: name} of many2one values, read as ref() reads them, in one go
    (for pages: one sudo() and one query rather than one per row)."""
    records = records.sudo()
    records.fetch(["name"])  # just the name, not every prefetchable column
    return dict(zip(records.ids, records.mapped("name"), strict=True))


def eq(field_name):
    """Domain builder for a filter that compares one field for equality."""
    return lambda value: [(field_name, "=", value)]


def ilike(field_name):
    """Domain builder for a filter that matches part of a text field."""
    return lambda value: [(field_name, "ilike", value)]


def since(field_name):
    """Domain builder for a lower bound on a datetime field, from a
    date-time filter: at or after a timestamp, or from the first instant of
    a date."""
    return lambda span: [(field_name, ">=", span.start)]


def until(field_name):
    """Domain builder for an upper bound on a datetime field, from a
    date-time filter: at or before a timestamp (to the second), or up to
    the last instant of a date (the whole day)."""
    return lambda span: [(field_name, "<", span.end)] if span.end else []


def resource_paths(declarations):
    """{path: model name} of (model name, `_api_path`) declarations; None
    declares no path. Two models with one path are an error: the one read
    last would silently take the routes, scopes and document entry of the
    other."""
    paths = {}
    for name, path in declarations:
        if not path:
            continue
        if path in paths:
            raise ValueError(
                f"_api_path {path!r} is declared by two resources, {paths[path]} and "
                f"{name}: give one of them another path"
            )
        paths[path] = name
    return paths


COMPANY_REF = s.Object(
    {"id": s.Field("integer"), "name": s.Field("string")},
    nullable=True,
    read_only=True,
    description="The record's company; null for a record shared by every company",
)
COMPANY_ID_IN = s.Id(
    description="The company to create in, one of the request's (X-Odoo-Company; 403 "
    "for another). Default: the current company (the first of X-Odoo-Company, else "
    "yours) where the record belongs to one; none for those Odoo shares between "
    "companies (partners, products)",
)


def orm_values(body):
    """A validated body as ORM values: JSON null clears the field."""
    return {key: (value if value is not None else False) for key, value in body.items()}


class ApiResource(models.AbstractModel):
    _name = "api.resource"
    _description = "REST API resource"

    _api_path = None
    _api_scope = None
    _api_model = None
    _api_description = ""
    _api_operations = ("list", "get")
    _api_filters = {}
    _api_orders = {"id": "id"}
    _api_default_order = "id"
    _api_read_schema = None
    _api_create_schema = None
    _api_update_schema = None
    _api_external_ref = None
    _api_actions = {}
    _api_action_schemas = {}
    _api_list_fields = ()  # columns fetched by the list query itself
    _api_company_field = "company_id"

    # ------------------------------------------------------------ registry
    def _register_hook(self):
        """Refuse to load a registry in which two resources declare one
        `_api_path` (see resource_paths), rather than serve one of them."""
        super()._register_hook()
        if self._name == "api.resource":  # once, not again for each resource
            resource_paths(self._api_declared_paths())

    @api.model
    def _api_declared_paths(self):
        """(model name, _api_path) of every installed resource."""
        return [
            (name, self.env.registry[name]._api_path)
            for name in self.env.registry
            if name.startswith("api.resource.")
        ]

    @api.model
    @tools.ormcache()
    def _api_resource_models(self):
        """Map URL segment -> resource model name, for installed resources."""
        return resource_paths(self._api_declared_paths())

    @api.model
    def _api_get_resource(self, path):
        name = self._api_resource_models().get(path)
        if not name:
            raise ApiError(404, f"unknown resource {path!r}", "not_found")
        return self.env[name]

    @api.model
    def _api_scopes(self):
        """OAuth2 scopes of every resource: {scope: description}."""
        scopes = {}
        for path, name in sorted(self._api_resource_models().items()):
            resource = self.env[name]
            label = resource._api_description or path
            writable = set(resource._api_operations) - {"list", "get"} or resource._api_actions
            if resource._api_scope:
                verb = "Read, create, change and delete" if writable else "Read"
                scopes[resource._api_scope] = f"{verb} {label}"
                continue
            scopes[f"{path}:read"] = f"Read {label}"
            if writable:
                scopes[f"{path}:write"] = f"Create, change and delete {label}"
        return scopes

    @api.model
    def _api_required_scope(self, access):
        """The OAuth2 scope a call of this resource needs; access is read or write."""
        return self._api_scope or f"{self._api_path}:{access}"

    # ------------------------------------------------------------ openapi
    @api.model
    def _api_descriptor(self):
        """This resource's declaration as a plain dict (see lib/openapi.py)."""
        title = self._api_path.capitalize()
        return {
            "path": self._api_path,
            "title": title[:-1] if title.endswith("s") else title,
            "description": self._api_description or self._api_path,
            "operations": list(self._api_operations),
            "filters": {name: spec for name, (spec, _builder) in self._api_list_filters().items()},
            "orders": list(self._api_orders),
            "default_order": self._api_default_order,
            "read_schema": self._api_row_schema(),
            "create_schema": self._api_create_body_schema()
            if "create" in self._api_operations
            else None,
            "update_schema": self._api_update_schema if "update" in self._api_operations else None,
            "actions": sorted(self._api_actions),
            "action_schemas": {
                name: spec
                for name, spec in self._api_action_schemas.items()
                if name in self._api_actions
            },
            "scopes": {access: self._api_required_scope(access) for access in ("read", "write")},
            "external_ref": bool(self._api_external_ref),
        }

    @api.model
    def _api_allowed_methods(self, route):
        """The HTTP methods this resource answers on one of its routes
        (collection, item, batch, action): the others are 405 with this
        list as Allow, as the document says."""
        operations = set(self._api_operations)
        methods = {
            "collection": [("GET", "list"), ("POST", "create")],
            "item": [("GET", "get"), ("PATCH", "update"), ("DELETE", "delete")],
            "batch": [("POST", "batch")],
        }.get(route)
        if methods is None:  # an action
            return ("POST",)
        return tuple(method for method, operation in methods if operation in operations)

    @api.model
    def _api_openapi_extra_paths(self):
        """Paths other addons add under /api/v1 (override, update super())."""
        return {}

    @api.model
    def _api_openapi_oauth2_scheme(self, base_url):
        """The OAuth2 security scheme; None lets the default stand."""
        return None

    @api.model
    def _api_openapi_webhooks(self):
        """The top-level `webhooks` map (outbound event payloads)."""
        return {}

    @api.model
    def _api_openapi_document(self, base_url):
        descriptors = [
            self.env[name]._api_descriptor()
            for _path, name in sorted(self._api_resource_models().items())
        ]
        return build_document(
            base_url,
            descriptors,
            self._api_scopes(),
            extra_paths=self._api_openapi_extra_paths(),
            oauth2=self._api_openapi_oauth2_scheme(base_url),
            webhooks=self._api_openapi_webhooks(),
        )

    # ------------------------------------------------------------- helpers
    @api.model
    def _api_records(self):
        return self.env[self._api_model]

    @api.model
    def _api_check_operation(self, operation):
        if operation not in self._api_operations:
            raise ApiError(
                405,
                f"{operation} is not available on /{self._api_path}",
                "method_not_allowed",
            )

    @api.model
    def _api_check_allowed(self, operation, body=None, ident=None):
        """Raise unless this resource offers `operation` (create, batch or
        action) and the caller's access rights allow it on the model at all,
        and on the records the call names: the record of an action
        (`ident`), those a batch updates.

        Checked before the Idempotency-Key claim, so that a replay is refused
        to a user who lost the rights since the first call, a group or a
        record (an order handed to another salesman). A record to create
        has no rules to check yet. A batch needs the rights of the item
        operations it holds.
        """
        if operation != "action":
            self._api_check_operation(operation)
        items = ()
        if operation == "batch":
            items = body.get("items") if isinstance(body, dict) else None
            items = [item for item in items or () if isinstance(item, dict)]
            ops = {item.get("op") for item in items if isinstance(item.get("op"), str)}
            accesses = [access for op, access in BATCH_ACCESS if op in ops]
        else:
            accesses = [OPERATION_ACCESS[operation]]
        records = self._api_records()
        for access in accesses:
            records.check_access(access)
        if operation == "action" and ident is not None:
            self._api_resolve(ident).check_access("write")
        elif operation == "batch":
            self._api_check_batch_records(items)

    @api.model
    def _api_check_batch_records(self, items):
        """Refuse a batch that updates a record the caller may not change,
        with the answer the batch itself gives (409 `batch_failed`, one
        error per such item). Items that name no record or a malformed one
        are left to the batch, which answers them with the rest."""
        errors = []
        for index, item in enumerate(items):
            ident = item.get("id")
            if item.get("op") != "update" or not isinstance(ident, str):
                continue
            try:
                self._api_resolve(ident).check_access("write")
            except ApiError:
                continue
            except AccessError as exc:
                api_exc = translate_exception(exc)
                errors.append(
                    {
                        "index": index,
                        "status": api_exc.status,
                        "code": api_exc.code,
                        "message": api_exc.message,
                        "details": api_exc.details or [],
                    }
                )
        if errors:
            raise ApiError(
                409,
                f"{len(errors)} of {len(items)} item(s) failed; nothing was saved",
                "batch_failed",
                errors,
            )

    @api.model
    def _api_cursor_secret(self):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return f"my_api.cursor:{secret}"

    @api.model
    def _api_max_page_size(self):
        return setting(self.env, "max_page_size")

    @api.model
    def _api_count_limit(self):
        """Records an offset page counts exactly (0: no limit)."""
        return setting(self.env, "count_limit")

    @api.model
    def _api_ident_pattern(self):
        """The compiled pattern of this resource's record identifiers (the
        one the document declares)."""
        return re.compile(ident_pattern(bool(self._api_external_ref)))

    @api.model
    def _api_resolve(self, ident):
        """Find one record by id, `ref:<external ref>` or `xid:<module.name>`.

        Exactly the identifiers the document's pattern admits: ASCII digits
        (str.isdigit() takes "²", which int() refuses), no NUL (PostgreSQL
        refuses it). An id beyond int4 names no record: 404."""
        records = self._api_records()
        if not self._api_ident_pattern().fullmatch(ident):
            forms = "a positive id, ref:<external reference> or xid:<module.name>"
            if not self._api_external_ref:
                forms = "a positive id or xid:<module.name>"
            raise ApiError(
                400,
                f"record identifiers are {forms}",
                "bad_request",
                [{"field": "ident", "issue": "invalid_format"}],
            )
        if ident[0].isdigit():
            record_id = int(ident)
            record = records.browse(record_id).exists() if record_id <= s.INT4_MAX else records
        elif ident.startswith("ref:"):
            field_name = self._api_external_ref[1]
            record = records.search([(field_name, "=", ident[4:])], limit=1)
        else:
            record = self.env.ref(ident[4:], raise_if_not_found=False)
            if record is not None and record._name != self._api_model:
                record = None
            record = record or records
        if not record:
            raise ApiError(404, f"{self._api_path} {ident} not found", "not_found")
        # exists() does not apply record rules: a record that the user's
        # access rights or record rules hide is a 403, not a silent success
        record.check_access("read")
        return record

    @api.model
    def _api_etag(self, data):
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        return f'"{digest[:32]}"'

    # ---------------------------------------------------------------- list
    @api.model
    def _api_check_query(self, args, allowed):
        """400 for a query parameter not in `allowed`, or one given twice
        (which of the two would count is anybody's guess)."""
        unknown = sorted(set(args) - set(allowed))
        if unknown:
            raise ApiError(
                400,
                f"unknown query parameter(s): {', '.join(unknown)}",
                "validation_error",
                [{"field": name, "issue": "unknown_parameter"} for name in unknown],
            )
        repeated = sorted(name for name in args if len(args.getlist(name)) > 1)
        if repeated:
            raise ApiError(400, f"parameter(s) given twice: {', '.join(repeated)}", "bad_request")

    @api.model
    def _api_parse_list_params(self, args):
        """Validate query parameters of a list call; return a dict."""
        allowed = {
            "limit",
            "offset",
            "cursor",
            "order",
            "updated_since",
            "count",
            *self._api_list_filters(),
        }
        self._api_check_query(args, allowed)
        params = {
            "limit": min(_parse_int(args, "limit", DEFAULT_LIMIT, 1), self._api_max_page_size()),
            "offset": _parse_int(args, "offset", 0, 0),
            # an empty cursor is none (the first page), as next_cursor null
            "cursor": args.get("cursor") or None,
        }
        if params["cursor"] is not None and "offset" in args:
            raise ApiError(
                400,
                "use either offset or cursor, not both",
                "bad_request",
                [{"field": "offset", "issue": "conflict"}],
            )
        if args.get("count", "exact") != "exact":
            raise validation_error("count", "invalid_value", "count must be exact (or left out)")
        params["exact_count"] = "count" in args
        order = args.get("order", self._api_default_order)
        try:
            params["order_keys"] = reads.parse_order(order, self._api_orders)
        except reads.ReadParamError as exc:
            raise validation_error("order", exc.issue, f"order {exc}") from None
        params["order"] = order
        domain = []
        if "updated_since" in args:
            span = _wire_value(
                timestamps.parse_span, args["updated_since"], "updated_since", self._api_timezone()
            )
            domain.append(("write_date", ">=", span.start))
        for name, (spec, builder) in self._api_list_filters().items():
            if name not in args:
                continue
            value = _coerce_query_value(args[name], spec, name, self._api_timezone())
            domain.extend(builder(value))
        params["domain"] = domain
        return params

    @api.model
    def _api_timezone(self):
        """The IANA timezone in which a date alone (`date_to=2026-01-31`)
        means a whole day: the request's (`tz` of the context, see
        ir.http._api_request_context), UTC when it names none Odoo knows."""
        tz = self.env.context.get("tz")
        return tz if timestamps.is_timezone(tz) else "UTC"

    @api.model
    def _api_base_domain(self):
        """Domain every list and lookup of this resource is restricted to."""
        return []

    @api.model
    def _api_list(self, args):
        """Return (rows, pagination) for GET /<path>."""
        self._api_check_operation("list")
        params = self._api_parse_list_params(args)
        order = params["order"]
        keys = params["order_keys"]
        # the last key's direction for id, the tie-breaker that makes pages stable
        descending = keys[-1][1]
        field_name = self._api_orders[keys[0][0]]
        direction = "DESC" if descending else "ASC"
        orm_order = ", ".join(
            f"{self._api_orders[key]} {'DESC' if desc else 'ASC'}" for key, desc in keys
        )
        if "id" not in (self._api_orders[key] for key, _desc in keys):
            orm_order += f", id {direction}"
        # keyset pagination follows one sort key: several sort by offset only
        keyset = len(keys) == 1
        domain = self._api_base_domain() + params["domain"]
        records = self._api_records()
        secret = self._api_cursor_secret()
        total, total_exact = None, True
        if params["cursor"] and not keyset:
            raise ApiError(
                400,
                "cursor pages follow a single sort key; with several, page with offset",
                "bad_request",
                [{"field": "cursor", "issue": "invalid_cursor"}],
            )
        if params["cursor"]:
            try:
                last_value, last_id = decode_cursor(secret, order, params["cursor"])
                last_value = _cursor_value(records._fields[field_name], last_value)
                if not isinstance(last_id, int) or isinstance(last_id, bool):
                    raise InvalidCursor("cursor is malformed")
            except (InvalidCursor, ValueError) as exc:
                raise ApiError(
                    400, str(exc), "bad_request", [{"field": "cursor", "issue": "invalid_cursor"}]
                ) from None
            domain = Domain(domain) & _after(
                records._fields[field_name], descending, last_value, last_id
            )
            found = records.search_fetch(
                domain, self._api_list_fields, order=orm_order, limit=params["limit"] + 1
            )
        else:
            found = records.search_fetch(
                domain,
                self._api_list_fields,
                order=orm_order,
                limit=params["limit"] + 1,
                offset=params["offset"],
            )
            if len(found) <= params["limit"] and (found or not params["offset"]):
                total = params["offset"] + len(found)
            else:
                # past the end (an empty page) only an exact count tells how far
                total, total_exact = self._api_count(records, domain, params, exact=not found)
                if not total_exact:
                    # a lower bound never below what this page proves exists
                    total = max(total, params["offset"] + len(found))
        has_more = len(found) > params["limit"]
        page = found[: params["limit"]]
        pagination = {
            "total": total,
            "total_exact": None if total is None else total_exact,
            "limit": params["limit"],
            "offset": None if params["cursor"] else params["offset"],
            "has_more": has_more,
            "next_cursor": None,
        }
        if has_more and page and keyset:
            last = page[-1]
            value = _cursor_text(records._fields[field_name], last[field_name])
            pagination["next_cursor"] = encode_cursor(secret, order, [value, last.id])
        return self._api_rows(page), pagination

    @api.model
    def _api_count(self, records, domain, params, exact=False):
        """(total, exact) of an offset page: an exact count up to the count
        limit; above it the count stops (a lower bound) unless the call
        asked for ?count=exact. Counting 200,000 orders costs more than
        reading the page; counting 10,000 does not."""
        cap = 0 if exact or params["exact_count"] else self._api_count_limit()
        if not cap:
            return records.search_count(domain), True
        counted = records.search_count(domain, limit=cap + 1)
        return (counted, True) if counted <= cap else (cap, False)

    # ----------------------------------------------------------------- get
    @api.model
    def _api_get(self, ident):
        self._api_check_operation("get")
        record = self._api_resolve(ident)
        return self._api_rows(record, detail=True)[0]

    # -------------------------------------------------------------- create
    @api.model
    def _api_validate(self, body, spec, partial=False, resolve=True):
        """400 with every problem of `body`; else make its integers ints
        (JSON's 3.0 is the integer 3), in place, and (unless `resolve` is
        false: the caller resolves many bodies at once) turn the references
        of its relation fields into ids (`_api_resolve_bodies`)."""
        errors = s.validate(body, spec, partial=partial)
        if errors:
            first = errors[0]["message"]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ApiError(400, first + more, "validation_error", errors)
        s.normalize(body, spec)
        if resolve:
            self._api_resolve_bodies([body], spec)

    @api.model
    def _api_resolve_bodies(self, bodies, spec):
        """Turn the references (`ref:`, `xid:`) of the relation fields of
        the validated `bodies` into ids, in place, in a few queries for all
        of them (see api_resource_xref.py); 400 for one that names no
        record."""

    @api.model
    def _api_external_ref_domain(self, value):
        """The records a create by reference `value` must not duplicate: that
        reference, in the companies the request works in or in none. Another
        company's books are not the caller's: the same customer reference
        there is not a duplicate."""
        records = self._api_records()
        domain = [(self._api_external_ref[1], "=", value)]
        if "company_id" in records._fields:
            domain.append(("company_id", "in", [*self.env.companies.ids, False]))
        return domain

    @api.model
    def _api_find_existing(self, bodies):
        """{position: record} of the `bodies` that a create by external
        reference answers with an existing record instead of a duplicate.

        Whoever set the reference (this API, the web client, an import), the
        record is found: the caller gets it if they may read it (the one of
        lowest id), and a 409 (telling nothing of it) otherwise. Two
        concurrent creates with one reference are serialized by a
        transaction-level advisory lock on (model, reference), taken before
        the lookup; since our snapshot may predate the commit of the create
        we waited for, a fresh transaction looks again, and finding it there
        the request is retried (it then sees and returns it). A few queries
        for all the bodies, however many: the bodies carry distinct
        references (a batch splits its creates where one repeats)."""
        if not self._api_external_ref:
            return {}
        public, field_name = self._api_external_ref
        values = {
            position: value for position, body in enumerate(bodies) if (value := body.get(public))
        }
        if not values:
            return {}
        keys = [f"my_api.external_ref:{self._api_model}:{value}" for value in values.values()]
        self.env.cr.execute(
            SQL("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(%s::text[]) AS k", keys)
        )
        domains = {
            position: Domain(self._api_external_ref_domain(value))
            for position, value in values.items()
        }
        records = self._api_records()
        fields = [name for name in (field_name, "company_id") if name in records._fields]
        readable = records.search_fetch(
            Domain.OR(domains.values()), fields, order="id", limit=1 if len(domains) == 1 else None
        )
        found, missing = {}, []
        for position, domain in domains.items():
            match = readable.filtered_domain(domain)[:1] if len(domains) > 1 else readable[:1]
            if match:
                found[position] = match
            else:
                missing.append(position)
        if not missing:
            return found
        either = Domain.OR(domains[position] for position in missing)
        # sudo: a record the caller may not read must still stop a duplicate
        # (answered 409 without a word of its content)
        if records.sudo().search_count(either, limit=1):
            raise ApiError(
                409,
                f"a record with this {public} already exists and you may not read it; "
                "use another reference or ask an administrator",
                "conflict",
                [{"field": public, "issue": "already_exists"}],
            )
        self._api_check_committed_meanwhile(either)
        return found

    @api.model
    def _api_check_committed_meanwhile(self, domain):
        """Retry the request when a transaction committed, after ours began,
        a record that `domain` finds (see `_api_retry_if_committed`)."""
        self._api_retry_if_committed(
            lambda env: env[self._api_model].search(domain, limit=1).ids,
            "a concurrent request created this reference",
        )

    @api.model
    def _api_retry_if_committed(self, committed, reason):
        """Retry the request when `committed(env)`, run as superuser in a
        fresh snapshot, finds what a transaction committed after ours began:
        our snapshot cannot see it, a new one will. Raised as PostgreSQL's
        own serialization failure (its message `reason`), which Odoo retries
        like any other (with backoff, a few times)."""
        with self.env.registry.cursor() as cr:
            # superuser: only whether it exists, in a fresh snapshot
            found = committed(api.Environment(cr, SUPERUSER_ID, {}))
        if found:
            self.env.cr.execute(
                SQL(
                    "DO $$ BEGIN RAISE EXCEPTION %s "
                    "USING ERRCODE = 'serialization_failure'; END $$",
                    reason,
                ),
                log_exceptions=False,  # expected, and retried: not a bad query
            )

    @api.model
    def _api_create(self, body):
        """Create from a JSON body; return (record, created): the create
        pipeline (`_api_create_many`) of one body."""
        [(record, created)] = self._api_create_many([body])
        return record, created

    @api.model
    def _api_create_many(self, bodies):
        """Create from JSON bodies; return [(record, created)], in order.

        The one create pipeline: a create is a list of one body, the run of
        consecutive creates of a batch a list of many (api_resource_batch.py),
        so that a step added here serves both. Each step runs over every body
        before the next; the order of the steps is the contract (each refusal
        says what is wrong first): the operation, then `_api_create_check`
        (the write hook, the schema, the company, the body's own checks, the
        access right, the creates by reference), then `_api_create_records`
        (the values, the create, the after-write hook). A resource changes a
        step through the hooks below, not by copying this sequence; one that
        must act on what a create made overrides this method (a picking is
        confirmed, say)."""
        self._api_check_operation("create")
        entries = self._api_create_check(bodies)
        return self._api_create_records(entries)

    @api.model
    def _api_create_check(self, bodies):
        """The checked bodies of a create: [(body, company, existing)], the
        body without its `company_id`, the company it names (or None), and
        the record a create by reference answers with (or None). The
        references of every body are resolved together, in a few queries
        whatever the number of bodies."""
        spec = self._api_create_body_schema()
        for _body in bodies:
            self._api_call_before_write("create")
        for body in bodies:
            self._api_validate(body, spec, resolve=False)
        self._api_resolve_bodies(bodies, spec)
        checked = [self._api_pop_company(body) for body in bodies]
        for body, _company in checked:
            self._api_check_body(body)
        # who may not create learns nothing of which references exist
        self._api_records().check_access("create")
        existing = self._api_find_existing([body for body, _company in checked])
        return [
            (body, company, existing.get(position))
            for position, (body, company) in enumerate(checked)
        ]

    @api.model
    def _api_create_records(self, entries):
        """[(record, created)] of the checked `entries` (see
        `_api_create_check`): one create() for each run of consecutive new
        records of one company, in the company the body names (its defaults,
        warehouse or journal, included)."""
        results = [(existing, False) if existing else None for _b, _c, existing in entries]
        fname = self._api_company_fname()
        position = 0
        while position < len(entries):
            if results[position] is not None:
                position += 1
                continue
            company = entries[position][1]
            run = []
            while (
                position < len(entries)
                and results[position] is None
                and _company_id(entries[position][1]) == _company_id(company)
            ):
                run.append(position)
                position += 1
            resource = self.with_company(company) if company else self
            values_list = []
            for index in run:
                values = resource._api_prepare_create(entries[index][0])
                if company:
                    values[fname] = company.id
                values_list.append(values)
            records = resource._api_records().create(values_list)
            for index, record in zip(run, records, strict=True):
                resource._api_after_write(record, entries[index][0], created=True)
                results[index] = (record, True)
        return results

    @api.model
    def _api_prepare_create(self, body):
        """The ORM values of a validated, checked create body."""
        return orm_values(body)

    # --------------------------------------------------------- write hooks
    @api.model
    def _api_before_write(self, operation):
        """Called first by create, update and delete (`operation`), once the
        operation is known to exist: before the body is validated or the
        record looked up, so that what counts calls (a write rate limit)
        counts the refused ones too. Raise ApiError to refuse the call.
        A PUT by external id calls it once, with `upsert`, before it knows
        whether it creates or updates (see api_resource_xref.py)."""

    @api.model
    def _api_call_before_write(self, operation):
        """Run `_api_before_write(operation)`, unless the call that runs
        this create or update (a PUT) already ran it for itself."""
        if not self.env.context.get("api_before_write_done"):
            self._api_before_write(operation)

    @api.model
    def _api_check_body(self, body, record=None):
        """Refuse (ApiError 400) what a valid body may not say and its
        schema cannot express. Called after the schema's validation, on
        create (`record` None) and on update (the record, its If-Match
        precondition met), before any value is prepared."""

    @api.model
    def _api_after_write(self, record, body, created):
        """Called once `record` was created (`created` true) or updated from
        `body`: for what the ORM values cannot carry (a write-only field
        set with other rights, say). Not called when a create by reference
        returns an existing record: nothing was written."""

    # -------------------------------------------------------------- update
    @api.model
    def _api_update(self, ident, body, if_match=None):
        """Update from a JSON body (the checks in _api_create's order, the
        record and its precondition after the schema); return the record."""
        self._api_check_operation("update")
        self._api_call_before_write("update")
        record = self._api_resolve(ident)
        # a malformed body is refused as such, whatever version it targets
        self._api_validate(body, self._api_update_schema, partial=True)
        self._api_check_precondition(record, if_match)
        self._api_check_body(body, record)
        self._api_write(record, self._api_prepare_update(record, body))
        self._api_after_write(record, body, created=False)
        return record

    @api.model
    def _api_write(self, record, values):
        """Write the ORM `values` of an update to `record`."""
        record.write(values)

    @api.model
    def _api_prepare_update(self, record, body):
        """The ORM values of a validated, checked update body of `record`."""
        return orm_values(body)

    @api.model
    def _api_check_precondition(self, record, if_match):
        if if_match is None or if_match.strip() == "*":
            return
        current = self._api_etag(self._api_rows(record, detail=True)[0])
        candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
        if current not in candidates:
            raise ApiError(
                412,
                "the record changed since you read it (ETag mismatch); fetch it again",
                "precondition_failed",
                headers={"ETag": current},
            )

    # -------------------------------------------------------------- delete
    @api.model
    def _api_delete(self, ident, if_match=None):
        self._api_check_operation("delete")
        self._api_before_write("delete")
        record = self._api_resolve(ident)
        self._api_check_precondition(record, if_match)
        record.unlink()

    # batch: see api_resource_batch.py

    # ------------------------------------------------------------- actions
    @api.model
    def _api_action(self, ident, action, body=None):
        """Run one action on a record. An action that declares a body schema
        gets the body, validated (before the record is looked up, as
        update does: a malformed body is refused as such); the others
        only the record."""
        method = self._api_actions.get(action)
        if not method:
            raise ApiError(404, f"unknown action {action!r} on /{self._api_path}", "not_found")
        spec = self._api_action_schemas.get(action)
        if spec is not None:
            body = {} if body is None else body
            self._api_validate(body, spec)
        record = self._api_resolve(ident)
        record.check_access("write")
        if spec is not None:
            getattr(self, method)(record, body)
        else:
            getattr(self, method)(record)
        return record

    # ----------------------------------------------------------- companies
    @api.model
    def _api_company_fname(self):
        """The model's company field (a many2one to res.company), or None."""
        name = self._api_company_field
        field = name and self._api_records()._fields.get(name)
        if field is None or field.type != "many2one" or field.comodel_name != "res.company":
            return None
        return name

    @api.model
    def _api_list_filters(self):
        """`_api_filters`, and `company_id` where the model has a company."""
        filters = dict(self._api_filters)
        fname = self._api_company_fname()
        if fname and "company_id" not in filters:
            spec = s.Id(
                description="Only the records of this company, one of the request's "
                "(X-Odoo-Company, default: your current company); 403 for another"
            )
            filters["company_id"] = (spec, self._api_company_filter)
        return filters

    @api.model
    def _api_company_filter(self, company_id):
        """The domain of `company_id=<id>`: one of the request's companies
        (a filter never widens what the request works in)."""
        self._api_check_company(company_id, "company_id")
        return [(self._api_company_fname(), "=", company_id)]

    @api.model
    def _api_check_company(self, company_id, name):
        """403 unless `company_id` is one of the request's companies."""
        if company_id not in self.env.companies.ids:
            raise ApiError(
                403,
                f"{name}: company {company_id} is not among the companies of this request "
                f"({', '.join(map(str, self.env.companies.ids))}); select it with "
                "X-Odoo-Company",
                "forbidden",
                [{"field": name, "issue": "forbidden_company"}],
            )

    @api.model
    def _api_row_schema(self):
        """The read schema of the rows answered: `_api_read_schema`, with
        `company` where the model has a company."""
        return self._api_with_company_property(self._api_read_schema, "company", COMPANY_REF)

    @api.model
    def _api_create_body_schema(self):
        """The create body: `_api_create_schema`, with `company_id` where
        the model has a company."""
        return self._api_with_company_property(self._api_create_schema, "company_id", COMPANY_ID_IN)

    @api.model
    def _api_with_company_property(self, spec, name, prop):
        """A copy of object schema `spec` with property `name` (`prop`)
        where the model has a company and `spec` does not declare it."""
        if spec is None or not self._api_company_fname() or name in spec.properties:
            return spec
        spec = copy.copy(spec)
        spec.properties = {**spec.properties, name: prop}
        return spec

    @api.model
    def _api_pop_company(self, body):
        """(body without `company_id`, the company it names): the resource's
        own steps never see the field. The company is checked to be one of
        the request's; None when it names none, and the record goes where
        Odoo puts it: the current company (the first selected) for records
        that belong to one, none for those Odoo shares (partners, products)."""
        if self._api_create_body_schema() is self._api_create_schema:
            return body, None  # no company field, or the resource's own company_id
        company_id = body.get("company_id")
        body = {key: value for key, value in body.items() if key != "company_id"}
        if company_id is None:
            return body, None
        self._api_check_company(company_id, "company_id")
        return body, self.env["res.company"].browse(company_id)

    @api.model
    def _api_rows(self, records, detail=False):
        """The rows of `records` as the API answers them: `_api_render`'s,
        each with its `company` where the model has a company (names read
        in one go), and what api_resource_xref.py adds (their `xid`). Every
        answer renders through this."""
        rows = self._api_render(records, detail=detail)
        fname = self._api_company_fname()
        if not fname or (rows and "company" in rows[0]) or not self._api_wants("company"):
            return rows
        names = self.env["res.company"]._api_company_names()
        records.fetch([fname])  # read with the page: nothing to read here
        # the company ids as cached, not one record a row (a sixth of a page's Python)
        company_ids = list(records.env.cache.get_values(records, records._fields[fname]))
        if len(company_ids) != len(records):  # not all cached: the plain way
            company_ids = [record[fname].id for record in records]
        for company_id, row in zip(company_ids, rows, strict=True):
            if not company_id:
                row["company"] = None
                continue
            # sudo: a company's name, as ref() reads names (one new since the cache)
            name = names.get(company_id) or self.env["res.company"].sudo().browse(company_id).name
            row["company"] = {"id": company_id, "name": name}
        return rows

    # ------------------------------------------------------------- render
    @api.model
    def _api_render(self, records, detail=False):
        """Return the JSON-ready dicts of `records` (one query per field group,
        not per record: the ORM prefetches the whole page)."""
        raise NotImplementedError


def _company_id(company):
    """The id of a company a create body names, None for none."""
    return company.id if company else None


def _parse_int(args, name, default, minimum):
    """A pagination integer of the query string: minimum to int4's maximum
    (PostgreSQL's OFFSET and LIMIT take more, our ids and counts do not)."""
    if name not in args:
        return default
    return _query_int(args[name], s.Field("integer", minimum=minimum), name)


def _query_int(raw, spec, name):
    """`raw` (a query-string value) as the integer `spec` declares, or a
    400 naming `name`."""
    match = _QUERY_INT_RE.fullmatch(raw)
    if not match:
        raise validation_error(name, "invalid_type", f"{name} must be an integer")
    value = int(match.group(1))
    errors = s.validate(value, spec, path=name)
    if errors:
        raise ApiError(400, errors[0]["message"], "validation_error", errors)
    return value


def _wire_value(parser, raw, name, *args):
    """`parser(raw, *args)` of lib/timestamps.py, or a 400 naming `name`."""
    try:
        return parser(raw, *args)
    except timestamps.TimestampError as exc:
        raise validation_error(name, exc.issue, f"{name} {exc}") from None


def _coerce_query_value(raw, spec, name, tz="UTC"):
    """Turn a query-string value into the type its Field declares: a
    date-time filter gets a timestamps.Span (a timestamp, or a whole day in
    `tz`), a date filter a date."""
    if spec.type == "integer":
        return _query_int(raw, spec, name)
    if spec.type == "boolean":
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
    elif spec.format == "date-time":
        return _wire_value(timestamps.parse_span, raw, name, tz)
    elif spec.format == "date":
        return _wire_value(timestamps.parse_date, raw, name)
    elif spec.type == "string":
        errors = s.validate(raw, spec, path=name)
        if not errors:
            return raw
        raise ApiError(400, errors[0]["message"], "validation_error", errors)
    raise validation_error(
        name, "invalid_type", f"{name} must be a{'n' if spec.type == 'integer' else ''} {spec.type}"
    )


def _cursor_text(field, value):
    """The sort key of a page's last row as a cursor keeps it: exact (a
    datetime to the microsecond, with Z), JSON-serializable, None for NULL."""
    if field.type == "datetime":
        return timestamps.format_timestamp(value, precise=True) if value else None
    if field.type == "date":
        return value.isoformat() if value else None
    if field.type in ("integer", "float", "monetary") or field.name == "id":
        return value
    return value or None


def _cursor_value(field, value):
    """The inverse of _cursor_text (cursors of older versions included:
    their datetimes are UTC strings without offset, their NULLs false)."""
    if field.name == "id":
        return value
    if value is None or value is False:
        return None
    if field.type == "datetime":
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return parsed
    if field.type == "date":
        return datetime.date.fromisoformat(str(value))
    if field.type in ("integer", "float", "monetary"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidCursor("cursor is malformed")
        return value
    if not isinstance(value, str):
        raise InvalidCursor("cursor is malformed")
    return value


def _after(field, descending, last_value, last_id):
    """The rows after (`last_value`, `last_id`) in the order
    `field ASC|DESC, id ASC|DESC` (keyset pagination), compared by
    PostgreSQL itself: exactly (Odoo's domains compare datetimes to the
    second), and with NULL sort keys where PostgreSQL sorts them, after
    every value ascending and before them descending."""
    op = SQL("<") if descending else SQL(">")
    if field.name == "id":
        return Domain("id", "<" if descending else ">", last_id)

    def to_sql(model, alias, query):
        column = model._field_to_sql(alias, field.name, query)
        row_id = model._field_to_sql(alias, "id", query)
        if last_value is None:
            among_nulls = SQL("(%s IS NULL AND %s %s %s)", column, row_id, op, last_id)
            if descending:
                return SQL("(%s OR %s IS NOT NULL)", among_nulls, column)
            return among_nulls
        after = SQL("((%s, %s) %s (%s, %s))", column, row_id, op, last_value, last_id)
        if not descending and not field.required:
            return SQL("(%s OR %s IS NULL)", after, column)
        return after

    return Domain.custom(to_sql=to_sql)
