from . import keys
