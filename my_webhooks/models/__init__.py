from . import webhook_endpoint
from . import webhook_source
from . import webhook_event
from . import ir_actions_server
from . import sale_order
