"""Fixtures for the dashboard tests: a live ``oasis serve`` and Debian's Chromium driven by Playwright.

Each test gets its own server: a subprocess on a free loopback port with a
fresh data folder (embedded SQLite, in-process worker, the real offline
providers). Every platform and provider URL points at a closed loopback port,
so nothing leaves the machine. The browser is Debian's ``/usr/bin/chromium``
(never one downloaded by ``playwright install``), started once per session.

Screenshots go to ``$OASIS_SCREENSHOTS`` or a temporary folder, printed at the
end of the run. Without Chromium or the ``playwright`` package the tests are
skipped, except under CI, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.services import free_port, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CLOSED_LOOPBACK = "http://127.0.0.1:9"
BROWSER_ZONE = "Europe/Paris"
"""The browser's time zone: not UTC, so the conversion of local times to ISO 8601 with an offset is tested."""
START_TIMEOUT = 60.0
_DROPPED_PREFIXES = (
    "OASIS_",
    "DB_",
    "TIKTOK_",
    "YOUTUBE_",
    "INSTAGRAM_",
    "OPENAI_",
    "ELEVENLABS_",
    "AWS_",
    "S3_",
)
_DROPPED = {
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "JWT_EXPIRES_IN",
    "NODE_ENV",
    "STORAGE_BUCKET",
    "CORS_ORIGINS",
    "PORT",
    "HOST",
}
_screenshot_dir: Path | None = None
_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


def serve_environment(data_dir: Path) -> dict[str, str]:
    """The server's environment: ours without server or provider settings, plus a private data folder."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if name not in _DROPPED and not name.startswith(_DROPPED_PREFIXES)
    }
    return {
        **environ,
        "OASIS_DATA_DIR": str(data_dir),
        "OASIS_BCRYPT_ROUNDS": "4",
        "TIKTOK_API_BASE_URL": CLOSED_LOOPBACK,
        "TIKTOK_AUTH_BASE_URL": CLOSED_LOOPBACK,
        "YOUTUBE_API_BASE_URL": CLOSED_LOOPBACK,
        "OPENAI_BASE_URL": f"{CLOSED_LOOPBACK}/v1",
        "ELEVENLABS_BASE_URL": CLOSED_LOOPBACK,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PYTHONFAULTHANDLER": "1",
    }


class LiveServer:
    """``oasis serve`` in a subprocess; ``url`` is its base address, ``log`` its output."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.env = dict(env or {})
        """Variables added to :func:`serve_environment` (a fake platform's URLs, for one)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until ``/api/health`` answers 200."""
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "oasis_server.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-access-log",
                ],
                env={**serve_environment(self.workdir / "data"), **self.env},
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"oasis serve exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.client().get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"oasis serve did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def client(self, token: str | None = None) -> httpx.Client:
        """A client of this server only (no proxies from the environment)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0, trust_env=False)

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's output."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class ConsoleWatch:
    """Collects a page's console errors and uncaught exceptions; :meth:`assert_clean` fails on any.

    Chromium logs "Failed to load resource: … status of 400" for every API
    answer that is not a success; a test that provokes one on purpose says so
    with :meth:`expect_http_error`.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[int] = []

    def attach(self, page: Any) -> None:
        """Listen to ``page``."""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        match = _HTTP_ERROR.search(message.text)
        if match and int(match.group(1)) in self.expected:
            self.expected.remove(int(match.group(1)))
            return
        self.errors.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    @contextlib.contextmanager
    def expect_http_error(self, page: Any, status: int) -> Iterator[None]:
        """The block makes ``page`` get one ``status`` answer from the API (checked on the way out)."""
        self.expected.append(status)
        yield
        deadline = time.monotonic() + 5
        while status in self.expected and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the console events
        if status in self.expected:
            self.expected.remove(status)
            pytest.fail(f"the page got no {status} answer from the API")

    def assert_clean(self) -> None:
        """Fail listing the errors seen so far."""
        assert not self.errors, "the page logged errors:\n" + "\n".join(self.errors)


class Screenshots:
    """Saves full-page screenshots as ``<test>-<n>-<name>.png`` in one folder."""

    def __init__(self, folder: Path, test_name: str) -> None:
        self.folder = folder
        self.prefix = re.sub(r"[^A-Za-z0-9_-]+", "-", test_name).strip("-")
        self.count = 0

    def take(self, page: Any, name: str) -> Path:
        """Save what ``page`` shows now."""
        self.count += 1
        path = self.folder / f"{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (skipped, or failed under CI, when missing)."""
    if not CHROMIUM.is_file():
        unavailable(f"{CHROMIUM} not found: install the Debian package 'chromium' to run the dashboard tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$OASIS_SCREENSHOTS`` or a temporary folder."""
    global _screenshot_dir
    chosen = os.environ.get("OASIS_SCREENSHOTS", "").strip()
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("dashboard-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    _screenshot_dir = folder
    print(f"\ndashboard screenshots: {folder}")
    return folder


@pytest.fixture
def shots(screenshot_dir: Path, request: pytest.FixtureRequest) -> Screenshots:
    """This test's screenshots."""
    return Screenshots(screenshot_dir, request.node.name)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live ``oasis serve`` of this test's own."""
    live = LiveServer(tmp_path)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    """A fresh browser profile (its own sessionStorage) at desktop size, in :data:`BROWSER_ZONE`."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=BROWSER_ZONE
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def console() -> ConsoleWatch:
    """The console errors of the pages a test opens (attach pages with ``console.attach(page)``)."""
    return ConsoleWatch()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the screenshots are."""
    if _screenshot_dir is not None:
        terminalreporter.write_line(f"dashboard screenshots: {_screenshot_dir}")
