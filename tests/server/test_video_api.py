"""The video routes with fake providers (renders are instant): inputs, providers, keys, lists, owners."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import func, select
from tests.server.conftest import auth, register
from tests.server.video_support import (
    VIDEO_REQUEST,
    final_status,
    insert_video,
    load,
    make_user,
    server_fake_catalog,
    stored_files,
    wait_for_status,
)

from oasis_core.catalog import ProviderCatalog
from oasis_server.api.context import ServerContext
from oasis_server.db.models import ApiKey, ScheduledPost, Video
from oasis_server.db.types import utcnow
from oasis_server.jobs.sweeper import sweep

LISTED = [
    "id",
    "title",
    "description",
    "category",
    "content",
    "visual_prompt",
    "style",
    "status",
    "url",
    "thumbnail_url",
    "duration",
    "created_at",
    "updated_at",
]
VIDEO = VIDEO_REQUEST


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    return server_fake_catalog()


@pytest.fixture
def token(client: TestClient[Any]) -> str:
    return register(client, "ada@example.com")[0]


def generate(client: TestClient[Any], token: str, **body: Any) -> Any:
    return client.post("/api/video/generate", json=body, headers=auth(token))


def video_count(context: ServerContext) -> int:
    with context.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Video)) or 0)


def save_key(context: ServerContext, user_id: str, name: str, key: str) -> None:
    with context.session() as session:
        session.add(
            ApiKey(user_id=user_id, provider=name, api_key=context.secrets.encrypt(key), key_hint=key[-4:])
        )


# --- writing quotes and prompts ---------------------------------------------------------------


def test_a_quote_for_a_category(client: TestClient[Any], token: str) -> None:
    response = generate(client, token, type="quote", category="stoicism")
    assert response.status_code == 200, response.text
    assert response.json()["content"] == "Fake stoicism quote number 1."


def test_a_new_quote_avoids_the_users_recent_videos(client: TestClient[Any], token: str) -> None:
    first = generate(client, token, type="quote", category="hope").json()["content"]
    accepted = generate(client, token, **{**VIDEO, "category": "hope", "content": first})
    assert accepted.status_code == 202
    assert generate(client, token, type="quote", category="hope").json()["content"] != first


def test_a_visual_prompt_from_content_category_and_style(client: TestClient[Any], token: str) -> None:
    response = generate(
        client, token, type="visual_prompt", content="Be brave.", category="courage", style="neon"
    )
    assert response.status_code == 200, response.text
    prompt = response.json()["content"]
    assert prompt.startswith("Be brave. — fearless, dramatic, heroic — neon glow")
    default_style = generate(client, token, type="visual_prompt", content="Be brave.", category="courage")
    assert "cinematic wide shot" in default_style.json()["content"]


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"type": "poem", "category": "motivation"}, "type", "'poem' is not an accepted value"),
        ({"category": "motivation"}, "type", "type: Required"),
        ({"type": "quote"}, "category", "category: Required"),
        ({"type": "quote", "category": "astrology"}, "category", "Unknown category 'astrology'"),
        ({"type": "quote", "category": ""}, "category", "At least 1 character"),
        ({"type": "quote", "category": "hope", "extra": 1}, "extra", "Not a field of this request"),
        ({"type": "visual_prompt", "category": "hope"}, "content", "content: Required"),
        ({"type": "visual_prompt", "category": "hope", "content": "   "}, "content", "The content is empty"),
        ({"type": "visual_prompt", "category": "hope", "content": "x", "style": "sepia"}, "style", "sepia"),
        ({**VIDEO, "content": "x" * 1001}, "content", "At most 1000 characters"),
        ({**VIDEO, "visual_prompt": "y" * 1001}, "visual_prompt", "At most 1000 characters"),
        ({**VIDEO, "title": "t" * 256}, "title", "At most 255 characters"),
        ({**VIDEO, "description": "d" * 5001}, "description", "At most 5000 characters"),
        ({**VIDEO, "content": ""}, "content", "At least 1 character"),
        ({**VIDEO, "content": " \n "}, "content", "The content is empty"),
        ({**VIDEO, "visual_prompt": "  "}, "visual_prompt", "The visual_prompt is empty"),
        ({k: v for k, v in VIDEO.items() if k != "style"}, "style", "style: Required"),
        ({**VIDEO, "style": "sepia"}, "style", "Unknown style 'sepia' (choose from: cinematic"),
        ({**VIDEO, "aspect": "4:3"}, "aspect", "Unknown aspect '4:3' (choose from: 9:16, 1:1, 16:9)"),
        (
            {**VIDEO, "voice": "robot"},
            "voice",
            "Unknown voice 'robot' for fake-speech (choose from: fake-a, fake-b)",
        ),
        ({**VIDEO, "category": "astrology"}, "category", "Unknown category"),
        ({**VIDEO, "providers": {"music": "x"}}, "providers.music", "Not a field of this request"),
        (
            {**VIDEO, "providers": {"speech": "nope"}},
            "providers.speech",
            "No speech provider 'nope' is installed (choose from: fake-speech, keyed-speech)",
        ),
        ({**VIDEO, "providers": {"llm": "gpt"}}, "providers.llm", "No llm provider 'gpt' is installed"),
        (
            {"type": "quote", "category": "hope", "providers": {"visuals": "dalle"}},
            "providers.visuals",
            "No visuals provider 'dalle' is installed (choose from: fake-visuals)",
        ),
        (
            {"type": "quote", "category": "hope", "providers": {"llm": "gpt"}},
            "providers.llm",
            "No llm provider 'gpt' is installed (choose from: fake-llm, keyed-llm)",
        ),
    ],
)
def test_bad_input_is_400_with_the_error_body_and_queues_nothing(
    client: TestClient[Any],
    token: str,
    context: ServerContext,
    body: dict[str, Any],
    field: str | None,
    words: str,
) -> None:
    response = client.post("/api/video/generate", json=body, headers=auth(token))
    assert response.status_code == 400, response.text
    answer = response.json()
    assert words in answer["error"]
    if field is not None:
        assert field in answer["fields"]
    assert "Traceback" not in response.text
    assert video_count(context) == 0


def test_a_body_that_is_not_json_is_400(client: TestClient[Any], token: str) -> None:
    response = client.post(
        "/api/video/generate",
        content=b"{not json",
        headers={**auth(token), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_every_video_route_needs_a_token(client: TestClient[Any]) -> None:
    some_id = "00000000-0000-4000-8000-000000000000"
    assert client.post("/api/video/generate", json=VIDEO).status_code == 401
    assert client.get(f"/api/video/generate/{some_id}/status").status_code == 401
    assert client.get("/api/video/list").status_code == 401
    assert client.get(f"/api/video/{some_id}").status_code == 401
    assert client.delete(f"/api/video/delete/{some_id}").status_code == 401


# --- providers and keys -----------------------------------------------------------------------


def test_a_provider_that_needs_a_key_nobody_has_is_400_naming_the_key(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    response = generate(client, token, type="quote", category="hope", providers={"llm": "keyed-llm"})
    assert response.status_code == 400
    message = response.json()["error"]
    assert "keyed-llm" in message and "openai" in message and "OPENAI_API_KEY" in message
    video = generate(client, token, **VIDEO, providers={"speech": "keyed-speech"})
    assert video.status_code == 400
    assert "elevenlabs" in video.json()["error"]
    assert video_count(context) == 0


def test_the_users_own_key_comes_first_then_the_servers(
    api_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    api_env["OPENAI_API_KEY"] = "sk-server"
    client: TestClient[Any] = request.getfixturevalue("client")
    context: ServerContext = request.getfixturevalue("context")
    token, user = register(client, "ada@example.com")
    chosen = generate(client, token, type="quote", category="hope", providers={"llm": "keyed-llm"})
    assert chosen.json()["content"] == "Written with key sk-server."
    save_key(context, user["id"], "openai", "sk-mine")
    chosen = generate(client, token, type="quote", category="hope", providers={"llm": "keyed-llm"})
    assert chosen.json()["content"] == "Written with key sk-mine."


def test_without_a_choice_a_provider_the_user_has_a_key_for_is_used(
    client: TestClient[Any], context: ServerContext
) -> None:
    token, user = register(client, "ada@example.com")
    assert generate(client, token, type="quote", category="hope").json()["content"].startswith("Fake hope")
    save_key(context, user["id"], "elevenlabs", "el-key")
    quote = generate(client, token, type="quote", category="hope").json()
    assert quote["content"].startswith("Fake hope") and quote["provider"] == "fake-llm"
    save_key(context, user["id"], "openai", "sk-mine")
    quote = generate(client, token, type="quote", category="hope").json()
    assert quote["content"] == "Written with key sk-mine." and quote["provider"] == "keyed-llm"
    video_id = generate(client, token, **VIDEO).json()["id"]
    final_status(client, token, video_id)
    providers = client.get(f"/api/video/{video_id}", headers=auth(token)).json()["providers"]
    assert providers == {"speech": "keyed-speech", "visuals": "fake-visuals", "compositor": "fake-compositor"}


def test_the_servers_key_makes_its_provider_the_servers_default(
    api_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    api_env["OPENAI_API_KEY"] = "sk-server"
    client: TestClient[Any] = request.getfixturevalue("client")
    token, _ = register(client, "ada@example.com")
    assert generate(client, token, type="quote", category="hope").json()["content"] == (
        "Written with key sk-server."
    )
    listing = client.get("/api/providers", headers=auth(token)).json()
    assert [item["id"] for item in listing["llm"] if item["default"]] == ["keyed-llm"]
    assert [item["id"] for item in listing["speech"] if item["default"]] == ["fake-speech"]


def test_a_users_saved_defaults_come_before_their_keys(
    client: TestClient[Any], context: ServerContext
) -> None:
    token, user = register(client, "ada@example.com")
    save_key(context, user["id"], "openai", "sk-mine")
    assert client.get("/api/providers/defaults", headers=auth(token)).json() == {
        "saved": {"llm": None, "speech": None, "visuals": None},
        "effective": {"llm": "keyed-llm", "speech": "fake-speech", "visuals": "fake-visuals"},
    }
    saved = client.put("/api/providers/defaults", json={"llm": "fake-llm"}, headers=auth(token))
    assert saved.status_code == 200, saved.text
    assert saved.json()["saved"]["llm"] == "fake-llm" and saved.json()["effective"]["llm"] == "fake-llm"
    assert generate(client, token, type="quote", category="hope").json()["provider"] == "fake-llm"
    listing = client.get("/api/providers", headers=auth(token)).json()
    assert [item["id"] for item in listing["llm"] if item["default"]] == ["fake-llm"]
    # a request's own choice still wins over the saved default
    chosen = generate(client, token, type="quote", category="hope", providers={"llm": "keyed-llm"})
    assert chosen.json()["provider"] == "keyed-llm"
    cleared = client.put("/api/providers/defaults", json={"llm": None}, headers=auth(token))
    assert cleared.json()["saved"]["llm"] is None and cleared.json()["effective"]["llm"] == "keyed-llm"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"llm": "nope"}, "fake-llm"),  # the valid ids are listed
        ({"speech": "keyed-speech"}, "elevenlabs"),  # the key to add is named
        ({"llm": "fake-llm", "extra": 1}, "extra"),
    ],
)
def test_bad_defaults_are_400_and_change_nothing(
    client: TestClient[Any], token: str, body: dict[str, Any], needle: str
) -> None:
    answer = client.put("/api/providers/defaults", json=body, headers=auth(token))
    assert answer.status_code == 400 and needle in answer.json()["error"]
    saved = client.get("/api/providers/defaults", headers=auth(token)).json()["saved"]
    assert saved == {"llm": None, "speech": None, "visuals": None}


def test_the_chosen_providers_are_recorded_and_rendered_with(
    client: TestClient[Any], context: ServerContext
) -> None:
    token, user = register(client, "ada@example.com")
    save_key(context, user["id"], "elevenlabs", "el-key")
    accepted = generate(client, token, **VIDEO, voice="fake-b", providers={"speech": "keyed-speech"})
    assert accepted.status_code == 202, accepted.text
    video_id = accepted.json()["id"]
    assert final_status(client, token, video_id)["status"] == "completed"
    body = client.get(f"/api/video/{video_id}", headers=auth(token)).json()
    assert body["providers"] == {
        "speech": "keyed-speech",
        "visuals": "fake-visuals",
        "compositor": "fake-compositor",
    }
    assert body["voice"] == "fake-b"
    assert body["usage"]["keyed-speech"]["characters"] == len(VIDEO["content"])


def test_a_key_deleted_after_queueing_fails_the_video_with_a_message(
    client: TestClient[Any], context: ServerContext
) -> None:
    token, user = register(client, "ada@example.com")
    save_key(context, user["id"], "elevenlabs", "el-key")
    context.enqueue_render, send = (lambda video_id: None), context.enqueue_render
    video_id = generate(client, token, **VIDEO, providers={"speech": "keyed-speech"}).json()["id"]
    with context.session() as session:
        session.query(ApiKey).delete()
    send(video_id)
    status = final_status(client, token, video_id)
    assert status["status"] == "failed"
    assert "elevenlabs" in status["error"] and "Traceback" not in status["error"]


# --- the job: status, list, get, delete -------------------------------------------------------


def test_a_video_is_accepted_at_once_and_completes(client: TestClient[Any], token: str) -> None:
    accepted = generate(client, token, **VIDEO)
    assert accepted.status_code == 202
    video_id = accepted.json()["id"]
    statuses = list(wait_for_status(client, token, video_id))
    last = statuses[-1]
    assert last["status"] == "completed" and last["stage"] == "done" and last["progress"] == 100
    assert last["error"] is None
    assert last["url"].startswith(f"/api/media/{video_id}/video.mp4?expires=")
    assert set(last) >= {"id", "status", "progress", "stage", "url", "error"}
    progress = [s["progress"] for s in statuses]
    assert progress == sorted(progress)


def test_get_shows_the_whole_video_with_defaults(client: TestClient[Any], token: str) -> None:
    video_id = generate(client, token, **{**VIDEO, "category": "stoicism"}).json()["id"]
    final_status(client, token, video_id)
    response = client.get(f"/api/video/{video_id}", headers=auth(token))
    assert response.status_code == 200
    body = response.json()
    for key in ("id", "title", "description", "category", "content", "visual_prompt", "style", "status"):
        assert key in body
    assert body["title"] == "Stoicism video"
    assert body["description"] is None
    assert body["aspect"] == "9:16"
    assert body["duration"] >= 1 and isinstance(body["duration"], int)
    assert body["thumbnail_url"].startswith(f"/api/media/{video_id}/thumbnail.jpg?")
    assert body["created_at"].endswith("Z") or "+00:00" in body["created_at"]
    titled = generate(
        client, token, **{**VIDEO, "title": "  My   morning ", "description": "For Monday"}
    ).json()["id"]
    body = client.get(f"/api/video/{titled}", headers=auth(token)).json()
    assert (body["title"], body["description"]) == ("My morning", "For Monday")


def test_the_list_is_newest_first_filtered_and_paged(client: TestClient[Any], token: str) -> None:
    ids = [generate(client, token, **{**VIDEO, "category": c}).json()["id"] for c in ("hope", "love", "hope")]
    for video_id in ids:
        final_status(client, token, video_id)
    page = client.get("/api/video/list", headers=auth(token)).json()
    assert [item["id"] for item in page["items"]] == ids[::-1]
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    item = page["items"][0]
    assert set(item) >= set(LISTED)
    hope = client.get("/api/video/list", params={"category": "hope"}, headers=auth(token)).json()
    assert [i["id"] for i in hope["items"]] == [ids[2], ids[0]]
    second = client.get("/api/video/list", params={"limit": 1, "offset": 1}, headers=auth(token)).json()
    assert [i["id"] for i in second["items"]] == [ids[1]] and second["total"] == 3
    done = client.get("/api/video/list", params={"status": "completed"}, headers=auth(token)).json()
    assert done["total"] == 3
    failed = client.get("/api/video/list", params={"status": "failed"}, headers=auth(token)).json()
    assert failed == {"items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.fixture
def shelf(context: ServerContext, client: TestClient[Any], token: str) -> list[dict[str, Any]]:
    """23 videos of Ada's (some sharing a creation time) and one of Bob's, newest first."""
    ada = client.get("/api/auth/verify", headers=auth(token)).json()["user"]["id"]
    start = utcnow() - timedelta(days=1)
    videos = []
    for index in range(23):
        values = {
            "created_at": start + timedelta(minutes=index // 2),  # pairs share a time: ordered by id then
            "status": ("processing", "completed", "failed")[index % 3],
            "category": ("hope", "love")[index % 2],
        }
        videos.append({"id": insert_video(context, ada, **values), **values})
    insert_video(context, make_user(context, "bob@example.com"), created_at=start + timedelta(hours=1))
    return sorted(videos, key=lambda video: (video["created_at"], video["id"]), reverse=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(1, 30),
    offset=st.integers(0, 30),
    status=st.sampled_from([None, "processing", "completed", "failed"]),
    category=st.sampled_from([None, "hope", "love", "courage"]),
)
def test_every_page_and_total_match_the_filtered_list(
    client: TestClient[Any],
    token: str,
    shelf: list[dict[str, Any]],
    limit: int,
    offset: int,
    status: str | None,
    category: str | None,
) -> None:
    wanted = [
        video["id"]
        for video in shelf
        if status in (None, video["status"]) and category in (None, video["category"])
    ]
    params = {"limit": limit, "offset": offset, "status": status, "category": category}
    params = {name: value for name, value in params.items() if value is not None}
    page = client.get("/api/video/list", params=params, headers=auth(token)).json()
    assert [item["id"] for item in page["items"]] == wanted[offset : offset + limit]
    assert (page["total"], page["limit"], page["offset"]) == (len(wanted), limit, offset)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"status": "done"}])
def test_bad_list_parameters_are_400(client: TestClient[Any], token: str, params: dict[str, Any]) -> None:
    response = client.get("/api/video/list", params=params, headers=auth(token))
    assert response.status_code == 400
    assert "error" in response.json()


def test_delete_removes_the_row_and_its_files_and_cancels_pending_posts(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    video_id = generate(client, token, **VIDEO).json()["id"]
    keep_id = generate(client, token, **VIDEO).json()["id"]
    final_status(client, token, video_id)
    final_status(client, token, keep_id)
    video = load(context, video_id)
    assert video is not None and video.video_key and video.thumbnail_key
    files = [context.settings.data_dir / "media" / key for key in (video.video_key, video.thumbnail_key)]
    assert all(path.is_file() for path in files)
    with context.session() as session:
        for status in ("pending", "published"):
            session.add(
                ScheduledPost(
                    user_id=video.user_id,
                    video_id=video_id,
                    platform="youtube",
                    scheduled_time=utcnow(),
                    status=status,
                )
            )
    assert client.delete(f"/api/video/delete/{video_id}", headers=auth(token)).status_code == 204
    assert not any(path.exists() for path in files)
    assert not (context.settings.data_dir / "media" / "videos" / video_id).exists()
    assert len(stored_files(context.settings.data_dir)) == 2  # the other video's files stay
    assert client.get(f"/api/video/{video_id}", headers=auth(token)).status_code == 404
    assert client.get(f"/api/video/generate/{video_id}/status", headers=auth(token)).status_code == 404
    assert client.delete(f"/api/video/delete/{video_id}", headers=auth(token)).status_code == 404
    with context.sessions() as session:
        posts = {post.status: post for post in session.scalars(select(ScheduledPost))}
    assert set(posts) == {"cancelled", "published"}
    assert posts["cancelled"].error == "The video was deleted"


def test_another_users_video_is_404_everywhere(client: TestClient[Any], context: ServerContext) -> None:
    ada, _ = register(client, "ada@example.com")
    bob, _ = register(client, "bob@example.com")
    video_id = generate(client, ada, **VIDEO).json()["id"]
    status = final_status(client, ada, video_id)
    for method, path in (
        ("get", f"/api/video/generate/{video_id}/status"),
        ("get", f"/api/video/{video_id}"),
        ("delete", f"/api/video/delete/{video_id}"),
    ):
        response = client.request(method.upper(), path, headers=auth(bob))
        assert response.status_code == 404, path
        assert response.json() == {"error": "Video not found"}
    assert client.get("/api/video/list", headers=auth(bob)).json()["total"] == 0
    # the row and its files are untouched, and the owner still has it
    assert client.get(status["url"]).status_code == 200
    assert client.get(f"/api/video/{video_id}", headers=auth(ada)).status_code == 200
    assert client.get("/api/video/generate/not-a-uuid/status", headers=auth(ada)).status_code == 404


def test_when_the_broker_is_down_the_video_is_kept_and_sent_later(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    send = context.enqueue_render

    def broker_down(video_id: str) -> None:
        raise ConnectionError("Redis is down")

    context.enqueue_render = broker_down
    accepted = generate(client, token, **VIDEO)
    assert accepted.status_code == 202
    video_id = accepted.json()["id"]
    row = load(context, video_id)
    assert row is not None and (row.status, row.stage, row.lease_owner) == ("processing", "queued", None)
    context.enqueue_render = send
    lease = context.settings.video_lease_seconds
    assert sweep(context, send, now=utcnow() + timedelta(seconds=lease + 1)) == {"resent": 1, "failed": 0}
    assert final_status(client, token, video_id)["status"] == "completed"


def test_the_schema_describes_the_video_routes(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    generate_op = paths["/api/video/generate"]["post"]
    assert generate_op["operationId"] == "generate"
    assert {"200", "202", "400", "401"} <= set(generate_op["responses"])
    assert paths["/api/video/list"]["get"]["operationId"] == "listVideos"
    assert paths["/api/video/{video_id}"]["get"]["operationId"] == "getVideo"
    assert paths["/api/video/delete/{video_id}"]["delete"]["operationId"] == "deleteVideo"
    assert paths["/api/video/generate/{video_id}/status"]["get"]["operationId"] == "getVideoStatus"
    media = paths["/api/media/{video_id}/{name}"]["get"]
    assert media["security"] == []  # no token: the signature is the credential


def test_the_server_admin_picks_the_servers_defaults(
    api_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    api_env["OPENAI_API_KEY"] = "sk-server"
    api_env["OASIS_DEFAULT_PROVIDERS"] = "llm=fake-llm"
    client: TestClient[Any] = request.getfixturevalue("client")
    token, _ = register(client, "ada@example.com")
    assert generate(client, token, type="quote", category="hope").json()["provider"] == "fake-llm"


@pytest.mark.parametrize("value", ["llm", "music=x", "llm=", "llm=a,,speech"])
def test_a_malformed_default_providers_setting_stops_start_up(tmp_path: Any, value: str) -> None:
    from oasis_server.settings import ConfigurationError, Settings

    with pytest.raises(ConfigurationError, match="OASIS_DEFAULT_PROVIDERS"):
        Settings.from_env(
            {"OASIS_DATA_DIR": str(tmp_path), "OASIS_DEFAULT_PROVIDERS": value}, dotenv=tmp_path / "none"
        )
