"""Throwaway MariaDB and Redis servers for the tests, started and stopped by the fixtures.

Nothing here needs a running system service: each server is a private
process on a free loopback port, with its files in a temporary folder, and it
is stopped when the session (or the test) ends. Set ``OASIS_TEST_MYSQL_URL``
(``mysql+pymysql://user:password@host:port/``, a user allowed to create and
drop databases) or ``OASIS_TEST_REDIS_URL`` to use servers of your own
instead; tests that stop or restart a server always start a private one.

Servers die with the thread that started them (Linux), so start them from
the main thread. If a server's program is missing, the tests that need it are skipped with a
message naming the Debian package, except when ``CI`` is set: CI must never
skip a service test, so there they fail.

Helpers the fault and job tests use (all on the handles the fixtures return):

* :class:`RedisServer`: ``url``, ``client()``, ``stop()``, ``start()``,
  ``restart()`` (keeps the AOF data), ``kill()`` (SIGKILL), ``pause()`` /
  ``resume()`` (SIGSTOP/SIGCONT: a hung server), ``flush()``.
* :class:`MariaDBServer`: ``url(database)``, ``create_database()``,
  ``drop_database()``, ``database()`` (a context manager), ``stop()``,
  ``start()``, ``restart()``, ``kill()``, ``pause()`` / ``resume()``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote_plus

import pytest

MARIADB_PACKAGE = "mariadb-server"
REDIS_PACKAGE = "redis-server"
MYSQL_URL_VARIABLE = "OASIS_TEST_MYSQL_URL"
REDIS_URL_VARIABLE = "OASIS_TEST_REDIS_URL"
DATABASE_PREFIX = "oasis_test_"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/libexec")


class ServiceUnavailable(Exception):
    """A server could not be started, or is not one this session may stop."""


def in_ci() -> bool:
    """Whether we run in CI, where a service test must fail rather than skip."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def unavailable(message: str) -> None:
    """Skip the test (``pytest.fail`` in CI) because a service is missing."""
    if in_ci():
        pytest.fail(f"{message} (CI never skips service tests)", pytrace=False)
    pytest.skip(message)


