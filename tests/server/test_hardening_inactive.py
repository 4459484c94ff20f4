"""Inactive and deleted users' work stops; automation runs are jobs, so a slow provider delays no one else.

An inactive user's automations, posts and renders are never claimed, and work
queued before the deactivation is handed back by the worker, uncounted;
reactivation resumes what is still due. The scheduler only claims and queues:
an automation's language model runs in a worker, so a slow one holds up that
run only, never another user's post.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update
from tests.fakes.tiktok_api import FakeTikTok
from tests.server.conftest import auth, register
from tests.server.publishing_support import (  # noqa: F401 - pytest fixtures
    connect_tiktok,
    fresh_tiktok,
    insert_finished_video,
    open_gates,
    post_row,
    publishing_catalog,
    running_tiktok,
    sample_clip,
    schedule,
    tiktok_env,
    wait_for_post,
    wait_until,
)
from tests.server.video_support import insert_video

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.testing.fakes import FakeLanguageModel
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Automation, ScheduledPost, User, Video
from oasis_server.db.types import utcnow
from oasis_server.jobs import leases
from oasis_server.jobs.leases import PARKED_UNTIL
from oasis_server.jobs.render_job import Lease, LeaseKeeper, VideoRenderer
from oasis_server.jobs.sweeper import sweep
from oasis_server.publishing import automations
from oasis_server.publishing.automations import AutomationRunner
from oasis_server.publishing.publish_job import PostPublisher
from oasis_server.publishing.scheduler import tick

USERS = "/api/admin/users"


class SlowLanguageModel(FakeLanguageModel):
    """A language model that sleeps in ``write_quote`` until :attr:`wake` is set (60 s at most)."""

    id: ClassVar[str] = "slow-llm"
    name: ClassVar[str] = "Slow language model"
    wake = threading.Event()
    asleep = threading.Event()

    def write_quote(self, *args: Any, **kwargs: Any) -> Any:
        """Sleep, then write as the fake does."""
        type(self).asleep.set()
        type(self).wake.wait(60)
        return super().write_quote(*args, **kwargs)


@pytest.fixture(autouse=True)
def _awake() -> Iterator[None]:
    """The slow model answers at once unless a test puts it to sleep; it is woken after every test."""
    SlowLanguageModel.wake.set()
    SlowLanguageModel.asleep.clear()
    yield
    SlowLanguageModel.wake.set()


@pytest.fixture
def api_env(api_env: dict[str, str], tiktok: FakeTikTok) -> dict[str, str]:
    api_env.update(tiktok_env(tiktok))
    api_env.update({"OASIS_SCHEDULER_INTERVAL": "0.1", "OASIS_DEFAULT_PROVIDERS": "llm=slow-llm"})
    return api_env


@pytest.fixture(name="server_catalog")
def slow_catalog(clip: Path) -> ProviderCatalog:
    """The publishing catalog (renders copy ``clip``) with the slow language model as well."""
    catalog = publishing_catalog()
    catalog.add(PortKind.LLM, SlowLanguageModel, plugin="tests")
    return catalog


@pytest.fixture
def api(context: ServerContext) -> Iterator[TestClient[Any]]:
    """The API with no worker and no scheduler: the tests run each step themselves."""
    with TestClient(create_app(context=context, embedded_worker=False)) as client:
        yield client


def set_status(client: TestClient[Any], admin_token: str, user_id: str, status: str) -> None:
    response = client.put(f"{USERS}/{user_id}", json={"status": status}, headers=auth(admin_token))
    assert response.status_code == 200, response.text


def people(client: TestClient[Any]) -> tuple[str, str]:
    """An admin's token and a member's id."""
    admin_token, _ = register(client, "admin@example.com")
    _, member = register(client, "member@example.com")
    return admin_token, str(member["id"])


def add_due_automation(context: ServerContext, user_id: str) -> str:
    now = utcnow()
    with context.session() as session:
        row = Automation(
            user_id=user_id,
            name="Mornings",
            cron="0 9 * * *",
            timezone="UTC",
            category="motivation",
            style="cinematic",
            platforms=["fake"],
            enabled=True,
            next_run_at=now - timedelta(minutes=1),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def add_due_post(context: ServerContext, user_id: str, clip: Path) -> str:
    video_id = insert_finished_video(context, user_id, clip)
    now = utcnow()
    with context.session() as session:
        row = ScheduledPost(
            user_id=user_id,
            video_id=video_id,
            platform="fake",
            scheduled_time=now - timedelta(seconds=5),
            status="pending",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def videos_of(context: ServerContext, user_id: str) -> int:
    with context.sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(Video).where(Video.user_id == user_id)) or 0
        )


def one_pass(context: ServerContext) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A scheduler pass: the posts and automation runs it queued."""
    sent: list[tuple[str, str]] = []
    runs: list[tuple[str, str]] = []
    tick(context, lambda *message: sent.append(message), send_run=lambda *message: runs.append(message))
    return sent, runs


