"""``oasis worker`` as deployed: a real Redis, separate worker processes, one shared database and data folder.

The API (built with ``embedded_worker=False``) only queues; the worker
process renders. A worker SIGKILLed mid-render is taken over by a new one
once its lease (6 s here) lapses, and the video completes, or fails cleanly
when it has no attempts left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.deployment import SERVER_VARIABLES, Deployment, describe, row, wait_for
from tests.media_checks import probe, top_level_boxes
from tests.server.conftest import auth, build_context, register
from tests.services import RedisServer

from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext

pytestmark = pytest.mark.slow

SHORT = "Keep going. You are closer than you think."
LONG = " ".join(
    [
        "Courage is not the absence of fear; it is the decision that something else matters more.",
        "Every morning you choose again who you will be, and every small step counts.",
        "The mountain does not shrink because you stare at it; it shrinks because you climb.",
        "Rest when you must, but do not quit; the view from the top belongs to the stubborn.",
        "What you do today, quietly and without applause, is what you will become tomorrow.",
    ]
)


@pytest.fixture
def deployment(tmp_path: Path, private_redis: RedisServer) -> Iterator[Deployment]:
    setup = Deployment(tmp_path, private_redis)
    upgraded = setup.oasis("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    yield setup
    setup.stop_workers()


@pytest.fixture
def api(deployment: Deployment) -> Iterator[tuple[TestClient[Any], ServerContext]]:
    context = build_context(dict(deployment.env), migrate=False)
    with TestClient(create_app(context=context, embedded_worker=False)) as client:
        yield client, context
    context.close()


def queue_video(client: TestClient[Any], token: str, content: str) -> str:
    body = {
        "type": "video",
        "category": "courage",
        "content": content,
        "visual_prompt": "a lone climber on a ridge at dawn",
        "style": "cinematic",
    }
    response = client.post("/api/video/generate", json=body, headers=auth(token))
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def media_files(deployment: Deployment) -> list[Path]:
    root = deployment.tmp_path / "data" / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def check_playable(client: TestClient[Any], url: str, tmp_path: Path) -> None:
    response = client.get(url)
    assert response.status_code == 200
    path = tmp_path / "check.mp4"
    path.write_bytes(response.content)
    assert top_level_boxes(path)[0] == "ftyp"
    media = probe(path)
    assert (media.video_codec, media.audio_codec, media.width, media.height) == ("h264", "aac", 1080, 1920)


def test_a_separate_worker_process_renders_what_the_api_queued(
    deployment: Deployment, api: tuple[TestClient[Any], ServerContext], tmp_path: Path
) -> None:
    client, context = api
    token, _ = register(client, "ada@example.com")
    video_id = queue_video(client, token, SHORT)
    time.sleep(1.0)
    assert (row(context, video_id).status, row(context, video_id).attempts) == (
        "processing",
        0,
    )  # nobody renders

    deployment.start_worker()
    wait_for(
        lambda: row(context, video_id).status != "processing",
        deployment,
        120,
        "the render",
        describe(context, video_id),
    )
    status = client.get(f"/api/video/generate/{video_id}/status", headers=auth(token)).json()
    assert (status["status"], status["stage"], status["progress"]) == ("completed", "done", 100), (
        f"{status}\n{deployment.log_text()}"
    )
    check_playable(client, status["url"], tmp_path)
    assert row(context, video_id).attempts == 1


def test_videos_queued_while_redis_is_down_are_rendered_once_it_is_back(
    deployment: Deployment,
    api: tuple[TestClient[Any], ServerContext],
    private_redis: RedisServer,
    tmp_path: Path,
) -> None:
    client, context = api
    token, _ = register(client, "ada@example.com")
    private_redis.pause()  # hung: connections open, nothing answered
    try:
        started = time.monotonic()
        hung = queue_video(client, token, SHORT)
        assert time.monotonic() - started < 10, "a hung broker held the request up"
    finally:
        private_redis.resume()
    private_redis.stop()  # gone: connections refused
    refused = queue_video(client, token, SHORT)
    private_redis.start()
    for video_id in (hung, refused):
        assert (row(context, video_id).status, row(context, video_id).stage) == ("processing", "queued")
    deployment.start_worker()  # its sweeper sends both once their dispatch deadline passes
    for video_id in (hung, refused):
        wait_for(
            lambda v=video_id: row(context, v).status != "processing",
            deployment,
            120,
            "the late render",
            describe(context, video_id),
        )
        assert (row(context, video_id).status, row(context, video_id).attempts) == ("completed", 1)


def _kill_mid_render(
    deployment: Deployment, client: TestClient[Any], context: ServerContext
) -> tuple[str, str, str]:
    """Queue a long video, SIGKILL the worker while it composes; returns (token, video id, dead lease)."""
    token, _ = register(client, "ada@example.com")
    video_id = queue_video(client, token, LONG)
    first = deployment.start_worker()
    wait_for(
        lambda: row(context, video_id).stage in {"visuals", "compose"},
        deployment,
        120,
        "the first worker to start rendering",
    )
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = row(context, video_id)
    assert killed.status == "processing", deployment.log_text()
    assert killed.lease_owner and killed.attempts == 1
    return token, video_id, killed.lease_owner


def test_a_worker_killed_mid_render_is_taken_over_and_the_video_completes_once(
    deployment: Deployment, api: tuple[TestClient[Any], ServerContext], tmp_path: Path
) -> None:
    client, context = api
    token, video_id, dead_lease = _kill_mid_render(deployment, client, context)
    deployment.start_worker()
    wait_for(
        lambda: row(context, video_id).status != "processing",
        deployment,
        240,
        "the take-over",
        describe(context, video_id),
    )
    done = row(context, video_id)
    assert done.status == "completed", f"{done.error}\n{deployment.log_text()}"
    assert done.attempts == 2
    assert done.video_key and dead_lease not in done.video_key
    files = media_files(deployment)
    assert [f.relative_to(deployment.tmp_path / "data" / "media").as_posix() for f in files] == sorted(
        [done.thumbnail_key, done.video_key]
    ), "a file of the killed attempt was left behind"
    status = client.get(f"/api/video/generate/{video_id}/status", headers=auth(token)).json()
    check_playable(client, status["url"], tmp_path)


def test_a_video_killed_with_no_attempts_left_fails_cleanly(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    deployment = Deployment(tmp_path, private_redis, OASIS_VIDEO_MAX_ATTEMPTS="1")
    assert deployment.oasis("db", "upgrade").returncode == 0
    context = build_context(dict(deployment.env), migrate=False)
    try:
        with TestClient(create_app(context=context, embedded_worker=False)) as client:
            token, video_id, _ = _kill_mid_render(deployment, client, context)
            deployment.start_worker()
            wait_for(
                lambda: row(context, video_id).status != "processing",
                deployment,
                120,
                "the sweeper",
                describe(context, video_id),
            )
            status = client.get(f"/api/video/generate/{video_id}/status", headers=auth(token)).json()
            assert status["status"] == "failed"
            assert status["error"] == "Rendering failed after 1 attempt; try again"
            assert status["url"] is None
            assert media_files(deployment) == []
    finally:
        deployment.stop_workers()
        context.close()


def _supervisor(deployment: Deployment, log: Path) -> subprocess.Popen[bytes]:
    environ = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "oasis_server.cli", "worker", "--processes", "2", "--threads", "1"],
            env={**environ, **deployment.env},
            cwd=deployment.tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "supervisor-killed"])
def test_several_worker_processes_stop_together(deployment: Deployment, stop: signal.Signals) -> None:
    log = deployment.tmp_path / "supervisor.log"
    supervisor = _supervisor(deployment, log)
    try:
        wait_for(lambda: log.read_text().count("rendering with 1 thread") == 2, deployment, 90, "two workers")
        children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children").read_text().split()
        assert len(children) == 2
        supervisor.send_signal(stop)
        supervisor.wait(60)
        # the workers stop on their own when the supervisor stops, even when it was killed
        wait_for(lambda: log.read_text().count(": stopping") == 2, deployment, 30, "both workers to stop")
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), deployment, 30, "exits")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    if stop == signal.SIGTERM:
        assert supervisor.returncode == 0
    assert "Traceback" not in log.read_text()
