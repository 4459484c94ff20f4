"""Exactly-once publishing across processes: three ``oasis scheduler`` and two ``oasis worker`` processes
share one database (SQLite, then MariaDB) and one Redis, and publish twenty due posts to a fake TikTok on
127.0.0.1 through the real ``tiktok`` publisher.

Uploads are slow (the fake waits before taking each chunk), so a worker can
be SIGKILLed in the middle of one; another worker is then started. Every post
ends ``published`` (or ``failed`` with a reason), and the fake counts exactly
one completed upload for each published post and never two for any post:
the post killed mid-upload is taken over once its claim (6 s lease) goes
stale, and the retry finishes TikTok's post from the stored publish id
instead of uploading a second copy.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.deployment import Deployment, wait_for
from tests.fakes.instagram_api import write_test_clip
from tests.fakes.tiktok_api import USERNAME, FakeTikTok
from tests.server.conftest import build_context, selected_backends
from tests.server.publishing_support import insert_finished_video, tiktok_env
from tests.server.video_support import make_user
from tests.services import RedisServer

from oasis_core.domain.publishing import SocialAccount
from oasis_server.api.context import ServerContext
from oasis_server.db.models import ScheduledPost
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.types import utcnow
from oasis_server.publishing.accounts import store_account

pytestmark = pytest.mark.slow

POSTS = 20
SCHEDULERS = 3
CHUNK_DELAY = 1.0
"""Seconds the fake waits before taking a chunk: each upload is slow enough to be killed in the middle."""


class SlowTikTok(FakeTikTok):
    """The fake TikTok, taking each chunk only after :data:`CHUNK_DELAY` seconds; counts uploads in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.uploading = 0
        self._flight = threading.Lock()

    def _upload(self, request: Any, match: Any) -> Any:
        with self._flight:
            self.uploading += 1
        try:
            time.sleep(CHUNK_DELAY)
        finally:
            with self._flight:
                self.uploading -= 1
        return super()._upload(request, match)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_clip(tmp_path_factory.mktemp("exactly-once") / "clip.mp4")


@pytest.fixture
def tiktok() -> Iterator[SlowTikTok]:
    fake = SlowTikTok()
    fake.processing_polls = 0
    with fake.running():
        yield fake


@pytest.fixture(params=selected_backends())
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, private_redis: RedisServer, tiktok: SlowTikTok
) -> Iterator[Deployment]:
    extra = {
        **tiktok_env(tiktok),
        "OASIS_POST_LEASE_SECONDS": "6",
        "OASIS_SCHEDULER_INTERVAL": "0.5",
        "OASIS_POST_BACKOFF_SECONDS": "1",
    }
    database = None
    if request.param == "mariadb":
        server = request.getfixturevalue("mariadb")
        database = server.create_database()
        extra["DATABASE_URL"] = server.url(database)
    setup = Deployment(tmp_path, private_redis, **extra)
    try:
        upgraded = setup.oasis("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        yield setup
    finally:
        setup.stop_workers()
        if database is not None:
            server.drop_database(database)


@pytest.fixture
def context(deployment: Deployment) -> Iterator[ServerContext]:
    """The test's own view of the deployment's database and files (nothing runs in it)."""
    ctx = build_context(dict(deployment.env), migrate=False)
    yield ctx
    ctx.close()


def connect(context: ServerContext, user_id: str, fake: FakeTikTok) -> None:
    """Store a TikTok account whose tokens the fake knows, as ``POST /api/social/connect`` would."""
    tokens = fake.issue_tokens()
    account = SocialAccount("tiktok", USERNAME, tokens["access_token"], tokens["refresh_token"])
    with context.session() as session:
        row = AccountRow(user_id=user_id, platform="tiktok", connected_at=utcnow())
        store_account(row, account, context.secrets)
        session.add(row)


def schedule_posts(context: ServerContext, user_id: str, clip: Path) -> dict[str, str]:
    """``POSTS`` finished videos, each with a post due now; returns post id → the video's title."""
    titles = [f"Exactly once #{number:02d}" for number in range(POSTS)]
    videos = {title: insert_finished_video(context, user_id, clip, title=title) for title in titles}
    now = utcnow()
    made: dict[str, str] = {}
    with context.session() as session:
        for title, video_id in videos.items():
            post = ScheduledPost(
                user_id=user_id,
                video_id=video_id,
                platform="tiktok",
                scheduled_time=now,
                status="pending",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            session.add(post)
            session.flush()
            made[post.id] = title
    return made


def rows(context: ServerContext, post_ids: list[str]) -> list[ScheduledPost]:
    with context.sessions() as session:
        return list(session.scalars(select(ScheduledPost).where(ScheduledPost.id.in_(post_ids))))


def uploads_by_title(fake: FakeTikTok) -> Counter[str]:
    """Completed uploads, per post title (the caption begins with the video's title)."""
    with fake._state:
        counted: Counter[str] = Counter()
        for publish_id, count in fake.completed_uploads.items():
            title = fake.posts[publish_id].post_info["title"].split("\n", 1)[0]
            counted[title] += count
        return counted


def test_posts_are_published_exactly_once_by_several_schedulers_and_workers_with_a_worker_killed(
    deployment: Deployment, context: ServerContext, tiktok: SlowTikTok, clip: Path
) -> None:
    user_id = make_user(context)
    connect(context, user_id, tiktok)
    posts = schedule_posts(context, user_id, clip)
    post_ids = list(posts)

    first = deployment.start_worker()
    deployment.start_worker()
    for _ in range(SCHEDULERS):
        deployment.start_scheduler()

    def describe() -> str:
        return str(Counter(row.status for row in rows(context, post_ids)))

    wait_for(lambda: tiktok.uploading >= 2, deployment, 90, "both workers to be uploading", describe)
    first.send_signal(signal.SIGKILL)  # one of the two uploads in flight is its own
    first.wait(10)
    killed_at = time.monotonic()
    deployment.start_worker()

    wait_for(
        lambda: all(row.status in {"published", "failed"} for row in rows(context, post_ids)),
        deployment,
        120,
        "every post to be published",
        describe,
    )
    ended = rows(context, post_ids)
    failed = {row.id: row.error for row in ended if row.status == "failed"}
    assert all(failed.values()), f"a post failed without a reason: {failed}"
    assert not failed, f"posts failed: {failed}\n{deployment.log_text()}"

    # one completed upload per post, under the publish id stored on the post
    counted = uploads_by_title(tiktok)
    assert counted == Counter(dict.fromkeys(posts.values(), 1)), counted
    with tiktok._state:
        completed = Counter(tiktok.completed_uploads)
    assert sorted(completed.values()) == [1] * POSTS
    for row in ended:
        assert completed[row.platform_id] == 1, (posts[row.id], row.platform_id)
        assert row.published_url and row.published_url.startswith(
            f"https://www.tiktok.com/@{USERNAME}/video/"
        )
        assert row.claim is None and row.error is None
    assert len({row.platform_id for row in ended}) == POSTS

    # the post in the killed worker's hands was taken over: a second attempt, after the lease
    assert max(row.attempts for row in ended) >= 2, [row.attempts for row in ended]
    assert time.monotonic() - killed_at >= 6  # not before the killed worker's claim went stale

    # the schedulers and the live workers stop cleanly on SIGTERM
    deployment.stop_workers()
    stopped = [process.returncode for process in deployment.workers if process is not first]
    assert stopped == [0] * (SCHEDULERS + 2), f"{stopped}\n{deployment.log_text()}"
    assert "Traceback" not in deployment.log_text()
