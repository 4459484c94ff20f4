"""A throwaway S3 service (moto in server mode) for the ``s3`` blob store tests.

The server is a private ``python -m moto.server`` process on a free loopback
port, started once per session and stopped at its end, in the style of
tests/services.py (it dies with the thread that started it; a missing
``moto[server]`` skips the tests, or fails them when ``CI`` is set). The
store reaches it through real boto3 over HTTP, with dummy credentials passed
as settings, never through ``os.environ``; the server gets no ``AWS_*``
variables of ours either.

Fixtures (import them into the test module that uses them):

* ``moto_server`` (session): the shared :class:`MotoServer`.
* ``s3_settings``: settings for an ``S3BlobStore`` on a fresh bucket with a
  unique name (made by the store itself, ``create_bucket=1``), emptied and
  removed after the test.

``MotoServer(auth=True)`` starts a server that checks credentials and
signatures (moto's ``INITIAL_NO_AUTH_ACTION_COUNT=0``); it knows no keys,
so every request is refused. Moto does not enforce presigned-URL expiry.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.services import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    ServiceUnavailable,
    _die_with_parent,
    _ServerProcess,
    _stop_process,
    _wait,
    free_port,
    unavailable,
)

MOTO_PACKAGE = "moto[server]"
TEST_REGION = "us-east-1"
TEST_ACCESS_KEY_ID = "testing"
TEST_SECRET_ACCESS_KEY = "testing"  # moto accepts anything unless started with auth=True


class MotoServer(_ServerProcess):
    """A private moto S3 server on ``127.0.0.1:<port>``; its log is ``workdir/moto.log``."""

    controllable = True

    def __init__(self, workdir: Path, *, port: int | None = None, auth: bool = False) -> None:
        for module in ("moto", "flask", "boto3"):
            if importlib.util.find_spec(module) is None:
                unavailable(
                    f"{module} is not installed: pip install '{MOTO_PACKAGE}' boto3 to run these tests"
                )
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.auth = auth
        self.log = workdir / "moto.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answered
        except OSError:
            return False

    def start(self) -> None:
        """Start moto and wait until it answers HTTP."""
        if self.running:
            return
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        _wait(self._answers, what="moto.server", process=self.process, log=self.log, timeout=START_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM (moto keeps everything in memory: a restart starts empty)."""
        _stop_process(self.process, signal.SIGTERM, STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL."""
        _stop_process(self.process, signal.SIGKILL, STOP_TIMEOUT)

    def settings(self, bucket: str, **extra: str) -> dict[str, str]:
        """``S3BlobStore`` settings for ``bucket`` on this server (dummy credentials, path addressing)."""
        return {
            "bucket": bucket,
            "endpoint_url": self.endpoint_url,
            "region": TEST_REGION,
            "access_key_id": TEST_ACCESS_KEY_ID,
            "secret_access_key": TEST_SECRET_ACCESS_KEY,
            **extra,
        }

    def client(self) -> Any:
        """A plain boto3 S3 client on this server, to look at what the store wrote."""
        import boto3

        return boto3.session.Session(
            aws_access_key_id=TEST_ACCESS_KEY_ID,
            aws_secret_access_key=TEST_SECRET_ACCESS_KEY,
            region_name=TEST_REGION,
        ).client("s3", endpoint_url=self.endpoint_url)

    def empty_and_remove(self, bucket: str) -> None:
        """Delete every object of ``bucket`` and the bucket (missing is fine)."""
        client = self.client()
        with contextlib.suppress(Exception):
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    client.delete_object(Bucket=bucket, Key=item["Key"])
            client.delete_bucket(Bucket=bucket)

    def __repr__(self) -> str:
        return f"MotoServer(127.0.0.1:{self.port}, auth={self.auth})"


def start_moto(workdir: Path, **kwargs: Any) -> MotoServer:
    """A new, running :class:`MotoServer` (skips, or fails in CI, when moto is missing)."""
    server = MotoServer(workdir, **kwargs)
    try:
        server.start()
    except ServiceUnavailable as exc:  # moto is installed but does not start: a real failure
        pytest.fail(str(exc), pytrace=False)
    return server


def unique_bucket() -> str:
    """A bucket name no other test uses (lower case, DNS-safe)."""
    return f"oasis-test-{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """The session's moto S3 server (accepts any credentials)."""
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def s3_settings(moto_server: MotoServer) -> Iterator[dict[str, str]]:
    """Settings for an ``S3BlobStore`` on a fresh bucket of this test's own, removed afterwards."""
    bucket = unique_bucket()
    yield moto_server.settings(bucket, create_bucket="1")
    moto_server.empty_and_remove(bucket)
