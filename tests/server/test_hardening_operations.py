"""Data at rest, logs and operator mistakes: private files, redacted URLs, purged sessions, clear messages."""

from __future__ import annotations

import logging
import os
import signal
import socket
import stat
import string
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tests.server.conftest import NO_DOTENV, PASSWORD, register
from tests.services import free_port

from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.local.blob_store import LocalBlobStore
from oasis_server.accounts import create_user, purge_tokens, revoke_token, start_session
from oasis_server.api.context import ServerContext
from oasis_server.cli.server_commands import prepare_database
from oasis_server.db.models import AuthToken
from oasis_server.db.types import utcnow
from oasis_server.jobs.sweeper import Sweeper
from oasis_server.log_redaction import SECRET_PARAMETERS, install, redact
from oasis_server.settings import ConfigurationError, Settings

SECRET = "S3CRETvalue"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Any:
    """The usual umask (022), under which files were world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


# --- data at rest ---------------------------------------------------------------------------------------


def test_the_data_folder_database_and_secrets_are_private(tmp_path: Path, open_umask: Any) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # an existing folder made by an older version is tightened too
    settings = Settings.from_env({"OASIS_DATA_DIR": str(data)}, dotenv=NO_DOTENV)
    prepare_database(settings)
    context = ServerContext.build(settings)
    try:
        with context.session() as session:  # a write: SQLite makes its -wal and -shm files now
            create_user(session, context.hasher, name="A", email="a@example.com", password=PASSWORD)
        files = [data / "oasis.db", data / "jwt-secret", data / "secret-keys", data / "oasis.db-wal"]
        assert mode(data) == 0o700
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        context.close()


def test_media_the_server_stores_is_private(tmp_path: Path, open_umask: Any) -> None:
    source = tmp_path / "video.mp4"
    source.write_bytes(b"not really a video")
    store = LocalBlobStore(ProviderConfig(settings={"root": str(tmp_path / "media")}))
    store.put("videos/user-1/video-1.mp4", source)
    stored = tmp_path / "media" / "videos" / "user-1" / "video-1.mp4"
    assert mode(stored) == 0o600
    assert mode(stored.parent) == 0o700 and mode(stored.parent.parent) == 0o700


# --- logs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SECRET_PARAMETERS)
def test_each_secret_parameter_is_redacted_and_the_rest_kept(name: str) -> None:
    line = f"GET /api/media/v.mp4?expires=99&{name}={SECRET}&x=1 HTTP/1.1"
    assert redact(line) == f"GET /api/media/v.mp4?expires=99&{name}=[redacted]&x=1 HTTP/1.1"
    assert redact(f"/cb?{name.upper()}={SECRET}") == f"/cb?{name.upper()}=[redacted]"


@given(
    st.sampled_from(SECRET_PARAMETERS),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~%+/=:", min_size=1),
)
def test_no_secret_value_survives_redaction(name: str, value: str) -> None:
    assert redact(f"/path?a=1&{name}={value}").endswith(f"{name}=[redacted]")


def test_uvicorns_access_log_line_is_redacted() -> None:
    from uvicorn.logging import AccessFormatter

    install()
    logger = logging.getLogger("uvicorn.access")
    record = logger.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/social/callback/youtube?code={SECRET}&state={SECRET}", "1.1", 302),
        None,
    )
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert SECRET not in line
    assert "/api/social/callback/youtube?code=[redacted]&state=[redacted]" in line


# --- expired and revoked sessions --------------------------------------------------------------------------


def test_expired_and_revoked_sessions_are_purged_and_live_ones_kept(context: ServerContext) -> None:
    now = utcnow()
    with context.session() as session:
        user = create_user(session, context.hasher, name="A", email="a@example.com", password=PASSWORD)
        expired = start_session(session, context.tokens, user, now - context.tokens.lifetime - timedelta(1))
        revoked = start_session(session, context.tokens, user, now)
        live = start_session(session, context.tokens, user, now)
    with context.session() as session:
        revoke_token(session, revoked.jti)
    with context.session() as session:
        assert purge_tokens(session) == 2
    with context.sessions() as session:
        assert set(session.scalars(select(AuthToken.id))) == {live.jti}
    assert expired.jti != live.jti


def test_the_sweeper_purges_ended_sessions(client: Any, context: ServerContext) -> None:
    token, _ = register(client, "a@example.com")
    client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    sweeper = Sweeper(context, lambda video_id: None)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with context.sessions() as session:
                if session.scalar(select(AuthToken.id)) is None:
                    break
            time.sleep(0.1)
    finally:
        sweeper.stop()
    with context.sessions() as session:
        assert session.scalar(select(AuthToken.id)) is None


# --- settings -------------------------------------------------------------------------------------------

WHOLE_NUMBERS = {  # variable: the least value accepted
    "PORT": 1,
    "OASIS_BCRYPT_ROUNDS": 4,
    "OASIS_VIDEO_LEASE_SECONDS": 5,
    "OASIS_VIDEO_MAX_ATTEMPTS": 1,
    "OASIS_LOGIN_MAX_FAILURES": 1,
    "OASIS_LOGIN_WINDOW_SECONDS": 1,
    "OASIS_LOGIN_ADDRESS_MAX_FAILURES": 1,
    "OASIS_LOGIN_ACCOUNT_MAX_FAILURES": 1,
    "OASIS_LOGIN_MAX_WAIT_SECONDS": 1,
    "OASIS_POST_LEASE_SECONDS": 5,
    "OASIS_POST_MAX_ATTEMPTS": 1,
}
SECONDS = ("OASIS_SCHEDULER_INTERVAL", "OASIS_POST_BACKOFF_SECONDS")


def _read(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"OASIS_DATA_DIR": str(tmp_path / "data"), **env}, dotenv=NO_DOTENV)


@pytest.mark.parametrize("variable", sorted(WHOLE_NUMBERS))
@pytest.mark.parametrize("value", ["three", "-1", "1.5", "1e3", "٣", "99999999999999999999"])
def test_a_bad_whole_number_names_the_variable_and_what_it_accepts(
    tmp_path: Path, variable: str, value: str
) -> None:
    if variable in {"PORT", "OASIS_BCRYPT_ROUNDS"} or value != "99999999999999999999":
        with pytest.raises(ConfigurationError) as caught:
            _read(tmp_path, **{variable: value})
        assert caught.value.message.startswith(f"{variable}={value!r} is not accepted: a whole number")


@pytest.mark.parametrize("variable", sorted(WHOLE_NUMBERS))
def test_zero_and_below_the_least_value_are_refused(tmp_path: Path, variable: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable}="):
        _read(tmp_path, **{variable: str(WHOLE_NUMBERS[variable] - 1)})
    _read(tmp_path, **{variable: str(max(WHOLE_NUMBERS[variable], 12 if "BCRYPT" in variable else 1))})


@pytest.mark.parametrize("variable", SECONDS)
@pytest.mark.parametrize("value", ["soon", "-1", "0", "nan", "inf", "3601"])
def test_a_bad_number_of_seconds_is_refused(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable}=.* is not accepted: a number of seconds"):
        _read(tmp_path, **{variable: value})


@pytest.mark.parametrize(
    ("variable", "value", "accepts"),
    [
        ("OASIS_ALLOW_SIGNUP", "maybe", "true or false"),
        ("OASIS_ENV", "prod", "one of development, test, production"),
        ("JWT_EXPIRES_IN", "forever", "a duration"),
        ("JWT_EXPIRES_IN", "0d", "a duration"),
        ("REDIS_URL", "localhost:6379", "a URL starting with redis://"),
        ("OASIS_PUBLIC_URL", "oasis.example.com", "a URL starting with http://"),
        ("CORS_ORIGINS", "https://ok.example, dashboard.example", "a URL starting with http://"),
        ("OASIS_TRUSTED_PROXIES", "proxy.example", "IP addresses or networks"),
        ("OASIS_SECRET_KEYS", "not-a-key", "Fernet"),
    ],
)
def test_other_bad_settings_name_the_variable(
    tmp_path: Path, variable: str, value: str, accepts: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _read(tmp_path, **{variable: value})
    assert caught.value.message.startswith(variable) and accepts in caught.value.message


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.sampled_from(sorted(WHOLE_NUMBERS) + list(SECONDS)), st.text(max_size=12))
def test_any_value_is_accepted_or_refused_by_name(tmp_path: Path, variable: str, value: str) -> None:
    try:
        _read(tmp_path, **{variable: value})
    except ConfigurationError as exc:
        assert exc.message.startswith(f"{variable}=")


# --- `oasis serve` --------------------------------------------------------------------------------------


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OASIS_", "DATABASE_"))}
    env.pop("REDIS_URL", None)
    env.update({"OASIS_DATA_DIR": str(tmp_path / "data"), "OASIS_BCRYPT_ROUNDS": "4", **extra})
    return env


def _oasis(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oasis_server.cli", *args],
        env=_serve_env(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_with_a_bad_setting_says_which_and_exits_2(tmp_path: Path) -> None:
    result = _oasis(tmp_path, "serve", "--port", str(free_port()), OASIS_VIDEO_MAX_ATTEMPTS="three")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "oasis: error: OASIS_VIDEO_MAX_ATTEMPTS='three' is not accepted: a whole number of at least 1 (default 3)"
    )


def test_serve_on_a_busy_port_says_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _oasis(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "serving on" not in result.stderr and "Traceback" not in result.stderr


def test_a_running_server_keeps_secret_parameters_out_of_its_access_log(tmp_path: Path) -> None:
    """Also: uvicorn is given OASIS_TRUSTED_PROXIES, so its log shows the client the proxy names."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "oasis_server.cli", "serve", "--port", str(port)],
        env=_serve_env(tmp_path, OASIS_TRUSTED_PROXIES="127.0.0.1"),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{port}/api/health?expires=1&sig={SECRET}&code={SECRET}&state={SECRET}"
        while True:
            try:
                request = urllib.request.Request(url, headers={"X-Forwarded-For": "192.0.2.77"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    log.seek(0)
    text = log.read()
    assert "/api/health?expires=1&sig=[redacted]&code=[redacted]&state=[redacted]" in text, text
    assert SECRET not in text
    assert '192.0.2.77:0 - "GET /api/health?' in text


def test_a_malformed_database_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _read(tmp_path, DATABASE_URL="mysql+pymysql://oasis:hunter2@db:port-is-not-a-number/oasis")
    assert caught.value.message.startswith("DATABASE_URL is not accepted: a SQLAlchemy URL")
    assert "hunter2" not in caught.value.message


def test_a_data_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(ConfigurationError, match=r"^OASIS_DATA_DIR=.* is not accepted: a folder"):
        _read(tmp_path)
