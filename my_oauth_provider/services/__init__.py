from . import oauth2_server
