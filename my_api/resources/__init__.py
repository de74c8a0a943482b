from . import invoice
from . import order
from . import partner
from . import picking
from . import product
from . import stock
from . import stock_move
