"""What one user may cost: video length, queued and concurrent renders, automation frequency, admin overrides.

Also the migration that holds the per-user limits and the queued automation run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import func, inspect, select, update
from tests.server.conftest import auth, build_context, register
from tests.server.video_support import VIDEO_REQUEST, final_status, insert_video, server_fake_catalog

from oasis_core.catalog import ProviderCatalog
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.db.migrate import alembic_config, upgrade
from oasis_server.db.models import Automation, User, Video
from oasis_server.db.types import utcnow
from oasis_server.jobs import leases
from oasis_server.jobs.limits import LimitReached, shortest_speech_seconds
from oasis_server.jobs.render_job import VideoRenderer
from oasis_server.jobs.submit import VideoSpec, submit_video
from oasis_server.publishing import automations

USERS = "/api/admin/users"
WORDS = "Keep going, you are closer than you think and every step counts today."  # 13 words


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    """Fake providers: renders take no time."""
    return server_fake_catalog()


@pytest.fixture
def api(context: ServerContext) -> Iterator[TestClient[Any]]:
    """The API with no worker: queued videos stay queued."""
    with TestClient(create_app(context=context, embedded_worker=False)) as client:
        yield client


def video_body(content: str = WORDS) -> dict[str, Any]:
    return {**VIDEO_REQUEST, "content": content}


def count_videos(context: ServerContext) -> int:
    with context.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Video)) or 0)


def set_limits(client: TestClient[Any], admin_token: str, user_id: str, limits: dict[str, Any]) -> Any:
    return client.put(f"{USERS}/{user_id}", json={"limits": limits}, headers=auth(admin_token))


def test_a_text_that_cannot_fit_the_longest_video_is_refused_before_queueing(
    api_env: dict[str, str], backend: str, request: pytest.FixtureRequest
) -> None:
    api_env["OASIS_MAX_VIDEO_SECONDS"] = "10"
    context: ServerContext = request.getfixturevalue("context")
    with TestClient(create_app(context=context, embedded_worker=False)) as client:
        token, _ = register(client, "ada@example.com")
        long_text = " ".join(["word"] * 60)  # 15 s even at 4 words a second
        response = client.post("/api/video/generate", json=video_body(long_text), headers=auth(token))
        assert response.status_code == 400, response.text
        assert "at most 10 s" in response.json()["error"] and "content" in response.json()["fields"]
        wide = "静" * 120  # 15 s even at 8 characters a second
        assert (
            client.post("/api/video/generate", json=video_body(wide), headers=auth(token)).status_code == 400
        )
        assert count_videos(context) == 0
        assert client.post("/api/video/generate", json=video_body(), headers=auth(token)).status_code == 202


def test_speech_longer_than_the_longest_video_fails_the_render_with_that_reason(
    api_env: dict[str, str], backend: str, request: pytest.FixtureRequest
) -> None:
    api_env["OASIS_MAX_VIDEO_SECONDS"] = "5"  # the fake speaks 0.3 s a word: 13 words + the tail is 5.2 s
    client: TestClient[Any] = request.getfixturevalue("client")
    token, _ = register(client, "ada@example.com")
    assert shortest_speech_seconds(WORDS) <= 5  # so it passes the check before queueing
    accepted = client.post("/api/video/generate", json=video_body(), headers=auth(token))
    assert accepted.status_code == 202, accepted.text
    status = final_status(client, token, accepted.json()["id"])
    assert status["status"] == "failed"
    assert "longer than the 5 s a video may last" in status["error"]


def test_queued_renders_over_the_limit_are_429_and_an_admin_can_change_the_limit(
    api: TestClient[Any], context: ServerContext, api_env: dict[str, str]
) -> None:
    admin_token, _ = register(api, "admin@example.com")
    token, member = register(api, "ada@example.com")
    for _ in range(5):
        assert api.post("/api/video/generate", json=video_body(), headers=auth(token)).status_code == 202
    refused = api.post("/api/video/generate", json=video_body(), headers=auth(token))
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert (
        "5 videos queued or rendering" in refused.json()["error"] and "try again" in refused.json()["error"]
    )
    assert count_videos(context) == 5

    changed = set_limits(api, admin_token, member["id"], {"queued_renders": 6})
    assert changed.status_code == 200, changed.text
    assert changed.json()["limits"] == {
        "queued_renders": 6,
        "concurrent_renders": 2,
        "automation_interval": 3600,
        "custom": ["queued_renders"],
    }
    assert api.post("/api/video/generate", json=video_body(), headers=auth(token)).status_code == 202
    assert api.post("/api/video/generate", json=video_body(), headers=auth(token)).status_code == 429

    back = set_limits(api, admin_token, member["id"], {"queued_renders": None})
    assert back.json()["limits"]["custom"] == [] and back.json()["limits"]["queued_renders"] == 5
    with context.sessions() as session:
        assert session.scalar(select(User.limits).where(User.id == member["id"])) is None


def test_requests_arriving_together_cannot_all_take_the_last_place(
    api: TestClient[Any], context: ServerContext
) -> None:
    _, member = register(api, "ada@example.com")
    with context.session() as session:
        session.execute(update(User).where(User.id == member["id"]).values(limits={"queued_renders": 3}))
    spec = VideoSpec(category="motivation", content=WORDS, visual_prompt="a sunrise", style="cinematic")
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def submit() -> None:
        start.wait(10)
        try:
            submit_video(context, member["id"], spec)
            outcomes.append("queued")
        except LimitReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["queued"] * 3 + ["refused"] * 5
    assert count_videos(context) == 3


@pytest.mark.parametrize(
    "limits",
    [
        {"queued_renders": 0},
        {"concurrent_renders": -1},
        {"automation_interval": 10**12},
        {"queued_renders": 1.5},
        {"renders": 5},
    ],
    ids=str,
)
def test_bad_limits_are_400(api: TestClient[Any], limits: dict[str, Any]) -> None:
    admin_token, _ = register(api, "admin@example.com")
    _, member = register(api, "ada@example.com")
    assert set_limits(api, admin_token, member["id"], limits).status_code == 400
    assert set_limits(api, "not-an-admin", member["id"], {"queued_renders": 9}).status_code == 401


def test_a_user_renders_no_more_videos_at_once_than_the_limit(
    api: TestClient[Any], context: ServerContext
) -> None:
    _, member = register(api, "ada@example.com")
    with context.session() as session:
        session.execute(update(User).where(User.id == member["id"]).values(limits={"concurrent_renders": 1}))
    first, second = insert_video(context, member["id"]), insert_video(context, member["id"])
    with context.session() as session:  # a worker is rendering the first one
        assert leases.claim(session, first, "elsewhere", utcnow(), 60)

    assert VideoRenderer(context).run(second) == "retry"
    with context.sessions() as session:
        waiting = session.get(Video, second)
        assert waiting is not None
        assert (waiting.attempts, waiting.lease_owner, waiting.status) == (0, None, "processing")
        assert waiting.lease_until is not None and waiting.lease_until > utcnow()

    with context.session() as session:
        assert leases.fail(session, first, "elsewhere", "stopped")
    assert VideoRenderer(context).run(second) == "completed"


def test_an_automation_runs_no_more_often_than_the_limit(
    api: TestClient[Any], context: ServerContext
) -> None:
    admin_token, _ = register(api, "admin@example.com")
    token, member = register(api, "ada@example.com")
    body = {
        "name": "Often",
        "cron": "*/30 * * * *",
        "timezone": "UTC",
        "category": "motivation",
        "style": "cinematic",
        "platforms": [],
    }
    refused = api.post("/api/automations", json=body, headers=auth(token))
    assert refused.status_code == 400 and "every 1 hour" in refused.json()["error"], refused.text
    assert set_limits(api, admin_token, member["id"], {"automation_interval": 1800}).status_code == 200
    created = api.post("/api/automations", json=body, headers=auth(token))
    assert created.status_code == 201, created.text

    assert set_limits(api, admin_token, member["id"], {"automation_interval": 7200}).status_code == 200
    now = utcnow()
    with context.session() as session:  # it ran 30 minutes ago and is due again
        session.execute(
            update(Automation).values(
                last_run_at=now - timedelta(minutes=30), next_run_at=now - timedelta(seconds=1)
            )
        )
    with context.sessions() as session:
        row = session.scalar(select(Automation))
    assert row is not None
    assert automations.claim_run(context, row, now) is None  # skipped, not run
    with context.sessions() as session:
        skipped = session.scalar(select(Automation))
    assert skipped is not None and skipped.run_token is None
    assert skipped.next_run_at is not None
    assert skipped.next_run_at >= now - timedelta(minutes=30) + timedelta(seconds=7200 - 59)


@given(st.text(max_size=200), st.text(max_size=200))
def test_the_shortest_speech_grows_with_the_text(first: str, second: str) -> None:
    joined = shortest_speech_seconds(f"{first} {second}")
    assert joined >= max(shortest_speech_seconds(first), shortest_speech_seconds(second)) - 1e-9
    assert shortest_speech_seconds(first) >= 0


def test_the_estimate_counts_words_and_wide_characters() -> None:
    assert shortest_speech_seconds("one two three four") == pytest.approx(1.0)
    assert shortest_speech_seconds("今日は" * 8) == pytest.approx(3.0)
    assert shortest_speech_seconds("  …  ") == 0


@pytest.mark.backends("sqlite")
def test_the_limits_migration_keeps_users_and_automations(tmp_path: Any) -> None:
    context = build_context({"OASIS_DATA_DIR": str(tmp_path / "data")}, migrate=False)
    try:
        upgrade(context.engine, "0006")
        with context.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (id, name, email, password_hash, role, status, created_at) "
                "VALUES ('u1', 'Ada', 'ada@example.com', 'x', 'user', 'active', '2026-01-01 00:00:00')"
            )
        upgrade(context.engine)
        columns = {c["name"] for c in inspect(context.engine).get_columns("users")}
        assert "limits" in columns
        assert "run_token" in {c["name"] for c in inspect(context.engine).get_columns("automations")}
        with context.sessions() as session:
            user = session.get(User, "u1")
            assert user is not None and user.limits is None
        config = alembic_config()
        with context.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert "limits" not in {c["name"] for c in inspect(context.engine).get_columns("users")}
    finally:
        context.close()
