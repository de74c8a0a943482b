from . import inbound
from . import native_hook
from . import event_types
