"""``oasis health``: is this process healthy? For container and systemd health checks.

Exit status 0 means healthy, 1 unhealthy (what Docker's ``HEALTHCHECK``
expects), with one line saying why.

- ``oasis health`` asks the API on this machine (``GET /api/health`` on
  ``PORT``, default 3000; ``--url`` for another address).
- ``oasis health --worker`` looks for this host's worker heartbeat in Redis
  (``REDIS_URL``): a worker process writes one every 10 s while it consumes
  (:mod:`oasis_server.jobs.heartbeat`), so a worker whose process hangs or lost
  Redis turns unhealthy within a minute.
- ``oasis health --scheduler`` checks the heartbeat file the scheduler touches
  while its scheduling and sweeping threads run (``OASIS_HEARTBEAT_FILE``,
  default ``oasis-scheduler.alive`` in the temporary folder).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

HEARTBEAT_FILE_VARIABLE = "OASIS_HEARTBEAT_FILE"
HEARTBEAT_SECONDS = 10.0
"""How often the scheduler touches its heartbeat file."""
DEFAULT_MAX_AGE = 60.0
EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1


def register(commands: Any) -> None:
    """Add the ``health`` sub-command."""
    health = commands.add_parser(
        "health",
        help="check that the API, a worker or the scheduler on this machine is healthy (exit 0 or 1)",
    )
    what = health.add_mutually_exclusive_group()
    what.add_argument("--worker", action="store_true", help="check this host's worker heartbeat in Redis")
    what.add_argument("--scheduler", action="store_true", help="check the scheduler's heartbeat file")
    health.add_argument(
        "--url", help="the API's health URL (default: http://127.0.0.1:$PORT/api/health, PORT default 3000)"
    )
    health.add_argument(
        "--max-age",
        type=float,
        default=DEFAULT_MAX_AGE,
        help=f"seconds a heartbeat stays fresh (default {DEFAULT_MAX_AGE:.0f})",
    )
    health.set_defaults(handler=run_health)


def heartbeat_file(environ: dict[str, str] | None = None) -> Path:
    """Where the scheduler's heartbeat file is: ``OASIS_HEARTBEAT_FILE`` or the temporary folder."""
    environ = dict(os.environ) if environ is None else environ
    configured = environ.get(HEARTBEAT_FILE_VARIABLE, "").strip()
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "oasis-scheduler.alive"


def touch_heartbeat(path: Path | None = None) -> None:
    """Mark the scheduler alive now; a file that cannot be written only makes the check fail."""
    path = path or heartbeat_file()
    with contextlib.suppress(OSError):
        path.touch()


def scheduler_health(path: Path, max_age: float, *, now: float | None = None) -> str | None:
    """``None`` when ``path`` was touched within ``max_age`` seconds, else why not."""
    now = time.time() if now is None else now
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return f"no scheduler heartbeat at {path}"
    return None if age <= max_age else f"the scheduler's heartbeat is {age:.0f} s old (limit {max_age:.0f} s)"


def worker_health(redis: Any, host: str, max_age: float, *, now: float | None = None) -> str | None:
    """``None`` when a worker process of ``host`` wrote its heartbeat within ``max_age`` seconds, else why not."""
    from oasis_server.jobs.heartbeat import WORKERS_KEY

    now = time.time() if now is None else now
    recent = redis.zrangebyscore(WORKERS_KEY, now - max_age, "+inf")
    names = [member.decode() if isinstance(member, bytes) else str(member) for member in recent]
    if any(name.startswith(f"{host}:") for name in names):
        return None
    return f"no worker heartbeat from {host} in the last {max_age:.0f} s"


def api_health(url: str, timeout: float = 4.0) -> str | None:
    """``None`` when ``url`` answers 200, else why not (the status and body, or the connection error)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return None if response.status == 200 else f"{url} answered {response.status}"
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}: {exc.read(300).decode('utf-8', 'replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} did not answer: {getattr(exc, 'reason', exc)}"


def run_health(args: argparse.Namespace) -> int:
    """Print ``healthy`` or the reason, and exit 0 or 1."""
    if args.scheduler:
        problem = scheduler_health(heartbeat_file(), args.max_age)
    elif args.worker:
        problem = _worker(args.max_age)
    else:
        port = os.environ.get("PORT", "").strip() or "3000"
        problem = api_health(args.url or f"http://127.0.0.1:{port}/api/health")
    if problem:
        print(f"unhealthy: {problem}")
        return EXIT_UNHEALTHY
    if not args.quiet:
        print("healthy")
    return EXIT_HEALTHY


def _worker(max_age: float) -> str | None:
    from oasis_core.errors import OasisError

    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        raise OasisError("oasis health --worker needs REDIS_URL (where workers write their heartbeat)")
    import redis
    from redis.exceptions import RedisError

    client = redis.Redis.from_url(url, socket_timeout=4, socket_connect_timeout=4)
    try:
        return worker_health(client, socket.gethostname(), max_age)
    except RedisError as exc:
        return f"Redis did not answer: {exc}"
    finally:
        client.close()
