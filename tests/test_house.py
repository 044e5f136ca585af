"""The tests' own house rules: helpers have one home, markers are declared, mypy reads tests/,
and demo PINs are hashed once a session."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.db import db
from ivr.security.pins import verify_pin
from models import Account
from tests.import_graph import ROOT

TESTS = ROOT / "tests"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def imported_test_modules(path: Path) -> list[str]:
    """The test modules and conftests that ``path`` imports (``tests.web.test_voice``...)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
            names.append(base)
            if node.level:  # relative: anything it names may be a test module
                names = [name.lstrip(".") for name in names]
        else:
            continue
        found += [name for name in names if any(
            part.startswith("test_") or part == "conftest" for part in name.split("."))]
    return sorted(set(found))


def test_no_test_module_imports_another_or_a_conftest() -> None:
    offenders = {path.relative_to(ROOT).as_posix(): imported
                 for path in sorted(TESTS.rglob("*.py"))
                 if (imported := imported_test_modules(path))}
    assert not offenders, ("share helpers through tests/*_helpers.py and fixtures through "
                           f"conftest.py instead: {offenders}")


def test_the_import_check_sees_an_import_of_a_test_module(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text("from tests.payments.test_scheduled import make_accounts\n"
                      "from tests.conftest import make_app\nimport tests.app_helpers\n")
    assert imported_test_modules(module) == [
        "tests.conftest", "tests.conftest.make_app", "tests.payments.test_scheduled",
        "tests.payments.test_scheduled.make_accounts"]


@pytest.mark.parametrize("marker", ["postgresql", "slow"])
def test_markers_are_registered(marker: str) -> None:
    declared = [line.split(":")[0].strip() for line in PYPROJECT["tool"]["pytest"]["ini_options"]
                ["markers"]]
    assert marker in declared


def test_the_default_run_deselects_nothing() -> None:
    """The README's command (`pytest`) runs every test, slow and PostgreSQL ones included."""
    options = PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--strict-markers" in options
    assert " -m" not in f" {options}" and "-k" not in options


def test_mypy_reads_the_tests() -> None:
    assert "tests" in PYPROJECT["tool"]["mypy"]["files"]


def test_demo_accounts_reuse_the_sessions_pin_hashes(demo_app: Flask,
                                                     pin_hashes: dict[str, str]) -> None:
    with db.transaction(demo_app) as session:
        stored = dict(session.execute(select(Account.account_number, Account.pin_hash)).all())
    assert stored["10001234"] == pin_hashes["2468"] != pin_hashes["1357"] == stored["20005678"]
    assert verify_pin("2468", stored["10001234"]) and not verify_pin("1357", stored["10001234"])
