"""``oasis worker``: render videos from Redis, on any number of machines.

Each worker process runs a Dramatiq worker with ``--threads`` threads on the
``videos`` queue, keeps the leases of its renders and sweeps for videos whose
worker died or whose message was lost. ``--processes N`` starts N such
processes and restarts any that dies. SIGTERM or Ctrl-C stops taking work,
lets running renders finish for up to ``--shutdown-timeout`` seconds, then
hands the rest back so another worker takes them over at once; a second
Ctrl-C exits immediately.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

from oasis_core.errors import OasisError

log = logging.getLogger(__name__)

EXIT_KILLED = 130
SUPERVISOR_VARIABLE = "OASIS_WORKER_SUPERVISOR_PID"
RESTART_DELAYS = (1, 2, 5, 10, 30)


def register(commands: Any) -> None:
    """Add the ``worker`` sub-command."""
    worker = commands.add_parser("worker", help="render videos queued in Redis (needs REDIS_URL)")
    worker.add_argument(
        "--processes", type=int, default=1, help="worker processes to run (default 1; 0 = one per CPU)"
    )
    worker.add_argument("--threads", type=int, default=2, help="render threads per process (default 2)")
    worker.add_argument(
        "--shutdown-timeout",
        type=float,
        default=60.0,
        help="seconds running renders may take to finish when stopping (default 60)",
    )
    worker.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    """Run one worker process in this process, or supervise several."""
    from oasis_server.cli.server_commands import prepare_database
    from oasis_server.settings import Settings

    if args.threads < 1:
        raise OasisError("--threads must be at least 1")
    if args.processes < 0:
        raise OasisError("--processes must be 0 (one per CPU) or more")
    settings = Settings.from_env()
    if not settings.redis_url:
        raise OasisError(
            "oasis worker needs REDIS_URL (the Redis server `oasis serve` queues renders on); "
            "without Redis, `oasis serve` renders videos itself"
        )
    prepare_database(settings)
    processes = args.processes or os.cpu_count() or 1
    if processes == 1:
        return _work(settings, args.threads, args.shutdown_timeout)
    return _supervise(processes, args.threads, args.shutdown_timeout)


def _work(settings: Any, threads: int, shutdown_timeout: float) -> int:
    """Render until SIGTERM or SIGINT; a later SIGINT (a second Ctrl-C) exits at once."""
    from oasis_server.api.context import ServerContext
    from oasis_server.jobs.runtime import JobRuntime

    if logging.getLogger().level > logging.INFO:
        logging.getLogger("oasis_server").setLevel(logging.INFO)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # a repeated SIGTERM is not an order to hurry: systemd and the supervisor may both send one
        if stopping.is_set() and signum == signal.SIGINT:
            os._exit(EXIT_KILLED)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    context = ServerContext.build(settings)
    runtime = JobRuntime(context, consume=True, threads=threads)
    runtime.start()
    print(
        f"oasis worker {os.getpid()}: rendering with {threads} thread(s); stop with Ctrl-C", file=sys.stderr
    )
    supervisor = os.environ.get(SUPERVISOR_VARIABLE)
    try:
        while not stopping.wait(1.0):
            if supervisor and str(os.getppid()) != supervisor:
                break  # the supervisor died (SIGKILL): do not live on unsupervised
        print(f"oasis worker {os.getpid()}: stopping", file=sys.stderr)
        runtime.stop(timeout=shutdown_timeout)
    finally:
        context.close()
    return 0


def _child_command(threads: int, shutdown_timeout: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "oasis_server.cli",
        "worker",
        "--processes",
        "1",
        "--threads",
        str(threads),
        "--shutdown-timeout",
        str(shutdown_timeout),
    ]


def _supervise(processes: int, threads: int, shutdown_timeout: float) -> int:
    """Start ``processes`` workers, restart any that dies, pass signals on, wait for all on the way out."""
    stopping = threading.Event()
    signals = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals
        signals += 1
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    command = _child_command(threads, shutdown_timeout)
    environ = {**os.environ, SUPERVISOR_VARIABLE: str(os.getpid())}
    children: list[subprocess.Popen[bytes]] = [
        subprocess.Popen(command, env=environ) for _ in range(processes)
    ]
    restarts = [0] * processes
    print(f"oasis worker: supervising {processes} processes of {threads} thread(s)", file=sys.stderr)
    while not stopping.wait(1.0):
        for index, child in enumerate(children):
            code = child.poll()
            if code is None or stopping.is_set():
                continue
            delay = RESTART_DELAYS[min(restarts[index], len(RESTART_DELAYS) - 1)]
            print(
                f"oasis worker: process {child.pid} exited with {code}; restarting in {delay} s",
                file=sys.stderr,
            )
            if stopping.wait(delay):
                break
            restarts[index] += 1
            children[index] = subprocess.Popen(command, env=environ)
    _stop_children(children, lambda: signals > 1, shutdown_timeout + 15)
    return 0


def _stop_children(children: list[subprocess.Popen[bytes]], hurry: Any, grace: float) -> None:
    """SIGTERM every child and wait; on ``hurry()`` send SIGINT (exit at once); past ``grace`` s, SIGKILL."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    hurried = False
    while any(child.poll() is None for child in children):
        if hurry() and not hurried:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            hurried = True
        if time.monotonic() > deadline:
            for child in children:
                if child.poll() is None:
                    child.kill()
        time.sleep(0.2)
