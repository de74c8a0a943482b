"""Query power of every resource's reads: fields=, expand=, filter
operators and q=.

A resource declares, besides its filters (api_resource.py):

- `_api_operator_filters`: public name -> (ORM field, Field, operators),
  e.g. `"amount_total": ("amount_total", s.Field("number"), ("gte", "lte"))`:
  the list then reads `amount_total[gte]=100`. Operators are those of
  lib/reads.py (gt, gte, lt, lte, in, ilike); any other is a 400.
- `_api_search_fields`: the ORM fields `q=` searches (ilike, any of them).
- `_api_expansions`: public name -> Expansion: what `expand=` may replace
  by the expanded object (another resource's rendering of a many2one) or
  add (a renderer of the resource's own, e.g. an order's lines), with, for
  the latter, expansions of its own (`lines.product`).

`fields=` needs no declaration: it takes the names of the read schema.

Expanded objects are rendered by their own resource, with the caller's
rights, in one batch per expansion for the whole page (so a page's query
count does not grow with its size). A reference the caller may not read
stays the `{id, name}` reference it was (as a page never fails for one
row's relation): an expansion never widens what the caller sees. Expanding
to another resource needs that resource's read scope (403 otherwise).
"""

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from odoo import api, models
from odoo.fields import Domain

from ..core import ApiError, current_context, validation_error
from ..lib import reads
from ..lib import schema as s
from ..lib.timestamps import Span
from .api_resource import _coerce_query_value

# the read parameters every list takes besides its filters
READ_PARAMS = ("fields", "expand", "q", "lang")
Q_MAX_LENGTH = 256


@dataclass(frozen=True)
class Expansion:
    """One `expand=` name of a resource: `field` (an ORM relation of the
    resource's model) rendered either by the resource at `resource` (its
    `_api_path`: the many2one's reference becomes that resource's row) or
    by the method `render` of the declaring resource ({record id: value}
    for the records of a page), whose rows may be expanded further by
    `nested` (rows with an `id` of the comodel's records)."""

    field: str
    resource: str | None = None
    render: str | None = None
    nested: dict = field(default_factory=dict)


def _project(rows, names):
    """Keep only `names` (and id) of each row, in place."""
    for row in rows:
        for key in [key for key in row if key != "id" and key not in names]:
            del row[key]


