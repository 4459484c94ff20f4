"""A deployment in miniature for the tests: a data folder, Redis, the API in-process, ``oasis`` subprocesses.

:class:`Deployment` runs ``oasis`` commands (``db upgrade``, ``worker`` …) as
real processes with the environment a deployment would give them, keeps
their logs, and stops them; :func:`wait_for` polls a condition and fails
with those logs when it does not come true in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.services import RedisServer

from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video

LEASE_SECONDS = "6"
SERVER_VARIABLES = ("DATABASE_URL", "DB_HOST", "REDIS_URL", "JWT_SECRET", "OASIS_SECRET_KEYS", "OASIS_ENV")


class Deployment:
    """One data folder and SQLite database, one Redis, the API in-process and worker subprocesses."""

    def __init__(self, tmp_path: Path, redis: RedisServer, **extra: str) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "OASIS_DATA_DIR": str(tmp_path / "data"),
            "REDIS_URL": redis.url,
            "OASIS_BCRYPT_ROUNDS": "4",
            "OASIS_VIDEO_LEASE_SECONDS": LEASE_SECONDS,
            "PYTHONFAULTHANDLER": "1",  # a native crash in a worker leaves its traceback in the log
            **extra,
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def oasis(self, *args: str) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        return subprocess.run(
            [sys.executable, "-m", "oasis_server.cli", *args],
            env={**environ, **self.env},
            cwd=self.tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        environ = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        log = self.tmp_path / f"worker-{len(self.workers)}.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "oasis_server.cli",
                    "worker",
                    "--threads",
                    "1",
                    "--shutdown-timeout",
                    "5",
                ],
                env={**environ, **self.env},
                cwd=self.tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(worker)
        self.logs.append(log)
        return worker

    def log_text(self) -> str:
        return "\n".join(
            f"--- {log.name} (exit status {worker.poll()})\n{log.read_text(errors='replace')[-3000:]}"
            for worker, log in zip(self.workers, self.logs, strict=True)
        )

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)


def row(context: ServerContext, video_id: str) -> Video:
    with context.sessions() as session:
        video = session.get(Video, video_id)
    assert video is not None
    return video


def wait_for(
    check: Callable[[], bool],
    deployment: Deployment,
    timeout: float,
    what: str,
    state: Callable[[], str] = str,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what} ({state()})\n{deployment.log_text()}")
        time.sleep(0.1)


def describe(context: ServerContext, video_id: str) -> Callable[[], str]:
    def state() -> str:
        video = row(context, video_id)
        return (
            f"status={video.status} stage={video.stage} progress={video.progress} attempts={video.attempts} "
            f"lease_owner={video.lease_owner} lease_until={video.lease_until} error={video.error}"
        )

    return state
