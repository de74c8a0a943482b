from . import test_webhook_endpoint
