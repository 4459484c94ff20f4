"""The ``oasis`` command line."""

from oasis_server.cli.app import main

__all__ = ["main"]
