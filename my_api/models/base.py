import re

from odoo import models
from odoo.tools import SQL

_WEEK_SPEC = re.compile(r"(\w+):week")


class Base(models.AbstractModel):
    _inherit = "base"

    def _read_group_groupby(self, alias, groupby_spec, query):
        """ISO weeks (Monday first) for /api/v1 aggregates, which ask with
        the context key `api_iso_weeks`: Odoo starts a week on its user's
        language's first day (Sunday for English), which would make a
        week bucket straddle two ISO weeks and its `2026-W05` label lie.
        The day (in the context's timezone) is Odoo's own expression."""
        match = _WEEK_SPEC.fullmatch(groupby_spec)
        if not (match and self.env.context.get("api_iso_weeks")):
            return super()._read_group_groupby(alias, groupby_spec, query)
        day = super()._read_group_groupby(alias, f"{match.group(1)}:day", query)
        week = SQL("date_trunc('week', %s::timestamp)", day)
        if self._fields[match.group(1)].type == "date":
            week = SQL("%s::date", week)
        return week
