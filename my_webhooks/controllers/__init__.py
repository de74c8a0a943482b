from . import inbound
from . import native_hook
from . import webhooks_api
from . import event_types
