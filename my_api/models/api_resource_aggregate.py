"""Aggregates of a resource, for dashboards: GET /<path>/aggregate.

A resource offers them by declaring one attribute, the public names a
caller may group by and measure, each the ORM field it reads:

    _api_aggregate = {
        "group_by": {"date_order": "date_order", "state": "state", "partner": "partner_id"},
        "measures": {"amount_total": "amount_total", "value": ("value", ("sum",))},
    }

`?group_by=date_order:month,state&measures=amount_total:sum,count` then
answers one row per group, computed by `_read_group` as the caller (access
rights and record rules apply: no sudo), over the records the list would
give for the same filters. Date and datetime fields are grouped by a
granularity (day, week, month, quarter, year); a datetime is bucketed in
the request's timezone (the context's `tz`, which `_read_group` already
honours), a date is a day already and never shifts. Weeks are ISO weeks
(Monday first), whatever the user's language says. A measure is summed,
averaged or has its minimum or maximum taken (a measure declared as
(ORM field, functions) offers only those: a computed value its model knows
how to sum, say); `count` counts the records.
"""

import datetime

import pytz
from werkzeug.datastructures import MultiDict

from odoo import api, models

from ..core import ApiError, validation_error
from ..lib.openapi import AGGREGATE_FUNCTIONS as FUNCTIONS
from ..lib.openapi import AGGREGATE_GRANULARITIES as GRANULARITIES
from ..lib.openapi import AGGREGATE_MAX_GROUPS as MAX_GROUPS
from ..lib.openapi import AGGREGATE_MAX_TERMS as MAX_TERMS
from .api_resource import names_of

# the query parameters of GET /<path>/aggregate besides the list's filters
AGGREGATE_PARAMS = ("group_by", "measures")
# list parameters that make no sense for groups (a page, a sort key)
PAGE_PARAMS = ("limit", "offset", "cursor", "order", "count")


