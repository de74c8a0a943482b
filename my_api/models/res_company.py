from odoo import api, models, tools


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model
    @tools.ormcache()
    def _api_company_names(self):
        """{id: name} of every company, for the `company` of API rows: a
        page would otherwise read them on every request. Companies are few
        and seldom renamed; a rename clears every cache (write below)."""
        # sudo: names only, as ref() reads the names of linked records
        companies = self.sudo().with_context(active_test=False).search([])
        companies.fetch(["name"])
        return dict(zip(companies.ids, companies.mapped("name"), strict=True))

    def write(self, vals):
        res = super().write(vals)
        if "name" in vals:
            self.env.registry.clear_cache()
        return res
