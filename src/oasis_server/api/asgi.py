"""The ASGI entry point for servers started by import string (``uvicorn --factory``)."""

from __future__ import annotations

import gc

from litestar import Litestar

from oasis_server.api.app import create_app


def app_factory() -> Litestar:
    """Build the app from the environment (each server process builds its own).

    Once built, the objects it holds (modules, the routes, the plugin catalog)
    live as long as the process: they are moved out of the garbage collector's
    reach (:func:`gc.freeze`), so its full collections, which otherwise walk
    them all and pause every request for tens of milliseconds, only walk what
    requests create.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
