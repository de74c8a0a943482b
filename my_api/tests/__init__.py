from . import test_auth, test_orders
