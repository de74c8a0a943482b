"""GET /api/v1/<resource>/changes: what was created, updated, archived and
deleted, in commit order, from the change log (see api_change_log.py).

`updated_since` cannot tell a deletion or an archival: a record that is
gone, or that a list no longer shows, does not appear in it. The feed
reports them. A client calls it without a cursor once (it starts now, or at
`since=`), then always with the `next_cursor` of its last answer, which
every answer carries, an empty one too.

What a caller sees, with its rights and companies as every read of the API:
- created, updated and archived: `data` is the record as the resource
  renders it now (its latest state, not the one of the change: several
  changes of one record render it alike). A record the caller cannot read
  now (record rules, another company, or deleted since: its deletion comes
  later in the feed) is left out altogether, its id included;
- deleted: `data` is null. Told to whoever may read the model, when the
  record belonged to one of the request's companies or to none (its
  company is kept with the deletion): the id of a deleted record is all it
  says.
A page is `limit` rows of the log: it may hold fewer entries than that (the
others were left out) and still have more after it.
"""

import time

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..core import ApiError
from ..lib import timestamps
from ..lib.cursor import InvalidCursor, decode_cursor, encode_cursor
from .api_resource import DEFAULT_LIMIT, _parse_int, _wire_value

CHANGE_PARAMS = ("cursor", "since", "limit")


def _bad_cursor(message):
    return ApiError(400, message, "bad_request", [{"field": "cursor", "issue": "invalid_cursor"}])


