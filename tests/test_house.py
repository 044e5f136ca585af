"""The tests' own house rules: helpers and fixtures have one home, markers are declared, mypy
reads tests/, and demo PINs are hashed once a session."""

from __future__ import annotations

import ast
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

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


def _is_fixture(decorator: ast.expr) -> bool:
    """``@pytest.fixture``, ``@fixture``, or either called with arguments."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr == "fixture") or \
        (isinstance(target, ast.Name) and target.id == "fixture")


def _fixture_name(function: ast.FunctionDef) -> str | None:
    """The name pytest knows a module-level function by as a fixture (``name=`` wins)."""
    for decorator in function.decorator_list:
        if _is_fixture(decorator):
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        return str(keyword.value.value)
            return function.name
    return None


def _functions(path: Path) -> list[ast.FunctionDef]:
    """The module-level functions of ``path``."""
    return [node for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)]


def fixtures_of(path: Path) -> set[str]:
    """The fixtures a module defines."""
    return {name for f in _functions(path) if (name := _fixture_name(f)) is not None}


def shadowed_fixtures(root: Path) -> list[str]:
    """Test modules under ``root`` defining a fixture that a conftest.py above them does."""
    found = []
    for module in sorted(root.rglob("test_*.py")):
        mine = fixtures_of(module)
        folders = [module.parent, *module.parent.parents]
        for folder in folders[:folders.index(root) + 1]:
            conftest = folder / "conftest.py"
            if conftest.exists():
                found += [f"{module.relative_to(root).as_posix()}: {name} "
                          f"(in {conftest.relative_to(root).as_posix()})"
                          for name in sorted(mine & fixtures_of(conftest))]
    return found


def _body(function: ast.FunctionDef) -> str:
    """The function's body as a tree, its docstring left out (a copy may reword it)."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return "\n".join(ast.dump(statement) for statement in body)


def duplicated_helpers(root: Path) -> list[str]:
    """Module-level functions (not tests) defined with one name and one body in two modules."""
    homes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module in sorted(root.rglob("*.py")):
        for function in _functions(module):
            if not function.name.startswith("test_"):
                homes[(function.name, _body(function))].append(
                    module.relative_to(root).as_posix())
    return [f"{name}: {', '.join(where)}" for (name, _), where in sorted(homes.items())
            if len(where) > 1]


def test_no_test_module_redefines_a_conftest_fixture() -> None:
    shadowed = shadowed_fixtures(TESTS)
    assert not shadowed, f"use the conftest's fixture instead: {shadowed}"


def test_no_helper_is_copied_into_two_modules() -> None:
    copied = duplicated_helpers(TESTS)
    assert not copied, f"keep one, in a conftest.py or tests/*_helpers.py: {copied}"


SYNTHETIC = {
    "conftest.py": "import pytest\n@pytest.fixture\ndef ports():\n    return 1\n",
    "other/conftest.py": ("from pytest import fixture\n@fixture(scope='session')\n"
                          "def apples():\n    return 2\n"),
    "sub/test_a.py": ("import pytest\n@pytest.fixture\ndef ports():\n    'Mine.'\n    return 1\n"
                      "@pytest.fixture\ndef apples():\n    return 3\n"
                      "def helper(x):\n    'Add one.'\n    return x + 1\n"
                      "def other(x):\n    return x + 1\n"),
    "sub/test_b.py": ("import pytest\n@pytest.fixture(name='ports')\ndef my_ports():\n"
                      "    return 2\n"
                      "def helper(x):\n    'One more.'\n    return x + 1\n"
                      "def other(x):\n    return x + 2\n"
                      "def test_one():\n    assert True\n"),
    "other/test_c.py": "def test_one():\n    assert True\n",
}


def test_the_fixture_and_helper_checks_see_copies(tmp_path: Path) -> None:
    for name, text in SYNTHETIC.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    # apples in other/conftest.py does not apply to sub/; test_one is a test, not a helper;
    # a fixture copied with a reworded docstring is a copy too
    assert shadowed_fixtures(tmp_path) == ["sub/test_a.py: ports (in conftest.py)",
                                           "sub/test_b.py: ports (in conftest.py)"]
    assert duplicated_helpers(tmp_path) == ["helper: sub/test_a.py, sub/test_b.py",
                                            "ports: conftest.py, sub/test_a.py"]


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
