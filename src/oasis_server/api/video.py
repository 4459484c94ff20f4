"""``/api/video``: write a quote or visual prompt, queue a render, follow it, list and delete videos.

Every route is the signed-in user's: a video of someone else's is answered
404, exactly like one that does not exist.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, JSONBody, QueryParameter
from sqlalchemy import Select, bindparam, func, select, update

from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.video import RenderStage, VideoStatus
from oasis_core.services.content import generate_quote, generate_visual_prompt
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, SignedIn, provide_user
from oasis_server.api.errors import not_found
from oasis_server.api.media import MediaLinks
from oasis_server.api.schemas import error_responses
from oasis_server.api.scripts import (
    GenerateOut,
    ScriptSceneOut,
    scenes_from,
    scenes_out,
    write_script_answer,
)
from oasis_server.api.scripts import usage_of as _usage_of
from oasis_server.api.video_requests import (
    GenerateIn,
    QuoteIn,
    ScriptIn,
    VideoId,
    VideoIn,
    VisualPromptIn,
)
from oasis_server.db.models import ScheduledPost, Video
from oasis_server.jobs.heartbeat import waiting_message
from oasis_server.jobs.submit import VideoSpec, submit_video
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice

log = logging.getLogger(__name__)

RECENT_QUOTES = 20
DEFAULT_STYLE = "cinematic"


class ContentOut(msgspec.Struct):
    """A written quote or visual prompt, the language model that wrote it and what that used.

    ``usage`` holds the counts the provider reports (``input_tokens``,
    ``output_tokens``, ``requests``); the offline provider reports none.
    """

    content: str
    author: str | None = None
    provider: str | None = None
    usage: dict[str, int] = msgspec.field(default_factory=dict)


class VideoAccepted(msgspec.Struct):
    """The id of the queued video; follow it at ``/api/video/generate/{id}/status``."""

    id: str


class VideoStatusOut(msgspec.Struct):
    """Where a render stands."""

    id: str
    status: VideoStatus
    progress: int
    stage: RenderStage
    url: str | None
    error: str | None
    thumbnail_url: str | None
    message: str | None = None
    """Why a ``processing`` video is not moving, e.g. that no worker is running to render it; else null."""


class VideoOut(msgspec.Struct):
    """A video; ``url`` and ``thumbnail_url`` are links valid for at least an hour."""

    id: str
    title: str
    description: str | None
    category: str
    content: str
    visual_prompt: str
    style: str
    status: VideoStatus
    url: str | None
    thumbnail_url: str | None
    duration: int | None
    created_at: datetime
    updated_at: datetime
    aspect: str
    voice: str | None
    stage: RenderStage
    progress: int
    error: str | None
    usage: dict[str, dict[str, int]]
    providers: dict[str, str]
    captions: dict[str, Any] | None = None
    """The caption style asked for (a ``captions`` object with every choice filled in); null: the classic look."""
    scenes: list[ScriptSceneOut] | None = None
    """A video told in scenes: each scene's text, visual prompt and search terms; null for one text."""


class VideoPage(msgspec.Struct):
    """One page of videos, newest first."""

    items: list[VideoOut]
    total: int
    limit: int
    offset: int


class VideoRecord(msgspec.Struct, frozen=True):
    """The columns of a video the API shows, read straight from the table (no ORM object)."""

    id: str
    title: str
    description: str | None
    category: str
    content: str
    visual_prompt: str
    style: str
    status: str
    video_key: str | None
    thumbnail_key: str | None
    duration: int | None
    created_at: datetime
    updated_at: datetime
    aspect: str
    voice: str | None
    stage: str
    progress: int
    error: str | None
    usage: dict[str, Any] | None
    providers: dict[str, Any] | None
    captions: dict[str, Any] | None
    scenes: list[dict[str, Any]] | None


VIDEO_COLUMNS = tuple(getattr(Video, name) for name in VideoRecord.__struct_fields__)
"""The columns of :class:`VideoRecord`, in its order: ``VideoRecord(*row)`` makes one from a row."""


