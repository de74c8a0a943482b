from . import keys
from . import oauth2