class ApiResource(models.AbstractModel):
    _inherit = "api.resource"

    # whether GET /<path>/changes exists (it needs list)
    _api_changes = True

    @api.model
    def _api_has_changes(self):
        return bool(self._api_changes) and "list" in self._api_operations

    @api.model
    @tools.ormcache()
    def _api_change_models(self):
        """The models whose changes are logged: those of the resources
        with a change feed (every write of them costs one INSERT more)."""
        return frozenset(
            self.env[name]._api_model
            for name in self._api_resource_models().values()
            if self.env[name]._api_has_changes()
        )

    @api.model
    @tools.ormcache()
    def _api_change_children(self):
        """{parent model: ((logged model, link field), ...)}: the logged
        models that hold another model's fields through `_inherits` (a
        product its template's name and price), whose writes change them."""
        children = {}
        for name in self._api_change_models():
            for parent, link in self.env[name]._inherits.items():
                children.setdefault(parent, []).append((name, link))
        return {parent: tuple(links) for parent, links in children.items()}

    @api.model
    def _api_descriptor(self):
        return dict(super()._api_descriptor(), changes=self._api_has_changes())

    @api.model
    def _api_allowed_methods(self, route):
        """GET on /<path>/changes where the resource has a feed."""
        if route == "changes":
            return ("GET",) if self._api_has_changes() else ()
        return super()._api_allowed_methods(route)

    # ------------------------------------------------------------ cursor
    @api.model
    def _api_changes_key(self):
        """What a feed cursor is signed for: this resource's feed only."""
        return f"changes:{self._api_path}"

    @api.model
    def _api_changes_cursor(self, seq):
        """The cursor after commit sequence `seq`, issued now."""
        return encode_cursor(
            self._api_cursor_secret(), self._api_changes_key(), [seq, int(time.time())]
        )

    @api.model
    def _api_changes_position(self, cursor):
        """The commit sequence a cursor stands after; 400 for a cursor that
        is malformed, forged or another feed's, 410 for one older than the
        retention (the log after it may be purged)."""
        try:
            values = decode_cursor(self._api_cursor_secret(), self._api_changes_key(), cursor)
        except InvalidCursor as exc:
            message = str(exc)
            if "another order" in message:
                message = "cursor was issued for another resource's changes; restart without cursor"
            raise _bad_cursor(message) from None
        if len(values) != 2 or not all(
            isinstance(value, int) and not isinstance(value, bool) and value >= 0
            for value in values
        ):
            raise _bad_cursor("cursor is malformed")
        seq, issued = values
        retention = self.env["api.change.log"]._retention()
        if issued < time.time() - retention.total_seconds():
            raise self._api_changes_gone("this cursor")
        return seq

    @api.model
    def _api_changes_gone(self, what):
        days = self.env["api.change.log"]._retention().days
        return ApiError(
            410,
            f"{what} is older than the {days} days the change log is kept: changes may "
            f"be missing. Resync (list /{self._api_path} in full), then call "
            f"/{self._api_path}/changes without cursor",
            "gone",
        )

    @api.model
    def _api_changes_start(self, since=None):
        """The position of a first call: now (after the last numbered row
        of this model), or before the first row at or after `since`."""
        cr = self.env.cr
        if since is None:
            cr.execute(
                SQL(
                    "SELECT max(seq) FROM api_change_log WHERE model = %s AND seq IS NOT NULL",
                    self._api_model,
                )
            )
            return cr.fetchone()[0] or 0
        cr.execute(
            SQL(
                "SELECT min(seq) - 1, (SELECT max(seq) FROM api_change_log "
                "  WHERE model = %s AND seq IS NOT NULL) "
                "FROM api_change_log WHERE model = %s AND seq IS NOT NULL AND at >= %s",
                self._api_model,
                self._api_model,
                since,
            )
        )
        first, last = cr.fetchone()
        return first if first is not None else (last or 0)

    # -------------------------------------------------------------- read
    @api.model
    def _api_changes_run(self, args):
        """{"data": [...], "pagination": {...}} of GET /<path>/changes."""
        if not self._api_has_changes():
            raise ApiError(404, f"/{self._api_path} has no change feed", "not_found")
        self._api_check_query(args, set(CHANGE_PARAMS))
        limit = min(_parse_int(args, "limit", DEFAULT_LIMIT, 1), self._api_max_page_size())
        cursor, since = args.get("cursor") or None, args.get("since")
        if cursor is not None and since is not None:
            raise ApiError(
                400,
                "use either cursor or since, not both",
                "bad_request",
                [{"field": "since", "issue": "conflict"}],
            )
        # who may not read the model learns nothing of its changes
        self._api_records().check_access("read")
        if cursor is not None:
            position = self._api_changes_position(cursor)
        elif since is not None:
            start = _wire_value(timestamps.parse_span, since, "since", self._api_timezone()).start
            if start < fields.Datetime.now() - self.env["api.change.log"]._retention():
                raise self._api_changes_gone(f"since={since}")
            position = self._api_changes_start(start)
        else:
            position = self._api_changes_start()
        self.env.cr.execute(
            SQL(
                "SELECT seq, res_id, kind, at, company_id FROM api_change_log "
                "WHERE model = %s AND seq > %s ORDER BY seq LIMIT %s",
                self._api_model,
                position,
                limit + 1,
            )
        )
        log = self.env.cr.fetchall()
        has_more = len(log) > limit
        log = log[:limit]
        entries = self._api_changes_entries(log)
        next_position = log[-1][0] if log else position
        return {
            "data": entries,
            "pagination": {
                "limit": limit,
                "has_more": has_more,
                "next_cursor": self._api_changes_cursor(next_position),
            },
        }

    @api.model
    def _api_changes_entries(self, log):
        """The entries of log rows (seq, res_id, kind, at, company_id) the
        caller may see (see the module's docstring), rendered in one go."""
        shown_ids = {res_id for _seq, res_id, kind, _at, _company in log if kind != "deleted"}
        rows = {}
        if shown_ids:
            records = self._api_records().with_context(active_test=False)
            readable = records.search([("id", "in", list(shown_ids)), *self._api_base_domain()])
            rows = {row["id"]: row for row in self._api_rows(readable)}
        companies = set(self.env.companies.ids)
        entries = []
        for _seq, res_id, kind, at, company_id in log:
            if kind == "deleted":
                if company_id is not None and company_id not in companies:
                    continue
                data = None
            elif res_id in rows:
                data = rows[res_id]
            else:
                continue
            entries.append({"type": kind, "id": res_id, "at": at, "data": data})
        return entries
