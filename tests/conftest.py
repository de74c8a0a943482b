"""Shared pytest helpers.

The addons' pure-Python modules (`<addon>/lib/*.py`) import nothing from
odoo; `load_lib` imports one of them by path, without executing the addon's
`__init__` (which needs Odoo), so tests/unit runs on any machine.
"""

import importlib.util
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _package(name, path=None):
    """An empty package in sys.modules, for relative imports between libs."""
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(path)] if path else []
        sys.modules[name] = package
    return sys.modules[name]


def load_lib(addon, name):
    module_name = f"_suite_lib.{addon}.{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    # `from .schema import ...` in a lib then finds its sibling by path
    _package("_suite_lib")
    _package(f"_suite_lib.{addon}", ROOT / addon / "lib")
    path = ROOT / addon / "lib" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lib():
    return load_lib
