from . import test_webhook_endpoint
from . import test_webhook_outbox
from . import test_webhook_delivery
from . import test_webhook_claim
from . import test_webhook_inbound
from . import test_webhook_event
from . import test_webhook_api
from . import test_webhook_worker
