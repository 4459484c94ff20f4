"""Post options through the API: checked before anything is queued (TikTok's privacy against the creator
info read at scheduling time), stored and shown with the post, editable while pending, used by the real
publishers against fakes as strict as the platforms (an unaudited TikTok app, YouTube's videos.insert),
taken by automations; and ``GET /api/social/{platform}/creator``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import func, select, update
from tests.fakes.google_api import FakeGoogle, TlsFiles
from tests.fakes.google_oauth import ACCESS_TOKEN as GOOGLE_ACCESS_TOKEN
from tests.fakes.tiktok_api import DISPLAY_NAME, USERNAME, FakeTikTok
from tests.server.conftest import auth, register
from tests.server.oauth_support import fake_google_tls, fresh_google, oauth_api_env, running_google  # noqa: F401
from tests.server.publishing_support import (  # noqa: F401 - pytest fixtures
    connect_pasted,
    connect_tiktok,
    fresh_tiktok,
    insert_finished_video,
    open_gates,
    publishing_catalog,
    running_tiktok,
    sample_clip,
    wait_for_post,
)

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_plugins.instagram import InstagramPublisher
from oasis_plugins.youtube import YouTubePublisher
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Automation, ScheduledPost

CREATOR_INFO = "/v2/post/publish/creator_info/query/"


@pytest.fixture
def api_env(
    api_env: dict[str, str], tiktok: FakeTikTok, google: FakeGoogle, google_tls: TlsFiles
) -> dict[str, str]:
    """The fake TikTok and the fake Google (through ``oauth_api_env``), a fast scheduler."""
    api_env["OASIS_SCHEDULER_INTERVAL"] = "0.2"
    return api_env


@pytest.fixture
def server_catalog(clip: Path) -> ProviderCatalog:
    """The publishing catalog (renders are copies of ``clip``) with the YouTube and Instagram publishers."""
    catalog = publishing_catalog()
    catalog.add(PortKind.PUBLISHER, YouTubePublisher, plugin="oasis_plugins.youtube")
    catalog.add(PortKind.PUBLISHER, InstagramPublisher, plugin="oasis_plugins.instagram")
    return catalog


@pytest.fixture
def owner(client: TestClient[Any], tiktok: FakeTikTok) -> tuple[str, str]:
    """A user with TikTok connected: (token, id)."""
    token, body = register(client, "ada@example.com")
    connect_tiktok(client, token, tiktok)
    return token, str(body["id"])


@pytest.fixture
def video(context: ServerContext, owner: tuple[str, str], clip: Path) -> str:
    return insert_finished_video(context, owner[1], clip, title="Keep going", duration=4)


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def schedule(client: TestClient[Any], token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/schedule", json=body, headers=auth(token))


def tiktok_post(video: str, when: str, **options: Any) -> dict[str, Any]:
    return {
        "video_id": video,
        "platforms": ["tiktok"],
        "scheduled_time": when,
        "options": {"tiktok": options},
    }


def post_count(context: ServerContext) -> int:
    with context.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ScheduledPost)) or 0)


def refused(response: Any, field: str) -> str:
    """The 400's message, after checking it names ``field``."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert field in body.get("fields", {}), body
    message: str = body["error"]
    return message


# -- TikTok ------------------------------------------------------------------------------------------


def test_a_private_tiktok_post_publishes_through_an_app_tiktok_has_not_audited(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str, tiktok: FakeTikTok
) -> None:
    token, _ = owner
    tiktok.audited = False
    response = schedule(client, token, tiktok_post(video, soon(-1), privacy_level="SELF_ONLY", is_aigc=True))
    assert response.status_code == 201, response.text
    [item] = response.json()["items"]
    assert item["options"] == {
        "privacy_level": "SELF_ONLY",
        "disable_comment": False,
        "disable_duet": False,
        "disable_stitch": True,  # the creator disabled stitches
        "is_aigc": True,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
    }
    assert CREATOR_INFO in [request.path for request in tiktok.requests]  # read at scheduling time
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    info = tiktok.post(str(done.platform_id)).post_info
    assert {name: info[name] for name in item["options"]} == item["options"]
    assert info["title"].startswith("Keep going")

    # the same fake refuses anything but SELF_ONLY, as TikTok refuses an unaudited client
    public = schedule(client, token, tiktok_post(video, soon(-1), privacy_level="PUBLIC_TO_EVERYONE"))
    assert public.status_code == 201, public.text
    failed = wait_for_post(context, public.json()["items"][0]["id"], {"published", "failed"})
    assert failed.status == "failed" and "not audited" in (failed.error or "")


