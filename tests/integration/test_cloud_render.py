"""A render through the server and a separate worker with cloud providers, each a fake on 127.0.0.1.

Two users save their own (fake-server) keys. One writes a quote and a
visual prompt with ``openai`` and renders with ``openai`` images and
``elevenlabs`` speech, in an ``oasis worker`` process. The MP4 is valid, its
audio is the audio the speech server sent (a 220 Hz tone, nothing like
espeak), its highlighted caption word changes exactly where the speech
server's character alignment says each word starts, every request carried
that user's keys and never the other's, and the video shows what it used.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from litestar.testing import TestClient
from PIL import Image
from tests.deployment import Deployment, describe, row, wait_for
from tests.fakes import openai_api
from tests.fakes.elevenlabs_api import FakeElevenLabs
from tests.fakes.openai_api import FakeOpenAI
from tests.media_checks import probe, top_level_boxes, yellow_centroid
from tests.server.conftest import auth, build_context, register
from tests.services import RedisServer

from oasis_server.api.app import create_app

pytestmark = pytest.mark.slow

ADA = {"openai": "sk-ada-0000000000000001", "elevenlabs": "el-ada-0000000000000001"}
BOB = {"openai": "sk-bob-0000000000000002", "elevenlabs": "el-bob-0000000000000002"}
QUOTE = "Keep going when the road bends, because the view waits for those who stay."
PROMPT = "A lone lighthouse at dusk over a calm sea, deep blue light."


def dark_png(width: int, height: int, seed: str) -> bytes:
    """A dark blue picture: nothing in it looks like the yellow of a highlighted word."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (12, 24, 64)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def clouds(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeOpenAI, FakeElevenLabs]]:
    monkeypatch.setattr(openai_api, "png_bytes", dark_png)
    openai = FakeOpenAI(valid_keys={ADA["openai"], BOB["openai"]}).start()
    eleven = FakeElevenLabs(keys={ADA["elevenlabs"], BOB["elevenlabs"]}, seconds_per_character=0.07).start()
    try:
        yield openai, eleven
    finally:
        openai.stop()
        eleven.stop()


