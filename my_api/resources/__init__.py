from . import invoice
from . import order
from . import partner
from . import product
from . import stock