class ApiResourceReads(models.AbstractModel):
    _inherit = "api.resource"

    _api_operator_filters = {}
    _api_search_fields = ()
    _api_expansions = {}

    # ------------------------------------------------------- declarations
    @api.model
    def _api_field_names(self):
        """The names `fields=` takes: the read schema's."""
        schema = self._api_row_schema()
        return set(schema.properties) if schema is not None else {"id"}

    @api.model
    def _api_expansion_paths(self, depth=reads.EXPAND_MAX_DEPTH):
        """{dotted path: the resource path its rows come from, or None for a
        renderer of the resource's own}: every value `expand=` takes."""
        paths = {}

        def walk(prefix, declared, level, model):
            for name, expansion in sorted(declared.items()):
                path = f"{prefix}{name}"
                paths[path] = expansion.resource
                if level >= depth:
                    continue
                if expansion.resource:
                    target = model._api_get_resource(expansion.resource)
                    walk(f"{path}.", target._api_expansions, level + 1, target)
                else:
                    walk(f"{path}.", expansion.nested, level + 1, model)

        walk("", self._api_expansions, 1, self)
        return paths

    @api.model
    def _api_descriptor(self):
        descriptor = super()._api_descriptor()
        if "list" in self._api_operations or "get" in self._api_operations:
            descriptor["reads"] = {
                "fields": sorted(self._api_field_names()),
                "expand": {
                    path: self._api_get_resource(target)._api_descriptor_title() if target else None
                    for path, target in self._api_expansion_paths().items()
                },
                "operators": {
                    name: {"spec": spec, "operators": list(operators)}
                    for name, (_fname, spec, operators) in self._api_operator_filters.items()
                },
                "search": bool(self._api_search_fields),
            }
        return descriptor

    @api.model
    def _api_descriptor_title(self):
        """The schema name of this resource's rows in the document."""
        title = self._api_path.capitalize()
        return title[:-1] if title.endswith("s") else title

    # ---------------------------------------------------------- parsing
    @api.model
    def _api_with_read_params(self, args):
        """This resource with the `fields=` and `expand=` of query string
        `args` in its context (api_fields, api_expand), which `_api_rows`
        applies to the rows of a list or a detail; 400 for a malformed or
        unknown name."""
        fields_raw, expand_raw = args.get("fields"), args.get("expand")
        for name in ("fields", "expand"):
            if len(args.getlist(name)) > 1:
                raise ApiError(400, f"parameter(s) given twice: {name}", "bad_request")
        names = tree = None
        if fields_raw is not None:
            try:
                names = reads.parse_fields(fields_raw, self._api_field_names())
            except reads.ReadParamError as exc:
                raise validation_error("fields", exc.issue, f"fields {exc}") from None
        if expand_raw is not None:
            try:
                tree = reads.parse_expand(expand_raw, self._api_expansion_paths())
            except reads.ReadParamError as exc:
                raise validation_error("expand", exc.issue, f"expand {exc}") from None
            self._api_check_expand_scopes(tree)
        return self.with_context(
            api_fields=tuple(sorted(names)) if names is not None else None,
            api_expand=tuple(sorted(reads.split_list(expand_raw))) if tree else None,
        )

    @api.model
    def _api_check_expand_scopes(self, tree, declared=None):
        """403 unless the credential may read every resource `tree`
        expands to (an OAuth2 token with orders:read only gets no partner
        through expand=partner)."""
        ctx = current_context()
        credential = ctx.credential if ctx else None
        for name, sub in tree.items():
            expansion = (self._api_expansions if declared is None else declared)[name]
            if not expansion.resource:
                self._api_check_expand_scopes(sub, expansion.nested)
                continue
            target = self._api_get_resource(expansion.resource)
            scope = target._api_required_scope("read")
            if credential is not None and not credential.has_scope(scope):
                raise ApiError(
                    403,
                    f"expand={name} needs the {scope} scope, which this token lacks",
                    "insufficient_scope",
                )
            target._api_check_expand_scopes(sub)

    @api.model
    def _api_parse_list_params(self, args):
        """The list's own parameters (api_resource.py), and the domain of
        its filter operators and of q=; fields= and expand= are read by
        `_api_with_read_params`."""
        own, operator_args = MultiDict(), []
        for name, value in args.items(multi=True):
            match = reads.OPERATOR_PARAM_RE.fullmatch(name)
            if match and match.group(1) in self._api_operator_filters:
                operator_args.append((name, match.group(1), match.group(2), value))
            elif name not in READ_PARAMS or (name == "q" and not self._api_search_fields):
                own.add(name, value)
        params = super()._api_parse_list_params(own)
        repeated = sorted(
            {name for name, *_rest in operator_args if len(args.getlist(name)) > 1}
            | {name for name in ("q",) if len(args.getlist(name)) > 1}
        )
        if repeated:
            raise ApiError(400, f"parameter(s) given twice: {', '.join(repeated)}", "bad_request")
        domain = list(params["domain"])
        for name, public, operator, value in operator_args:
            domain.extend(self._api_operator_domain(name, public, operator, value))
        if "q" in args and self._api_search_fields:
            domain.extend(self._api_search_domain(args["q"]))
        params["domain"] = domain
        return params

    @api.model
    def _api_operator_domain(self, name, public, operator, raw):
        """The domain of one `public[operator]=raw` parameter (`name`)."""
        fname, spec, operators = self._api_operator_filters[public]
        if operator not in operators:
            raise validation_error(
                name,
                "invalid_operator",
                f"{public} takes the operators {', '.join(operators)}, not {operator}",
            )
        if operator == "in":
            try:
                items = reads.split_list(raw)
            except reads.ReadParamError as exc:
                raise validation_error(name, exc.issue, f"{name} {exc}") from None
            if len(items) > reads.MAX_IN_VALUES:
                raise validation_error(
                    name, "too_many", f"{name} takes at most {reads.MAX_IN_VALUES} values"
                )
            return [(fname, "in", [self._api_operator_value(name, spec, item) for item in items])]
        if operator == "ilike":
            return [(fname, "ilike", self._api_operator_value(name, spec, raw))]
        value = self._api_operator_value(name, spec, raw)
        if isinstance(value, Span):
            # a date alone is its whole day (in the request's timezone)
            bound = {
                "gte": value.start,
                "gt": value.end,
                "lt": value.start,
                "lte": value.end,
            }[operator]
            if bound is None:  # the last instant there is: nothing after it, all before
                return [("id", "in", [])] if operator == "gt" else []
            return [(fname, ">=" if operator in ("gte", "gt") else "<", bound)]
        symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[operator]
        return [(fname, symbol, value)]

    @api.model
    def _api_operator_value(self, name, spec, raw):
        """One value of an operator parameter, as its Field declares it: a
        finite number within the schema's bounds, an id, a day or a
        timestamp, text without control characters."""
        try:
            if spec.type == "number":
                value = reads.parse_number(raw)
                errors = s.validate(value, spec, path=name)
                if errors:
                    raise ApiError(400, errors[0]["message"], "validation_error", errors)
                return value
            if spec.type == "string" and spec.format is None:
                reads.check_text(raw)
        except reads.ReadParamError as exc:
            raise validation_error(name, exc.issue, f"{name} {exc}") from None
        return _coerce_query_value(raw, spec, name, self._api_timezone())

    @api.model
    def _api_search_domain(self, raw):
        """The domain of `q=`: any of the declared text fields contains it."""
        try:
            reads.check_text(raw)
        except reads.ReadParamError as exc:
            raise validation_error("q", exc.issue, f"q {exc}") from None
        if len(raw) > Q_MAX_LENGTH:
            raise validation_error("q", "too_long", f"q is at most {Q_MAX_LENGTH} characters")
        if not raw:
            return []
        return list(Domain.OR(Domain(fname, "ilike", raw) for fname in self._api_search_fields))

    # -------------------------------------------------------- rendering
    @api.model
    def _api_wants(self, name):
        """Whether the rows being rendered keep field `name` (fields= may
        leave it out): a renderer may skip the queries of what is not kept."""
        wanted = self.env.context.get("api_wanted")
        return wanted is None or name in wanted

    @api.model
    def _api_rows(self, records, detail=False):
        """The rows, with only the fields of `fields=` (and id) and the
        expansions of `expand=` when the context carries them (see
        `_api_with_read_params`)."""
        names = self.env.context.get("api_fields")
        paths = self.env.context.get("api_expand")
        kept = None
        if names is not None:  # an expanded relation is kept whatever fields= says
            kept = frozenset(names) | {path.split(".")[0] for path in paths or ()}
        plain = self
        if names is not None or paths:
            plain = self.with_context(api_fields=None, api_expand=None, api_wanted=kept)
        if plain is not self:
            rows = super(ApiResourceReads, plain)._api_rows(records.with_env(plain.env), detail)
        else:
            rows = super()._api_rows(records, detail=detail)
        if kept is not None:
            _project(rows, kept)
        if paths:
            tree = reads.parse_expand(",".join(paths), plain._api_expansion_paths())
            plain._api_expand_rows(rows, plain._api_records(), tree, plain._api_expansions)
        return rows

    @api.model
    def _api_expand_rows(self, rows, model, tree, declared):
        """Expand, in place, `tree` of `rows` (rendered rows of records of
        `model`, each with its `id`), one batch per expansion."""
        records = model.browse([row["id"] for row in rows])
        for name, sub in sorted(tree.items()):
            expansion = declared[name]
            if expansion.resource:
                self._api_expand_reference(rows, records, name, sub, expansion)
                continue
            values = getattr(self, expansion.render)(records)
            children = []
            for row in rows:
                row[name] = values.get(row["id"], [])
                children.extend(row[name] if isinstance(row[name], list) else [row[name]])
            if sub:
                comodel = self.env[records._fields[expansion.field].comodel_name]
                self._api_expand_rows(
                    [child for child in children if child], comodel, sub, expansion.nested
                )

    @api.model
    def _api_expand_reference(self, rows, records, name, sub, expansion):
        """Replace the `name` reference of `rows` by the row the resource
        of `expansion` renders of it, for those the caller may read."""
        target = self._api_get_resource(expansion.resource).with_context(
            api_fields=None, api_expand=None, api_wanted=None
        )
        linked = records.mapped(expansion.field)
        readable = linked._filtered_access("read")
        by_id = {}
        if readable:
            target_rows = target._api_rows(readable.with_env(target.env))
            if sub:
                target._api_expand_rows(
                    target_rows, target._api_records(), sub, target._api_expansions
                )
            by_id = {row["id"]: row for row in target_rows}
        for record, row in zip(records, rows, strict=True):
            value = record[expansion.field]
            if value and value.id in by_id:
                row[name] = by_id[value.id]