def frames_at(path: Path, times: list[float]) -> dict[float, np.ndarray]:
    """The decoded frame shown at each of ``times`` (seconds)."""
    wanted = sorted(times)
    found: dict[float, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            moment = float(frame.pts * stream.time_base)
            end = moment + 1 / float(stream.average_rate)
            while wanted and wanted[0] < end:
                found[wanted.pop(0)] = frame.to_ndarray(format="rgb24")
            if not wanted:
                break
    return found


def dominant_frequency(path: Path) -> tuple[float, float]:
    """The strongest frequency of the file's audio (Hz) and its duration (s)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        chunks = [frame.to_ndarray().mean(axis=0) for frame in container.decode(stream)]
    samples = np.concatenate(chunks)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))]), len(samples) / rate


def word_starts(text: str, alignment: dict[str, list[Any]]) -> list[float]:
    """The time the speech server says each word of ``text`` starts (its first character's start)."""
    characters = "".join(alignment["characters"])
    assert characters == text  # the fake aligns the text as given
    starts, previous = [], " "
    for index, character in enumerate(text):
        if character != " " and previous == " ":
            starts.append(float(alignment["character_start_times_seconds"][index]))
        previous = character
    return starts


def save_keys(client: TestClient[Any], token: str, keys: dict[str, str]) -> None:
    saved = client.post("/api/keys", json={"keys": keys}, headers=auth(token))
    assert saved.status_code == 200, saved.text


def test_a_user_renders_with_their_own_cloud_keys(
    tmp_path: Path, private_redis: RedisServer, clouds: tuple[FakeOpenAI, FakeElevenLabs]
) -> None:
    openai, eleven = clouds
    deployment = Deployment(
        tmp_path,
        private_redis,
        OPENAI_BASE_URL=f"{openai.url}/v1",
        ELEVENLABS_BASE_URL=eleven.url,
        OASIS_OPENAI_MAX_IMAGES="2",
    )
    assert deployment.oasis("db", "upgrade").returncode == 0
    context = build_context(dict(deployment.env), migrate=False)
    try:
        with TestClient(create_app(context=context, embedded_worker=False)) as client:
            ada, _ = register(client, "ada@example.com")
            bob, _ = register(client, "bob@example.com")

            # key testing: a bad key fails with the reason, a good one succeeds
            save_keys(client, bob, {"openai": "sk-wrong-0000000000000009"})
            tested = client.post("/api/keys/test", json={"provider": "openai"}, headers=auth(bob)).json()
            assert tested["status"] == "failed" and "refused" in tested["message"].lower()
            assert "sk-wrong-0000000000000009" not in tested["message"]
            save_keys(client, bob, BOB)
            save_keys(client, ada, ADA)
            for name in ("openai", "elevenlabs"):
                tested = client.post("/api/keys/test", json={"provider": name}, headers=auth(ada)).json()
                assert tested["status"] == "success", tested

            # writing: with a saved openai key, openai is this user's default language model
            openai.replies.extend([QUOTE, PROMPT])
            quote = client.post(
                "/api/video/generate", json={"type": "quote", "category": "motivation"}, headers=auth(ada)
            ).json()
            assert (quote["content"], quote["provider"]) == (QUOTE, "openai")
            assert quote["usage"]["input_tokens"] > 0 and quote["usage"]["output_tokens"] > 0
            prompt = client.post(
                "/api/video/generate",
                json={
                    "type": "visual_prompt",
                    "content": QUOTE,
                    "category": "motivation",
                    "style": "cinematic",
                },
                headers=auth(ada),
            ).json()
            assert prompt["content"].startswith("A lone lighthouse") and prompt["provider"] == "openai"

            body = {
                "type": "video",
                "category": "motivation",
                "content": QUOTE,
                "visual_prompt": prompt["content"],
                "style": "cinematic",
                "providers": {"llm": "openai", "speech": "elevenlabs", "visuals": "openai"},
            }
            accepted = client.post("/api/video/generate", json=body, headers=auth(ada))
            assert accepted.status_code == 202, accepted.text
            video_id = accepted.json()["id"]
            deployment.start_worker()
            wait_for(
                lambda: row(context, video_id).status != "processing",
                deployment,
                180,
                "the cloud render",
                describe(context, video_id),
            )
            video = client.get(f"/api/video/{video_id}", headers=auth(ada)).json()
            assert video["status"] == "completed", f"{video}\n{deployment.log_text()}"
            assert video["providers"]["speech"] == "elevenlabs" and video["providers"]["visuals"] == "openai"
            assert video["usage"]["elevenlabs"]["characters"] == len(QUOTE)
            assert video["usage"]["openai"]["images"] >= 1

            path = tmp_path / "cloud.mp4"
            path.write_bytes(client.get(video["url"]).content)
    finally:
        deployment.stop_workers()
        context.close()

    # every request carried Ada's keys; Bob's never left his own key test
    chat_and_images = openai.requests_to(r"^/v1/(chat|images)")
    assert chat_and_images and {r.headers["authorization"] for r in chat_and_images} == {
        f"Bearer {ADA['openai']}"
    }
    speech = eleven.requests_to(r"/with-timestamps$")
    assert len(speech) == 1 and speech[0].headers["xi-api-key"] == ADA["elevenlabs"]
    assert not any(BOB["openai"] in str(r.headers) for r in openai.requests)
    assert not any(BOB["elevenlabs"] in str(r.headers) for r in eleven.requests)

    # a valid MP4 whose audio is the speech server's tone
    assert top_level_boxes(path)[0] == "ftyp"
    media = probe(path)
    assert (media.video_codec, media.audio_codec, media.width, media.height) == ("h264", "aac", 1080, 1920)
    sent = tmp_path / "sent.mp3"
    sent.write_bytes(eleven.last_audio)
    sent_frequency, sent_seconds = dominant_frequency(sent)
    frequency, seconds = dominant_frequency(path)
    assert abs(sent_frequency - 220) < 5 and abs(frequency - sent_frequency) < 5
    assert seconds >= sent_seconds - 0.1

    # the highlighted word moves where the alignment says each word starts, and only there
    starts = word_starts(QUOTE, eleven.last_alignment)
    segments = [(a, b) for a, b in zip(starts, [*starts[1:], sent_seconds], strict=True) if b - a >= 0.2]
    assert len(segments) >= 8
    samples = {t for a, b in segments for t in (a + 0.3 * (b - a), a + 0.7 * (b - a))}
    frames = frames_at(path, sorted(samples))
    centres = []
    for a, b in segments:
        early = yellow_centroid(frames[a + 0.3 * (b - a)])
        late = yellow_centroid(frames[a + 0.7 * (b - a)])
        assert early and late, f"no highlighted word between {a:.2f} and {b:.2f} s"
        assert abs(early[0] - late[0]) < 4 and abs(early[1] - late[1]) < 4, (a, b, early, late)
        centres.append(early)
    for (a, _), first, second in zip(segments, centres, centres[1:], strict=False):
        assert max(abs(first[0] - second[0]), abs(first[1] - second[1])) > 8, f"no change after {a:.2f} s"
