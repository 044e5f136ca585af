"""Fixtures the SMS tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.language_helpers import pseudo_language as in_capitals


@pytest.fixture
def pseudo_language(tmp_path: Path) -> Iterator[str]:
    """A second language, "en-XA": US English in capitals (every catalog, texts included)."""
    with in_capitals(tmp_path / "prompts") as language:
        yield language
