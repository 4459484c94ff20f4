"""Every hook is tested and documented: a new hook without both fails here."""

from __future__ import annotations

import re
from pathlib import Path

from oasis_core import hookspecs

ROOT = Path(__file__).parents[2]


def hook_names() -> set[str]:
    return {name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "oasis_spec")}


def test_there_is_one_hook_per_port() -> None:
    assert len(hook_names()) == 6


def test_every_hook_has_a_test() -> None:
    this_file = Path(__file__).resolve()
    sources = "\n".join(
        p.read_text() for p in (ROOT / "tests").rglob("test_*.py") if p.resolve() != this_file
    )
    missing = sorted(name for name in hook_names() if f'"{name}"' not in sources)
    assert not missing, f"hooks without a test: {missing}"


def test_every_hook_has_a_docs_heading() -> None:
    text = (ROOT / "docs" / "plugins.md").read_text()
    headings = set(re.findall(r"^#{2,4} `?(\w+)", text, flags=re.MULTILINE))
    missing = sorted(hook_names() - headings)
    assert not missing, f"hooks without a heading in docs/plugins.md: {missing}"
