# Pure-Python helpers of the webhooks addon (signing, verification): no odoo
# import allowed here, so that tests/unit can test them without Odoo.
