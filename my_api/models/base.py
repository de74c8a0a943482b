import re

from odoo import models
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

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

    # ---------------------------------------------------------- change log
    # GET /api/v1/<resource>/changes reads api.change.log (see
    # api_change_log.py), written here for the models a resource exposes:
    # at the lowest level of the ORM, so that what changes a record without
    # write() (a stored computed field: an invoice's payment state, a
    # picking's state) is reported as well. One INSERT per operation.

    def _api_logs_changes(self):
        """Whether the change log follows this model (a resource lists it).
        Not for what uninstalling a module deletes: that is no business
        change, and my_api's own log may be going with it."""
        if self.env.context.get(MODULE_UNINSTALL_FLAG):
            return False
        return self._name in self.env["api.resource"]._api_change_models()

    def _api_created_in_transaction(self):
        """{model: set of ids} created in this transaction: their updates
        within it are no news (the feed renders a record as it is when read,
        and its creation is reported already); an archival still is."""
        return self.env.cr.precommit.data.setdefault("api.change.log.created", {})

    def _create(self, data_list):
        records = super()._create(data_list)
        if records and self._api_logs_changes():
            self.env["api.change.log"]._log(self._name, records.ids, "created")
            self._api_created_in_transaction().setdefault(self._name, set()).update(records.ids)
        return records

    def _write_multi(self, vals_list):
        super()._write_multi(vals_list)
        if not self:
            return
        if self._api_logs_changes():
            self._api_log_writes(self._name, self._ids, vals_list)
        children = self.env["api.resource"]._api_change_children().get(self._name, ())
        for child, link in children:
            # a write of a product template changes its products: a product's
            # name and price are its template's (writing them through the
            # product writes the template only). Their archival is theirs to
            # report (archiving a template archives them).
            # sudo: which records inherit these is no matter of the writer's rights
            linked = (
                self.env[child]
                .sudo()
                .with_context(active_test=False)
                .search_fetch([(link, "in", list(self._ids))], [link])
            )
            by_parent = {}
            for record in linked:
                by_parent.setdefault(record[link].id, []).append(record.id)
            ids, vals = [], []
            for record_id, record_vals in zip(self._ids, vals_list, strict=True):
                if "active" not in record_vals:
                    ids += by_parent.get(record_id, [])
                    vals += [record_vals] * len(by_parent.get(record_id, []))
            self._api_log_writes(child, ids, vals)

    def _api_log_writes(self, model, ids, vals_list):
        """Log the writes of `vals_list` on the records `ids` of `model`."""
        created = self._api_created_in_transaction().get(model, ())
        kinds = {"updated": [], "archived": []}
        for record_id, vals in zip(ids, vals_list, strict=True):
            if "active" in vals and not vals["active"]:
                kinds["archived"].append(record_id)
            elif record_id not in created:
                kinds["updated"].append(record_id)
        for kind, kind_ids in kinds.items():
            if kind_ids:
                self.env["api.change.log"]._log(model, kind_ids, kind)

    def unlink(self):
        if not self or not self._api_logs_changes():
            return super().unlink()
        records = self.browse([record_id for record_id in self._ids if isinstance(record_id, int)])
        field = self._fields.get("company_id")
        companies = None
        if field is not None and field.type == "many2one" and field.store:
            # sudo: the company a deletion is told to (see api_change_log.py),
            # whoever deletes
            companies = [record.company_id.id or None for record in records.sudo()]
        ids = records.ids
        res = super().unlink()
        self.env["api.change.log"]._log(self._name, ids, "deleted", companies)
        return res
