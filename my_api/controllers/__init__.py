from . import main
from . import documents
