"""``oasis plugins``, ``oasis categories`` and ``oasis styles``: what is installed.

``oasis voices`` lives in :mod:`oasis_server.cli.voice_commands`.
"""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from oasis_server.cli.output import add_json_option, print_json


def register(commands: Any) -> None:
    """Add the listing sub-commands."""
    plugins = commands.add_parser("plugins", help="list plugins and the providers each registers")
    add_json_option(plugins)
    plugins.set_defaults(handler=list_plugins)
    categories = commands.add_parser("categories", help="list content categories")
    add_json_option(categories)
    categories.set_defaults(handler=list_categories)
    styles = commands.add_parser("styles", help="list visual styles")
    add_json_option(styles)
    styles.set_defaults(handler=list_styles)


def plugin_listing() -> list[dict[str, Any]]:
    """Every plugin with its version and providers, then the built-ins whose extra is not installed."""
    from oasis_core.plugins import load_catalog

    catalog = load_catalog()
    listing: list[dict[str, Any]] = [
        {
            "name": plugin,
            "version": entries[0].plugin_version,
            "installed": True,
            "providers": [
                {
                    "kind": e.kind.value,
                    "id": e.id,
                    "name": e.name,
                    "needs_key": e.needs_key,
                    "key_env_var": e.key_env_var,
                }
                for e in entries
            ],
        }
        for plugin, entries in catalog.plugins().items()
    ]
    missing: dict[str, dict[str, Any]] = {}
    for entry in catalog.missing():
        plugin = missing.setdefault(
            entry.plugin,
            {
                "name": entry.plugin,
                "version": None,
                "installed": False,
                "extra": entry.extra,
                "install": entry.install_command,
                "providers": [],
            },
        )
        plugin["providers"].append({"kind": entry.kind.value, "id": entry.id})
    return [*listing, *missing.values()]


def list_plugins(args: argparse.Namespace) -> int:
    """Print every plugin with its version and providers, one provider a line (fits 80 columns)."""
    listing = plugin_listing()
    if args.json:
        print_json(listing)
        return 0
    width = shutil.get_terminal_size().columns
    for plugin in listing:
        name = plugin["name"]
        state = plugin["version"] or "-" if plugin["installed"] else f"not installed: {plugin['install']}"
        print(f"{name} {state}"[:width])
        for provider in plugin["providers"]:
            line = f"  {provider['kind']:<11}{provider['id']:<13}{provider.get('name', '')}"
            if provider.get("needs_key"):
                line += f" (key: {provider['key_env_var'] or provider['needs_key']})"
            print(line.rstrip()[:width])
    return 0


def list_categories(args: argparse.Namespace) -> int:
    """Print the categories."""
    from oasis_core.domain.catalogue import CATEGORIES

    if args.json:
        print_json([{"id": c.id, "name": c.name, "mood": list(c.mood)} for c in CATEGORIES])
        return 0
    for category in CATEGORIES:
        print(f"{category.id:<14} {category.name} ({', '.join(category.mood)})")
    return 0


def list_styles(args: argparse.Namespace) -> int:
    """Print the styles."""
    from oasis_core.domain.catalogue import STYLES

    if args.json:
        print_json([{"id": s.id, "look": s.look} for s in STYLES])
        return 0
    for style in STYLES:
        print(f"{style.id:<12} {style.look}")
    return 0