def test_an_inactive_users_work_is_not_claimed_and_resumes_on_reactivation(
    api: TestClient[Any], context: ServerContext, clip: Path
) -> None:
    admin_token, member = people(api)
    automation_id = add_due_automation(context, member)
    post_id = add_due_post(context, member, clip)
    video_id = insert_video(context, member)
    set_status(api, admin_token, member, "inactive")

    assert one_pass(context) == ([], [])
    assert VideoRenderer(context).run(video_id) == "held"
    with context.sessions() as session:
        video = session.get(Video, video_id)
        assert video is not None
        assert (video.status, video.attempts, video.lease_owner, video.lease_until) == (
            "processing",
            0,
            None,
            PARKED_UNTIL,
        )
    resent: list[str] = []
    sweep(context, resent.append, utcnow() + timedelta(days=365))
    assert resent == []  # parked: no sweeper sends it while its owner is inactive

    set_status(api, admin_token, member, "active")
    sweep(context, resent.append)
    assert resent == [video_id]
    sent, runs = one_pass(context)
    assert [post for post, _ in sent] == [post_id]
    assert [automation for automation, _ in runs] == [automation_id]


def test_work_queued_before_the_deactivation_is_handed_back_and_done_after(
    api: TestClient[Any], context: ServerContext, clip: Path
) -> None:
    admin_token, member = people(api)
    automation_id = add_due_automation(context, member)
    post_id = add_due_post(context, member, clip)
    [(_, claim)], [(_, token)] = one_pass(context)
    set_status(api, admin_token, member, "inactive")

    assert PostPublisher(context).run(post_id, claim) == "held"
    post = post_row(context, post_id)
    assert (post.status, post.claim, post.attempts) == ("pending", None, 0)
    assert AutomationRunner(context).run(automation_id, token) == "held"
    with context.sessions() as session:
        automation = session.get(Automation, automation_id)
        assert automation is not None and automation.run_token is None
        assert automation.next_run_at is not None and automation.next_run_at <= utcnow()  # due again
    assert videos_of(context, member) == 1  # the finished one only: nothing was written or rendered
    assert one_pass(context) == ([], [])

    set_status(api, admin_token, member, "active")
    [(_, claim)], [(_, token)] = one_pass(context)
    assert AutomationRunner(context).run(automation_id, token) == "started"
    assert videos_of(context, member) == 2
    assert PostPublisher(context).run(post_id, claim) == "failed"  # started this time (no account connected)
    assert post_row(context, post_id).attempts == 1


def test_a_deleted_users_queued_work_is_skipped(
    api: TestClient[Any], context: ServerContext, clip: Path
) -> None:
    admin_token, member = people(api)
    automation_id = add_due_automation(context, member)
    post_id = add_due_post(context, member, clip)
    video_id = insert_video(context, member)
    [(_, claim)], [(_, token)] = one_pass(context)
    assert api.delete(f"{USERS}/{member}", headers=auth(admin_token)).status_code == 204

    assert AutomationRunner(context).run(automation_id, token) == "skipped"
    assert PostPublisher(context).run(post_id, claim) == "skipped"
    assert VideoRenderer(context).run(video_id) == "skipped"
    assert videos_of(context, member) == 0


