"""Publishing scheduled posts, end to end in one process: the app's embedded scheduler claims due posts,
its embedded worker publishes them to a fake TikTok on 127.0.0.1 through the real ``tiktok`` publisher.
Then automations: each due run writes, renders and schedules once, however many schedulers tick.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update
from tests.fakes.tiktok_api import USERNAME, FakeTikTok, rate_limited, refused, token_invalid
from tests.server.conftest import auth, register
from tests.server.publishing_support import (  # noqa: F401 - pytest fixtures
    GATES,
    PUBLIC_TIKTOK,
    account_row,
    clip_server_catalog,
    connect_pasted,
    connect_tiktok,
    fresh_tiktok,
    insert_finished_video,
    open_gates,
    post_row,
    running_tiktok,
    sample_clip,
    schedule,
    tiktok_env,
    uploads,
    wait_for_post,
    wait_until,
)
from tests.server.video_support import VIDEO_REQUEST, insert_video, make_user

from oasis_core.errors import ProviderError
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.cli.app import main
from oasis_server.db.models import Automation, ScheduledPost, Video
from oasis_server.db.types import utcnow
from oasis_server.publishing import automations, posts, scheduler
from oasis_server.publishing.publish_job import PostPublisher

EVERY_MINUTE = "* * * * *"


@pytest.fixture
def api_env(api_env: dict[str, str], tiktok: FakeTikTok) -> dict[str, str]:
    api_env.update(tiktok_env(tiktok))
    api_env.update({"OASIS_SCHEDULER_INTERVAL": "0.2", "OASIS_POST_BACKOFF_SECONDS": "0.5"})
    return api_env


@pytest.fixture
def owner(client: TestClient[Any]) -> tuple[str, str]:
    """A signed-in user: (token, id)."""
    token, body = register(client, "ada@example.com")
    return token, str(body["id"])


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def inits(fake: FakeTikTok) -> int:
    return len(fake.inits)


# -- publishing ------------------------------------------------------------------------------------


def test_a_finished_video_is_published_once_at_its_time(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    video = insert_finished_video(context, user_id, clip, title="Keep going")
    [item] = schedule(client, token, video, soon(2))
    threading.Event().wait(1.0)
    assert post_row(context, item["id"]).status == "pending", "published before its time"
    assert inits(tiktok) == 0

    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    assert done.updated_at >= done.scheduled_time
    assert (done.attempts, done.error, done.claim) == (1, None, None)
    assert done.platform_id in tiktok.posts
    tiktok_post = tiktok.post(done.platform_id)
    assert done.published_url == f"https://www.tiktok.com/@{USERNAME}/video/{tiktok_post.post_id}"
    assert uploads(tiktok) == {done.platform_id: 1}
    assert tiktok_post.post_info["title"].startswith("Keep going")
    shown = client.get(f"/api/schedule/{item['id']}", headers=auth(token)).json()
    assert (shown["status"], shown["published_url"], shown["error"]) == (
        "published",
        done.published_url,
        None,
    )
    threading.Event().wait(0.6)  # a few more scheduler passes change nothing
    assert uploads(tiktok) == {done.platform_id: 1}
    assert post_row(context, item["id"]).status == "published"


def test_the_caption_is_the_posts_content(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    video = insert_finished_video(context, user_id, clip, title="Title", description="From the video")
    body = {
        "video_id": video,
        "platforms": ["tiktok"],
        "scheduled_time": soon(-1),
        "content": "My own caption",
        "options": PUBLIC_TIKTOK,
    }
    [item] = client.post("/api/schedule", json=body, headers=auth(token)).json()["items"]
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    title = tiktok.post(done.platform_id).post_info["title"]
    assert "My own caption" in title and "From the video" not in title


def test_a_post_of_a_video_still_rendering_waits_for_it(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, _ = owner
    connect_tiktok(client, token, tiktok)
    gate = GATES["compose"] = threading.Event()
    queued = client.post("/api/video/generate", json=VIDEO_REQUEST, headers=auth(token))
    assert queued.status_code == 202, queued.text
    video_id = queued.json()["id"]
    [item] = schedule(client, token, video_id, soon(-60))
    threading.Event().wait(1.0)
    waiting = post_row(context, item["id"])
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    # nothing but the creator info, read when the post was scheduled
    assert [request.path for request in tiktok.requests] == ["/v2/post/publish/creator_info/query/"]

    gate.set()
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    with context.sessions() as session:
        video = session.get(Video, video_id)
    assert video is not None and video.status == "completed"
    assert sum(uploads(tiktok).values()) == 1


def test_a_post_of_a_video_that_failed_to_render_fails_with_the_reason(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    video_id = insert_video(context, user_id, lease_until=utcnow() + timedelta(hours=1))
    [item] = schedule(client, token, video_id, soon(-1))
    with context.session() as session:
        session.execute(update(Video).where(Video.id == video_id).values(status="failed", error="boom"))
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert (done.status, done.error) == ("failed", "The video failed to render, so it was not published")
    assert tiktok.inits == []  # only the creator info was read, when the post was scheduled


def test_a_rejected_token_is_refreshed_and_the_post_published(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    tokens = connect_tiktok(client, token, tiktok)
    [item] = schedule(client, token, insert_finished_video(context, user_id, clip), soon(1.5))
    tiktok.fail_next(token_invalid())  # after scheduling, which reads the creator info
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    assert done.attempts == 1
    assert len(tiktok.requests_to(r"/v2/oauth/token/$")) == 1
    assert sum(uploads(tiktok).values()) == 1

    row = account_row(context, user_id, "tiktok")
    assert row is not None and row.status == "active"
    access = context.secrets.decrypt(row.access_token)
    refresh = context.secrets.decrypt(row.refresh_token or "")
    assert access != tokens["access_token"] and access in tiktok.access_tokens
    assert refresh != tokens["refresh_token"] and refresh in tiktok.refresh_tokens  # TikTok rotated it
    assert tokens["refresh_token"] not in tiktok.refresh_tokens
    assert row.token_expires_at is not None and row.token_expires_at > utcnow()
    assert tokens["access_token"] not in row.access_token


def test_a_rate_limit_puts_the_post_back_with_a_backoff_then_it_is_published(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    [item] = schedule(client, token, insert_finished_video(context, user_id, clip), soon(1.5))
    tiktok.fail_next(rate_limited("2"))  # after scheduling, which reads the creator info

    def retried() -> bool:
        row = post_row(context, item["id"])
        return row.status != "publishing" and row.attempts >= 1

    wait_until(retried, 20, "the first attempt to end", lambda: vars(post_row(context, item["id"])))
    waiting = post_row(context, item["id"])
    assert (waiting.status, waiting.attempts) == ("pending", 1), waiting.error
    assert waiting.error and "rate limit" in waiting.error
    assert waiting.not_before is not None
    assert waiting.not_before >= waiting.updated_at + timedelta(seconds=1.9)  # at least what TikTok asked
    shown = client.get(f"/api/schedule/{item['id']}", headers=auth(token)).json()
    assert (shown["status"], shown["error"]) == ("pending", waiting.error)

    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    assert (done.attempts, done.error) == (2, None)
    assert done.updated_at >= waiting.not_before
    assert sum(uploads(tiktok).values()) == 1


def test_a_permanent_refusal_fails_the_post_with_the_reason(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    [item] = schedule(client, token, insert_finished_video(context, user_id, clip), soon(1.5))
    tiktok.fail_next(refused("spam_risk_too_many_posts"))  # after scheduling, which reads the creator info
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "failed"
    assert (done.error or "").startswith(
        "This TikTok account has reached TikTok's daily limit of posts made through apps: try again tomorrow"
    )
    assert done.attempts == 1
    assert uploads(tiktok) == {}
    shown = client.get(f"/api/schedule/{item['id']}", headers=auth(token)).json()
    assert (shown["status"], shown["error"]) == ("failed", done.error)
    assert account_row(context, user_id, "tiktok").status == "active"  # type: ignore[union-attr]


def test_a_video_tiktok_fails_after_the_upload_fails_the_post(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    tiktok.fail_reason = "video_pull_failed"
    [item] = schedule(client, token, insert_finished_video(context, user_id, clip), soon(-1))
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "failed" and done.error
    assert done.platform_id in tiktok.posts  # the id was stored before the upload
    assert sum(uploads(tiktok).values()) == 1


def test_a_refused_token_fails_the_post_and_expires_the_account(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_pasted(client, token, "tiktok", tiktok.issue_tokens()["access_token"])  # no refresh token
    first_video = insert_finished_video(context, user_id, clip)
    [first] = schedule(client, token, first_video, soon(1.5))
    [second] = schedule(client, token, insert_finished_video(context, user_id, clip), soon(4.5))
    with tiktok._state:  # TikTok forgets the token after the posts were scheduled
        tiktok.access_tokens.clear()
    done = wait_for_post(context, first["id"], {"published", "failed"})
    assert done.status == "failed"
    assert "connect the TikTok account again" in (done.error or "")
    assert "Reconnect your tiktok account" in (done.error or "")

    [account] = client.get("/api/social/list", headers=auth(token)).json()["items"]
    assert account["status"] == "expired"
    assert "connect the TikTok account again" in account["message"]
    requests_so_far = len(tiktok.requests)

    # the other post of that account fails without asking TikTok again
    later = wait_for_post(context, second["id"], {"published", "failed"})
    assert later.status == "failed"
    assert "connect the TikTok account again" in (later.error or "")
    assert len(tiktok.requests) == requests_so_far
    # and nothing new can be scheduled on it until it is connected again
    refused_now = client.post(
        "/api/schedule",
        json={"video_id": first_video, "platforms": ["tiktok"], "scheduled_time": soon(60)},
        headers=auth(token),
    )
    assert refused_now.status_code == 400
    connect_tiktok(client, token, tiktok)
    [account] = client.get("/api/social/list", headers=auth(token)).json()["items"]
    assert (account["status"], account.get("message")) == ("active", None)


def test_many_posts_of_one_user_are_each_published_once(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    items = [
        schedule(client, token, insert_finished_video(context, user_id, clip), soon(-1))[0] for _ in range(6)
    ]
    done = [wait_for_post(context, item["id"], {"published", "failed"}) for item in items]
    assert [row.status for row in done] == ["published"] * 6, [row.error for row in done]
    assert len({row.platform_id for row in done}) == 6
    assert uploads(tiktok) == {row.platform_id: 1 for row in done}


# -- claims and backlog (the scheduler's moves, driven by hand) ---------------------------------------------


def due_post(context: ServerContext, clip: Path) -> str:
    """A pending TikTok post, due now, of a new user's finished video; returns its id."""
    user_id = make_user(context)
    video = insert_finished_video(context, user_id, clip)
    with context.session() as session:
        row = ScheduledPost(
            user_id=user_id, video_id=video, platform="tiktok", scheduled_time=utcnow(), status="pending"
        )
        session.add(row)
        session.flush()
        return row.id


