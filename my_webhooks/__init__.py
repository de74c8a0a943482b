from . import controllers
from . import models
from . import resources
from .hooks import uninstall_hook
