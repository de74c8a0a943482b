from . import test_webhook_endpoint
from . import test_webhook_inbound
from . import test_webhook_event
