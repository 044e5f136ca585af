"""A CSV read twice with constant memory: once to check every row, once to write them.

A path is opened again, a seekable file rewound, a list iterated again. An iterator that
can be read only once (a generator, a pipe) is copied, as the first reading goes, to an
unnamed temporary file (kept in memory up to a few megabytes), which the second reading
reads back: for a file of PINs, pass a path or a seekable file instead, as the command does.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack
from io import TextIOWrapper
from pathlib import Path
from tempfile import SpooledTemporaryFile
from types import TracebackType
from typing import IO, Any

CsvSource = Path | Iterable[str]
_SPOOL_IN_MEMORY = 8 * 1024 * 1024  # characters of a one-time iterator kept before disk


class TwoReadings(AbstractContextManager["TwoReadings"]):
    """The lines of ``source``, read by :meth:`first` and then by :meth:`again`.

    A path is read as UTF-8 (a byte-order mark is dropped); reading it raises OSError or
    UnicodeDecodeError as ``open`` does. ``size`` is the path's size in bytes (else None),
    and :attr:`position` how far the current reading of it is, to show progress.
    """

    def __init__(self, source: CsvSource) -> None:
        self.source = source
        self._path = source if isinstance(source, Path) else None
        self._stat = os.stat(self._path) if self._path is not None else None
        self.size = self._stat.st_size if self._stat is not None else None
        self._reading: IO[bytes] | None = None  # the path's file being read
        self._start: Any = None
        self._spool: IO[str] | None = None
        self._files = ExitStack()  # what the readings opened, closed on leaving

    def first(self) -> Iterator[str]:
        """The lines, the first time."""
        source = self.source
        if isinstance(source, Path):
            return self._open_path(source)
        if _seekable(source):
            self._start = source.tell()  # type: ignore[attr-defined]
            return iter(source)
        if iter(source) is not source:  # a list, a tuple: it can be iterated again
            return iter(source)
        self._spool = self._files.enter_context(
            SpooledTemporaryFile(_SPOOL_IN_MEMORY, "w+", encoding="utf-8"))  # noqa: SIM115
        return self._copied(source, self._spool)

    def again(self) -> Iterator[str]:
        """The same lines, the second time."""
        source = self.source
        if isinstance(source, Path):
            self.check_unchanged()
            return self._open_path(source)
        if self._spool is not None:
            self._spool.seek(0)
            return (json.loads(line) for line in self._spool)
        if _seekable(source):
            source.seek(self._start)  # type: ignore[attr-defined]
        return iter(source)

    def check_unchanged(self) -> None:
        """Raise OSError if the path was written to since the first reading began: the
        second reading would not be of the rows the first one checked."""
        if self._path is None or self._stat is None:
            return
        now = os.stat(self._path)
        if (now.st_size, now.st_mtime_ns) != (self._stat.st_size, self._stat.st_mtime_ns):
            raise OSError(errno.EAGAIN, "the file changed while it was being imported; "
                                        "nothing was imported")

    @property
    def position(self) -> int:
        """Bytes of the path read so far by the current reading (0 for other sources)."""
        # The text layer reads ahead a few kilobytes at a time: close enough for a bar.
        return self._reading.tell() if self._reading is not None else 0

    def _open_path(self, path: Path) -> TextIOWrapper:
        self._reading = self._files.enter_context(path.open("rb"))
        return self._files.enter_context(
            TextIOWrapper(self._reading, encoding="utf-8-sig", newline=""))

    @staticmethod
    def _copied(lines: Iterable[str], spool: IO[str]) -> Iterator[str]:
        # One JSON string a line: a line given without its newline stays apart from the next.
        for line in lines:
            spool.write(json.dumps(line) + "\n")
            yield line

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._files.close()  # a temporary file is deleted as it closes


def _seekable(source: object) -> bool:
    seekable = getattr(source, "seekable", None)
    return bool(seekable is not None and seekable())
