# Pure-Python helpers of my_oauth_provider (configuration parsing): no odoo
# import allowed here, so that tests/unit can test them without Odoo.
