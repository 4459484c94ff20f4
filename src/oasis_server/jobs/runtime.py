"""Wiring the job queue into a process: the broker, the render, publish and automation actors, a worker
and the sweeper.

``oasis serve`` calls :func:`attach`: with ``REDIS_URL`` it only sends
messages (``oasis worker`` processes render them); without it, it runs a
worker in-process on a stub broker, so the embedded default needs nothing
else. ``oasis worker`` builds a consuming :class:`JobRuntime` on Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import dramatiq

from oasis_server.api.context import ServerContext
from oasis_server.jobs.broker import (
    AUTOMATION_QUEUE,
    AUTOMATION_TIME_LIMIT_MS,
    PUBLISH_QUEUE,
    PUBLISH_TIME_LIMIT_MS,
    RENDER_MAX_RETRIES,
    RENDER_QUEUE,
    RENDER_TIME_LIMIT_MS,
    build_broker,
)
from oasis_server.jobs.heartbeat import Heartbeat
from oasis_server.jobs.render_job import LeaseKeeper, VideoRenderer
from oasis_server.jobs.sweeper import Sweeper
from oasis_server.publishing.automations import AutomationRunner
from oasis_server.publishing.publish_job import PostPublisher
from oasis_server.publishing.scheduler import Scheduler

log = logging.getLogger(__name__)

RENDER_ACTOR = "render_video"
PUBLISH_ACTOR = "publish_post"
AUTOMATION_ACTOR = "run_automation"
EMBEDDED_THREADS = 2
STOP_TIMEOUT_SECONDS = 30.0


def declare_render_actor(broker: dramatiq.Broker, renderer: VideoRenderer) -> dramatiq.Actor[[str], None]:
    """Declare the render actor on ``broker``; its message carries only the video id."""

    def render_video(video_id: str) -> None:
        renderer.run(video_id)

    return dramatiq.Actor(
        render_video,
        broker=broker,
        actor_name=RENDER_ACTOR,
        queue_name=RENDER_QUEUE,
        priority=0,
        options={
            "max_retries": RENDER_MAX_RETRIES,
            "min_backoff": 5_000,
            "max_backoff": 60_000,
            "time_limit": RENDER_TIME_LIMIT_MS,
        },
    )


def declare_publish_actor(
    broker: dramatiq.Broker, publisher: PostPublisher
) -> dramatiq.Actor[[str, str], None]:
    """Declare the publish actor: its message carries a post id and the claim token the scheduler took.

    It is not retried by Dramatiq: the post row decides (a transient failure
    puts the post back to ``pending`` with a backoff; a lost message is found
    by the scheduler when its claim goes stale).
    """

    def publish_post(post_id: str, claim: str) -> None:
        publisher.run(post_id, claim)

    return dramatiq.Actor(
        publish_post,
        broker=broker,
        actor_name=PUBLISH_ACTOR,
        queue_name=PUBLISH_QUEUE,
        priority=0,
        options={"max_retries": 0, "time_limit": PUBLISH_TIME_LIMIT_MS},
    )


def declare_automation_actor(
    broker: dramatiq.Broker, runner: AutomationRunner
) -> dramatiq.Actor[[str, str], None]:
    """Declare the automation actor: its message carries an automation id and the run token the scheduler
    wrote. Not retried by Dramatiq: a run that fails is recorded on the automation, and a lost message
    is sent again by the scheduler while the token waits."""

    def run_automation(automation_id: str, token: str) -> None:
        runner.run(automation_id, token)

    return dramatiq.Actor(
        run_automation,
        broker=broker,
        actor_name=AUTOMATION_ACTOR,
        queue_name=AUTOMATION_QUEUE,
        priority=0,
        options={"max_retries": 0, "time_limit": AUTOMATION_TIME_LIMIT_MS},
    )


class JobRuntime:
    """The job machinery of one process: sends render messages and, if asked, renders them.

    ``consume`` starts a Dramatiq worker with ``threads`` threads, the lease
    keeper and the sweeper; without it the runtime only sends.
    """

    def __init__(self, context: ServerContext, *, consume: bool, threads: int = EMBEDDED_THREADS) -> None:
        self.context = context
        self.broker = build_broker(context.settings, consume=consume)
        self.keeper = LeaseKeeper(context)
        self.renderer = VideoRenderer(context, self.keeper)
        self.actor = declare_render_actor(self.broker, self.renderer)
        self.publish_actor = declare_publish_actor(self.broker, PostPublisher(context))
        self.automation_actor = declare_automation_actor(self.broker, AutomationRunner(context))
        # what this process queues goes to its broker: in `oasis worker`, an automation run's video
        context.enqueue_render = self.send
        self.consume = consume
        self.threads = max(1, threads)
        self.worker: dramatiq.Worker | None = None
        self.sweeper: Sweeper | None = None
        self.heartbeat: Heartbeat | None = None

    def send(self, video_id: str) -> None:
        """Queue a render of ``video_id`` (raises if the broker cannot be reached)."""
        self.actor.send(video_id)

    def send_publish(self, post_id: str, claim: str) -> None:
        """Queue the publishing of a claimed post (raises if the broker cannot be reached)."""
        self.publish_actor.send(post_id, claim)

    def send_run(self, automation_id: str, token: str) -> None:
        """Queue a claimed automation run (raises if the broker cannot be reached)."""
        self.automation_actor.send(automation_id, token)

    def start(self) -> None:
        """Start the worker threads, the lease keeper and the sweeper (when consuming)."""
        if not self.consume:
            return
        self.keeper.start()
        # idle threads poll this often (ms): cheap in-process, one Redis round trip per queue otherwise
        poll = 1000 if self.context.settings.redis_url else 100
        self.worker = dramatiq.Worker(self.broker, worker_threads=self.threads, worker_timeout=poll)
        self.worker.start()
        self.sweeper = Sweeper(self.context, self.send)
        self.sweeper.start()
        if self.context.redis is not None:  # so the API can tell when no worker is running
            self.heartbeat = Heartbeat(self.context.redis)
            self.heartbeat.start()
        log.info("Rendering videos in this process with %d thread(s)", self.threads)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop taking work; wait up to ``timeout`` seconds for running renders, then hand them back."""
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.worker is not None:
            self.worker.stop(timeout=int(timeout * 1000))
            self.keeper.release_all()  # renders still running past the timeout are taken over elsewhere
        self.keeper.stop()
        self.broker.close()


def attach(
    context: ServerContext, *, embedded_worker: bool, scheduler: bool | None = None
) -> Callable[[], None]:
    """Connect ``context.enqueue_render`` to the broker; start an in-process worker if asked.

    ``scheduler`` (default: the same as ``embedded_worker``) also runs the
    post scheduler in this process. Returns a function that stops what was
    started.
    """
    runtime = JobRuntime(context, consume=embedded_worker)
    runtime.start()
    loop: Scheduler | None = None
    if embedded_worker if scheduler is None else scheduler:
        loop = Scheduler(context, runtime.send_publish, runtime.send_run)
        loop.start()

    def stop() -> None:
        if loop is not None:
            loop.stop()
        runtime.stop()

    return stop
