"""``oasis scheduler``: publish scheduled posts on time and start automation runs.

It claims due posts (a compare-and-set in the database, so any number of
schedulers may run) and sends each to the ``posts`` queue, where ``oasis
worker`` processes publish them; it also recovers posts whose worker went
silent, and sweeps for videos whose render message was lost. Without
``REDIS_URL`` there is nothing to send to: ``oasis serve`` then runs the
scheduler in-process, and this command is not needed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from oasis_core.errors import OasisError

log = logging.getLogger(__name__)


def register(commands: Any) -> None:
    """Add the ``scheduler`` sub-command."""
    scheduler = commands.add_parser(
        "scheduler", help="publish scheduled posts and run automations (needs REDIS_URL)"
    )
    scheduler.set_defaults(handler=run_scheduler)


def run_scheduler(args: argparse.Namespace) -> int:
    """Tick until SIGTERM or Ctrl-C."""
    from oasis_server.api.context import ServerContext
    from oasis_server.cli.health_command import HEARTBEAT_SECONDS, touch_heartbeat
    from oasis_server.cli.server_commands import prepare_database
    from oasis_server.jobs.runtime import JobRuntime
    from oasis_server.jobs.sweeper import Sweeper
    from oasis_server.publishing.scheduler import Scheduler
    from oasis_server.settings import Settings

    settings = Settings.from_env()
    if not settings.redis_url:
        raise OasisError(
            "oasis scheduler needs REDIS_URL (the workers take the posts from Redis); without it, "
            "`oasis serve` schedules and publishes in-process"
        )
    prepare_database(settings)
    if logging.getLogger().level > logging.INFO:
        logging.getLogger("oasis_server").setLevel(logging.INFO)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    context = ServerContext.build(settings)
    runtime = JobRuntime(context, consume=False)
    loop = Scheduler(context, runtime.send_publish, runtime.send_run)
    sweeper = Sweeper(context, runtime.send)
    loop.start()
    sweeper.start()
    print(f"oasis scheduler {os.getpid()}: running; stop with Ctrl-C", file=sys.stderr)
    try:
        touch_heartbeat()
        while not stopping.wait(HEARTBEAT_SECONDS):
            if loop.is_alive() and sweeper.is_alive():  # `oasis health --scheduler` reads it
                touch_heartbeat()
        print(f"oasis scheduler {os.getpid()}: stopping", file=sys.stderr)
    finally:
        loop.stop()
        sweeper.stop()
        runtime.stop()
        context.close()
    return 0
