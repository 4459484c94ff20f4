"""Shared pieces of the video, media and job tests: a catalog of fakes, rows, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from tests.server.conftest import auth

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.catalogue import Category
from oasis_core.domain.media import Quote, RenderedVideo, Speech, Visuals
from oasis_core.ports.compositor import Composition
from oasis_core.testing.fakes import (
    FakeCompositor,
    FakeLanguageModel,
    FakeSpeechEngine,
    FakeVisualSource,
    fake_catalog,
)
from oasis_plugins.local.blob_store import LocalBlobStore
from oasis_server.accounts import create_user
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow


class KeyedLanguageModel(FakeLanguageModel):
    """A fake language model that needs an ``openai`` key and says which key it was given."""

    id: ClassVar[str] = "keyed-llm"
    name: ClassVar[str] = "Keyed fake language model"
    needs_key: ClassVar[str | None] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"

    def write_quote(self, category: Category, *, avoid: Any = ()) -> Quote:
        """A quote naming the key."""
        return Quote(f"Written with key {self.config.key}.", "Keyed")


class KeyedSpeechEngine(FakeSpeechEngine):
    """A fake speech engine that needs an ``elevenlabs`` key."""

    id: ClassVar[str] = "keyed-speech"
    name: ClassVar[str] = "Keyed fake speech engine"
    needs_key: ClassVar[str | None] = "elevenlabs"
    key_env_var: ClassVar[str | None] = "ELEVENLABS_API_KEY"


def server_fake_catalog(*, storage: type = LocalBlobStore) -> ProviderCatalog:
    """Fakes for every port (renders are instant), keyed fakes, and a ``local`` blob store."""
    catalog = fake_catalog()
    catalog.add(PortKind.LLM, KeyedLanguageModel, plugin="tests")
    catalog.add(PortKind.SPEECH, KeyedSpeechEngine, plugin="tests")
    catalog.add(PortKind.STORAGE, storage, plugin="tests")
    return catalog


VIDEO_REQUEST: dict[str, str] = {
    "type": "video",
    "category": "motivation",
    "content": "Keep going. You are closer than you think.",
    "visual_prompt": "a sunrise over mountains",
    "style": "cinematic",
}
"""A valid ``type=video`` body for ``POST /api/video/generate``."""


def make_user(context: ServerContext, email: str = "owner@example.com") -> str:
    """A user created directly in the database; returns the id."""
    with context.session() as session:
        return create_user(
            session, context.hasher, name="Owner", email=email, password="correct horse battery"
        ).id


def insert_video(context: ServerContext, user_id: str, **values: Any) -> str:
    """A ``processing`` video row as the API writes it (overridable); returns the id."""
    now = utcnow()
    fields: dict[str, Any] = {
        "user_id": user_id,
        "title": "Motivation video",
        "category": "motivation",
        "content": "Keep going. You are closer than you think.",
        "visual_prompt": "a sunrise over mountains",
        "style": "cinematic",
        "status": "processing",
        "stage": "queued",
        "progress": 0,
        "attempts": 0,
        "providers": {},
        "usage": {},
        "created_at": now,
        "updated_at": now,
        "lease_until": None,
    }
    fields.update(values)
    with context.session() as session:
        video = Video(**fields)
        session.add(video)
        session.flush()
        return video.id


def load(context: ServerContext, video_id: str) -> Video | None:
    """The row as stored now."""
    with context.sessions() as session:
        return session.get(Video, video_id)


def stored_files(data_dir: Path) -> list[Path]:
    """Every file under the data folder's ``media`` store."""
    root = data_dir / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def wait_for_status(
    client: TestClient[Any], token: str, video_id: str, timeout: float = 30.0
) -> Iterator[dict[str, Any]]:
    """Poll the status route until the video leaves ``processing``; yields every answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/video/generate/{video_id}/status", headers=auth(token))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        yield body
        if body["status"] != "processing":
            return
        assert time.monotonic() < deadline, f"video {video_id} still processing: {body}"
        time.sleep(0.05)


def final_status(client: TestClient[Any], token: str, video_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The status once the video has finished (completed or failed)."""
    *_, last = wait_for_status(client, token, video_id, timeout)
    return last


def ago(now: datetime, seconds: float) -> datetime:
    """``seconds`` before ``now``."""
    return now - timedelta(seconds=seconds)


HOOKS: dict[str, Callable[[], None]] = {}
"""What the hooked providers do before their work, by port (``speech``, ``visuals``, ``compose``, ``store``)."""


def _hook(name: str) -> None:
    action = HOOKS.get(name)
    if action is not None:
        action()


class HookedSpeechEngine(FakeSpeechEngine):
    """The fake speech engine, running ``HOOKS["speech"]`` first."""

    id: ClassVar[str] = "hooked-speech"

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Run the hook, then speak."""
        _hook("speech")
        return super().synthesize(text, out_dir, voice=voice, rate=rate)


class HookedVisualSource(FakeVisualSource):
    """The fake visual source, running ``HOOKS["visuals"]`` first."""

    id: ClassVar[str] = "hooked-visuals"

    def create(self, *args: Any, **kwargs: Any) -> Visuals:
        """Run the hook, then draw."""
        _hook("visuals")
        return super().create(*args, **kwargs)


class HookedCompositor(FakeCompositor):
    """The fake compositor, running ``HOOKS["compose"]`` first."""

    id: ClassVar[str] = "hooked-compositor"

    def compose(self, composition: Composition, on_progress: Any = None) -> RenderedVideo:
        """Run the hook, then compose."""
        _hook("compose")
        return super().compose(composition, on_progress)


class HookedBlobStore(LocalBlobStore):
    """The local store (id ``local``), running ``HOOKS["store:<file name>"]`` after each put."""

    id: ClassVar[str] = "local"

    def put(self, key: str, source: Path, *, content_type: str | None = None) -> None:
        """Store, then run the hook for this file."""
        super().put(key, source, content_type=content_type)
        _hook(f"store:{key.rsplit('/', 1)[-1]}")


HOOKED = {"speech": "hooked-speech", "visuals": "hooked-visuals", "compositor": "hooked-compositor"}
"""A video row's ``providers`` that render through the hooked fakes."""


def job_catalog() -> ProviderCatalog:
    """The fakes plus the hooked ones, with the hooked store as ``local``."""
    catalog = fake_catalog()
    catalog.add(PortKind.SPEECH, HookedSpeechEngine, plugin="tests")
    catalog.add(PortKind.VISUALS, HookedVisualSource, plugin="tests")
    catalog.add(PortKind.COMPOSITOR, HookedCompositor, plugin="tests")
    catalog.add(PortKind.STORAGE, HookedBlobStore, plugin="tests")
    return catalog


# Fixtures shared by the job test modules: import them there (pytest registers them under their names).


@pytest.fixture(name="server_catalog")
def job_server_catalog() -> ProviderCatalog:
    """The server's catalog: fakes whose stages can be hooked (see ``HOOKS``)."""
    return job_catalog()


@pytest.fixture(name="_no_hooks", autouse=True)
def clear_hooks() -> Iterator[None]:
    """No hook left over from another test, before or after."""
    HOOKS.clear()
    yield
    HOOKS.clear()


@pytest.fixture(name="user_id")
def owner_id(context: ServerContext) -> str:
    """A user who owns the test's videos."""
    return make_user(context)
