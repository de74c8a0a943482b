from . import test_apikeys
from . import test_integration_user
from . import test_menus
from . import test_provider_seeding
