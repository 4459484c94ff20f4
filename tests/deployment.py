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
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.services import RedisServer, free_port

from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video

LEASE_SECONDS = "6"
SERVER_VARIABLES = ("DATABASE_URL", "DB_HOST", "REDIS_URL", "JWT_SECRET", "OASIS_SECRET_KEYS", "OASIS_ENV")


class Deployment:
    """One Redis and, by default, one data folder and SQLite database shared by the API in-process and
    ``oasis`` subprocesses (workers, schedulers, servers); a process may get a data folder of its own."""

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

    def start(self, name: str, *args: str, data_dir: str | None = None) -> subprocess.Popen[bytes]:
        """Start ``oasis <args>`` as a process logging to ``<name>.log``; ``data_dir`` gives it a
        data folder of its own (another "machine") instead of the shared one."""
        environ = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        env = {**environ, **self.env}
        if data_dir:
            env["OASIS_DATA_DIR"] = str(self.tmp_path / data_dir)
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "oasis_server.cli", *args],
                env=env,
                cwd=self.tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(process)
        self.logs.append(log)
        return process

    def start_worker(self, *, data_dir: str | None = None) -> subprocess.Popen[bytes]:
        """An ``oasis worker`` with one render thread."""
        name = f"worker-{sum(log.name.startswith('worker-') for log in self.logs)}"
        return self.start(name, "worker", "--threads", "1", "--shutdown-timeout", "5", data_dir=data_dir)

    def start_scheduler(self, *, data_dir: str | None = None) -> subprocess.Popen[bytes]:
        """An ``oasis scheduler``."""
        name = f"scheduler-{sum(log.name.startswith('scheduler-') for log in self.logs)}"
        return self.start(name, "scheduler", data_dir=data_dir)

    def start_server(self, name: str) -> str:
        """An ``oasis serve`` on a free loopback port with a data folder of its own; returns its URL
        once ``/api/health`` answers."""
        port = free_port()
        process = self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port), data_dir=name)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"oasis serve {name} exited\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        return url
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"oasis serve {name} did not answer\n{self.log_text()}")

    def logs_of(self, processes: list[subprocess.Popen[bytes]]) -> list[Path]:
        """The log files of ``processes``."""
        return [log for process, log in zip(self.workers, self.logs, strict=True) if process in processes]

    def log_text(self) -> str:
        """The tail of every process's log, with its exit status."""
        return "\n".join(
            f"--- {log.name} (exit status {worker.poll()})\n{log.read_text(errors='replace')[-3000:]}"
            for worker, log in zip(self.workers, self.logs, strict=True)
        )

    def stop_workers(self) -> None:
        """SIGTERM every process started, then wait (SIGKILL after 30 s)."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)

    stop_all = stop_workers


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
