"""Caption styles over HTTP: a video request's ``captions``, its 400s, the choices and the preview still."""

from __future__ import annotations

import io
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from PIL import Image
from sqlalchemy import func, select
from tests.server.conftest import auth, register
from tests.server.video_support import VIDEO_REQUEST, final_status, server_fake_catalog

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.caption_style import CaptionPosition, CaptionStyle
from oasis_core.domain.media import Aspect, RenderedVideo
from oasis_core.ports.compositor import CaptionPreviews, Composition, ProgressCallback
from oasis_core.testing import FakeCompositor
from oasis_plugins.pyav import PyAVCompositor
from oasis_plugins.pyav.caption_preview import preview_png
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video


class StyledCompositor(FakeCompositor):
    """The instant fake compositor, remembering each composition, with the PyAV compositor's style checks."""

    id: ClassVar[str] = "styled-fake"
    name: ClassVar[str] = "Fake compositor with caption styles"
    composed: ClassVar[list[Composition]] = []

    def compose(self, composition: Composition, on_progress: ProgressCallback | None = None) -> RenderedVideo:
        StyledCompositor.composed.append(composition)
        return super().compose(composition, on_progress)

    def caption_fonts(self) -> tuple[str, ...]:
        return PyAVCompositor(self.config).caption_fonts()

    def check_caption_style(self, style: CaptionStyle) -> None:
        PyAVCompositor(self.config).check_caption_style(style)

    def caption_preview(self, style: CaptionStyle, aspect: Aspect, text: str) -> bytes:
        return preview_png(style, aspect, text)


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    catalog = ProviderCatalog()  # the server's fakes, with this compositor as the only one
    for kind in PortKind:
        for info in server_fake_catalog().providers(kind):
            if kind is not PortKind.COMPOSITOR:
                catalog.add(kind, info.factory, plugin=info.plugin)
    catalog.add(PortKind.COMPOSITOR, StyledCompositor, plugin="tests")
    return catalog


@pytest.fixture
def token(client: TestClient[Any]) -> str:
    return register(client, "ada@example.com")[0]


def video_count(context: ServerContext) -> int:
    with context.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Video)) or 0)


def test_the_fake_is_a_previewing_compositor() -> None:
    assert isinstance(StyledCompositor(), CaptionPreviews)


def test_a_video_is_rendered_and_recorded_with_its_caption_style(client: TestClient[Any], token: str) -> None:
    StyledCompositor.composed.clear()
    captions = {"preset": "boxed", "position": "top", "colour": "#FF0000", "words_per_phrase": 2}
    answer = client.post(
        "/api/video/generate", json={**VIDEO_REQUEST, "captions": captions}, headers=auth(token)
    )
    assert answer.status_code == 202, answer.text
    video_id = answer.json()["id"]
    assert final_status(client, token, video_id)["status"] == "completed"
    style = StyledCompositor.composed[-1].caption_style
    assert (style.preset, style.box, style.position) == ("boxed", True, CaptionPosition.TOP)
    assert style.colour == (255, 0, 0, 255) and style.words_per_phrase == 2
    assert max(len(phrase.words) for phrase in StyledCompositor.composed[-1].captions) == 2
    shown = client.get(f"/api/video/{video_id}", headers=auth(token)).json()["captions"]
    assert shown == {**style.settings(), "colour": "#ff0000"}
    assert shown["preset"] == "boxed" and shown["outline_colour"] == "#000000aa"


def test_a_video_without_captions_has_the_classic_look(client: TestClient[Any], token: str) -> None:
    StyledCompositor.composed.clear()
    video_id = client.post("/api/video/generate", json=VIDEO_REQUEST, headers=auth(token)).json()["id"]
    assert final_status(client, token, video_id)["status"] == "completed"
    assert StyledCompositor.composed[-1].caption_style.preset == "classic"
    assert client.get(f"/api/video/{video_id}", headers=auth(token)).json()["captions"] is None


@pytest.mark.parametrize(
    ("captions", "field"),
    [
        ({"preset": "fancy"}, "captions.preset"),
        ({"size": 5}, "captions.size"),
        ({"size": "big"}, "captions.size"),
        ({"colour": "blurple"}, "captions.colour"),
        ({"highlight_colour": "#12345"}, "captions.highlight_colour"),
        ({"position": "left"}, "captions.position"),
        ({"words_per_phrase": 0}, "captions.words_per_phrase"),
        ({"uppercase": "yes"}, "captions.uppercase"),
        ({"font": "/etc/passwd"}, "captions.font"),
        ({"font": "~/fonts/mine.ttf"}, "captions.font"),
        ({"font": "No Such Font"}, "captions.font"),
        ({"shadow": False}, "captions.shadow"),
        ("boxed", "captions"),
    ],
)
def test_a_bad_caption_choice_is_a_400_naming_the_field(
    client: TestClient[Any], context: ServerContext, token: str, captions: Any, field: str
) -> None:
    answer = client.post(
        "/api/video/generate", json={**VIDEO_REQUEST, "captions": captions}, headers=auth(token)
    )
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert field in body["fields"], body
    assert video_count(context) == 0


def test_the_choices_list_the_presets_positions_and_fonts(client: TestClient[Any], token: str) -> None:
    answer = client.get("/api/captions", headers=auth(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [p["preset"] for p in body["presets"]] == ["classic", "boxed", "bold", "minimal"]
    assert body["positions"] == ["top", "middle", "bottom"]
    assert "Lato-Black" in body["fonts"]
    assert client.get("/api/captions").status_code == 401


def test_a_preview_is_a_png_of_the_style(client: TestClient[Any], token: str) -> None:
    body = {
        "captions": {"preset": "bold", "position": "top"},
        "text": "Small steps every day",
        "aspect": "1:1",
    }
    answer = client.post("/api/captions/preview", json=body, headers=auth(token))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(answer.content)) as image:
        assert image.size == (540, 540)
        frame = image.convert("RGB")
    ink = [y for y in range(frame.height) if any(min(frame.getpixel((x, y))) > 220 for x in range(0, 540, 3))]
    assert ink and sum(ink) / len(ink) < 540 / 3  # the band is at the top
    default = client.post("/api/captions/preview", json={}, headers=auth(token))
    assert default.status_code == 200 and default.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"captions": {"colour": "nope"}}, "captions.colour"),
        ({"aspect": "4:3"}, "aspect"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 201}, "text"),
        ({"captions": {"font": "../secret.ttf"}}, "captions.font"),
        ({"other": 1}, "other"),
    ],
)
def test_a_bad_preview_request_is_a_400_naming_the_field(
    client: TestClient[Any], token: str, body: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/captions/preview", json=body, headers=auth(token))
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["fields"], answer.json()


def test_a_preview_needs_a_signed_in_user(client: TestClient[Any]) -> None:
    assert client.post("/api/captions/preview", json={}).status_code == 401


@pytest.mark.parametrize(
    ("captions", "field"),
    [
        ({"uppercase": 0}, "captions.uppercase"),
        ({"size": "60"}, "captions.size"),
        ({"preset": 1}, "captions.preset"),
    ],
)
def test_a_preview_takes_no_value_of_the_wrong_type(
    client: TestClient[Any], token: str, captions: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/captions/preview", json={"captions": captions}, headers=auth(token))
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["fields"], answer.json()