def test_a_claim_waiting_in_the_queue_past_the_lease_is_sent_again_without_counting_an_attempt(
    context: ServerContext, clip: Path
) -> None:
    """A post whose message waits behind others longer than the lease must not be failed for it."""
    post_id = due_post(context, clip)
    sent: list[tuple[str, str]] = []
    lease = context.settings.post_lease_seconds
    now = utcnow()
    for _ in range(context.settings.post_max_attempts + 3):
        tick(context, lambda post, claim: sent.append((post, claim)), now)
        now += timedelta(seconds=lease + 1)  # nobody started it: the message is still queued
    row = post_row(context, post_id)
    assert row.status in {"pending", "publishing"}, row.error
    assert row.attempts == 0
    assert len(sent) == context.settings.post_max_attempts + 3
    assert len({claim for _, claim in sent}) == len(sent)


def test_a_claim_whose_message_cannot_be_sent_goes_back_to_pending(
    context: ServerContext, clip: Path
) -> None:
    post_id = due_post(context, clip)

    def broker_down(post: str, claim: str) -> None:
        raise ConnectionError("redis is down")

    assert tick(context, broker_down)["sent"] == 0
    back = post_row(context, post_id)
    assert (back.status, back.claim, back.attempts) == ("pending", None, 0)
    sent: list[tuple[str, str]] = []
    assert tick(context, lambda post, claim: sent.append((post, claim)))["sent"] == 1
    assert sent == [(post_id, post_row(context, post_id).claim)]