def test_a_privacy_the_creator_does_not_offer_is_refused_when_scheduling(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str, tiktok: FakeTikTok
) -> None:
    token, _ = owner
    tiktok.creator["privacy_level_options"] = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]  # a private account
    message = refused(
        schedule(client, token, tiktok_post(video, soon(60), privacy_level="PUBLIC_TO_EVERYONE")),
        "options.tiktok.privacy_level",
    )
    assert "PUBLIC_TO_EVERYONE" in message and "SELF_ONLY" in message
    assert post_count(context) == 0 and tiktok.inits == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({}, "options.tiktok.privacy_level"),
        ({"privacy_level": "public"}, "options.tiktok.privacy_level"),
        ({"privacy_level": "SELF_ONLY", "brand_content_toggle": True}, "options.tiktok.brand_content_toggle"),
        ({"privacy_level": "SELF_ONLY", "disable_duet": "yes"}, "options.tiktok.disable_duet"),
        ({"privacy_level": "SELF_ONLY", "allow_duet": True}, "options.tiktok.allow_duet"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_bad_tiktok_options_are_400_naming_the_option(
    client: TestClient[Any],
    context: ServerContext,
    owner: tuple[str, str],
    video: str,
    options: Any,
    field: str,
) -> None:
    token, _ = owner
    refused(schedule(client, token, tiktok_post(video, soon(60), **options)), field)
    without = {"video_id": video, "platforms": ["tiktok"], "scheduled_time": soon(60)}
    refused(schedule(client, token, without), "options.tiktok.privacy_level")
    elsewhere = {**without, "options": {"tiktok": {"privacy_level": "SELF_ONLY"}, "youtube": {}}}
    refused(schedule(client, token, elsewhere), "options.youtube")
    assert post_count(context) == 0


def test_options_can_be_changed_while_pending_and_not_once_claimed(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str, tiktok: FakeTikTok
) -> None:
    token, _ = owner
    [item] = schedule(client, token, tiktok_post(video, soon(3600), privacy_level="SELF_ONLY")).json()[
        "items"
    ]
    url = f"/api/schedule/{item['id']}"
    changed = client.put(
        url,
        json={"options": {"tiktok": {"privacy_level": "FOLLOWER_OF_CREATOR", "disable_comment": True}}},
        headers=auth(token),
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["options"]["privacy_level"], changed.json()["options"]["disable_comment"]) == (
        "FOLLOWER_OF_CREATOR",
        True,
    )
    assert client.get(url, headers=auth(token)).json()["options"] == changed.json()["options"]
    tiktok.creator["privacy_level_options"] = ["SELF_ONLY"]
    refused(
        client.put(
            url, json={"options": {"tiktok": {"privacy_level": "MUTUAL_FOLLOW_FRIENDS"}}}, headers=auth(token)
        ),
        "options.tiktok.privacy_level",
    )
    tiktok.creator["privacy_level_options"] = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]
    too_long = client.put(url, json={"content": "x" * 2300}, headers=auth(token))
    refused(too_long, "content")  # the caption is checked with the stored options
    assert client.get(url, headers=auth(token)).json()["options"]["privacy_level"] == "FOLLOWER_OF_CREATOR"
    with context.session() as session:  # a scheduler claims it
        session.execute(
            update(ScheduledPost).where(ScheduledPost.id == item["id"]).values(status="publishing")
        )
    late = client.put(url, json={"options": {"tiktok": {"privacy_level": "SELF_ONLY"}}}, headers=auth(token))
    assert late.status_code == 409, late.text


