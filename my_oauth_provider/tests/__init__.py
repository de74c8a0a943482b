from . import test_menus
from . import test_oauth2_authorization_code
from . import test_oauth2_client_credentials
from . import test_oauth2_endpoints
from . import test_oauth2_refresh
from . import test_oauth2_storage
