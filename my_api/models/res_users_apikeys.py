from odoo import models

from .ir_http import clear_apikey_cache


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _remove(self):
        # A key removed in this worker stops working here at once; other
        # workers forget it when their cache entry expires (see ir_http).
        key_ids = self.ids
        result = super()._remove()
        clear_apikey_cache(key_ids)
        return result
