from . import webhook_endpoint
from . import webhook_delivery
from . import webhook_delivery_attempt
from . import ir_actions_server
from . import base_automation
from . import api_resource
