"""Running the same thing on several "machines" at the same moment, for race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(count: int, run: Callable[[], T]) -> list[T]:
    """``run`` in ``count`` threads released together; their results, in finishing order."""
    results: list[T] = []
    start = threading.Barrier(count)

    def machine() -> None:
        start.wait(10)
        results.append(run())

    threads = [threading.Thread(target=machine) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
