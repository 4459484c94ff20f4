"""A quote video's author travels from the request to the render, which ends on a card naming them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.media_checks import probe
from tests.server.conftest import auth, register
from tests.server.video_support import wait_for_status

from oasis_core.services.ending import MIN_SECONDS
from oasis_core.services.render import RenderRequest
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video
from oasis_server.jobs import render_job


def _video(**extra: Any) -> dict[str, Any]:
    return {
        "type": "video",
        "category": "courage",
        "style": "minimal",
        "aspect": "1:1",
        "content": "Courage.",
        "visual_prompt": "a dark sea",
        **extra,
    }


@pytest.mark.slow
def test_a_quote_video_ends_on_a_card_naming_its_author(
    client: TestClient[Any], context: ServerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[RenderRequest] = []
    real = render_job.render_video

    def recording(request: RenderRequest, *args: Any, **kwargs: Any) -> Any:
        asked.append(request)
        return real(request, *args, **kwargs)

    monkeypatch.setattr(render_job, "render_video", recording)
    token, _ = register(client, "ada@example.com")
    accepted = client.post("/api/video/generate", json=_video(author="  — Epictetus "), headers=auth(token))
    assert accepted.status_code == 202, accepted.text
    video_id = accepted.json()["id"]
    last = list(wait_for_status(client, token, video_id, timeout=180))[-1]
    assert last["status"] == "completed", last

    with context.sessions() as session:
        assert session.get(Video, video_id).author == "Epictetus"  # type: ignore[union-attr]
    assert [request.attribution for request in asked] == ["Epictetus"]
    path = tmp_path / "video.mp4"
    path.write_bytes(client.get(last["url"]).content)
    assert probe(path).video_seconds >= MIN_SECONDS - 0.05  # one word, held on the end card


def test_a_video_without_an_author_has_none(client: TestClient[Any], context: ServerContext) -> None:
    token, _ = register(client, "bob@example.com")
    accepted = client.post("/api/video/generate", json=_video(), headers=auth(token))
    assert accepted.status_code == 202, accepted.text
    with context.sessions() as session:
        assert session.get(Video, accepted.json()["id"]).author is None  # type: ignore[union-attr]


@pytest.mark.parametrize("author", ["Epic\ntetus", "Epic\x00tetus", "E" * 121])
def test_an_author_with_control_characters_or_too_long_is_refused(
    client: TestClient[Any], author: str
) -> None:
    token, _ = register(client, "cy@example.com")
    answer = client.post("/api/video/generate", json=_video(author=author), headers=auth(token))
    assert answer.status_code == 400, answer.text
    assert "author" in answer.json().get("fields", {}), answer.json()
