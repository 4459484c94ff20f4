"""The ASGI entry point for servers started by import string (``uvicorn --factory``)."""

from __future__ import annotations

from litestar import Litestar

from oasis_server.api.app import create_app


def app_factory() -> Litestar:
    """Build the app from the environment (each server process builds its own)."""
    return create_app()