def find_program(*names: str, package: str) -> str:
    """The path of the first of ``names`` found on PATH or in the sbin folders; else skip (fail in CI)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    for name in names:
        found = shutil.which(name, path=search)
        if found:
            return found
    unavailable(f"{' / '.join(names)} not found: install the Debian package {package!r} to run these tests")
    raise AssertionError("unreachable")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def short_dir(prefix: str) -> Path:
    """A new folder with a short path (Unix socket paths are limited to about 100 bytes)."""
    base = "/tmp" if Path("/tmp").is_dir() else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait(
    ready: Callable[[], bool],
    *,
    what: str,
    process: subprocess.Popen[bytes] | None,
    log: Path,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceUnavailable(f"{what} exited with status {process.returncode}:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise ServiceUnavailable(f"{what} did not answer within {timeout:.0f} s:\n{_tail(log)}")


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the thread that started us exits (Linux), so a killed
    test run leaves no server behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a server in its own session (a Ctrl-C reaches pytest, which stops it cleanly)."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


def _signal(process: subprocess.Popen[bytes] | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        raise ServiceUnavailable("the server is not running")
    process.send_signal(sig)


def _stop_process(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


class Service(Protocol):
    """What the fault tests need from a server they may stop."""

    @property
    def controllable(self) -> bool:
        """Whether this session started the server (and may stop it)."""
        ...

    def start(self) -> None:
        """Start the server (again) and wait until it answers."""
        ...

    def stop(self) -> None:
        """Stop it cleanly (SIGTERM) and wait for it to exit."""
        ...

    def kill(self) -> None:
        """Kill it (SIGKILL), as a crash would."""
        ...

    def restart(self) -> None:
        """Stop it cleanly, then start it again on the same port with the same data."""
        ...

    def pause(self) -> None:
        """Freeze it (SIGSTOP): it accepts nothing and answers nothing."""
        ...

    def resume(self) -> None:
        """Unfreeze it (SIGCONT)."""
        ...


# --------------------------------------------------------------------------------------------- Redis


class _ServerProcess:
    """Controls shared by the throwaway servers: restart, and hang or resume the process."""

    process: subprocess.Popen[bytes] | None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        """Stop, then start on the same port with the same data."""
        self.stop()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: the server hangs (connections open, nothing answered), as on a network partition."""
        _signal(self.process, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        _signal(self.process, signal.SIGCONT)


class RedisServer(_ServerProcess):
    """A private ``redis-server`` on a free port, persisting to an append-only file in ``workdir``."""

    controllable = True

    def __init__(self, workdir: Path, *, port: int | None = None, appendfsync: str = "everysec") -> None:
        self.binary = find_program("redis-server", package=REDIS_PACKAGE)
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.appendfsync = appendfsync
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def client(self, **kwargs: Any) -> Any:
        """A redis-py client (short timeouts, so a stopped server fails fast)."""
        import redis

        kwargs.setdefault("socket_timeout", 5)
        kwargs.setdefault("socket_connect_timeout", 2)
        return redis.Redis.from_url(self.url, **kwargs)

    def _answers(self) -> bool:
        try:
            with contextlib.closing(self.client(socket_timeout=1, socket_connect_timeout=1)) as probe:
                return bool(probe.ping())
        except Exception:
            return False

    def start(self) -> None:
        """Start (or start again) and wait for PING."""
        if self.running:
            return
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.workdir),
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--daemonize", "no",
            "--logfile", str(self.log),
        ]  # fmt: skip
        self.process = _spawn(command)
        _wait(self._answers, what="redis-server", process=self.process, log=self.log, timeout=START_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM: Redis writes its AOF and exits."""
        _stop_process(self.process, signal.SIGTERM, STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL: up to a second of writes (``appendfsync everysec``) may be lost."""
        _stop_process(self.process, signal.SIGKILL, STOP_TIMEOUT)

    def flush(self) -> None:
        """Delete every key."""
        with contextlib.closing(self.client()) as client:
            client.flushall()

    def __repr__(self) -> str:
        return f"RedisServer({self.url})"


class ExternalRedis:
    """A Redis server given by ``OASIS_TEST_REDIS_URL``: used, never stopped."""

    controllable = False

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, **kwargs: Any) -> Any:
        """A redis-py client."""
        import redis

        kwargs.setdefault("socket_timeout", 5)
        kwargs.setdefault("socket_connect_timeout", 2)
        return redis.Redis.from_url(self.url, **kwargs)

    def flush(self) -> None:
        """Delete every key of this database."""
        with contextlib.closing(self.client()) as client:
            client.flushdb()

    def _refuse(self) -> None:
        raise ServiceUnavailable(f"{REDIS_URL_VARIABLE} is not a server the tests may stop")

    start = stop = kill = restart = pause = resume = _refuse


# ------------------------------------------------------------------------------------------- MariaDB


class _AdminConnection:
    """One long-lived connection used to create and drop the per-test databases."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._connection: Any = None
        self._lock = threading.Lock()

    def execute(self, sql: str) -> None:
        with self._lock:
            for attempt in range(2):
                try:
                    if self._connection is None:
                        self._connection = self._connect()
                        with self._connection.cursor() as cursor:
                            # never hang on a test that leaked an open transaction
                            cursor.execute("SET SESSION lock_wait_timeout = 20")
                    with self._connection.cursor() as cursor:
                        cursor.execute(sql)
                    return
                except Exception:
                    self.close_unlocked()
                    if attempt:
                        raise

    def close_unlocked(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()


class _Databases:
    """Creating and dropping throwaway databases (``oasis_test_<hex>``, utf8mb4)."""

    _admin: _AdminConnection

    def url(self, database: str = "") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        raise NotImplementedError

    def create_database(self, name: str | None = None) -> str:
        """Create an empty utf8mb4 database and return its name."""
        name = name or f"{DATABASE_PREFIX}{uuid.uuid4().hex}"
        self._admin.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists."""
        self._admin.execute(f"DROP DATABASE IF EXISTS `{name}`")

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database's URL for the length of a ``with`` block."""
        name = self.create_database()
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)


