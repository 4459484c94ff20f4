"""The job runtime: the broker and actor it declares, the in-process worker, stopping, ``oasis worker``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from tests.server.conftest import NO_DOTENV
from tests.server.video_support import (  # noqa: F401 - pytest fixtures
    HOOKED,
    HOOKS,
    clear_hooks,
    insert_video,
    job_catalog,
    job_server_catalog,
    load,
    make_user,
)

from oasis_server.api.context import ServerContext
from oasis_server.cli.app import main
from oasis_server.jobs import runtime
from oasis_server.jobs.broker import HEARTBEAT_TIMEOUT_MS, MAINTENANCE_CHANCE, build_broker
from oasis_server.settings import Settings


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_without_redis_the_broker_is_an_in_process_stub(tmp_path: Path) -> None:
    settings = Settings.from_env({"OASIS_DATA_DIR": str(tmp_path)}, dotenv=NO_DOTENV)
    assert isinstance(build_broker(settings), StubBroker)


def test_the_redis_broker_has_its_delivery_settings_set_explicitly(tmp_path: Path) -> None:
    env = {"OASIS_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}
    broker = build_broker(Settings.from_env(env, dotenv=NO_DOTENV))  # builds without connecting
    assert isinstance(broker, RedisBroker)
    assert (broker.heartbeat_timeout, broker.maintenance_chance) == (HEARTBEAT_TIMEOUT_MS, MAINTENANCE_CHANCE)
    assert (broker.heartbeat_timeout, broker.maintenance_chance, broker.namespace) == (
        60_000,
        10_000,
        "oasis",
    )


def test_the_render_message_carries_only_the_video_id(context: ServerContext) -> None:
    jobs = runtime.JobRuntime(context, consume=False)
    message = jobs.actor.message("some-id")
    assert (message.args, message.kwargs, message.queue_name) == (("some-id",), {}, "videos")
    assert jobs.actor.options["time_limit"] >= 30 * 60 * 1000
    assert jobs.actor.options["max_retries"] <= 3
    jobs.stop()


def test_the_embedded_worker_renders_what_is_sent(context: ServerContext) -> None:
    video_id = insert_video(context, make_user(context), providers=HOOKED)
    stop = runtime.attach(context, embedded_worker=True)
    try:
        context.enqueue_render(video_id)
        wait_until(lambda: (row := load(context, video_id)) is not None and row.status == "completed")
    finally:
        stop()


def test_without_the_embedded_worker_messages_are_only_sent(context: ServerContext) -> None:
    video_id = insert_video(context, make_user(context), providers=HOOKED)
    stop = runtime.attach(context, embedded_worker=False)
    context.enqueue_render(video_id)
    time.sleep(0.3)
    stop()
    row = load(context, video_id)
    assert row is not None and (row.status, row.attempts) == ("processing", 0)


def test_stopping_hands_back_a_render_that_does_not_finish_in_time(context: ServerContext) -> None:
    video_id = insert_video(context, make_user(context), providers=HOOKED)
    inside, release = threading.Event(), threading.Event()

    def block() -> None:
        inside.set()
        release.wait(30)

    HOOKS["speech"] = block
    jobs = runtime.JobRuntime(context, consume=True, threads=1)
    jobs.start()
    jobs.send(video_id)
    assert inside.wait(20)
    started = time.monotonic()
    jobs.stop(timeout=0.3)
    assert time.monotonic() - started < 10
    row = load(context, video_id)
    assert row is not None and (row.status, row.lease_owner, row.attempts, row.stage) == (
        "processing",
        None,
        0,
        "queued",
    )
    release.set()  # the abandoned render notices it lost the video and writes nothing
    time.sleep(0.3)
    row = load(context, video_id)
    assert row is not None and (row.status, row.lease_owner, row.video_key) == ("processing", None, None)


def test_oasis_worker_needs_redis(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OASIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["worker"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("oasis: error: oasis worker needs REDIS_URL")
    assert main(["worker", "--threads", "0"]) == 2
