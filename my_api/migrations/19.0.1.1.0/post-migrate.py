"""19.0.1.1.0: /api/v1 refuses API keys without an expiry date, unless
`my_api.refuse_keys_without_expiry` is False.

A new database refuses them from the start (the setting is on while unset).
A database upgraded from an earlier version has integrations running on
such keys (Odoo lets administrators make them): refusing them at the
upgrade would stop those integrations with no warning. So the upgrade
stores False, and an administrator turns it on (Settings > REST API) once
the keys are replaced by expiring ones. A value already stored is kept.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

KEY = "my_api.refuse_keys_without_expiry"


def migrate(cr, version):
    params = api.Environment(cr, SUPERUSER_ID, {})["ir.config_parameter"]
    if params.get_param(KEY) is False:  # never set: the upgrade keeps such keys working
        params.set_param(KEY, "False")
        _logger.info("%s set to False: API keys without expiry keep working", KEY)
