from . import my_apikey_mint
from . import my_apikey_show
from . import my_integration_user
from . import res_users_apikeys_description
