from . import api_resource
from . import auth_oauth_provider
from . import my_apikey_reminder
from . import res_users
from . import res_users_apikeys
