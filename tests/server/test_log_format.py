"""One log format for Oasis and uvicorn: ``text`` by default, one JSON object a line with ``json``."""

from __future__ import annotations

import json
import logging
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.dashboard.conftest import serve_environment
from tests.services import free_port

from oasis_core.errors import InvalidInput
from oasis_server import log_format
from oasis_server.log_redaction import install

SECRET = "S3CRETvalue"
TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<message>.*)$"
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and uvicorn's back as they were after the test reconfigures them."""
    names = ["", *log_format.SERVER_LOGGERS]
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in names}
    propagate = {name: logging.getLogger(name).propagate for name in names}
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate[name]


def access_record() -> None:
    """A request line as uvicorn's access logger writes it (the path holds a signed link's secret)."""
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        f"/api/media/v/video.mp4?expires=1&sig={SECRET}",
        "1.1",
        200,
    )


def test_json_lines_carry_time_level_logger_message_and_traceback(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    install()
    log_format.configure(logging.INFO, {"OASIS_LOG_FORMAT": "json"})
    access_record()
    logging.getLogger("oasis_server.jobs").debug("not shown at INFO")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("oasis_server.jobs").exception("A render failed\non two lines")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    access, failure = (json.loads(line) for line in lines)
    assert set(access) == {"time", "level", "logger", "message"}
    assert access["logger"] == "uvicorn.access" and access["level"] == "INFO"
    assert (
        access["message"]
        == '127.0.0.1:5000 - "GET /api/media/v/video.mp4?expires=1&sig=[redacted] HTTP/1.1" 200'
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", access["time"])
    assert failure["message"] == "A render failed\non two lines" and failure["level"] == "ERROR"
    assert failure["exception"].startswith("Traceback") and "ValueError: boom" in failure["exception"]


def test_text_lines_are_the_same_for_uvicorn_and_oasis(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    install()
    log_format.configure(logging.WARNING, {})
    access_record()  # uvicorn's loggers stay at INFO whatever the root level
    logging.getLogger("oasis_server.api").warning("Careful")
    logging.getLogger("oasis_server.api").info("not shown at WARNING")
    lines = capsys.readouterr().err.splitlines()
    matches = [TEXT_LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [(m["level"], m["logger"]) for m in matches if m] == [
        ("INFO", "uvicorn.access"),
        ("WARNING", "oasis_server.api"),
    ]
    assert SECRET not in "\n".join(lines)


@pytest.mark.parametrize(
    ("value", "chosen"), [(None, "text"), ("", "text"), ("json", "json"), (" JSON ", "json")]
)
def test_the_format_setting(value: str | None, chosen: str) -> None:
    environ = {} if value is None else {"OASIS_LOG_FORMAT": value}
    assert log_format.chosen_format(environ) == chosen


@given(st.text(max_size=20).filter(lambda value: value.strip().lower() not in {"", "text", "json"}))
def test_other_formats_are_refused_with_the_settings_name(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"^OASIS_LOG_FORMAT=.* is not accepted: choose text or json$"):
        log_format.chosen_format({"OASIS_LOG_FORMAT": value})


def test_the_command_line_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "oasis_server.cli", "categories"],
        env={**serve_environment(tmp_path / "data"), "OASIS_LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == "oasis: error: OASIS_LOG_FORMAT='xml' is not accepted: choose text or json\n"


@pytest.mark.slow
def test_a_running_server_writes_only_json_lines(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "oasis_server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**serve_environment(tmp_path / "data"), "OASIS_LOG_FORMAT": "json"},
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/health?sig={SECRET}", timeout=5, trust_env=False
                )
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    text = log.read_text()
    entries = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    loggers = {entry["logger"] for entry in entries}
    assert {"oasis_server.cli.server_commands", "uvicorn.error", "uvicorn.access"} <= loggers, text
    assert any(entry["message"].startswith("Oasis is serving on http://127.0.0.1:") for entry in entries)
    assert any("GET /api/health?sig=[redacted] HTTP/1.1" in entry["message"] for entry in entries), text
    assert SECRET not in text