# -- automations ---------------------------------------------------------------------------------------


def tick(context: ServerContext, send: scheduler.SendPublish, now: datetime | None = None) -> dict[str, int]:
    """A scheduler pass whose queued automation runs are run at once, in this thread, by the worker's code."""
    return scheduler.tick(context, send, now, send_run=automations.AutomationRunner(context).run)


def add_automation(context: ServerContext, user_id: str, next_run_at: datetime | None, **values: Any) -> str:
    now = utcnow()
    fields: dict[str, Any] = {
        "user_id": user_id,
        "name": "Daily motivation",
        "cron": EVERY_MINUTE,
        "timezone": "Europe/Paris",
        "category": "motivation",
        "style": "cinematic",
        "platforms": ["tiktok", "fake"],
        "caption": "Made by a robot",
        "enabled": True,
        "next_run_at": next_run_at,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    with context.session() as session:
        row = Automation(**fields)
        session.add(row)
        session.flush()
        return row.id


def automation_row(context: ServerContext, automation_id: str) -> Automation:
    with context.sessions() as session:
        row = session.get(Automation, automation_id)
    assert row is not None
    return row


def made(context: ServerContext, user_id: str) -> tuple[list[Video], list[ScheduledPost]]:
    with context.sessions() as session:
        videos = list(session.scalars(select(Video).where(Video.user_id == user_id)))
        made_posts = list(session.scalars(select(ScheduledPost).where(ScheduledPost.user_id == user_id)))
    return videos, made_posts


def nothing(post_id: str, claim: str) -> None:
    """A scheduler's send that drops the message (these tests look only at automation runs)."""


def test_a_due_automation_makes_one_video_and_its_posts(context: ServerContext) -> None:
    user_id = make_user(context)
    queued: list[str] = []
    context.enqueue_render = queued.append
    automation_id = add_automation(context, user_id, utcnow() - timedelta(seconds=5))
    now = utcnow()
    counts = tick(context, nothing, now)
    assert counts["automations"] == 1

    videos, made_posts = made(context, user_id)
    assert len(videos) == 1 and queued == [videos[0].id]
    video = videos[0]
    assert (video.status, video.category, video.style, video.title) == (
        "processing",
        "motivation",
        "cinematic",
        "Daily motivation",
    )
    assert video.content and video.visual_prompt
    assert sorted(p.platform for p in made_posts) == ["fake", "tiktok"]
    for made_post in made_posts:
        assert (made_post.video_id, made_post.status, made_post.automation_id, made_post.content) == (
            video.id,
            "pending",
            automation_id,
            "Made by a robot",
        )
        assert made_post.scheduled_time == now
    row = automation_row(context, automation_id)
    assert row.last_run_at == now and row.last_error is None
    assert row.next_run_at is not None and now < row.next_run_at <= now + timedelta(minutes=1)
    assert row.next_run_at.second == 0 and row.next_run_at.microsecond == 0

    assert tick(context, nothing, now)["automations"] == 0  # the same moment again: nothing
    assert len(made(context, user_id)[0]) == 1


def test_concurrent_schedulers_run_a_due_automation_once(context: ServerContext) -> None:
    user_id = make_user(context)
    add_automation(context, user_id, utcnow() - timedelta(seconds=1))
    now = utcnow()
    start = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait(5)
            results.append(tick(context, nothing, now)["automations"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 1]
    videos, made_posts = made(context, user_id)
    assert len(videos) == 1 and len(made_posts) == 2


def test_a_stale_copy_of_an_automation_cannot_claim_the_run_again(context: ServerContext) -> None:
    user_id = make_user(context)
    automation_id = add_automation(context, user_id, utcnow() - timedelta(seconds=1))
    stale = automation_row(context, automation_id)
    now = utcnow()
    assert automations.claim_run(context, stale, now) is not None
    assert automations.claim_run(context, stale, now) is None
    assert automations.claim_run(context, stale, now + timedelta(minutes=5)) is None


def test_missed_runs_are_caught_up_once(context: ServerContext) -> None:
    user_id = make_user(context)
    automation_id = add_automation(context, user_id, utcnow() - timedelta(hours=1))  # 60 ticks missed
    now = utcnow()
    assert tick(context, nothing, now)["automations"] == 1
    assert tick(context, nothing, now + timedelta(seconds=1))["automations"] == 0
    assert len(made(context, user_id)[0]) == 1
    row = automation_row(context, automation_id)
    assert row.next_run_at is not None and now < row.next_run_at <= now + timedelta(minutes=1)


def test_a_disabled_automation_does_not_run(context: ServerContext) -> None:
    user_id = make_user(context)
    add_automation(context, user_id, utcnow() - timedelta(minutes=5), enabled=False)
    assert tick(context, nothing)["automations"] == 0
    assert made(context, user_id) == ([], [])


def test_a_failed_run_is_recorded_and_not_repeated_at_once(
    context: ServerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ProviderError("The language model is unavailable", provider="fake-llm")

    monkeypatch.setattr(automations, "generate_quote", refuse)
    user_id = make_user(context)
    automation_id = add_automation(context, user_id, utcnow() - timedelta(seconds=1))
    now = utcnow()
    assert tick(context, nothing, now)["automations"] == 1  # queued; the run then failed in the worker
    row = automation_row(context, automation_id)
    assert row.last_error == "The language model is unavailable"
    assert row.next_run_at is not None and row.next_run_at > now
    assert tick(context, nothing, now)["automations"] == 0
    assert made(context, user_id) == ([], [])


def test_an_automation_runs_end_to_end_through_the_api(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    body = {
        "name": "New year",
        "cron": "0 0 1 1 *",
        "timezone": "Europe/Paris",
        "category": "motivation",
        "style": "cinematic",
        "platforms": ["TikTok"],
        "caption": "Happy new year",
        "options": PUBLIC_TIKTOK,
    }
    created = client.post("/api/automations", json=body, headers=auth(token))
    assert created.status_code == 201, created.text
    automation = created.json()
    assert automation["platforms"] == ["tiktok"] and automation["enabled"] is True
    next_run = datetime.fromisoformat(automation["next_run_at"].replace("Z", "+00:00"))
    assert next_run.month in {12, 1} and next_run > datetime.now(UTC)
    assert next_run.astimezone(ZoneInfo("Europe/Paris")).strftime("%m-%d %H:%M") == ("01-01 00:00")

    with context.session() as session:  # the run is due now
        session.execute(
            update(Automation)
            .where(Automation.id == automation["id"])
            .values(next_run_at=utcnow() - timedelta(minutes=1))
        )

    def one_post() -> bool:
        return len(made(context, user_id)[1]) == 1

    wait_until(one_post, 20, "the automation's post")
    [made_post] = made(context, user_id)[1]
    done = wait_for_post(context, made_post.id, {"published", "failed"}, timeout=30)
    assert done.status == "published", done.error
    assert "Happy new year" in tiktok.post(done.platform_id).post_info["title"]
    videos, made_posts = made(context, user_id)
    assert len(videos) == 1 and len(made_posts) == 1
    assert sum(uploads(tiktok).values()) == 1
    shown = client.get(f"/api/automations/{automation['id']}", headers=auth(token)).json()
    assert shown["last_run_at"] is not None and shown["last_error"] is None
    assert datetime.fromisoformat(shown["next_run_at"].replace("Z", "+00:00")) == next_run


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "* * * * * *"}, "cron"),
        ({"cron": "every day"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"category": "nope"}, "nope"),
        ({"style": "nope"}, "nope"),
        ({"platforms": ["myspace"]}, "myspace"),
    ],
    ids=lambda value: str(value)[:24],
)
def test_bad_automations_are_400(
    client: TestClient[Any], owner: tuple[str, str], change: dict[str, Any], word: str
) -> None:
    token, _ = owner
    body = {
        "name": "Bad",
        "cron": EVERY_MINUTE,
        "timezone": "UTC",
        "category": "motivation",
        "style": "cinematic",
        "platforms": ["tiktok"],
        **change,
    }
    response = client.post("/api/automations", json=body, headers=auth(token))
    assert response.status_code == 400, response.text
    assert word in response.json()["error"]
    assert client.get("/api/automations", headers=auth(token)).json() == {"items": []}


