"""Query plans of the statements real code sends, and how many rows each plan node read.

:class:`PlanRecorder` listens on one connection: before each statement is sent, it runs
``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` of that very statement, with its parameters, in a
savepoint it then rolls back (so the statement itself runs on as if never explained, and
sees what it would have seen). The code under test is the code that runs in production: the
SQL is never written out again here, only caught on its way to the database.

A node *reads* its output rows, the rows its filter removed, the rows a join filter removed
and the rows a bitmap scan's recheck removed, over all its loops: what it looked at, whether
or not it kept it. :func:`overreaching` names the nodes that read more than a bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, event

EXPLAINED = ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")
REMOVED = ("Rows Removed by Filter", "Rows Removed by Join Filter",
           "Rows Removed by Index Recheck")


@dataclass(frozen=True)
class Explained:
    """One statement as sent, under the name of what was being done, and its plan."""

    name: str
    sql: str
    plan: dict[str, Any]  # the plan's root node ("Plan" of EXPLAIN's JSON)
    buffers: int  # shared buffers hit and read by the whole statement

    @property
    def first_line(self) -> str:
        """The statement's opening words, to name it by."""
        return " ".join(self.sql.split())[:110]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``plan`` and every node under it, depth first."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def rows_read(node: dict[str, Any]) -> int:
    """The rows a node looked at over all its loops: kept, and removed by its filters."""
    per_loop = node.get("Actual Rows", 0) + sum(node.get(removed, 0) for removed in REMOVED)
    return round(per_loop * node.get("Actual Loops", 1))


def describe(node: dict[str, Any]) -> str:
    """A node as EXPLAIN names it: its type, the index it used, and its relation."""
    words = [node["Node Type"]]
    if "Index Name" in node:
        words.append(f"using {node['Index Name']}")
    if "Relation Name" in node:
        words.append(f"on {node['Relation Name']}")
    return " ".join(words)


def summary(explained: Explained) -> str:
    """Each node of a plan with the rows it returned (and those it read, when more), nested."""
    lines = []

    def walk(node: dict[str, Any], depth: int) -> None:
        returned = round(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
        read = rows_read(node)
        extra = f", read {read}" if read > returned else ""
        lines.append(f"{'  ' * depth}{describe(node)}: {returned} rows{extra}")
        for child in node.get("Plans", ()):
            walk(child, depth + 1)

    walk(explained.plan, 1)
    return "\n".join(lines)


def overreaching(explained: Explained, bound: int) -> list[str]:
    """The nodes of a plan that read more than ``bound`` rows, each named with its count."""
    return [f"{describe(node)} read {rows_read(node)} rows"
            for node in nodes(explained.plan) if rows_read(node) > bound]


class PlanRecorder:
    """Explains every statement sent on ``connection`` while :meth:`named` says what for."""

    def __init__(self, connection: Connection, generic: bool = False) -> None:
        self.connection = connection
        self.generic = generic
        self.explained: list[Explained] = []
        self.failed_generic: list[str] = []
        self._name: str | None = None
        event.listen(connection, "before_cursor_execute", self._explain)

    def close(self) -> None:
        """Stop listening."""
        event.remove(self.connection, "before_cursor_execute", self._explain)

    @contextmanager
    def named(self, name: str) -> Iterator[list[Explained]]:
        """Explain the statements sent within, under ``name``; the list fills as they go."""
        self._name = name
        start = len(self.explained)
        caught: list[Explained] = []
        try:
            yield caught
        finally:
            self._name = None
            caught.extend(self.explained[start:])

    def _explain(self, conn: Connection, cursor: Any, statement: str, parameters: Any,
                 context: Any, executemany: bool) -> None:
        if self._name is None or executemany or not statement.lstrip().upper().startswith(
                EXPLAINED):
            return
        plan = explain(cursor.connection, statement, parameters)
        if plan is not None:
            self.explained.append(Explained(self._name, statement, plan["Plan"],
                                            _buffers(plan["Plan"])))
        if self.generic and plan is not None:
            generic = explain_generic(cursor.connection, statement, parameters)
            if generic is None:
                self.failed_generic.append(statement)
            else:
                self.explained.append(Explained(self._name + " [generic plan]", statement,
                                                generic["Plan"], _buffers(generic["Plan"])))


def explain(raw: psycopg.Connection[Any], statement: str,
            parameters: Any) -> dict[str, Any] | None:
    """EXPLAIN ANALYZE of ``statement`` in a savepoint rolled back after it; None when the
    statement fails (one the code expects to fail, such as an insert a unique key refuses)."""
    with raw.cursor() as probe:
        probe.execute("SAVEPOINT plan_probe")
        try:
            probe.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            row = probe.fetchone()
            return None if row is None else dict(row[0][0])
        except psycopg.Error:
            return None
        finally:
            probe.execute("ROLLBACK TO SAVEPOINT plan_probe")
            probe.execute("RELEASE SAVEPOINT plan_probe")


def _buffers(plan: dict[str, Any]) -> int:
    """Shared buffers the statement hit or read (the root node counts its children's)."""
    return int(plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0))


def explain_generic(raw: psycopg.Connection[Any], statement: str,
                    parameters: Any) -> dict[str, Any] | None:
    """EXPLAIN ANALYZE of ``statement`` as PostgreSQL plans it once for any values: prepared,
    under ``plan_cache_mode = force_generic_plan``, then executed with ``parameters`` (in a
    savepoint rolled back after). psycopg prepares a statement run five times on a
    connection, and the server may then keep such a plan for it. None when it fails."""
    names: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        return names.setdefault(match.group(1), f"${len(names) + 1}")

    prepared = re.sub(r"%\((\w+)\)s", placeholder, statement).replace("%%", "%")
    values = ", ".join(sql.Literal(parameters[name]).as_string(raw) for name in names)
    with raw.cursor() as probe:
        probe.execute("SAVEPOINT plan_probe")
        try:
            probe.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            probe.execute(f"PREPARE plan_probe_generic AS {prepared}".encode())
            probe.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE plan_probe_generic"
                          f"{f'({values})' if values else ''}".encode())
            row = probe.fetchone()
            return None if row is None else dict(row[0][0])
        except psycopg.Error:
            return None
        finally:
            probe.execute("ROLLBACK TO SAVEPOINT plan_probe")
            probe.execute("RELEASE SAVEPOINT plan_probe")
            probe.execute("DEALLOCATE plan_probe_generic", prepare=False)
