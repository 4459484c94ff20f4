"""``/api/schedule``: scheduling a video on platforms, listing, changing and cancelling posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.fakes.tiktok_api import FakeTikTok
from tests.server.conftest import auth, register
from tests.server.publishing_support import (  # noqa: F401 - pytest fixtures
    PUBLIC_TIKTOK,
    clip_server_catalog,
    connect_pasted,
    connect_tiktok,
    fresh_tiktok,
    insert_finished_video,
    open_gates,
    post_row,
    running_tiktok,
    sample_clip,
    tiktok_env,
    wait_for_post,
)
from tests.server.video_support import insert_video

from oasis_server.api.context import ServerContext


@pytest.fixture
def api_env(api_env: dict[str, str], tiktok: FakeTikTok) -> dict[str, str]:
    api_env.update(tiktok_env(tiktok))
    api_env["OASIS_SCHEDULER_INTERVAL"] = "0.2"
    return api_env


@pytest.fixture
def owner(client: TestClient[Any], tiktok: FakeTikTok) -> tuple[str, str]:
    """A user with ``fake`` and ``tiktok`` connected: (token, id)."""
    token, body = register(client, "ada@example.com")
    connect_pasted(client, token, "fake", "fake-token")
    connect_tiktok(client, token, tiktok)
    return token, str(body["id"])


@pytest.fixture
def video(context: ServerContext, owner: tuple[str, str], clip: Path) -> str:
    return insert_finished_video(context, owner[1], clip)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def post(client: TestClient[Any], token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/schedule", json=body, headers=auth(token))


def test_one_post_per_platform(client: TestClient[Any], owner: tuple[str, str], video: str) -> None:
    token, _ = owner
    when = later(days=1).replace(microsecond=0)
    response = post(
        client,
        token,
        {
            "video_id": video,
            "platforms": ["tiktok", "FAKE", "tiktok"],
            "scheduled_time": iso(when),
            "content": "Hi",
            "options": PUBLIC_TIKTOK,
        },
    )
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [item["platform"] for item in items] == ["tiktok", "fake"]
    for item in items:
        assert item["video_id"] == video
        assert item["status"] == "pending"
        assert item["content"] == "Hi"
        assert item["attempts"] == 0
        assert parse(item["scheduled_time"]) == when
        assert item["published_url"] is None and item["error"] is None
        assert set(item) >= {"id", "created_at", "updated_at"}
    assert len({item["id"] for item in items}) == 2


def test_a_time_with_an_offset_is_stored_in_utc(
    client: TestClient[Any], owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    local = (later(days=2).astimezone(UTC) + timedelta(hours=2)).replace(microsecond=0, tzinfo=None)
    response = post(
        client,
        token,
        {
            "video_id": video,
            "platforms": ["tiktok"],
            "scheduled_time": f"{local.isoformat()}+02:00",
            "options": PUBLIC_TIKTOK,
        },
    )
    assert response.status_code == 201, response.text
    assert parse(response.json()["items"][0]["scheduled_time"]) == local.replace(tzinfo=UTC) - timedelta(
        hours=2
    )


def test_a_time_in_the_past_means_as_soon_as_possible(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    before = datetime.now(UTC)
    response = post(
        client, token, {"video_id": video, "platforms": ["fake"], "scheduled_time": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 201, response.text
    item = response.json()["items"][0]
    assert before <= parse(item["scheduled_time"]) <= datetime.now(UTC)
    done = wait_for_post(context, item["id"], {"published", "failed"})
    assert done.status == "published", done.error
    assert done.published_url and done.published_url.startswith("https://fake.invalid/")


def test_a_platform_not_connected_is_400_and_nothing_is_scheduled(
    client: TestClient[Any], context: ServerContext, clip: Path
) -> None:
    token, body = register(client, "bob@example.com")
    connect_pasted(client, token, "fake", "fake-token")
    video = insert_finished_video(context, str(body["id"]), clip)
    response = post(
        client,
        token,
        {"video_id": video, "platforms": ["fake", "tiktok"], "scheduled_time": iso(later(hours=1))},
    )
    assert response.status_code == 400, response.text
    assert "Connect tiktok first" in response.json()["error"]
    assert client.get("/api/schedule/list", headers=auth(token)).json()["total"] == 0


def test_an_expired_account_counts_as_not_connected(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str
) -> None:
    from sqlalchemy import update

    from oasis_server.db.models import SocialAccount

    token, user_id = owner
    with context.session() as session:
        session.execute(
            update(SocialAccount)
            .where(SocialAccount.user_id == user_id, SocialAccount.platform == "tiktok")
            .values(status="expired")
        )
    response = post(
        client, token, {"video_id": video, "platforms": ["tiktok"], "scheduled_time": iso(later(hours=1))}
    )
    assert response.status_code == 400
    assert "Connect tiktok first" in response.json()["error"]


def test_an_unknown_platform_is_400_listing_the_platforms(
    client: TestClient[Any], owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    response = post(
        client, token, {"video_id": video, "platforms": ["myspace"], "scheduled_time": iso(later(hours=1))}
    )
    assert response.status_code == 400
    assert "myspace" in response.json()["error"] and "fake, tiktok" in response.json()["error"]


def test_someone_elses_video_or_no_video_is_404(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str
) -> None:
    other, _ = register(client, "bob@example.com")
    connect_pasted(client, other, "fake", "fake-token")
    for video_id in (video, "no-such-video"):
        response = post(
            client,
            other,
            {"video_id": video_id, "platforms": ["fake"], "scheduled_time": iso(later(hours=1))},
        )
        assert response.status_code == 404, response.text
    assert client.get("/api/schedule/list", headers=auth(other)).json()["total"] == 0


def test_a_video_that_failed_to_render_cannot_be_scheduled(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str]
) -> None:
    token, user_id = owner
    failed = insert_video(context, user_id, status="failed", error="boom")
    response = post(
        client, token, {"video_id": failed, "platforms": ["fake"], "scheduled_time": iso(later(hours=1))}
    )
    assert response.status_code == 400
    assert "failed to render" in response.json()["error"]


def test_a_video_still_rendering_can_be_scheduled(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str]
) -> None:
    token, user_id = owner
    rendering = insert_video(context, user_id, lease_until=later(hours=1))
    response = post(
        client, token, {"video_id": rendering, "platforms": ["fake"], "scheduled_time": iso(later(hours=1))}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scheduled_time": "2030-01-01T09:00:00"}, "scheduled_time"),
        ({"scheduled_time": "next tuesday at nine"}, "scheduled_time"),
        ({"scheduled_time": "9999-99-99T99:99:99Z"}, "scheduled_time"),
        ({"scheduled_time": 1767258000}, "scheduled_time"),
        ({"platforms": "tiktok"}, "platforms"),
        ({"platforms": []}, "platforms"),
        ({"platforms": [1]}, "platforms"),
        ({"platforms": ["fake"] * 11}, "platforms"),
        ({"video_id": 7}, "video_id"),
        ({"video_id": ""}, "video_id"),
        ({"content": 5}, "content"),
        ({"content": "x" * 5001}, "content"),
        ({"privacy": "public"}, "privacy"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_bad_bodies_are_400(
    client: TestClient[Any], owner: tuple[str, str], video: str, change: dict[str, Any], field: str
) -> None:
    token, _ = owner
    body = {"video_id": video, "platforms": ["fake"], "scheduled_time": iso(later(hours=1)), **change}
    response = post(client, token, body)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert client.get("/api/schedule/list", headers=auth(token)).json()["total"] == 0


def test_a_time_more_than_a_year_ahead_is_400(
    client: TestClient[Any], owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    response = post(
        client, token, {"video_id": video, "platforms": ["fake"], "scheduled_time": iso(later(days=400))}
    )
    assert response.status_code == 400
    assert "a year" in response.json()["error"]


def test_list_get_change_and_cancel(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    first, second = later(days=1).replace(microsecond=0), later(days=2).replace(microsecond=0)
    [late] = post(
        client,
        token,
        {"video_id": video, "platforms": ["tiktok"], "scheduled_time": iso(second), "options": PUBLIC_TIKTOK},
    ).json()["items"]
    [early] = post(
        client, token, {"video_id": video, "platforms": ["fake"], "scheduled_time": iso(first)}
    ).json()["items"]

    page = client.get("/api/schedule/list", headers=auth(token)).json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 20, 0)
    assert [item["id"] for item in page["items"]] == [early["id"], late["id"]]  # soonest first
    assert (
        client.get("/api/schedule/list", params={"limit": 1, "offset": 1}, headers=auth(token)).json()[
            "items"
        ][0]["id"]
        == late["id"]
    )
    assert client.get(f"/api/schedule/{early['id']}", headers=auth(token)).json() == early

    moved = first + timedelta(hours=5)
    changed = client.put(
        f"/api/schedule/{early['id']}",
        json={"scheduled_time": iso(moved), "content": "New caption"},
        headers=auth(token),
    )
    assert changed.status_code == 200, changed.text
    assert parse(changed.json()["scheduled_time"]) == moved
    assert changed.json()["content"] == "New caption"
    assert changed.json()["status"] == "pending"
    caption_only = client.put(f"/api/schedule/{early['id']}", json={"content": "Again"}, headers=auth(token))
    assert (caption_only.json()["content"], parse(caption_only.json()["scheduled_time"])) == ("Again", moved)
    past = client.put(
        f"/api/schedule/{early['id']}", json={"scheduled_time": "2001-01-01T00:00:00Z"}, headers=auth(token)
    )
    assert past.status_code == 200
    assert parse(past.json()["scheduled_time"]) > datetime.now(UTC) - timedelta(minutes=1)  # the past: now
    bad = client.put(
        f"/api/schedule/{late['id']}", json={"scheduled_time": "2030-01-01 09:00"}, headers=auth(token)
    )
    assert bad.status_code == 400

    assert client.delete(f"/api/schedule/{late['id']}", headers=auth(token)).status_code == 204
    assert client.get(f"/api/schedule/{late['id']}", headers=auth(token)).json()["status"] == "cancelled"
    cancelled = client.get("/api/schedule/list", params={"status": "cancelled"}, headers=auth(token)).json()
    assert [item["id"] for item in cancelled["items"]] == [late["id"]]
    assert (
        client.get("/api/schedule/list", params={"status": "bogus"}, headers=auth(token)).status_code == 400
    )

    again = client.delete(f"/api/schedule/{late['id']}", headers=auth(token))
    assert again.status_code == 409
    assert "cancelled" in again.json()["error"]
    change = client.put(f"/api/schedule/{late['id']}", json={"content": "Too late"}, headers=auth(token))
    assert change.status_code == 409
    assert post_row(context, late["id"]).content is None


def test_a_published_post_can_no_longer_be_changed_or_cancelled(
    client: TestClient[Any], context: ServerContext, owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    [item] = post(
        client, token, {"video_id": video, "platforms": ["fake"], "scheduled_time": iso(later(seconds=-5))}
    ).json()["items"]
    assert wait_for_post(context, item["id"], {"published", "failed"}).status == "published"
    assert (
        client.put(f"/api/schedule/{item['id']}", json={"content": "x"}, headers=auth(token)).status_code
        == 409
    )
    assert client.delete(f"/api/schedule/{item['id']}", headers=auth(token)).status_code == 409
    listed = client.get("/api/schedule/list", params={"status": "published"}, headers=auth(token)).json()
    assert [entry["id"] for entry in listed["items"]] == [item["id"]]
    assert listed["items"][0]["published_url"].startswith("https://fake.invalid/")


def test_users_cannot_see_or_touch_each_others_posts(
    client: TestClient[Any], owner: tuple[str, str], video: str
) -> None:
    token, _ = owner
    [item] = post(
        client, token, {"video_id": video, "platforms": ["fake"], "scheduled_time": iso(later(days=1))}
    ).json()["items"]
    other, _ = register(client, "bob@example.com")
    assert client.get("/api/schedule/list", headers=auth(other)).json() == {
        "items": [],
        "total": 0,
        "limit": 20,
        "offset": 0,
    }
    assert client.get(f"/api/schedule/{item['id']}", headers=auth(other)).status_code == 404
    assert (
        client.put(f"/api/schedule/{item['id']}", json={"content": "mine"}, headers=auth(other)).status_code
        == 404
    )
    assert client.delete(f"/api/schedule/{item['id']}", headers=auth(other)).status_code == 404
    assert client.get(f"/api/schedule/{item['id']}", headers=auth(token)).json() == item
    for missing in ("no-such-post", "x" * 64):
        assert client.get(f"/api/schedule/{missing}", headers=auth(token)).status_code == 404
        assert client.delete(f"/api/schedule/{missing}", headers=auth(token)).status_code == 404
        assert client.put(f"/api/schedule/{missing}", json={}, headers=auth(token)).status_code == 404


def test_the_schedule_routes_need_a_token(client: TestClient[Any]) -> None:
    assert client.get("/api/schedule/list").status_code == 401
    assert client.get("/api/schedule/x").status_code == 401
    assert client.post("/api/schedule", json={}).status_code in {400, 401}
    assert client.delete("/api/schedule/x").status_code == 401
