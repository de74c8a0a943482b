from . import test_app
from . import test_tours
