"""How the commands print: JSON for scripts, tables for people, progress that suits where it goes.

Results go to stdout; progress and notes go to stderr, so ``oasis render
--json > result.json`` keeps the file clean. Progress is a bar on a terminal,
plain lines (``Speaking 40%``) when stderr is a file or a pipe (a cron job's
log), and nothing with ``--quiet``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

Report = Callable[[str, int], None]
"""Called with a stage label and the overall percentage (0–100)."""

PLAIN_STEP = 10
"""Plain progress prints a line when the stage changes or the percentage moves this much."""


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """The ``--json`` switch every listing has."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (paths and other objects as strings)."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_columns(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> None:
    """Rows as plain, left-aligned columns under ``headers`` (the last column is never padded)."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers) - 1)]
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, str(row[-1])]).rstrip())


class PlainProgress:
    """Progress as plain lines: one when the stage changes or the percentage moves ``PLAIN_STEP``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last: tuple[str, int] | None = None

    def __call__(self, label: str, percent: int) -> None:
        """Print ``label percent%`` if it says something new."""
        last = self._last
        if last is not None and last[0] == label and percent - last[1] < PLAIN_STEP and percent < 100:
            return
        self._last = (label, percent)
        print(f"{label} {percent}%", file=self._stream, flush=True)


@contextmanager
def progress(args: argparse.Namespace, first_label: str, stream: TextIO | None = None) -> Iterator[Report]:
    """A progress reporter for a long task: a bar, plain lines or nothing (see the module docs)."""
    stream = stream or sys.stderr
    if getattr(args, "quiet", False):
        yield lambda label, percent: None
        return
    if not stream.isatty():
        yield PlainProgress(stream)
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<9}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(first_label, total=100)
        yield lambda label, percent: bar.update(task, completed=percent, description=label)


def as_row(data: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """The values of ``keys`` in ``data`` as text (``-`` for none)."""
    return ["-" if data.get(key) in (None, "") else str(data[key]) for key in keys]
