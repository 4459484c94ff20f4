"""``/api/captions``: the caption presets and fonts a video request may choose, and a preview still of a style.

``CaptionsIn`` is the ``captions`` object of a video request too, so both
check a style the same way: the wire type refuses a wrong type or an
out-of-range number, :func:`~oasis_core.domain.caption_style.caption_style`
the rest, each answered 400 naming the field (``captions.colour``). A font is
named, never given as a path: a user must not point the server at its files.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import Body

from oasis_core.catalog import PortKind
from oasis_core.domain.caption_style import (
    CAPTION_PRESETS,
    MAX_SIZE,
    MAX_WORDS,
    MIN_SIZE,
    MIN_WORDS,
    POSITIONS,
    CaptionPosition,
    CaptionStyle,
    caption_style,
)
from oasis_core.domain.media import get_aspect
from oasis_core.errors import InvalidInput
from oasis_core.ports.compositor import CaptionPreviews
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import SignedIn, provide_user
from oasis_server.api.schemas import FileOperation, error_responses

PREVIEW_TEXT = "Every word lights up as it is spoken"
T = TypeVar("T")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)

PresetId = Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["boxed"])]
FontName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        pattern=r"^[^/\\~]+$",
        examples=["Lato Bold"],
        description="An installed font's name (GET /api/captions lists them); not a path",
    ),
]
ColourText = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=20, examples=["#ffd640"], description="#rrggbb, #rrggbbaa or a name"
    ),
]
Size = Annotated[int, msgspec.Meta(ge=MIN_SIZE, le=MAX_SIZE, description="The largest font size, in pixels")]
Words = Annotated[int, msgspec.Meta(ge=MIN_WORDS, le=MAX_WORDS)]
PreviewText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
AspectId = Annotated[str, msgspec.Meta(min_length=1, max_length=10, examples=["9:16"])]


class CaptionsIn(msgspec.Struct, forbid_unknown_fields=True):
    """How a video's captions look: a ``preset`` (default ``classic``) and the choices that replace its own."""

    preset: PresetId | None = None
    font: FontName | None = None
    size: Size | None = None
    colour: ColourText | None = None
    highlight_colour: ColourText | None = None
    outline_colour: ColourText | None = None
    position: CaptionPosition | None = None
    uppercase: bool | None = None
    words_per_phrase: Words | None = None

    def style(self) -> CaptionStyle:
        """The style asked for; raises :class:`InvalidInput` naming the field."""
        return caption_style(**{name: getattr(self, name) for name in self.__struct_fields__})


class CaptionPresetOut(msgspec.Struct):
    """A preset's settings, as a ``captions`` object takes them."""

    preset: str
    font: str | None
    size: int | None
    colour: str
    highlight_colour: str
    outline_colour: str
    position: CaptionPosition
    uppercase: bool
    words_per_phrase: int


class CaptionChoicesOut(msgspec.Struct):
    """The presets, positions and installed fonts a ``captions`` object may name."""

    presets: list[CaptionPresetOut]
    positions: list[str]
    fonts: list[str]


class PreviewIn(msgspec.Struct, forbid_unknown_fields=True):
    """What to preview: a style, a sample text (its first phrase is drawn) and a frame shape."""

    captions: CaptionsIn | None = None
    text: PreviewText | None = None
    aspect: AspectId | None = None


def decode_strictly(body: bytes, kind: type[T]) -> T:
    """``body`` as ``kind``, without the lenient conversions route parameters get (``0`` for false, ``"16"`` for 16).

    Raises :class:`ValidationException` naming the field, answered 400 like any malformed body.
    """
    try:
        return msgspec.json.decode(body or b"{}", type=kind, strict=True)
    except msgspec.ValidationError as exc:
        found = _AT.match(str(exc))
        message, path = (found["message"], found["path"]) if found else (str(exc), "")
        raise ValidationException(extra=[{"key": path or "body", "message": message}]) from None


def compositor(context: ServerContext) -> Any:
    """The server's default compositor (it needs no key)."""
    kind = PortKind.COMPOSITOR
    provider_id = context.catalog.default_id(kind)
    return context.catalog.create(
        kind, provider_id, context.provider_config(context.catalog.info(kind, provider_id), None)
    )


def previews(context: ServerContext) -> CaptionPreviews:
    """The default compositor, if it draws caption previews; else :class:`InvalidInput`."""
    found = compositor(context)
    if not isinstance(found, CaptionPreviews):
        raise InvalidInput(f"The {found.id} compositor does not draw caption previews", field="captions")
    return found


class CaptionController(Controller):
    """Caption presets and previews."""

    path = "/api/captions"
    tags = ["captions"]
    dependencies = {"user": Provide(provide_user)}

    @get(
        "/",
        operation_id="listCaptionChoices",
        summary="Caption presets, positions and fonts",
        sync_to_thread=True,
        responses=error_responses(401),
    )
    def choices(self, user: SignedIn, state: State) -> CaptionChoicesOut:
        """Each preset's settings, the positions, and the names of the fonts installed for captions."""
        found = compositor(state.ctx)
        fonts = list(found.caption_fonts()) if isinstance(found, CaptionPreviews) else []
        presets = [msgspec.convert(style.settings(), CaptionPresetOut) for style in CAPTION_PRESETS.values()]
        return CaptionChoicesOut(presets, list(POSITIONS), fonts)

    @post(
        "/preview",
        operation_id="previewCaptions",
        operation_class=FileOperation,
        summary="A PNG still of a caption style",
        status_code=200,
        media_type="image/png",
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type="image/png",
                description="The still, at half the frame's size",
            ),
            **error_responses(400, 401),
        },
    )
    async def preview(
        self,
        data: Annotated[PreviewIn, Body(schema_extra={"additionalProperties": False})],
        request: Request[Any, Any, Any],
        user: SignedIn,
        state: State,
    ) -> Response[bytes]:
        """The text's first phrase drawn in the style over a neutral background, its second word highlighted."""
        asked = decode_strictly(await request.body(), PreviewIn)
        png = await sync_to_thread(_preview, state.ctx, asked)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def _preview(context: ServerContext, asked: PreviewIn) -> bytes:
    style = asked.captions.style() if asked.captions else caption_style()
    aspect = get_aspect(asked.aspect or "9:16")
    drawer = previews(context)
    drawer.check_caption_style(style)
    return drawer.caption_preview(style, aspect, asked.text or PREVIEW_TEXT)


ROUTES: list[Any] = [CaptionController]
