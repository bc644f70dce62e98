"""The layers, held by a test: cli → allocation / reports / web → ledger, only through public
APIs (web also reads the reports' figures: a page shows what the statement shows).

Every module of the four packages is parsed (not imported) and each of its imports, also those
inside functions (the lazy ones), is judged:

- outside ledger/, the ledger is reached only through ``netfund.ledger`` and
  ``netfund.ledger.exports`` (their ``__all__``), never a submodule;
- the ledger imports nothing from allocation, reports, web or cli; allocation, reports and web
  import nothing from cli; allocation and reports do not import each other or web; web does
  not import allocation.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("ledger", "allocation", "reports", "web", "cli")
PUBLIC = {"netfund.ledger", "netfund.ledger.exports"}
#: package -> the netfund packages it must not import
FORBIDDEN = {
    "ledger": {"allocation", "reports", "web", "cli"},
    "allocation": {"reports", "web", "cli"},
    "reports": {"allocation", "web", "cli"},
    "web": {"allocation", "cli"},
    "cli": set(),
}


def imports_of(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in ``path``; relative imports made absolute."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def modules(package: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and ".venv" not in path.parts
    )


@pytest.mark.parametrize("package", ["allocation", "reports", "web", "cli"])
def test_outside_the_ledger_only_its_public_api_is_imported(package: str) -> None:
    offences = []
    for path in modules(package):
        for line, module, _ in imports_of(path):
            if module.startswith("netfund.ledger") and module not in PUBLIC:
                offences.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert offences == []


@pytest.mark.parametrize("package", PACKAGES)
def test_data_flows_one_way(package: str) -> None:
    offences = []
    for path in modules(package):
        for line, module, _ in imports_of(path):
            parts = module.split(".")
            if parts[0] == "netfund" and len(parts) > 1 and parts[1] in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert offences == []


@pytest.mark.parametrize("public", sorted(PUBLIC))
def test_every_public_name_resolves_and_every_used_name_is_public(public: str) -> None:
    api = importlib.import_module(public)
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    used = {
        name
        for package in ("allocation", "reports", "web", "cli")
        for path in modules(package)
        for _, module, names in imports_of(path)
        if module == public
        for name in names
    }
    assert used <= set(api.__all__), used - set(api.__all__)


def test_a_submodule_import_is_caught(tmp_path: Path) -> None:
    """The checker itself: a module that reaches into a ledger submodule is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from netfund.ledger.store.writer import Appender\n")
    assert [(line, module) for line, module, _ in imports_of(bad)] == [
        (2, "netfund.ledger.store.writer")
    ]


@pytest.mark.parametrize("public", sorted(PUBLIC))
def test_no_public_name_is_also_a_submodule(public: str) -> None:
    """A submodule, once imported, becomes an attribute of its package and would shadow a
    public function of the same name (``from netfund.ledger import verify`` gave a module)."""
    api = importlib.import_module(public)
    folder = Path(api.__file__).parent
    submodules = {path.stem for path in folder.glob("*.py")} | {
        path.parent.name for path in folder.glob("*/__init__.py")
    }
    assert set(api.__all__) & submodules == set()


#: What opens a database connection or transaction: cli/commands calls ledger, allocation and
#: reports functions that do, and holds no database access of its own.
DATABASE_ACCESS = {"connect", "reading", "writing", "require_schema", "Connection", "Engine"}


def test_cli_commands_hold_no_database_access() -> None:
    offences = []
    for path in modules("cli"):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith("cli/commands/"):
            continue
        for line, module, names in imports_of(path):
            if module == "sqlalchemy" or set(names) & DATABASE_ACCESS:
                offences.append(f"{relative}:{line}: imports {module} {sorted(names)}")
    assert offences == []


def test_writing_and_the_writer_are_not_public() -> None:
    """Every write goes through the ledger's own services (`post_drafts` underneath): nothing
    outside ledger/ can open a write transaction or append to the chain by itself."""
    api = importlib.import_module("netfund.ledger")
    schema = importlib.import_module("netfund.ledger.store.schema")
    tables = {name for name in dir(schema) if name.endswith("_table")}
    assert ({"writing", "Appender"} | tables) & set(api.__all__) == set()


def test_every_package_is_listed_for_the_wheel() -> None:
    """pyproject.toml lists the subpackages by hand: one missing imports fine in an editable
    install and is absent from the wheel (issue 20's `netfund.ledger.indicators` was, and only
    the README's install-and-demo step of CI found it, twenty minutes in)."""
    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(setup["setuptools"]["packages"])
    found = set()
    for package, folder in setup["setuptools"]["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if ".venv" not in parts and "__pycache__" not in parts:
                found.add(".".join((package, *parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
