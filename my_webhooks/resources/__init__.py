from . import webhook_endpoint
