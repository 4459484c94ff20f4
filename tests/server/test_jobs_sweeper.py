"""The sweeper: silent workers and lost messages are found again; the attempt cap ends the story."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from tests.server.video_support import (  # noqa: F401 - pytest fixtures
    HOOKED,
    HOOKS,
    ago,
    clear_hooks,
    insert_video,
    job_catalog,
    job_server_catalog,
    load,
    make_user,
    owner_id,
)

from oasis_server.api.context import ServerContext
from oasis_server.db.types import utcnow
from oasis_server.jobs.render_job import VideoRenderer
from oasis_server.jobs.sweeper import Sweeper, redispatch_wait, sweep, sweep_interval


class Outbox:
    """A broker stand-in that records what was sent (or refuses while ``down``)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.down = False
        self.lock = threading.Lock()

    def __call__(self, video_id: str) -> None:
        if self.down:
            raise ConnectionError("the broker is down")
        with self.lock:
            self.sent.append(video_id)


def test_a_video_whose_worker_went_silent_is_sent_again(context: ServerContext, user_id: str) -> None:
    now = utcnow()
    video_id = insert_video(
        context,
        user_id,
        lease_owner="dead-worker",
        lease_until=ago(now, 1),
        attempts=1,
        stage="compose",
        progress=40,
    )
    outbox = Outbox()
    assert sweep(context, outbox, now=now) == {"resent": 1, "failed": 0}
    assert outbox.sent == [video_id]
    row = load(context, video_id)
    assert row is not None and (row.status, row.stage, row.lease_owner, row.attempts) == (
        "processing",
        "queued",
        None,
        1,
    )
    assert row.progress == 40  # progress is never taken back
    assert row.lease_until is not None and row.lease_until > now


def test_a_queued_video_whose_message_was_lost_is_sent_again(context: ServerContext, user_id: str) -> None:
    now = utcnow()
    lost = insert_video(context, user_id, lease_until=ago(now, 1))
    legacy = insert_video(context, user_id, created_at=ago(now, context.settings.video_lease_seconds + 5))
    fresh = insert_video(context, user_id, lease_until=now + timedelta(seconds=30))
    just_written = insert_video(context, user_id, created_at=ago(now, 2))
    outbox = Outbox()
    assert sweep(context, outbox, now=now) == {"resent": 2, "failed": 0}
    assert sorted(outbox.sent) == sorted([lost, legacy])
    assert fresh not in outbox.sent and just_written not in outbox.sent


def test_live_and_finished_videos_are_left_alone(context: ServerContext, user_id: str) -> None:
    now = utcnow()
    insert_video(context, user_id, lease_owner="alive", lease_until=now + timedelta(seconds=60), attempts=1)
    insert_video(context, user_id, status="completed", lease_until=ago(now, 500))
    insert_video(context, user_id, status="failed", lease_owner="x", lease_until=ago(now, 500))
    outbox = Outbox()
    assert sweep(context, outbox, now=now) == {"resent": 0, "failed": 0}
    assert outbox.sent == []


def test_a_video_that_used_up_its_attempts_fails_with_a_message(context: ServerContext, user_id: str) -> None:
    now = utcnow()
    cap = context.settings.video_max_attempts
    video_id = insert_video(context, user_id, lease_owner="dead", lease_until=ago(now, 1), attempts=cap)
    outbox = Outbox()
    assert sweep(context, outbox, now=now) == {"resent": 0, "failed": 1}
    assert outbox.sent == []
    row = load(context, video_id)
    assert row is not None and row.status == "failed"
    assert row.error == "Rendering failed after 3 attempts; try again"
    assert (row.lease_owner, row.lease_until) == (None, None)


def test_many_sweepers_send_each_video_once(context: ServerContext, user_id: str) -> None:
    now = utcnow()
    ids = [
        insert_video(context, user_id, lease_owner="dead", lease_until=ago(now, 1), attempts=1)
        for _ in range(3)
    ]
    outbox = Outbox()
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        sweep(context, outbox, now=now)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outbox.sent) == sorted(ids)
    assert sweep(context, outbox, now=now + timedelta(seconds=1)) == {"resent": 0, "failed": 0}


def test_when_the_broker_is_down_the_video_is_sent_on_a_later_sweep(
    context: ServerContext, user_id: str
) -> None:
    now = utcnow()
    video_id = insert_video(context, user_id, lease_until=ago(now, 1))
    outbox = Outbox()
    outbox.down = True
    assert sweep(context, outbox, now=now) == {"resent": 0, "failed": 0}
    outbox.down = False
    row = load(context, video_id)
    assert row is not None and row.lease_until is not None
    assert sweep(context, outbox, now=now) == {"resent": 0, "failed": 0}  # not before its new deadline
    assert sweep(context, outbox, now=row.lease_until + timedelta(seconds=1))["resent"] == 1
    assert outbox.sent == [video_id]


def test_re_sends_of_an_unclaimed_video_back_off() -> None:
    now = utcnow()
    lease = 120
    assert redispatch_wait(now, now, lease) == timedelta(seconds=lease)
    assert redispatch_wait(ago(now, 600), now, lease) == timedelta(seconds=600)
    assert redispatch_wait(ago(now, 86_400), now, lease) == timedelta(minutes=30)
    assert sweep_interval(120) == 30 and sweep_interval(4) == 2


def test_a_re_sent_video_is_claimed_and_completed_as_a_new_attempt(
    context: ServerContext, user_id: str
) -> None:
    now = utcnow()
    video_id = insert_video(
        context, user_id, lease_owner="dead", lease_until=ago(now, 1), attempts=1, providers=HOOKED
    )
    outbox = Outbox()
    sweep(context, outbox, now=now)
    renderer = VideoRenderer(context)
    assert [renderer.run(sent) for sent in outbox.sent] == ["completed"]
    assert renderer.run(video_id) == "skipped"  # a late redelivery of the first message
    row = load(context, video_id)
    assert row is not None and (row.status, row.attempts) == ("completed", 2)


def test_the_sweeper_thread_sweeps_at_once_and_stops(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id, lease_until=ago(utcnow(), 1))
    outbox = Outbox()
    sweeper = Sweeper(context, outbox)
    sweeper.start()
    deadline = time.monotonic() + 10
    while not outbox.sent and time.monotonic() < deadline:
        time.sleep(0.02)
    sweeper.stop()
    assert not sweeper.is_alive()
    assert outbox.sent == [video_id]
