"""``GET /api/health``: is the database reachable, is the broker reachable."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from sqlalchemy import text

from oasis_server.api.context import ServerContext


class HealthOut(msgspec.Struct):
    """What is up and what is down."""

    status: str
    database: str
    broker: str


@get(
    "/api/health",
    operation_id="health",
    summary="Health of the API and its dependencies",
    sync_to_thread=True,
    security=[{}],
    responses={503: ResponseSpec(data_container=HealthOut, description="A dependency is down")},
)
def health(state: State) -> Response[HealthOut]:
    """200 when the database and broker answer, else 503 naming what is down."""
    context: ServerContext = state.ctx
    database = "ok"
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "down"; the reason goes to the log, not the client
        database = "down"
    broker = "ok"
    if context.redis is not None:
        try:
            context.redis.ping()
        except Exception:
            broker = "down"
    healthy = database == "ok" and broker == "ok"
    return Response(
        HealthOut("ok" if healthy else "degraded", database, broker), status_code=200 if healthy else 503
    )


ROUTES = [health]
