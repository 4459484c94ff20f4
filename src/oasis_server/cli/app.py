"""The ``oasis`` command: one parser, one sub-command per module, one error policy.

Errors a user can fix print one line and exit with status 2; nothing prints
a traceback unless ``--debug`` is given. The global options (``--debug``,
``--quiet``) are accepted before or after the sub-command. The sub-command
modules import only the standard library at the top, so ``oasis render``
never loads the server and ``oasis serve`` never loads the renderer until it
runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

EXIT_USAGE = 2
EXIT_FAILURE = 1

SERVER_MODULES = frozenset(
    {
        "alembic",
        "bcrypt",
        "croniter",
        "cryptography",
        "dotenv",
        "dramatiq",
        "jwt",
        "litestar",
        "msgspec",
        "pymysql",
        "redis",
        "sqlalchemy",
        "uvicorn",
    }
)
"""Top-level modules that come with ``oasis-video[server]``."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other Oasis error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _SubCommands)
        self.set_defaults(help_parser=self)

    def error(self, message: str) -> NoReturn:
        """Print ``oasis: error: <message>`` and exit with status 2."""
        self.exit(EXIT_USAGE, f"oasis: error: {message}\n")


class CommandParser(OneLineParser):
    """The parser of a sub-command: it accepts the global options too, without overriding them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_global_options(self, default=argparse.SUPPRESS)


class _SubCommands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Sub-commands whose ``help`` line doubles as the description of their own ``--help``."""

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        """Add a sub-command; its description defaults to its help text."""
        if kwargs.get("help") and "description" not in kwargs:
            text = str(kwargs["help"])
            kwargs["description"] = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
        return super().add_parser(name, **kwargs)


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from oasis_core import __version__

        print(f"oasis {__version__} (Python {sys.version.split()[0]})")
        parser.exit(0)


def add_global_options(parser: argparse.ArgumentParser, *, default: Any = False) -> None:
    """``--debug`` and ``--quiet``; sub-commands add them with a suppressed default so either place works."""
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks and debug logs"
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=default,
        help="print no progress, only results and errors",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every sub-command registered."""
    from oasis_server.cli import (
        catalog_commands,
        completion_command,
        health_command,
        render_command,
        scheduler_command,
        server_commands,
        users_commands,
        voice_commands,
        worker_command,
    )

    parser = OneLineParser(
        prog="oasis",
        description="Oasis: write, voice and render captioned short videos; serve the API and dashboard.",
        epilog="Run `oasis COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    render_command.register(commands)
    catalog_commands.register(commands)
    voice_commands.register(commands)
    server_commands.register(commands)
    users_commands.register(commands)
    worker_command.register(commands)
    scheduler_command.register(commands)
    health_command.register(commands)
    completion_command.register(commands)
    return parser


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra that brings the module ``exc`` misses, if it is one of ours."""
    top = (exc.name or "").split(".")[0]
    if top in SERVER_MODULES:
        return "server"
    from oasis_core.plugins import OPTIONAL_PLUGINS

    return next((plugin.extra for plugin in OPTIONAL_PLUGINS.values() if top in plugin.modules), None)


def _configure_logging(args: argparse.Namespace) -> None:
    """Every log line in the one format ``OASIS_LOG_FORMAT`` picks (see :mod:`oasis_server.log_format`)."""
    from oasis_server import log_format

    log_format.configure(log_format.level_for(debug=args.debug, quiet=args.quiet))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oasis`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        args.help_parser.print_help(sys.stderr)
        return EXIT_USAGE
    from oasis_core.errors import OasisError

    try:
        _configure_logging(args)
        return int(args.handler(args) or 0)
    except OasisError as exc:
        if args.debug:
            raise
        print(f"oasis: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as exc:
        if args.debug:
            raise
        extra = missing_extra(exc)
        if extra is None:
            return _unexpected(exc)
        from oasis_core.catalog import DISTRIBUTION

        print(
            f"oasis: error: `oasis {args.command}` needs the {extra!r} extra ({exc.name} is not installed): "
            f"pip install '{DISTRIBUTION}[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`oasis plugins | head`): not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("oasis: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        return _unexpected(exc)


def _unexpected(exc: Exception) -> int:
    print(
        f"oasis: error: unexpected failure ({type(exc).__name__}: {exc}); run with --debug for details",
        file=sys.stderr,
    )
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
