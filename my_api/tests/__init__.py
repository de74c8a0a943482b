from . import test_auth
from . import test_idempotency
from . import test_openapi
from . import test_orders
from . import test_pagination
from . import test_performance
from . import test_rate_limit
from . import test_resources
