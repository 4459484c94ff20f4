"""Shared pieces of the publishing tests: a fake TikTok the server is pointed at, a catalog, videos, waiting.

The server builds its publishers from its own environment (``api_env``):
:func:`tiktok_env` points the ``tiktok`` publisher at a :class:`FakeTikTok`
on 127.0.0.1, with the fake's client key and secret, so connecting, refreshing
and publishing all go through real HTTP to the fake.

Import the fixtures a module needs (pytest registers them under their names):
``running_tiktok`` (fixture ``tiktok_server``: one running fake per module),
``fresh_tiktok`` (``tiktok``: that fake, reset, answering status checks at
once), ``sample_clip`` (``clip``: a real 9:16 H.264 MP4) and ``open_gates``.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from sqlalchemy import select
from tests.fakes.instagram_api import write_test_clip
from tests.fakes.tiktok_api import CLIENT_KEY, CLIENT_SECRET, USERNAME, FakeTikTok
from tests.server.conftest import auth
from tests.server.video_support import insert_video

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.media import RenderedVideo
from oasis_core.ports.compositor import Composition
from oasis_core.testing.fakes import (
    FakeCompositor,
    FakeLanguageModel,
    FakePublisher,
    FakeSpeechEngine,
    FakeVisualSource,
)
from oasis_plugins.local.blob_store import LocalBlobStore
from oasis_plugins.tiktok import TikTokPublisher
from oasis_server.api.context import ServerContext
from oasis_server.db.models import ScheduledPost, SocialAccount

CLIPS: dict[str, Path] = {}
"""``"clip"``: the MP4 the :class:`ClipCompositor` renders (set by the ``clip`` fixture)."""

GATES: dict[str, threading.Event] = {}
"""``"compose"``: when set here, the :class:`ClipCompositor` waits for this event before composing."""


class ClipCompositor(FakeCompositor):
    """A compositor whose "render" is a copy of a real, publishable MP4 (``CLIPS["clip"]``)."""

    id: ClassVar[str] = "clip-compositor"
    name: ClassVar[str] = "Clip compositor"

    def compose(self, composition: Composition, on_progress: Any = None) -> RenderedVideo:
        """Wait for the gate if there is one, then copy the clip out."""
        gate = GATES.get("compose")
        if gate is not None:
            assert gate.wait(60), "the compose gate was never opened"
        shutil.copyfile(CLIPS["clip"], composition.output_path)
        composition.thumbnail_path.write_bytes(b"thumbnail")
        return RenderedVideo(
            composition.output_path,
            composition.thumbnail_path,
            3.5,
            360,
            640,
            composition.output_path.stat().st_size,
        )


def publishing_catalog() -> ProviderCatalog:
    """Fakes for writing and rendering (renders are copies of a real clip), local storage, TikTok and ``fake``."""
    catalog = ProviderCatalog()
    catalog.add(PortKind.LLM, FakeLanguageModel, plugin="oasis_core.testing")
    catalog.add(PortKind.SPEECH, FakeSpeechEngine, plugin="oasis_core.testing")
    catalog.add(PortKind.VISUALS, FakeVisualSource, plugin="oasis_core.testing")
    catalog.add(PortKind.COMPOSITOR, ClipCompositor, plugin="tests")
    catalog.add(PortKind.STORAGE, LocalBlobStore, plugin="tests")
    catalog.add(PortKind.PUBLISHER, TikTokPublisher, plugin="oasis_plugins.tiktok")
    catalog.add(PortKind.PUBLISHER, FakePublisher, plugin="oasis_core.testing")
    return catalog


def tiktok_env(fake: FakeTikTok) -> dict[str, str]:
    """The variables that point the server's ``tiktok`` publisher at ``fake``, with the fake's client."""
    return {
        "TIKTOK_CLIENT_KEY": CLIENT_KEY,
        "TIKTOK_CLIENT_SECRET": CLIENT_SECRET,
        "TIKTOK_API_BASE_URL": fake.url,
        "TIKTOK_AUTH_BASE_URL": fake.url,
    }


@pytest.fixture(name="tiktok_server", scope="module")
def running_tiktok() -> Iterator[FakeTikTok]:
    """One fake TikTok per module."""
    fake = FakeTikTok()
    with fake.running():
        yield fake


@pytest.fixture(name="tiktok")
def fresh_tiktok(tiktok_server: FakeTikTok) -> FakeTikTok:
    """The module's fake TikTok, emptied; a post's status is final at the first check (no 5 s polls)."""
    tiktok_server.reset()
    tiktok_server.processing_polls = 0
    return tiktok_server


@pytest.fixture(name="clip", scope="session")
def sample_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 360x640 (9:16) H.264/AAC MP4 of 3.5 s that TikTok's limits accept."""
    path = write_test_clip(tmp_path_factory.mktemp("publishing") / "clip.mp4")
    CLIPS["clip"] = path
    return path


