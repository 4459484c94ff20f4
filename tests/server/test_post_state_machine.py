"""The posts' compare-and-set moves under every interleaving hypothesis finds, on a real database.

A :class:`RuleBasedStateMachine` plays schedulers, workers and the platform
against :mod:`oasis_server.publishing.posts`: posts are scheduled, claimed by
schedulers (each claim a fresh token, its message queued), started, uploaded
and finished by workers, retried later or failed; workers crash (their claim
goes silent) or stall past the lease and come back (zombies); messages of
dead workers are delivered again (at-least-once); stale claims are
recovered on a fake clock. The platform is a dict that counts uploads, and a
publish with a platform id it already has does not upload again, as the real
publishers do.

Invariants: no post is uploaded twice or published twice; only the claim
holder's moves take effect; ``attempts`` never exceeds the cap; a
``publishing`` post always has a claim and only it; and, run to quiescence,
every post ends ``published``, ``failed`` or ``cancelled``.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from attrs import define
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, update
from tests.server.conftest import build_context, selected_backends
from tests.server.video_support import insert_video, make_user

from oasis_server.api.context import ServerContext
from oasis_server.db.models import ScheduledPost
from oasis_server.publishing import posts

LEASE = 60
MAX_ATTEMPTS = 2
BASE_BACKOFF = 10.0
ENDED = {"published", "failed", "cancelled"}
EXAMPLES = {"sqlite": 150, "mariadb": 40}
MAX_POSTS = 3
"""Few posts per example, so schedulers and workers keep meeting on the same ones."""


@define
class Worker:
    """One message being handled: the post, the claim token it carries, and how far it got."""

    post_id: str
    token: str
    phase: str = "queued"  # queued → started → uploaded
    platform_id: str | None = None


@pytest.fixture(scope="module", params=selected_backends())
def machine_context(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerContext, str, str]]:
    """One migrated database for every example (each example makes its own posts): (context, user, video)."""
    folder: Path = tmp_path_factory.mktemp(f"posts-{request.param}")
    env = {"OASIS_DATA_DIR": str(folder / "data"), "OASIS_BCRYPT_ROUNDS": "4"}
    database = None
    if request.param == "mariadb":
        server = request.getfixturevalue("mariadb")
        database = server.create_database()
        env["DATABASE_URL"] = server.url(database)
    context = build_context(env)
    try:
        user_id = make_user(context)
        video_id = insert_video(context, user_id, status="completed", video_key="videos/x/video.mp4")
        yield context, user_id, video_id
    finally:
        context.close()
        if database is not None:
            server.drop_database(database)


def some(*phases: str) -> Callable[[PostMachine], bool]:
    """A precondition: some worker is in one of ``phases``."""
    return lambda machine: any(worker.phase in phases for worker in machine.workers)


class PostMachine(RuleBasedStateMachine):
    """See the module docs. ``context``, ``user_id`` and ``video_id`` are set on a subclass per test."""

    context: ServerContext
    user_id: str
    video_id: str

    def __init__(self) -> None:
        super().__init__()
        self.clock = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
        self.post_ids: list[str] = []
        self.workers: list[Worker] = []
        self.dead: list[Worker] = []
        self.uploads: Counter[str] = Counter()
        self.platform: dict[str, str] = {}  # platform id → post id, for uploads that completed
        self.published: Counter[str] = Counter()
        self.ids = itertools.count(1)

    # -- helpers -----------------------------------------------------------------------------------
    def row(self, post_id: str) -> ScheduledPost:
        with self.context.sessions() as session:
            found = session.get(ScheduledPost, post_id)
        assert found is not None
        return found

    def holds(self, worker: Worker) -> bool:
        row = self.row(worker.post_id)
        return row.status == "publishing" and row.claim == worker.token

    def pick(self, index: int, *phases: str) -> Worker:
        """One of the workers in one of ``phases``."""
        eligible = [worker for worker in self.workers if worker.phase in phases]
        return eligible[index % len(eligible)]

    def move(self, worker: Worker, action: str, *args: object) -> bool:
        """Do one of the holder's moves; it must take effect exactly when the worker holds the claim."""
        expected = self.holds(worker)
        with self.context.session() as session:
            done = bool(getattr(posts, action)(session, worker.post_id, worker.token, *args))
        assert done == expected, f"{action} by {'the holder' if expected else 'a non-holder'} returned {done}"
        return done

    def publish(self, worker: Worker, *, crash_before_upload: bool = False) -> bool:
        """What a publisher does: reuse a known platform id the platform has, else record a new id, upload."""
        row = self.row(worker.post_id)
        if row.platform_id is not None and row.platform_id in self.platform:
            worker.platform_id = row.platform_id  # the earlier attempt's upload completed: no new upload
            return True
        platform_id = f"pid-{next(self.ids)}"
        if not self.move(worker, "record_platform_id", platform_id):
            return False  # ClaimLost: the worker stops before uploading anything
        if crash_before_upload:
            return False
        self.uploads[worker.post_id] += 1
        self.platform[platform_id] = worker.post_id
        worker.platform_id = platform_id
        return True

    def live_posts(self) -> list[str]:
        """The posts not ended yet."""
        return [row.id for row in self.rows() if row.status not in ENDED]

    def drop(self, worker: Worker) -> None:
        self.workers.remove(worker)

    # -- rules -------------------------------------------------------------------------------------
    @precondition(lambda self: len(self.live_posts()) < MAX_POSTS)
    @rule(delay=st.sampled_from([-30, 0, 1, 30, 2 * LEASE]), content=st.none() | st.text(max_size=5))
    def schedule(self, delay: int, content: str | None) -> None:
        with self.context.session() as session:
            row = ScheduledPost(
                user_id=self.user_id,
                video_id=self.video_id,
                platform="fake",
                content=content,
                scheduled_time=self.clock + timedelta(seconds=delay),
                status="pending",
                attempts=0,
                created_at=self.clock,
                updated_at=self.clock,
            )
            session.add(row)
            session.flush()
            self.post_ids.append(row.id)

    @rule(seconds=st.sampled_from([0, 1, LEASE // 2, LEASE + 1, 3 * LEASE, 3 * 3600]))
    def scheduler_pass(self, seconds: int) -> None:
        """Time passes (a worker that did not renew meanwhile stalled), then a scheduler recovers stale claims."""
        self.clock += timedelta(seconds=seconds)
        with self.context.session() as session:
            posts.recover_stale(session, self.clock, LEASE, MAX_ATTEMPTS)

    @precondition(lambda self: self.live_posts())
    @rule(index=st.integers(0, 10_000), schedulers=st.integers(1, 3))
    def claim(self, index: int, schedulers: int) -> None:
        """Several schedulers try to claim the same post at the same moment: at most one wins."""
        live = self.live_posts()
        post_id = live[index % len(live)]
        before = self.row(post_id)
        due = (
            before.status == "pending"
            and before.scheduled_time <= self.clock
            and (before.not_before is None or before.not_before <= self.clock)
        )
        winners = []
        for _ in range(schedulers):
            token = str(uuid.uuid4())
            with self.context.session() as session:
                if posts.claim(session, post_id, token, self.clock):
                    winners.append(token)
        assert len(winners) == (1 if due else 0)
        if winners:
            after = self.row(post_id)
            assert (after.status, after.claim, after.attempts) == ("publishing", winners[0], before.attempts)
            self.workers.append(Worker(post_id, winners[0]))

    @precondition(lambda self: self.workers)
    @rule(index=st.integers(0, 10_000))
    def work(self, index: int) -> None:
        """A worker takes its next step: start the attempt, publish (upload), or finish."""
        worker = self.pick(index, "queued", "started", "uploaded")
        if worker.phase == "queued":
            before = self.row(worker.post_id).attempts
            held = self.holds(worker)
            with self.context.session() as session:
                started = posts.start(session, worker.post_id, worker.token, self.clock, MAX_ATTEMPTS)
            assert started == (held and before < MAX_ATTEMPTS)
            if started:
                worker.phase = "started"
                assert self.row(worker.post_id).attempts == before + 1
            else:
                if held:  # redelivered once too often: it fails at the cap instead of starting again
                    assert self.row(worker.post_id).status == "failed"
                self.drop(worker)  # a stale message: skipped
        elif worker.phase == "started":
            if self.publish(worker):
                worker.phase = "uploaded"
            else:
                self.drop(worker)  # the claim was lost: the worker stops before uploading
        else:
            assert worker.platform_id is not None
            url = f"https://fake.invalid/{worker.platform_id}"
            if self.move(worker, "finish", self.clock, worker.platform_id, url):
                self.published[worker.post_id] += 1
            self.drop(worker)

    @precondition(some("started", "uploaded"))
    @rule(index=st.integers(0, 10_000))
    def renew(self, index: int) -> None:
        self.move(self.pick(index, "started", "uploaded"), "renew", self.clock)

    @precondition(some("started"))
    @rule(index=st.integers(0, 10_000))
    def crash_mid_upload(self, index: int) -> None:
        """The platform gave its id (stored), then the worker died before the upload completed."""
        worker = self.pick(index, "started")
        self.publish(worker, crash_before_upload=True)
        self.drop(worker)
        self.dead.append(worker)

    @precondition(some("started", "uploaded"))
    @rule(index=st.integers(0, 10_000), retry_after=st.none() | st.floats(0, 7200))
    def retry_later(self, index: int, retry_after: float | None) -> None:
        """A transient failure, handled as :meth:`PostPublisher._retry` does (fail at the cap)."""
        worker = self.pick(index, "started", "uploaded")
        attempts = self.row(worker.post_id).attempts
        if attempts >= MAX_ATTEMPTS:
            self.move(worker, "fail", self.clock, "gave up")
        else:
            wait = posts.backoff_seconds(attempts, retry_after, BASE_BACKOFF)
            self.move(worker, "retry_later", self.clock, wait, "try again")
        self.drop(worker)

    @precondition(some("started", "uploaded"))
    @rule(index=st.integers(0, 10_000))
    def fail(self, index: int) -> None:
        worker = self.pick(index, "started", "uploaded")
        self.move(worker, "fail", self.clock, "refused for good")
        self.drop(worker)

    @precondition(lambda self: self.workers)
    @rule(index=st.integers(0, 10_000))
    def crash(self, index: int) -> None:
        """The worker's process dies: its claim goes silent; its message may be delivered again later."""
        worker = self.pick(index, "queued", "started", "uploaded")
        self.drop(worker)
        self.dead.append(worker)

    @precondition(lambda self: self.dead)
    @rule(index=st.integers(0, 10_000))
    def redeliver(self, index: int) -> None:
        """The broker delivers a dead worker's message again (same post, same token) to a new worker."""
        message = self.dead.pop(index % len(self.dead))
        self.workers.append(Worker(message.post_id, message.token))

    @precondition(lambda self: self.live_posts())
    @rule(index=st.integers(0, 10_000))
    def cancel(self, index: int) -> None:
        """The API's cancel (or change): a compare-and-set on ``pending``; a post publishing is left alone."""
        live = self.live_posts()
        post_id = live[index % len(live)]
        before = self.row(post_id).status
        with self.context.session() as session:
            changed = session.execute(
                update(ScheduledPost)
                .where(ScheduledPost.id == post_id, ScheduledPost.status == "pending")
                .values(status="cancelled", updated_at=self.clock)
            ).rowcount
        assert changed == (1 if before == "pending" else 0)

    # -- invariants --------------------------------------------------------------------------------
    def rows(self) -> list[ScheduledPost]:
        if not self.post_ids:
            return []
        with self.context.sessions() as session:
            found = {
                row.id: row
                for row in session.scalars(select(ScheduledPost).where(ScheduledPost.id.in_(self.post_ids)))
            }
        return [found[post_id] for post_id in self.post_ids]  # in the order they were made: repeatable

    @invariant()
    def nothing_twice(self) -> None:
        assert all(count <= 1 for count in self.uploads.values()), self.uploads
        assert all(count <= 1 for count in self.published.values()), self.published

    @invariant()
    def rows_are_consistent(self) -> None:
        for row in self.rows():
            assert row.attempts <= MAX_ATTEMPTS, (row.id, row.attempts)
            assert (row.status == "publishing") == (row.claim is not None), (row.status, row.claim)
            if row.status == "published":
                assert self.published[row.id] == 1
                assert row.platform_id is not None and self.platform.get(row.platform_id) == row.id
                assert row.published_url == f"https://fake.invalid/{row.platform_id}"
            else:
                assert self.published[row.id] == 0

    def teardown(self) -> None:
        """Every worker dies; schedulers and fresh workers then run until nothing is left to do."""
        if not self.post_ids:
            return
        self.dead.extend(self.workers)
        self.workers.clear()
        for _ in range(4 * MAX_ATTEMPTS + 4):
            self.clock += timedelta(hours=3)  # past every lease and every backoff
            with self.context.session() as session:
                posts.recover_stale(session, self.clock, LEASE, MAX_ATTEMPTS)
            for row in self.rows():
                token = str(uuid.uuid4())
                with self.context.session() as session:
                    if not posts.claim(session, row.id, token, self.clock):
                        continue
                worker = Worker(row.id, token)
                self.workers.append(worker)
                assert self.move(worker, "start", self.clock, MAX_ATTEMPTS)
                assert self.publish(worker)
                assert self.move(
                    worker,
                    "finish",
                    self.clock,
                    worker.platform_id,
                    f"https://fake.invalid/{worker.platform_id}",
                )
                self.published[row.id] += 1
                self.drop(worker)
            if all(row.status in ENDED for row in self.rows()):
                break
        statuses = {row.id: row.status for row in self.rows()}
        assert set(statuses.values()) <= ENDED, statuses
        self.nothing_twice()
        self.rows_are_consistent()
        for post_id, status in statuses.items():
            if status == "published":
                assert self.uploads[post_id] == 1


def test_posts_are_published_at_most_once_whatever_the_interleaving(
    machine_context: tuple[ServerContext, str, str], request: pytest.FixtureRequest
) -> None:
    context, user_id, video_id = machine_context
    machine = type("Machine", (PostMachine,), {"context": context, "user_id": user_id, "video_id": video_id})
    backend = "mariadb" if context.settings.database_url.startswith("mysql") else "sqlite"
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES[backend],
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