def test_automations_are_private_and_can_be_changed_and_deleted(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str]
) -> None:
    token, _ = owner
    body = {
        "name": "Mine",
        "cron": "0 9 * * 1-5",
        "timezone": "UTC",
        "category": "motivation",
        "style": "cinematic",
        "platforms": ["fake"],
    }
    automation = client.post("/api/automations", json=body, headers=auth(token)).json()
    other, _ = register(client, "bob@example.com")
    assert client.get("/api/automations", headers=auth(other)).json() == {"items": []}
    for call in (client.get, client.delete):
        assert call(f"/api/automations/{automation['id']}", headers=auth(other)).status_code == 404
    assert (
        client.put(
            f"/api/automations/{automation['id']}", json={"name": "x"}, headers=auth(other)
        ).status_code
        == 404
    )

    disabled = client.put(
        f"/api/automations/{automation['id']}", json={"enabled": False}, headers=auth(token)
    )
    assert disabled.status_code == 200, disabled.text
    assert (disabled.json()["enabled"], disabled.json()["next_run_at"]) == (False, None)
    enabled = client.put(
        f"/api/automations/{automation['id']}",
        json={"enabled": True, "cron": "30 8 * * *"},
        headers=auth(token),
    ).json()
    next_run = datetime.fromisoformat(enabled["next_run_at"].replace("Z", "+00:00"))
    assert (next_run.hour, next_run.minute) == (8, 30)
    assert client.delete(f"/api/automations/{automation['id']}", headers=auth(token)).status_code == 204
    assert client.get(f"/api/automations/{automation['id']}", headers=auth(token)).status_code == 404
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Automation)) == 0


