"""``GET /api/health``: is the database reachable, is the broker reachable, is anyone rendering."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from sqlalchemy import func, or_, select, text

from oasis_server.api.context import ServerContext
from oasis_server.api.schemas import ANYONE, AnonymousOperation
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow
from oasis_server.jobs.heartbeat import workers_seen
from oasis_server.jobs.leases import PARKED_UNTIL


class HealthOut(msgspec.Struct):
    """What is up and what is down, and whether queued renders have a worker to run them."""

    status: str
    database: str
    broker: str
    workers: int | None = None
    """Worker processes seen in the last minute (``REDIS_URL`` set); without Redis the server renders
    itself and this is 1. ``None`` when it could not be told (Redis down)."""
    oldest_queued_seconds: float | None = None
    """How long the oldest video waiting for a worker has waited; ``None`` when none waits."""


def _oldest_waiting(context: ServerContext) -> float | None:
    """Seconds since the oldest unclaimed ``processing`` video was queued (parked ones excepted)."""
    query = select(func.min(Video.created_at)).where(
        Video.status == "processing",
        Video.lease_owner.is_(None),
        or_(Video.lease_until.is_(None), Video.lease_until < PARKED_UNTIL),
    )
    with context.sessions() as session:
        oldest = session.scalar(query)
    return None if oldest is None else round(max(0.0, (utcnow() - oldest).total_seconds()), 1)


@get(
    "/api/health",
    operation_id="health",
    summary="Health of the API and its dependencies",
    sync_to_thread=True,
    security=ANYONE,
    operation_class=AnonymousOperation,
    responses={503: ResponseSpec(data_container=HealthOut, description="A dependency is down")},
)
def health(state: State) -> Response[HealthOut]:
    """200 when the database and broker answer, else 503 naming what is down.

    No worker running is reported (``workers`` 0, ``oldest_queued_seconds``
    growing) but is not a 503: the API itself still serves.
    """
    context: ServerContext = state.ctx
    database, oldest = "ok", None
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        oldest = _oldest_waiting(context)
    except Exception:  # any failure means "down"; the reason goes to the log, not the client
        database = "down"
    broker = "ok"
    workers: int | None = 1
    if context.redis is not None:
        try:
            context.redis.ping()
            workers = workers_seen(context.redis)
        except Exception:
            broker, workers = "down", None
    healthy = database == "ok" and broker == "ok"
    return Response(
        HealthOut("ok" if healthy else "degraded", database, broker, workers, oldest),
        status_code=200 if healthy else 503,
    )


ROUTES = [health]
