from . import controllers, models, resources