def test_a_run_delivered_twice_starts_once_and_a_lost_one_is_sent_again(
    api: TestClient[Any], context: ServerContext
) -> None:
    _, member = people(api)
    automation_id = add_due_automation(context, member)
    _, [(_, token)] = one_pass(context)
    runner = AutomationRunner(context)
    assert [runner.run(automation_id, token), runner.run(automation_id, token)] == ["started", "skipped"]
    assert videos_of(context, member) == 1

    with context.session() as session:  # a claimed run whose message was lost a lease ago
        session.execute(
            update(Automation)
            .where(Automation.id == automation_id)
            .values(run_token="lost-token", updated_at=utcnow() - timedelta(hours=1))
        )
    sent: list[tuple[str, str]] = []
    assert automations.run_due(context, lambda *message: sent.append(message)) == 0
    assert sent == [(automation_id, "lost-token")]
    automations.run_due(context, lambda *message: sent.append(message))
    assert len(sent) == 1  # not again before another lease has passed


def test_a_slow_language_model_does_not_delay_another_users_post(
    client: TestClient[Any], context: ServerContext, tiktok: FakeTikTok, clip: Path
) -> None:
    SlowLanguageModel.wake.clear()
    _, alice = register(client, "alice@example.com")
    bob_token, bob = register(client, "bob@example.com")
    add_due_automation(context, str(alice["id"]))
    wait_until(SlowLanguageModel.asleep.is_set, 20, "the automation's language model to be called")

    connect_tiktok(client, bob_token, tiktok)
    video_id = insert_finished_video(context, str(bob["id"]), clip)
    [item] = schedule(client, bob_token, video_id, datetime.now().astimezone().isoformat())
    done = wait_for_post(
        context, item["id"], {"published", "failed"}, timeout=30
    )  # generous on a busy machine
    assert done.status == "published", done.error
    assert not SlowLanguageModel.wake.is_set() and videos_of(context, str(alice["id"])) == 0  # still asleep

    SlowLanguageModel.wake.set()
    wait_until(lambda: videos_of(context, str(alice["id"])) == 1, 30, "the automation's video")


def test_a_parked_render_resumes_however_its_owner_is_reactivated(
    api: TestClient[Any], context: ServerContext
) -> None:
    _, member = people(api)
    video_id = insert_video(context, member)
    with context.session() as session:  # as a command or another admin tool would
        session.execute(update(User).where(User.id == member).values(status="inactive"))
    assert VideoRenderer(context).run(video_id) == "held"
    with context.session() as session:
        session.execute(update(User).where(User.id == member).values(status="active"))
    resent: list[str] = []
    sweep(context, resent.append)
    assert resent == [video_id]
    assert VideoRenderer(context).run(video_id) == "completed"


def test_a_render_under_way_stops_when_its_owner_is_deactivated(
    api: TestClient[Any], context: ServerContext
) -> None:
    admin_token, member = people(api)
    video_id = insert_video(context, member)
    keeper = LeaseKeeper(context)
    lease = Lease(video_id, "rendering")
    with context.session() as session:
        assert leases.claim(session, video_id, lease.token, utcnow(), 60)
    keeper.add(lease)
    keeper.renew_all()
    assert not lease.lost.is_set()

    set_status(api, admin_token, member, "inactive")
    keeper.renew_all()
    assert lease.lost.is_set()  # the render stops at its next progress report
    with context.sessions() as session:
        video = session.get(Video, video_id)
        assert video is not None
        assert (video.attempts, video.lease_owner, video.lease_until) == (0, None, PARKED_UNTIL)
