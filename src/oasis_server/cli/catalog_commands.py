"""``oasis plugins``, ``oasis categories`` and ``oasis styles``: what is installed.

``oasis voices`` lives in :mod:`oasis_server.cli.voice_commands`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.table import Table


def register(commands: Any) -> None:
    """Add the listing sub-commands."""
    plugins = commands.add_parser("plugins", help="list plugins and the providers each registers")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.set_defaults(handler=list_plugins)
    categories = commands.add_parser("categories", help="list content categories")
    categories.set_defaults(handler=list_categories)
    styles = commands.add_parser("styles", help="list visual styles")
    styles.set_defaults(handler=list_styles)


def list_plugins(args: argparse.Namespace) -> int:
    """Print every plugin with its version and providers."""
    from oasis_core.plugins import load_catalog

    catalog = load_catalog()
    if args.json:
        data = [
            {
                "name": plugin,
                "version": entries[0].plugin_version,
                "providers": [
                    {"kind": e.kind.value, "id": e.id, "name": e.name, "needs_key": e.needs_key}
                    for e in entries
                ],
            }
            for plugin, entries in catalog.plugins().items()
        ]
        print(json.dumps(data, indent=2))
        return 0
    table = Table()
    for column in ("plugin", "version", "port", "provider", "name", "needs key"):
        table.add_column(column, no_wrap=column != "name")
    for plugin, entries in catalog.plugins().items():
        for entry in entries:
            table.add_row(
                plugin,
                entry.plugin_version or "-",
                entry.kind.value,
                entry.id,
                entry.name,
                entry.needs_key or "-",
            )
    Console().print(table)
    return 0


def list_categories(args: argparse.Namespace) -> int:
    """Print the categories."""
    from oasis_core.domain.catalogue import CATEGORIES

    for category in CATEGORIES:
        print(f"{category.id:<14} {category.name} ({', '.join(category.mood)})")
    return 0


def list_styles(args: argparse.Namespace) -> int:
    """Print the styles."""
    from oasis_core.domain.catalogue import STYLES

    for style in STYLES:
        print(f"{style.id:<12} {style.look}")
    return 0