def bucket_label(value, granularity):
    """The label of a date bucket: `2026-01-31` (day), `2026-W05` (ISO
    week), `2026-01` (month), `2026-Q1` (quarter), `2026` (year); None for
    records without a date."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if granularity == "day":
        return value.isoformat()
    if granularity == "week":
        year, week, _weekday = value.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if granularity == "month":
        return f"{value.year:04d}-{value.month:02d}"
    if granularity == "quarter":
        return f"{value.year:04d}-Q{(value.month - 1) // 3 + 1}"
    return f"{value.year:04d}"


def split_terms(raw, name):
    """The comma-separated terms of `group_by` or `measures`: none empty,
    none twice, at most MAX_TERMS (exactly as written: the document's
    pattern admits no spaces)."""
    terms = raw.split(",")
    if any(not term for term in terms):
        raise validation_error(
            name, "empty", f"{name} holds an empty term; separate terms with single commas"
        )
    seen = set()
    for term in terms:
        if term in seen:
            raise validation_error(name, "duplicate", f"{name} names {term} twice")
        seen.add(term)
    if len(terms) > MAX_TERMS:
        raise validation_error(name, "too_many", f"{name} takes at most {MAX_TERMS} terms")
    return terms


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    # {"group_by": {public name: ORM field}, "measures": {public name: ORM field}};
    # None: the resource has no /aggregate
    _api_aggregate = None

    @api.model
    def _api_aggregate_max_groups(self):
        """Groups one answer may hold (more: 400, saying how to narrow)."""
        return MAX_GROUPS

    @api.model
    def _api_aggregate_spec(self):
        """The declaration, without the fields this database's model does
        not have (a measure of an optional module), or None."""
        if not self._api_aggregate:
            return None
        fields = self._api_records()._fields
        group_by = {
            public: orm
            for public, orm in self._api_aggregate.get("group_by", {}).items()
            if orm in fields
        }
        measures = {}
        for public, declared in self._api_aggregate.get("measures", {}).items():
            orm, functions = (declared, FUNCTIONS) if isinstance(declared, str) else declared
            if orm in fields:
                measures[public] = (orm, tuple(functions))
        return {"group_by": group_by, "measures": measures}

    @api.model
    def _api_aggregate_descriptor(self):
        """What the OpenAPI document says of /aggregate (lib/openapi.py):
        the groupable names (with `date: True` for those taking a
        granularity) and the measures; None without aggregates."""
        spec = self._api_aggregate_spec()
        if spec is None:
            return None
        fields = self._api_records()._fields
        return {
            "group_by": {
                public: {
                    "date": fields[orm].type in ("date", "datetime"),
                    "type": fields[orm].type,
                }
                for public, orm in spec["group_by"].items()
            },
            "measures": {
                public: list(spec["measures"][public][1]) for public in sorted(spec["measures"])
            },
        }

    # ---------------------------------------------------------------- parse
    @api.model
    def _api_aggregate_group_by(self, raw, spec):
        """[(term, ORM spec, kind, granularity)] of `group_by`."""
        fields = self._api_records()._fields
        parsed = []
        for term in split_terms(raw, "group_by"):
            public, _sep, granularity = term.partition(":")
            orm = spec["group_by"].get(public)
            if orm is None:
                names = ", ".join(sorted(spec["group_by"])) or "none"
                raise validation_error(
                    "group_by",
                    "invalid_value",
                    f"group_by {public!r} is not groupable on /{self._api_path}; "
                    f"groupable: {names}",
                )
            field = fields[orm]
            is_date = field.type in ("date", "datetime")
            if is_date and not granularity:
                raise validation_error(
                    "group_by",
                    "missing_granularity",
                    f"group_by {public} is a date: give a granularity, e.g. {public}:month "
                    f"({', '.join(GRANULARITIES)})",
                )
            if granularity and not is_date:
                raise validation_error(
                    "group_by",
                    "invalid_granularity",
                    f"group_by {term}: {public} is not a date and takes no granularity",
                )
            if granularity and granularity not in GRANULARITIES:
                raise validation_error(
                    "group_by",
                    "invalid_granularity",
                    f"group_by {term}: granularity must be one of {', '.join(GRANULARITIES)}",
                )
            if any(previous[0].partition(":")[0] == public for previous in parsed):
                raise validation_error("group_by", "duplicate", f"group_by names {public} twice")
            kind = "many2one" if field.type == "many2one" else field.type
            orm_spec = f"{orm}:{granularity}" if granularity else orm
            parsed.append((term, orm_spec, kind, granularity or None))
        return parsed

    @api.model
    def _api_aggregate_measures(self, raw, spec):
        """[(term, ORM aggregate spec, function)] of `measures`."""
        parsed = []
        for term in split_terms(raw, "measures"):
            if term == "count":
                parsed.append((term, "__count", "count"))
                continue
            public, _sep, function = term.partition(":")
            orm, functions = spec["measures"].get(public, (None, ()))
            if orm is None:
                names = ", ".join(sorted(spec["measures"])) or "none"
                raise validation_error(
                    "measures",
                    "invalid_value",
                    f"measure {public!r} is not available on /{self._api_path}; "
                    f"measures: {names} (with :sum, :avg, :min or :max), or count",
                )
            if function not in functions:
                raise validation_error(
                    "measures",
                    "invalid_function",
                    f"measure {term}: {public} takes "
                    + ", ".join(f"{public}:{name}" for name in functions),
                )
            parsed.append((term, f"{orm}:{function}", function))
        return parsed

    @api.model
    def _api_aggregate_domain(self, args):
        """The domain the list gives for the same filters, parsed by the
        list's own parsing (so a filter means exactly what it means there),
        from the query string without group_by and measures."""
        page = sorted(name for name in PAGE_PARAMS if name in args)
        if page:
            raise ApiError(
                400,
                f"an aggregate has no page or sort key: leave out {', '.join(page)}",
                "validation_error",
                [{"field": name, "issue": "unknown_parameter"} for name in page],
            )
        filters = MultiDict(
            [
                (name, value)
                for name, value in args.items(multi=True)
                if name not in AGGREGATE_PARAMS
            ]
        )
        return self._api_base_domain() + self._api_parse_list_params(filters)["domain"]

    @api.model
    def _api_aggregate_timezone(self):
        """The timezone datetime buckets are made in: the context's `tz`
        (which the request sets), UTC when none or one PostgreSQL would
        not know."""
        tz = self.env.context.get("tz")
        return tz if tz in pytz.all_timezones_set else "UTC"

    # ------------------------------------------------------------------ run
    @api.model
    def _api_aggregate_run(self, args):
        """The answer of GET /<path>/aggregate for the query string `args`."""
        spec = self._api_aggregate_spec()
        if spec is None:
            raise ApiError(404, f"/{self._api_path} has no aggregates", "not_found")
        repeated = sorted(name for name in AGGREGATE_PARAMS if len(args.getlist(name)) > 1)
        if repeated:
            raise ApiError(
                400,
                f"parameter(s) given twice: {', '.join(repeated)} (separate terms with commas)",
                "bad_request",
                [{"field": name, "issue": "duplicate"} for name in repeated],
            )
        group_by = (
            self._api_aggregate_group_by(args["group_by"], spec) if "group_by" in args else []
        )
        measures = self._api_aggregate_measures(args.get("measures", "count"), spec)
        domain = self._api_aggregate_domain(args)
        tz = self._api_aggregate_timezone()
        records = self._api_records().with_context(tz=tz, api_iso_weeks=True)
        limit = self._api_aggregate_max_groups()
        # one query for every group, as the caller: a refusal is a 403
        rows = records._read_group(
            domain,
            groupby=[orm for _term, orm, _kind, _g in group_by],
            aggregates=[orm for _term, orm, _function in measures],
            limit=limit + 1 if group_by else None,
        )
        if len(rows) > limit:
            raise ApiError(
                400,
                f"more than {limit} groups: narrow the aggregate with fewer group_by terms, "
                "a coarser granularity (month rather than day) or filters "
                "(a shorter date range, a state)",
                "too_many_groups",
                [{"field": "group_by", "issue": "too_many_groups"}],
            )
        return {
            "data": self._api_aggregate_render(rows, group_by, measures),
            "group_by": [term for term, _orm, _kind, _g in group_by],
            "measures": [term for term, _orm, _function in measures],
            "timezone": tz,
        }

    @api.model
    def _api_aggregate_render(self, rows, group_by, measures):
        """JSON rows: a many2one group as {id, name} (names read as ref()
        reads them, in one query per column), a date bucket by its label,
        an empty group as null; an empty sum is 0, an empty average,
        minimum or maximum null."""
        fields = self._api_records()._fields
        names = {}
        for index, (_term, orm, kind, _g) in enumerate(group_by):
            if kind == "many2one":
                ids = [row[index].id for row in rows if row[index]]
                names[index] = names_of(self.env[fields[orm].comodel_name].browse(ids))
        data = []
        offset = len(group_by)
        for row in rows:
            item = {}
            for index, (term, _orm, kind, granularity) in enumerate(group_by):
                value = row[index]
                if granularity:
                    item[term] = bucket_label(value, granularity)
                elif kind == "many2one":
                    item[term] = {"id": value.id, "name": names[index][value.id]} if value else None
                elif kind == "boolean":
                    item[term] = bool(value)
                else:
                    item[term] = value if value is not False else None
            for position, (term, _orm, function) in enumerate(measures):
                value = row[offset + position]
                if function == "count":
                    item[term] = value or 0
                elif value is None or value is False:
                    item[term] = 0 if function == "sum" else None
                else:
                    item[term] = float(value)
            data.append(item)
        return data

    @api.model
    def _api_descriptor(self):
        """The declaration for the OpenAPI document, with its aggregates."""
        descriptor = super()._api_descriptor()
        descriptor["aggregate"] = self._api_aggregate_descriptor()
        return descriptor

    @api.model
    def _api_allowed_methods(self, route):
        """GET on /<path>/aggregate where the resource declares aggregates;
        none (404) elsewhere."""
        if route == "aggregate":
            return ("GET",) if self._api_aggregate_spec() is not None else ()
        return super()._api_allowed_methods(route)
