"""The shape that keeps my_api changeable (my_api/readme/DEVELOP.md).

The sibling addons use my_api through `odoo.addons.my_api.public` (and
`.public.testing` in tests) only, and only names of its `__all__`; the
modules of my_api/core each import only those before them in the order
their package docstring gives. Read from the source: no Odoo needed.
"""

import ast
import re

import pytest
from conftest import ROOT

PUBLIC = {
    "odoo.addons.my_api.public": ROOT / "my_api" / "public" / "__init__.py",
    "odoo.addons.my_api.public.testing": ROOT / "my_api" / "public" / "testing.py",
}
SIBLINGS = ("my_webhooks", "my_oauth_provider")
CORE = ROOT / "my_api" / "core"


def exported(path):
    """The names of a module's `__all__`."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def my_api_imports(path):
    """(line, module, names) of each import of my_api in a file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "odoo.addons.my_api"
        ):
            yield node.lineno, node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("odoo.addons.my_api"):
                    yield node.lineno, alias.name, []


def sibling_files():
    return sorted(path for addon in SIBLINGS for path in (ROOT / addon).rglob("*.py"))


def test_siblings_import_my_api_through_its_public_module_only():
    exports = {module: exported(path) for module, path in PUBLIC.items()}
    wrong = []
    for path in sibling_files():
        for line, module, names in my_api_imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if module not in exports:
                wrong.append(f"{where} imports {module}")
                continue
            wrong.extend(
                f"{where} imports {name}, not in {module}.__all__"
                for name in names
                if name not in exports[module]
            )
    assert not wrong, "\n".join(wrong)


def test_every_public_name_is_defined_or_imported():
    for path in PUBLIC.values():
        tree = ast.parse(path.read_text())
        bound = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                bound.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bound.add(node.name)
        assert exported(path) <= bound, path


def core_order():
    """The modules of my_api/core in the order its docstring lists them."""
    docstring = ast.get_docstring(ast.parse((CORE / "__init__.py").read_text()))
    return re.findall(r"^- (\w+):", docstring, re.M)


def test_core_docstring_lists_every_module():
    modules = {path.stem for path in CORE.glob("*.py")} - {"__init__"}
    assert sorted(core_order()) == sorted(modules)


@pytest.mark.parametrize("module", core_order())
def test_core_module_imports_only_those_before_it(module):
    order = core_order()
    before = set(order[: order.index(module)])
    source = (CORE / f"{module}.py").read_text()
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"core/{module}.py says what it owns and may not import"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            assert node.module in before, f"core/{module}.py imports core/{node.module}.py"
        elif isinstance(node, ast.ImportFrom) and node.level == 2:
            # from the rest of my_api, only the pure lib/ (which imports no Odoo)
            # and the table of system parameters (settings, which imports lib/ only)
            top = (node.module or "").split(".")[0]
            assert top in ("lib", "settings"), f"core/{module}.py: {node.module}"
