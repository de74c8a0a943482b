# Pure-Python building blocks of the REST API: nothing in this package may
# import odoo, so that tests/unit can test it without an Odoo installation.
