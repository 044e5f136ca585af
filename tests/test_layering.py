"""flows/ stays pure Python: a flow can be tested as data in, decision out."""

from __future__ import annotations

import ast
from pathlib import Path

FLOWS = Path(__file__).parent.parent / "flows"
FORBIDDEN = ("flask", "twilio", "sqlalchemy", "werkzeug", "requests", "ivr", "models")


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_flows_import_no_web_database_or_telephony_code() -> None:
    modules = sorted(FLOWS.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        assert imported_modules(module).isdisjoint(FORBIDDEN), module.name