def test_changing_an_automation_keeps_a_due_run_unless_the_schedule_changes(context: ServerContext) -> None:
    with TestClient(create_app(context=context, embedded_worker=False)) as client:  # no scheduler: we tick
        changing_an_automation(client, context)


def changing_an_automation(client: TestClient[Any], context: ServerContext) -> None:
    token, body = register(client, "ada@example.com")
    user_id = str(body["id"])
    due = utcnow() - timedelta(minutes=3)
    automation_id = add_automation(context, user_id, due, platforms=["fake"])
    last_run = utcnow() - timedelta(days=1)
    with context.session() as session:
        session.execute(update(Automation).values(last_run_at=last_run))
    path = f"/api/automations/{automation_id}"

    renamed = client.put(path, json={"name": "  Mornings  ", "caption": "New words"}, headers=auth(token))
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["caption"]) == ("Mornings", "New words")
    row = automation_row(context, automation_id)
    assert (row.next_run_at, row.last_run_at, row.cron) == (due, last_run, EVERY_MINUTE)  # still due
    assert tick(context, nothing, utcnow())["automations"] == 1
    assert [post.content for post in made(context, user_id)[1]] == ["New words"]

    before = utcnow()
    moved = client.put(path, json={"cron": "15 6 * * *"}, headers=auth(token))
    assert moved.status_code == 200, moved.text
    row = automation_row(context, automation_id)
    assert row.next_run_at is not None and row.next_run_at > before
    assert row.next_run_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M") == "06:15"
    assert row.name == "Mornings"  # what was not sent stays

    blank = client.put(path, json={"name": "   "}, headers=auth(token))
    assert blank.status_code == 400 and "name" in blank.json()["error"]
    assert automation_row(context, automation_id).name == "Mornings"


