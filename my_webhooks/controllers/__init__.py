from . import inbound
from . import native_hook