@pytest.fixture(name="server_catalog")
def clip_server_catalog(clip: Path) -> ProviderCatalog:
    """The :func:`publishing_catalog`; its compositor renders a copy of ``clip``."""
    return publishing_catalog()


@pytest.fixture(name="_open_gates", autouse=True)
def open_gates() -> Iterator[None]:
    """No compose gate left over from another test; any gate left closed is opened afterwards."""
    GATES.clear()
    yield
    for gate in GATES.values():
        gate.set()
    GATES.clear()


def insert_finished_video(context: ServerContext, user_id: str, clip: Path, **values: Any) -> str:
    """A ``completed`` video whose file (a copy of ``clip``) is in the blob store; returns its id."""
    video_id = str(uuid.uuid4())
    key = f"videos/{video_id}/{uuid.uuid4()}/video.mp4"
    context.blob_store().put(key, clip, content_type="video/mp4")
    fields: dict[str, Any] = {
        "id": video_id,
        "status": "completed",
        "stage": "done",
        "progress": 100,
        "attempts": 1,
        "video_key": key,
        "duration": 4,
        **values,
    }
    return insert_video(context, user_id, **fields)


def connect_pasted(
    client: TestClient[Any], token: str, platform: str, access_token: str, **fields: Any
) -> dict[str, Any]:
    """Connect ``platform`` with a pasted token; returns the account as answered."""
    body = {"platform": platform, "access_token": access_token, **fields}
    response = client.post("/api/social/connect", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def connect_tiktok(client: TestClient[Any], token: str, fake: FakeTikTok, **fields: Any) -> dict[str, Any]:
    """Connect TikTok with tokens the fake knows (refresh token included); returns the fake's tokens."""
    tokens = fake.issue_tokens()
    connect_pasted(
        client,
        token,
        "tiktok",
        tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        username=USERNAME,
        **fields,
    )
    return tokens


PUBLIC_TIKTOK = {"tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"}}
"""The options of a public TikTok post (TikTok posts must name their privacy)."""


def schedule(
    client: TestClient[Any],
    token: str,
    video_id: str,
    when: str,
    platforms: tuple[str, ...] = ("tiktok",),
    options: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Schedule ``video_id`` on ``platforms`` at ``when`` (TikTok posts public unless ``options`` say
    otherwise); returns the posts."""
    if options is None:
        options = {name: value for name, value in PUBLIC_TIKTOK.items() if name in platforms}
    body = {"video_id": video_id, "platforms": list(platforms), "scheduled_time": when, "options": options}
    response = client.post("/api/schedule", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def post_row(context: ServerContext, post_id: str) -> ScheduledPost:
    """The post as stored now."""
    with context.sessions() as session:
        row = session.get(ScheduledPost, post_id)
    assert row is not None
    return row


def account_row(context: ServerContext, user_id: str, platform: str) -> SocialAccount | None:
    """The user's stored account on ``platform``."""
    with context.sessions() as session:
        return session.scalar(
            select(SocialAccount).where(SocialAccount.user_id == user_id, SocialAccount.platform == platform)
        )


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, state: Callable[[], object] = str
) -> None:
    """Poll ``check`` every 20 ms; fail naming ``what`` (and ``state()``) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}: {state()}")
        time.sleep(0.02)


def wait_for_post(
    context: ServerContext, post_id: str, statuses: set[str], timeout: float = 20.0
) -> ScheduledPost:
    """The post once its status is one of ``statuses``."""
    wait_until(
        lambda: post_row(context, post_id).status in statuses,
        timeout,
        f"post {post_id} to become {sorted(statuses)}",
        lambda: vars(post_row(context, post_id)),
    )
    return post_row(context, post_id)


def uploads(fake: FakeTikTok) -> Counter[str]:
    """Completed uploads per publish id."""
    with fake._state:
        return Counter(fake.completed_uploads)