def test_backoff_doubles_from_the_base_up_to_an_hour_and_respects_retry_after() -> None:
    assert [posts.backoff_seconds(n, base=30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert posts.backoff_seconds(20, base=30) == 3600
    assert posts.backoff_seconds(5000, base=30) == 3600
    assert posts.backoff_seconds(1, retry_after=90, base=30) == 90
    assert posts.backoff_seconds(1, retry_after=10 * 86400, base=30) == 86400
    assert posts.backoff_seconds(1, base=0.5) == 0.5


def test_two_posts_of_one_account_refreshing_its_token_at_once_are_both_published(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], tiktok: FakeTikTok, clip: Path
) -> None:
    """TikTok rotates refresh tokens: of two workers refreshing with the same one, one is refused."""
    token, user_id = owner
    connect_tiktok(client, token, tiktok, expires_at=soon(60))  # expires within TikTok's refresh margin
    videos = [insert_finished_video(context, user_id, clip) for _ in range(2)]
    items = [schedule(client, token, video, soon(-1))[0] for video in videos]
    done = [wait_for_post(context, item["id"], {"published", "failed"}) for item in items]
    assert [row.status for row in done] == ["published", "published"], [row.error for row in done]
    assert account_row(context, user_id, "tiktok").status == "active"  # type: ignore[union-attr]
    assert sum(uploads(tiktok).values()) == 2


def test_tokens_refreshed_while_the_account_was_connected_again_do_not_overwrite_the_new_ones(
    client: TestClient[Any],
    context: ServerContext,
    owner: tuple[str, str],
    tiktok: FakeTikTok,
    clip: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, user_id = owner
    connect_tiktok(client, token, tiktok)
    fetching, go_on = threading.Event(), threading.Event()
    fetch = PostPublisher._fetch

    def slow_fetch(self: PostPublisher, video: Video, folder: Path) -> Path:
        fetching.set()
        assert go_on.wait(20)
        return fetch(self, video, folder)

    monkeypatch.setattr(PostPublisher, "_fetch", slow_fetch)
    [item] = schedule(client, token, insert_finished_video(context, user_id, clip), soon(-1))
    assert fetching.wait(20)
    newest = connect_tiktok(client, token, tiktok)  # the user connects the account again meanwhile
    tiktok.fail_next(token_invalid())  # the worker's (older) token is refused: it refreshes it
    go_on.set()
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    assert len(tiktok.requests_to(r"/v2/oauth/token/$")) == 1
    row = account_row(context, user_id, "tiktok")
    assert row is not None and row.status == "active"
    assert context.secrets.decrypt(row.access_token) == newest["access_token"]


def test_oasis_scheduler_needs_redis(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OASIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert main(["scheduler"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("oasis: error: oasis scheduler needs REDIS_URL")
    assert "oasis serve" in error


def ticks(cron: str, start: datetime, count: int, timezone: str = "Europe/Paris") -> list[str]:
    """The next ``count`` runs after ``start``, as local wall-clock times with their UTC offsets."""
    moments, moment = [], start
    for _ in range(count):
        moment = automations.next_run(cron, timezone, moment)
        moments.append(moment.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M%z"))
    return moments


def test_a_fixed_hour_runs_once_when_the_clocks_go_back() -> None:
    night = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # Paris goes from +02:00 to +01:00 at 03:00
    assert ticks("30 2 * * *", night, 3) == ["10-25 02:30+0200", "10-26 02:30+0100", "10-27 02:30+0100"]
    assert ticks("*/30 2 * * *", night, 3) == ["10-25 02:00+0200", "10-25 02:30+0200", "10-26 02:00+0100"]
    # a wildcard hour keeps the real clock: the repeated hour runs again
    assert ticks("0 * * * *", night, 4) == [
        "10-25 02:00+0200",
        "10-25 02:00+0100",
        "10-25 03:00+0100",
        "10-25 04:00+0100",
    ]


def test_a_tick_in_the_hour_skipped_when_the_clocks_go_forward_runs_just_after_it() -> None:
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # Paris goes from +01:00 to +02:00 at 02:00
    assert ticks("30 2 * * *", night, 2) == ["03-29 03:00+0200", "03-30 02:30+0200"]
    assert ticks("0 9 * * 1-5", night, 2, "America/New_York") == ["03-30 09:00-0400", "03-31 09:00-0400"]
