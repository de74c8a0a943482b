from . import apikey_mint_wizard
from . import apikey_show_wizard
from . import integration_user_wizard
from . import res_users_apikeys_description
