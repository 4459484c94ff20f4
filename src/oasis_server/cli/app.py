"""The ``oasis`` command: one parser, one sub-command per module, one error policy.

Errors a user can fix print one line and exit with status 2; nothing prints
a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from oasis_core.errors import OasisError

EXIT_USAGE = 2
EXIT_FAILURE = 1


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other Oasis error."""

    def error(self, message: str) -> NoReturn:
        """Print ``oasis: error: <message>`` and exit with status 2."""
        self.exit(EXIT_USAGE, f"oasis: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every sub-command registered."""
    from oasis_server.cli import (
        catalog_commands,
        render_command,
        scheduler_command,
        server_commands,
        voice_commands,
        worker_command,
    )

    parser = OneLineParser(prog="oasis", description="Oasis: write, voice and render captioned short videos.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    render_command.register(commands)
    catalog_commands.register(commands)
    voice_commands.register(commands)
    server_commands.register(commands)
    worker_command.register(commands)
    scheduler_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oasis`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args) or 0)
    except OasisError as exc:
        if args.debug:
            raise
        print(f"oasis: error: {exc.message}", file=sys.stderr)
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
        print(
            f"oasis: error: unexpected failure ({type(exc).__name__}: {exc}); run with --debug for details",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
