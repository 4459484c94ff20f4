"""With REDIS_URL and no worker running, the API says so instead of letting jobs wait silently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.server.conftest import auth, register

from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow
from oasis_server.jobs import heartbeat
from oasis_server.jobs.heartbeat import SEEN_SECONDS, Heartbeat, workers_seen
from oasis_server.jobs.runtime import JobRuntime


@pytest.fixture
def redis_url(private_redis: Any, api_env: dict[str, str]) -> str:
    api_env["REDIS_URL"] = private_redis.url
    return str(private_redis.url)


@pytest.fixture
def queued_client(redis_url: str, context: ServerContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The API of `oasis serve` with REDIS_URL: it only queues, some other process must render."""
    monkeypatch.setattr(heartbeat, "CENSUS_CACHE_SECONDS", 0.0)
    with TestClient(create_app(context=context)) as client:
        yield client


def _queued_video(context: ServerContext, user_id: str, age: timedelta) -> str:
    with context.session() as session:
        video = Video(
            user_id=user_id,
            title="t",
            category="motivation",
            content="Words",
            visual_prompt="a sky",
            style="cinematic",
            status="processing",
            stage="queued",
            created_at=utcnow() - age,
        )
        session.add(video)
        session.flush()
        return video.id


@pytest.mark.backends("sqlite")
def test_health_and_status_say_when_no_worker_runs(
    queued_client: TestClient[Any], context: ServerContext
) -> None:
    token, user = register(queued_client, "ada@example.com")
    health = queued_client.get("/api/health").json()
    assert (health["workers"], health["oldest_queued_seconds"]) == (0, None)
    video_id = _queued_video(context, user["id"], timedelta(minutes=5))
    health = queued_client.get("/api/health").json()
    assert health["status"] == "ok" and health["workers"] == 0
    assert 299 <= health["oldest_queued_seconds"] <= 360
    status = queued_client.get(f"/api/video/generate/{video_id}/status", headers=auth(token)).json()
    assert status["status"] == "processing" and status["stage"] == "queued"
    assert "Waiting for a worker" in status["message"]

    beat = Heartbeat(context.redis)
    beat.beat()  # a worker comes up
    assert queued_client.get("/api/health").json()["workers"] == 1
    status = queued_client.get(f"/api/video/generate/{video_id}/status", headers=auth(token)).json()
    assert status["message"] is None
    beat.stop()
    assert queued_client.get("/api/health").json()["workers"] == 0


def test_a_worker_that_stopped_beating_ages_out(redis_url: str, context: ServerContext) -> None:
    clock = [1_000_000.0]
    beat = Heartbeat(context.redis, clock=lambda: clock[0])
    beat.beat()
    assert workers_seen(context.redis, now=clock[0] + SEEN_SECONDS - 1) == 1
    assert workers_seen(context.redis, now=clock[0] + SEEN_SECONDS + 1) == 0


@pytest.mark.backends("sqlite")
def test_a_consuming_runtime_beats_and_leaves_when_stopped(redis_url: str, context: ServerContext) -> None:
    runtime = JobRuntime(context, consume=True, threads=1)
    runtime.start()
    try:
        assert workers_seen(context.redis) == 1
    finally:
        runtime.stop(timeout=5)
    assert workers_seen(context.redis) == 0


@pytest.mark.backends("sqlite")
def test_without_redis_the_server_is_its_own_worker(client: TestClient[Any]) -> None:
    health = client.get("/api/health").json()
    assert (health["status"], health["workers"], health["oldest_queued_seconds"]) == ("ok", 1, None)