class MariaDBServer(_ServerProcess, _Databases):
    """A private ``mariadbd`` on a free loopback port, with a user ``oasis`` that has a password.

    The data folder is made by ``mariadb-install-db``; the server runs as the
    current user. Unless ``durable``, commits are not flushed to disk at once
    (faster; a SIGKILL may lose the last second of commits).
    """

    controllable = True
    user = "oasis"
    password = "oasis-test-password"

    def __init__(self, workdir: Path, *, port: int | None = None, durable: bool = False) -> None:
        self.durable = durable
        self.server_binary = find_program("mariadbd", "mysqld", package=MARIADB_PACKAGE)
        self.install_binary = find_program("mariadb-install-db", "mysql_install_db", package=MARIADB_PACKAGE)
        self.workdir = workdir
        self.datadir = workdir / "data"
        self.rundir = short_dir("oasis-mdb-")
        self.socket = self.rundir / "mysqld.sock"
        self.port = port or free_port()
        self.log = workdir / "mariadb.err"
        self.process: subprocess.Popen[bytes] | None = None
        self._user_created = False
        self._admin = _AdminConnection(lambda: self._connect(host="127.0.0.1"))

    def _engine_options(self) -> list[str]:
        options = [
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
        ]
        if os.geteuid() == 0:
            options.append("--user=root")
        return options

    def _install(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [
            self.install_binary,
            *self._engine_options(),
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            raise ServiceUnavailable(
                f"mariadb-install-db failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )

    def _connect(self, *, host: str | None = None, as_root: bool = False, timeout: int = 5) -> Any:
        import pymysql

        if as_root:
            return pymysql.connect(
                unix_socket=str(self.socket), user="root", connect_timeout=timeout, autocommit=True
            )
        return pymysql.connect(
            host=host or "127.0.0.1",
            port=self.port,
            user=self.user,
            password=self.password,
            connect_timeout=timeout,
            autocommit=True,
        )

    def _answers(self) -> bool:
        try:
            self._connect(as_root=True, timeout=1).close()
        except Exception:
            return False
        return True

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start (installing the data folder the first time) and wait until it accepts connections."""
        if self.running:
            return
        if not self.datadir.is_dir():
            self._install()
        command = [
            self.server_binary,
            *self._engine_options(),
            f"--socket={self.socket}",
            f"--pid-file={self.rundir / 'mysqld.pid'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--log-error={self.log}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--performance-schema=OFF",
            "--max-connections=500",
            "--skip-innodb-adaptive-hash-index",
        ]
        if not self.durable:  # a commit may be lost on SIGKILL: fine for a server nobody kills
            command += ["--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"]
        self.process = _spawn(command)
        _wait(self._answers, what="mariadbd", process=self.process, log=self.log, timeout=START_TIMEOUT)
        if not self._user_created:
            root = self._connect(as_root=True)
            try:
                with root.cursor() as cursor:
                    for host in ("127.0.0.1", "localhost"):
                        cursor.execute(
                            f"CREATE USER IF NOT EXISTS '{self.user}'@'{host}' IDENTIFIED BY %s",
                            (self.password,),
                        )
                        cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{self.user}'@'{host}'")
            finally:
                root.close()
            self._user_created = True

    def stop(self) -> None:
        """SIGTERM: a clean shutdown; the data stays for :meth:`start`."""
        self._admin.close()
        _stop_process(self.process, signal.SIGTERM, STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL, as a crash would (InnoDB recovers on the next start)."""
        self._admin.close()
        _stop_process(self.process, signal.SIGKILL, STOP_TIMEOUT)

    def url(self, database: str = "") -> str:
        """``mysql+pymysql://oasis:…@127.0.0.1:<port>/<database>?charset=utf8mb4``."""
        return (
            f"mysql+pymysql://{self.user}:{quote_plus(self.password)}@127.0.0.1:{self.port}/{database}"
            "?charset=utf8mb4"
        )

    def close(self) -> None:
        """Stop the server and remove its socket folder."""
        self.stop()
        shutil.rmtree(self.rundir, ignore_errors=True)

    def __repr__(self) -> str:
        return f"MariaDBServer(127.0.0.1:{self.port})"


class ExternalMySQL(_Databases):
    """A MySQL/MariaDB server given by ``OASIS_TEST_MYSQL_URL``: databases are made on it, it is never stopped."""

    controllable = False

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if not parsed.drivername.startswith("mysql"):
            raise ServiceUnavailable(f"{MYSQL_URL_VARIABLE} must be a mysql+pymysql:// URL")
        self._url = parsed.set(drivername="mysql+pymysql", database=None)
        self._admin = _AdminConnection(self._connect)

    def _connect(self) -> Any:
        import pymysql

        return pymysql.connect(
            host=self._url.host or "127.0.0.1",
            port=self._url.port or 3306,
            user=self._url.username or "root",
            password=self._url.password or "",
            connect_timeout=5,
            autocommit=True,
        )

    def url(self, database: str = "") -> str:
        """The SQLAlchemy URL of ``database`` on the external server."""
        query = dict(self._url.query)
        query.setdefault("charset", "utf8mb4")
        return self._url.set(database=database or None, query=query).render_as_string(hide_password=False)

    def close(self) -> None:
        """Close the admin connection."""
        self._admin.close()

    def _refuse(self) -> None:
        raise ServiceUnavailable(f"{MYSQL_URL_VARIABLE} is not a server the tests may stop")

    start = stop = kill = restart = pause = resume = _refuse


# ------------------------------------------------------------------------------------------ fixtures


class ServiceFactory:
    """Starts private servers on demand and stops every one of them at the end."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._started: list[RedisServer | MariaDBServer] = []

    def redis(self, **kwargs: Any) -> RedisServer:
        """A new, running, private Redis."""
        server = RedisServer(self._tmp.mktemp("redis"), **kwargs)
        self._started.append(server)
        self._start(server)
        return server

    def mariadb(self, *, durable: bool = True) -> MariaDBServer:
        """A new, running, private MariaDB (``durable``: every commit survives a SIGKILL)."""
        server = MariaDBServer(self._tmp.mktemp("mariadb"), durable=durable)
        self._started.append(server)
        self._start(server)
        return server

    @staticmethod
    def _start(server: RedisServer | MariaDBServer) -> None:
        try:
            server.start()
        except ServiceUnavailable as exc:  # the program is there but does not work: a real failure
            pytest.fail(str(exc), pytrace=False)

    def discard(self, server: RedisServer | MariaDBServer) -> None:
        """Stop ``server`` now."""
        if server in self._started:
            self._started.remove(server)
        self._close(server)

    @staticmethod
    def _close(server: RedisServer | MariaDBServer) -> None:
        if isinstance(server, MariaDBServer):
            server.close()
        else:
            server.stop()

    def close(self) -> None:
        """Stop everything still running."""
        while self._started:
            self._close(self._started.pop())


@pytest.fixture(scope="session")
def service_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceFactory]:
    """Starts private MariaDB/Redis servers (``.mariadb()``, ``.redis()``); all stopped at session end."""
    factory = ServiceFactory(tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def mariadb(service_factory: ServiceFactory) -> Iterator[MariaDBServer | ExternalMySQL]:
    """The session's MySQL/MariaDB server: ``OASIS_TEST_MYSQL_URL``, else a private MariaDB.

    Do not stop it (use ``private_mariadb`` for that); make databases with
    ``create_database()`` or the ``mariadb_url`` fixture.
    """
    external = os.environ.get(MYSQL_URL_VARIABLE)
    if external:
        server = ExternalMySQL(external)
        yield server
        server.close()
    else:
        yield service_factory.mariadb(durable=False)


@pytest.fixture(scope="session")
def redis_server(service_factory: ServiceFactory) -> RedisServer | ExternalRedis:
    """The session's Redis: ``OASIS_TEST_REDIS_URL``, else a private one. Do not stop it (use ``private_redis``)."""
    external = os.environ.get(REDIS_URL_VARIABLE)
    return ExternalRedis(external) if external else service_factory.redis()


@pytest.fixture
def mariadb_url(mariadb: MariaDBServer | ExternalMySQL) -> Iterator[str]:
    """The URL of a fresh, empty utf8mb4 database on the session's server, dropped after the test."""
    with mariadb.database() as url:
        yield url


@pytest.fixture
def private_mariadb(service_factory: ServiceFactory) -> Iterator[MariaDBServer]:
    """A MariaDB of the test's own, which it may stop, kill and restart; gone after the test."""
    server = service_factory.mariadb()
    yield server
    service_factory.discard(server)


@pytest.fixture
def private_redis(service_factory: ServiceFactory) -> Iterator[RedisServer]:
    """A Redis of the test's own (AOF on), which it may stop, kill and restart; gone after the test."""
    server = service_factory.redis()
    yield server
    service_factory.discard(server)
