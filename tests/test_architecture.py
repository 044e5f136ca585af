"""The architecture, as tests: no import cycles, and each layer imports only those below it."""

from __future__ import annotations

import ast

import pytest

from tests.import_graph import (
    ROOT,
    find_cycle,
    import_graph,
    project_modules,
    third_party_imports,
)

# Lowest first. A module may import its own layer and the layers before it, nothing after.
LAYERS: list[tuple[str, ...]] = [
    ("flows",),  # the call flow: pure Python
    ("models",),  # the schema
    # the foundation; "ivr" is the package's own __init__ only (matched exactly, below)
    ("ivr", "ivr.errors", "ivr.config", "ivr.settings_values", "ivr.settings_production",
     "ivr.settings_agents", "ivr.db", "ivr.phones", "ivr.logs"),
    ("ivr.security",),
    ("ivr.sms",),
    ("ivr.payments",),
    ("ivr.ports",),
    ("ivr.web",),
    ("ivr.app",),
    ("ivr.ops",),
    ("ivr.sim",),
    ("ivr.cli",),
]
# Third-party code each layer must not touch: flows/ is tested as data in, decision out.
FORBIDDEN_LIBRARIES = {"flows": ("flask", "twilio", "sqlalchemy", "werkzeug", "requests")}


def layer_of(module: str) -> int:
    """The index in LAYERS of the most specific name covering ``module``.

    A name covers itself and its sub-modules, except "ivr", which covers only the package's
    ``__init__``: a new sub-package of ``ivr`` must be given a layer here.
    """
    best, index = "", -1
    for position, names in enumerate(LAYERS):
        for name in names:
            covers = module == name or (name != "ivr" and module.startswith(name + "."))
            if covers and len(name) > len(best):
                best, index = name, position
    assert index >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return index


def test_a_new_sub_package_must_be_given_a_layer() -> None:
    with pytest.raises(AssertionError, match="belongs to no layer"):
        layer_of("ivr.newthing.module")


def test_the_graph_is_read_from_every_module() -> None:
    graph = import_graph()
    assert {"flows.machine", "ivr.web.voice", "ivr.payments.ledger", "ivr.cli"} <= set(graph)
    assert "ivr.payments.ledger" in graph["ivr.payments.charges"]


def test_there_are_no_import_cycles() -> None:
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("module", sorted(import_graph()))
def test_a_module_imports_only_its_layer_and_those_below(module: str) -> None:
    above = [target for target in import_graph()[module] if layer_of(target) > layer_of(module)]
    assert not above, f"{module} imports {above}, which sit above it"


def test_nothing_outside_the_commands_imports_the_simulator() -> None:
    graph = import_graph()
    users = {module for module, targets in graph.items()
             if not module.startswith(("ivr.sim", "ivr.cli"))
             and any(target.startswith("ivr.sim") for target in targets)}
    assert not users


def test_flows_import_no_web_database_or_telephony_library() -> None:
    modules = sorted((ROOT / "flows").rglob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        assert third_party_imports(path).isdisjoint(FORBIDDEN_LIBRARIES["flows"]), path.name


def test_no_module_is_over_300_lines() -> None:
    lengths = {name: len(path.read_text().splitlines())
               for name, path in project_modules().items()}
    assert not {name: n for name, n in lengths.items() if n > 300}


def test_no_project_module_is_imported_lazily() -> None:
    # An import inside a function hides a dependency from this test's graph, and is how
    # import cycles used to be broken; every project import is at the top of its module.
    lazy = []
    for name, path in project_modules().items():
        tree = ast.parse(path.read_text())
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top_level:
                targets = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                if any(t.split(".")[0] in ("flows", "ivr", "models", "app") for t in targets):
                    lazy.append(f"{name}:{node.lineno}")
    assert not lazy


def test_exceptions_are_declared_in_the_errors_modules() -> None:
    # ivr/errors.py for the line, flows/errors.py for the pure flow; the commands' click
    # exceptions are how click prints an error, so they stay with the commands.
    scattered = []
    for name, path in project_modules().items():
        if name in ("ivr.errors", "flows.errors") or name.startswith("ivr.cli"):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and any(
                    isinstance(base, ast.Name) and base.id.endswith(("Error", "Exception"))
                    for base in node.bases):
                scattered.append(f"{name}.{node.name}")
    assert not scattered