# -- YouTube -----------------------------------------------------------------------------------------


def test_a_youtube_post_carries_its_title_tags_and_visibility_to_videos_insert(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str, google: FakeGoogle
) -> None:
    token, _ = owner
    connect_pasted(client, token, "youtube", GOOGLE_ACCESS_TOKEN, username="Oasis channel")
    options = {
        "title": "Keep going, always",
        "description": "Made with Oasis #motivation",
        "tags": ["motivation", "deep work"],
        "category_id": "27",
        "privacy": "unlisted",
        "made_for_kids": False,
        "notify_subscribers": False,
        "synthetic_media": True,
    }
    body = {
        "video_id": video,
        "platforms": ["youtube"],
        "scheduled_time": soon(-1),
        "options": {"youtube": options},
    }
    response = schedule(client, token, body)
    assert response.status_code == 201, response.text
    [item] = response.json()["items"]
    assert item["options"] == options
    done = wait_for_post(context, item["id"], {"published", "failed"}, timeout=30)
    assert done.status == "published", done.error
    [insert] = google.inserts
    assert insert["snippet"] == {
        "title": "Keep going, always",
        "description": "Made with Oasis #motivation",
        "categoryId": "27",
        "tags": ["motivation", "deep work"],
    }
    assert insert["status"] == {
        "privacyStatus": "unlisted",
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": True,
    }
    assert insert["query"]["notifySubscribers"] == "false"
    assert google.videos[str(done.platform_id)]["status"]["privacyStatus"] == "unlisted"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"title": "x" * 101}, "options.youtube.title"),
        ({"title": "<b>bold</b>"}, "options.youtube.title"),
        ({"description": "é" * 2501}, "options.youtube.description"),
        ({"tags": ["x" * 250, "y" * 250]}, "options.youtube.tags"),
        ({"privacy": "friends"}, "options.youtube.privacy"),
        ({"category_id": "People"}, "options.youtube.category_id"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_bad_youtube_options_are_400_before_anything_is_queued(
    client: TestClient[Any],
    context: ServerContext,
    owner: tuple[str, str],
    video: str,
    options: Any,
    field: str,
) -> None:
    token, _ = owner
    connect_pasted(client, token, "youtube", GOOGLE_ACCESS_TOKEN)
    body = {
        "video_id": video,
        "platforms": ["youtube"],
        "scheduled_time": soon(60),
        "options": {"youtube": options},
    }
    refused(schedule(client, token, body), field)
    assert post_count(context) == 0


@pytest.mark.parametrize(
    ("snippet", "status", "reason"),
    [
        ({"title": "x" * 101}, {"privacyStatus": "public"}, "invalidTitle"),
        ({"title": "ok"}, {"privacyStatus": "friends"}, "invalidVideoMetadata"),
        ({"title": "ok", "tags": ["x" * 300, "y" * 200]}, {}, "invalidTags"),
        ({"title": "ok", "categoryId": "music"}, {}, "invalidCategoryId"),
    ],
)
def test_the_fake_videos_insert_refuses_what_youtube_refuses(
    google: FakeGoogle, google_tls: TlsFiles, snippet: dict[str, Any], status: dict[str, Any], reason: str
) -> None:
    with httpx.Client(verify=google_tls.client_context()) as http:
        answer = http.post(
            f"{google.url}/upload/youtube/v3/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            headers={"Authorization": f"Bearer {GOOGLE_ACCESS_TOKEN}", "X-Upload-Content-Length": "10"},
            json={"snippet": snippet, "status": status},
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["reason"] == reason
    assert google.inserts == []


# -- Instagram and the creator route -----------------------------------------------------------------


def test_instagram_caption_limits_and_cover_time_are_checked(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    connect_pasted(client, token, "instagram", "sessionid-not-used-here", username="oasis.reels")
    base = {"video_id": video, "platforms": ["instagram"], "scheduled_time": soon(3600)}
    tags = " ".join(f"#t{number}" for number in range(31))
    refused(
        schedule(client, token, {**base, "options": {"instagram": {"caption": tags}}}),
        "options.instagram.caption",
    )
    refused(
        schedule(client, token, {**base, "options": {"instagram": {"cover_time": 9}}}),
        "options.instagram.cover_time",
    )
    chosen = {"caption": "Keep going #motivation", "share_to_feed": False, "cover_time": 2.5}
    response = schedule(client, token, {**base, "options": {"instagram": chosen}})
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["options"] == chosen


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hashtags=st.integers(min_value=0, max_value=40), padding=st.integers(min_value=0, max_value=2300))
def test_a_reel_caption_over_instagrams_limits_is_a_400_naming_it(
    client: TestClient[Any], owner: tuple[str, str], video: str, hashtags: int, padding: int
) -> None:
    token, _ = owner
    connect_pasted(client, token, "instagram", "sessionid-not-used-here", username="oasis.reels")
    caption = " ".join(f"#t{number}" for number in range(hashtags)) + " " + "x" * padding
    body = {
        "video_id": video,
        "platforms": ["instagram"],
        "scheduled_time": soon(3600),
        "options": {"instagram": {"caption": caption}},
    }
    response = schedule(client, token, body)
    if len(caption) <= 2200 and hashtags <= 30:
        assert response.status_code == 201, response.text
    else:
        refused(response, "options.instagram.caption")


def test_the_creator_route_says_what_the_account_allows_now(
    client: TestClient[Any], owner: tuple[str, str], tiktok: FakeTikTok
) -> None:
    token, _ = owner
    tiktok.creator["privacy_level_options"] = ["SELF_ONLY"]
    tiktok.creator["comment_disabled"] = True
    answer = client.get("/api/social/tiktok/creator", headers=auth(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["username"], body["nickname"], body["privacy_options"]) == (
        USERNAME,
        DISPLAY_NAME,
        ["SELF_ONLY"],
    )
    assert (body["comment_disabled"], body["duet_disabled"], body["stitch_disabled"]) == (True, False, True)
    assert body["max_duration_seconds"] == 600 and body["limits"]["caption_chars"] == 2200
    assert client.get("/api/social/youtube/creator", headers=auth(token)).status_code == 404
    connect_pasted(client, token, "youtube", GOOGLE_ACCESS_TOKEN, username="Oasis channel")
    youtube = client.get("/api/social/youtube/creator", headers=auth(token)).json()
    assert (
        youtube["privacy_options"] == ["public", "unlisted", "private"]
        and youtube["limits"]["title_chars"] == 100
    )
    assert client.get("/api/social/myspace/creator", headers=auth(token)).status_code == 400
    other, _ = register(client, "bob@example.com")
    assert client.get("/api/social/tiktok/creator", headers=auth(other)).status_code == 404


# -- automations -------------------------------------------------------------------------------------


def test_an_automation_keeps_checked_options_for_its_posts(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str]
) -> None:
    token, _ = owner
    body = {
        "name": "Daily",
        "cron": "0 9 * * *",
        "timezone": "UTC",
        "category": "motivation",
        "style": "cinematic",
        "platforms": ["tiktok"],
    }
    lacking = {**body, "options": {"tiktok": {"is_aigc": True}}}
    refused(
        client.post("/api/automations", json=lacking, headers=auth(token)), "options.tiktok.privacy_level"
    )
    created = client.post(
        "/api/automations",
        json={**body, "options": {"tiktok": {"privacy_level": "SELF_ONLY"}}},
        headers=auth(token),
    )
    assert created.status_code == 201, created.text
    automation = created.json()
    assert automation["options"]["tiktok"]["privacy_level"] == "SELF_ONLY"
    assert automation["options"]["tiktok"]["disable_stitch"] is True
    url = f"/api/automations/{automation['id']}"
    bad = client.put(url, json={"options": {"tiktok": {"privacy_level": "nope"}}}, headers=auth(token))
    refused(bad, "options.tiktok.privacy_level")
    with context.sessions() as session:
        row = session.get(Automation, automation["id"])
        assert row is not None and row.options == automation["options"]
