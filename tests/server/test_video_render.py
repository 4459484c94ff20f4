"""End to end with the built-in providers: quote → prompt → a real MP4, watched rising through its stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.media_checks import probe, top_level_boxes
from tests.server.conftest import auth, register
from tests.server.video_support import load, stored_files, wait_for_status

from oasis_core.domain.video import STAGE_ORDER
from oasis_server.api.context import ServerContext


@pytest.mark.slow
def test_a_real_video_from_quote_to_download(
    client: TestClient[Any], context: ServerContext, tmp_path: Path
) -> None:
    token, _ = register(client, "ada@example.com")
    headers = auth(token)
    quote = client.post("/api/video/generate", json={"type": "quote", "category": "courage"}, headers=headers)
    assert quote.status_code == 200, quote.text
    content = quote.json()["content"]
    prompt = client.post(
        "/api/video/generate",
        json={"type": "visual_prompt", "content": content, "category": "courage", "style": "neon"},
        headers=headers,
    )
    assert prompt.status_code == 200, prompt.text
    accepted = client.post(
        "/api/video/generate",
        json={
            "type": "video",
            "category": "courage",
            "content": content,
            "visual_prompt": prompt.json()["content"],
            "style": "neon",
            "title": "Brave",
        },
        headers=headers,
    )
    assert accepted.status_code == 202, accepted.text
    video_id = accepted.json()["id"]

    seen = list(wait_for_status(client, token, video_id, timeout=180))
    last = seen[-1]
    assert last["status"] == "completed", last
    assert (last["stage"], last["progress"], last["error"]) == ("done", 100, None)
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress), "progress went backwards"
    stages = [s["stage"] for s in seen]
    assert [STAGE_ORDER.index(s) for s in stages] == sorted(STAGE_ORDER.index(s) for s in stages)
    assert "compose" in stages, f"never saw the render at work: {stages}"
    assert any(0 < p < 100 for p in progress)

    whole = client.get(last["url"])
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    path = tmp_path / "downloaded.mp4"
    path.write_bytes(whole.content)
    assert top_level_boxes(path)[:1] == ["ftyp"]
    media = probe(path)
    assert (media.video_codec, media.audio_codec) == ("h264", "aac")
    assert (media.width, media.height) == (1080, 1920)
    assert media.frames > 0 and media.audio_rms > 0

    size = len(whole.content)
    head = client.get(last["url"], headers={"Range": "bytes=0-1023"})
    assert head.status_code == 206
    assert head.headers["content-range"] == f"bytes 0-1023/{size}"
    tail = client.get(last["url"], headers={"Range": "bytes=1024-"})
    assert tail.status_code == 206
    assert head.content + tail.content == whole.content

    thumbnail = client.get(last["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content[:3] == b"\xff\xd8\xff"

    body = client.get(f"/api/video/{video_id}", headers=headers).json()
    assert body["title"] == "Brave"
    assert body["duration"] >= media.video_seconds - 0.05 and isinstance(body["duration"], int)
    assert body["usage"]["espeak"]["characters"] > 0

    row = load(context, video_id)
    assert row is not None and row.attempts == 1 and row.lease_owner is None
    files = stored_files(context.settings.data_dir)
    assert [f.name for f in files] == ["thumbnail.jpg", "video.mp4"]

    assert client.delete(f"/api/video/delete/{video_id}", headers=headers).status_code == 204
    assert stored_files(context.settings.data_dir) == []
    assert client.get(f"/api/video/{video_id}", headers=headers).status_code == 404
    assert client.get(last["url"]).status_code == 404
