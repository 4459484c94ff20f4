"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from oasis_server.api import (
    admin,
    auth,
    automations,
    caption_routes,
    catalog_routes,
    creator_routes,
    dashboard,
    health,
    keys,
    media,
    schedule,
    social,
    video,
    voice_routes,
)
from oasis_server.api.context import ServerContext
from oasis_server.api.errors import EXCEPTION_HANDLERS
from oasis_server.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
ROUTE_MODULES = (
    health,
    auth,
    keys,
    video,
    catalog_routes,
    caption_routes,
    voice_routes,
    social,
    creator_routes,
    schedule,
    automations,
    admin,
    media,
    dashboard,
)


def openapi_config() -> OpenAPIConfig:
    """The schema served at ``/schema/openapi.json``."""
    return OpenAPIConfig(
        title="Oasis API",
        version="1",
        description="Write, voice, render, store and publish captioned short videos.",
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"BearerToken": []}],
        path="/schema",
    )


def create_app(
    settings: Settings | None = None,
    *,
    context: ServerContext | None = None,
    embedded_worker: bool | None = None,
) -> Litestar:
    """Build the application; with no Redis configured it runs an in-process worker.

    ``context`` lets tests and the ``serve`` command share one already built.
    """
    context = context or ServerContext.build(settings or Settings.from_env())
    run_worker = context.settings.redis_url is None if embedded_worker is None else embedded_worker
    stops: list[Callable[[], None]] = []

    def start(app: Litestar) -> None:
        from oasis_server.jobs import runtime

        stops.append(runtime.attach(context, embedded_worker=run_worker))

    def stop(app: Litestar) -> None:
        for stopper in stops:
            stopper()
        context.close()

    cors = (
        CORSConfig(allow_origins=list(context.settings.cors_origins))
        if context.settings.cors_origins
        else None
    )
    handlers: list[Any] = [handler for module in ROUTE_MODULES for handler in module.ROUTES]
    return Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"ctx": context}),
        openapi_config=openapi_config(),
        on_startup=[start],
        on_shutdown=[stop],
        cors_config=cors,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
        # Litestar would reconfigure the root logger in its own format; the process's one format
        # (oasis_server.log_format, set by the command that runs the app) stays in charge instead.
        logging_config=None,
    )