def video_out(video: VideoRecord, links: MediaLinks) -> VideoOut:
    """The API's view of a video row."""
    return VideoOut(
        id=video.id,
        title=video.title,
        description=video.description,
        category=video.category,
        content=video.content,
        visual_prompt=video.visual_prompt,
        style=video.style,
        status=VideoStatus(video.status),
        url=links.link(video.id, "video", video.video_key),
        thumbnail_url=links.link(video.id, "thumbnail", video.thumbnail_key),
        duration=video.duration,
        created_at=video.created_at,
        updated_at=video.updated_at,
        aspect=video.aspect,
        voice=video.voice,
        stage=RenderStage(video.stage),
        progress=video.progress,
        error=video.error,
        usage=dict(video.usage or {}),
        providers={str(k): str(v) for k, v in (video.providers or {}).items()},
        captions=dict(video.captions) if video.captions else None,
        scenes=scenes_out(video.scenes),
    )


@cache
def _list_statements(by_status: bool, by_category: bool) -> tuple[Select[Any], Select[tuple[int]]]:
    """One page of a user's videos, newest first, and their count; built once per combination of filters."""
    conditions = [Video.user_id == bindparam("user_id")]
    if by_status:
        conditions.append(Video.status == bindparam("status"))
    if by_category:
        conditions.append(Video.category == bindparam("category"))
    page = (
        select(*VIDEO_COLUMNS)
        .where(*conditions)
        .order_by(Video.created_at.desc(), Video.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return page, select(func.count()).select_from(Video).where(*conditions)


def _page_of_videos(
    context: ServerContext, user_id: str, status: str | None, category: str | None, limit: int, offset: int
) -> tuple[list[VideoRecord], int]:
    """One page of the user's videos and how many match in all."""
    page, count = _list_statements(status is not None, bool(category))
    values = {"user_id": user_id, "status": status, "category": category, "limit": limit, "offset": offset}
    with context.engine.connect() as connection:
        rows = [VideoRecord(*row) for row in connection.execute(page, values)]
        if (rows and len(rows) < limit) or (not rows and offset == 0):
            return rows, offset + len(rows)  # the last page: nothing follows it, so no count is needed
        return rows, int(connection.execute(count, values).scalar_one())


_OWNED_VIDEO = select(*VIDEO_COLUMNS).where(
    Video.id == bindparam("video_id"), Video.user_id == bindparam("user_id")
)


def _owned(context: ServerContext, video_id: str, user: CurrentUser) -> VideoRecord:
    """The user's video (404 for anyone else's, as for one that does not exist)."""
    with context.engine.connect() as connection:
        row = connection.execute(_OWNED_VIDEO, {"video_id": video_id, "user_id": user.id}).first()
    if row is None:
        raise not_found("Video not found")
    return VideoRecord(*row)


class VideoController(Controller):
    """Quotes, prompts and video jobs."""

    path = "/api/video"
    tags = ["video"]
    dependencies = {"user": Provide(provide_user)}

    @post(
        "/generate",
        operation_id="generate",
        summary="Write a quote or a visual prompt, or queue a video render",
        status_code=200,
        sync_to_thread=True,
        responses={
            202: ResponseSpec(data_container=VideoAccepted, description="The video is queued"),
            **error_responses(400, 401, 429, 503),
        },
    )
    def generate(self, data: JSONBody[GenerateIn], user: SignedIn, state: State) -> Response[GenerateOut]:
        """``type`` picks the work: ``quote``, ``visual_prompt`` and ``script`` answer 200, ``video`` 202 with its id.

        A video is refused with 429 (and ``Retry-After``) while the user has as many queued or rendering
        as their limit, and with 400 when its text cannot be spoken within ``OASIS_MAX_VIDEO_SECONDS``.
        """
        context: ServerContext = state.ctx
        requested = data.providers.chosen() if data.providers else {}
        if isinstance(data, ScriptIn):
            script = write_script_answer(
                context,
                user.id,
                topic=data.topic,
                category=data.category,
                length=data.length,
                language=data.language,
                requested=requested,
            )
            return Response(script)  # type: ignore[arg-type]  # GenerateOut documents every 200 answer
        if isinstance(data, VideoIn):
            spec = VideoSpec(
                category=data.category,
                content=data.content or "",
                visual_prompt=data.visual_prompt or "",
                scenes=scenes_from(data.scenes),
                style=data.style,
                title=data.title,
                description=data.description,
                voice=data.voice,
                aspect=data.aspect,
                providers=requested,
                language=data.language,
                captions=data.captions.style() if data.captions else None,
                author=data.author,
            )
            video_id = submit_video(context, user.id, spec)
            return Response(VideoAccepted(video_id), status_code=202)  # type: ignore[arg-type]
        category = get_category(data.category)
        with context.sessions() as session:
            choice = ProviderChoice.for_user(context, session, user.id)
            recent: list[str] = []
            if isinstance(data, QuoteIn):
                recent = list(
                    session.scalars(
                        select(Video.content)
                        .where(Video.user_id == user.id, Video.category == category.id)
                        .order_by(Video.created_at.desc())
                        .limit(RECENT_QUOTES)
                    )
                )
        if isinstance(data, VisualPromptIn):
            style = get_style(data.style or DEFAULT_STYLE)  # checked before any provider is built
        llm_id = choice.choose(requested, CHOOSABLE)[PortKind.LLM.value]
        llm = choice.build(PortKind.LLM, llm_id)
        if isinstance(data, VisualPromptIn):
            prompt = generate_visual_prompt(llm, data.content, category.id, style.id)
            return Response(ContentOut(prompt, provider=llm_id, usage=_usage_of(llm)))  # type: ignore[arg-type]
        quote = generate_quote(llm, category.id, avoid=recent, language=data.language)
        return Response(ContentOut(quote.text, quote.author, provider=llm_id, usage=_usage_of(llm)))  # type: ignore[arg-type]

    @get(
        "/generate/{video_id:str}/status",
        operation_id="getVideoStatus",
        summary="Where a render stands",
        responses=error_responses(400, 401, 404),
    )
    async def status(self, video_id: VideoId, user: SignedIn, state: State) -> VideoStatusOut:
        """Status, stage and progress (0–100); ``url`` once completed, ``error`` once failed."""
        context: ServerContext = state.ctx
        video = await context.read(_owned, context, video_id, user)
        links = MediaLinks(context)
        waiting = video.status == "processing" and video.stage == "queued"
        message = None
        if waiting and context.redis is not None:  # renders queued in Redis wait for `oasis worker`
            message = await sync_to_thread(waiting_message, context.redis, waiting=waiting)
        return VideoStatusOut(
            id=video.id,
            status=VideoStatus(video.status),
            progress=video.progress,
            stage=RenderStage(video.stage),
            url=links.link(video.id, "video", video.video_key),
            error=video.error,
            thumbnail_url=links.link(video.id, "thumbnail", video.thumbnail_key),
            message=message,
        )

    @get(
        "/list",
        operation_id="listVideos",
        summary="The user's videos, newest first",
        responses=error_responses(400, 401),
    )
    async def list_videos(
        self,
        user: SignedIn,
        state: State,
        status: FromQuery[VideoStatus | None] = None,
        category: Annotated[str | None, QueryParameter(max_length=50)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> VideoPage:
        """Filter by ``status`` and ``category``; ``limit`` 1–100 (default 20) and ``offset``."""
        context: ServerContext = state.ctx
        wanted = None if status is None else status.value
        rows, total = await context.read(_page_of_videos, context, user.id, wanted, category, limit, offset)
        links = MediaLinks(context)
        return VideoPage([video_out(row, links) for row in rows], total, limit, offset)

    @get(
        "/{video_id:str}",
        operation_id="getVideo",
        summary="One video",
        responses=error_responses(400, 401, 404),
    )
    async def get_video(self, video_id: VideoId, user: SignedIn, state: State) -> VideoOut:
        """The video, with fresh links to its files."""
        context: ServerContext = state.ctx
        return video_out(await context.read(_owned, context, video_id, user), MediaLinks(context))

    @delete(
        "/delete/{video_id:str}",
        operation_id="deleteVideo",
        summary="Delete a video and its files",
        status_code=204,
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def delete_video(self, video_id: VideoId, user: SignedIn, state: State) -> None:
        """Remove the video, its files, and cancel its pending scheduled posts."""
        context: ServerContext = state.ctx
        with context.session() as session:
            video = session.scalar(
                select(Video).where(Video.id == video_id, Video.user_id == user.id).with_for_update()
            )
            if video is None:
                raise not_found("Video not found")
            keys = [key for key in (video.video_key, video.thumbnail_key) if key]
            session.execute(
                update(ScheduledPost)
                .where(ScheduledPost.video_id == video_id, ScheduledPost.status == "pending")
                .values(status="cancelled", error="The video was deleted")
                .execution_options(synchronize_session=False)
            )
            session.delete(video)
        store = context.blob_store()
        for key in keys:
            try:
                store.delete(key)
            except Exception as exc:  # the row is gone; a file left behind is logged, not shown to the user
                log.warning("Could not delete %s of video %s: %s", key, video_id, exc)


ROUTES: list[Any] = [VideoController]
