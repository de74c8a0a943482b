from . import webhook_endpoint
from . import webhook_delivery
