"""What the tests of an addon built on my_api may use (see __init__.py)."""

from ..tests.common import ApiCase

__all__ = ["ApiCase"]
