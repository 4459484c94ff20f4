"""``/api/schedule``: posts of a video to platforms at a time, each published exactly once.

Times are given with an offset and stored in UTC; a time in the past means
"as soon as possible". A post whose video is still rendering waits for it;
one whose video failed ends ``failed`` with that reason. Only ``pending``
posts can be changed or cancelled (``409`` otherwise).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, PathParameter, QueryParameter
from sqlalchemy import func, select, update

from oasis_core.domain.publishing import PostStatus
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, provide_user
from oasis_server.api.errors import ApiError, not_found
from oasis_server.api.schemas import STRICT_BODY, Timestamp, error_responses, parse_timestamp
from oasis_server.db.models import ScheduledPost, Video
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.types import utcnow
from oasis_server.publishing.platforms import publisher_infos
from oasis_server.publishing.post_options import check_options, post_request

log = logging.getLogger(__name__)

SignedIn = NamedDependency[CurrentUser]
PostId = Annotated[str, PathParameter(max_length=64)]
Caption = Annotated[str, msgspec.Meta(max_length=5000)]
MAX_AHEAD = timedelta(days=366)
PostOptions = Annotated[
    dict[str, dict[str, Any]],
    msgspec.Meta(
        description='Options per platform, e.g. {"tiktok": {"privacy_level": "SELF_ONLY"}} '
        "(see docs/api.md: youtube, tiktok, instagram)",
        examples=[{"tiktok": {"privacy_level": "SELF_ONLY", "disable_duet": True}}],
    ),
]


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    """Publish ``video_id`` on each of ``platforms`` at ``scheduled_time`` (with an offset)."""

    video_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    platforms: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=50)]],
        msgspec.Meta(min_length=1, max_length=10),
    ]
    scheduled_time: Timestamp
    content: Caption | None = None
    options: PostOptions | None = None


class ScheduleChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new time, caption or options (keyed by the post's platform), for a pending post."""

    scheduled_time: Timestamp | None = None
    content: Caption | None = None
    options: PostOptions | None = None


class PostOut(msgspec.Struct):
    """A scheduled post. ``error`` says why a ``failed`` post failed, or why the last attempt was retried."""

    id: str
    video_id: str | None
    platform: str
    content: str | None
    scheduled_time: datetime
    status: PostStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    published_url: str | None = None
    error: str | None = None
    options: dict[str, Any] | None = None
    """The options of this post's platform, as checked when it was scheduled or changed."""

    @classmethod
    def of(cls, row: ScheduledPost) -> PostOut:
        """The API's view of a post row."""
        return cls(
            row.id,
            row.video_id,
            row.platform,
            row.content,
            row.scheduled_time,
            PostStatus(row.status),
            row.attempts,
            row.created_at,
            row.updated_at,
            row.published_url,
            row.error,
            row.options,
        )


class PostsOut(msgspec.Struct):
    """The posts made by one request."""

    items: list[PostOut]


class PostPage(msgspec.Struct):
    """One page of posts, soonest first."""

    items: list[PostOut]
    total: int
    limit: int
    offset: int


def utc_time(value: str, now: datetime) -> datetime:
    """``value`` in UTC; it must carry an offset and lie within a year; the past means now."""
    moment = parse_timestamp(value, "scheduled_time")
    if moment - now > MAX_AHEAD:
        raise InvalidInput("scheduled_time may be at most a year ahead", field="scheduled_time")
    return max(moment, now)


def _pending_or_409(row: ScheduledPost | None, user_id: str) -> ScheduledPost:
    if row is None or row.user_id != user_id:
        raise not_found("No such scheduled post")
    if row.status != "pending":
        raise ApiError(409, f"The post is {row.status}; only pending posts can be changed or cancelled")
    return row


def _changed_options(
    context: ServerContext, post_id: str, user_id: str, data: ScheduleChangeIn
) -> dict[str, Any] | None:
    """The options a change leaves the post with, checked again with its caption; ``None``: unchanged.

    New options replace the old ones; a new caption alone is checked with the stored options (a post
    stored without options keeps the publisher's defaults).
    """
    with context.sessions() as session:
        row = _pending_or_409(session.get(ScheduledPost, post_id), user_id)
        video = session.get(Video, row.video_id) if row.video_id else None
        session.expunge_all()
    given = data.options
    if given is None:
        if row.options is None:
            return None
        given = {row.platform: row.options}
    if video is None:
        raise InvalidInput("The post's video is gone, so its options cannot be checked", field="options")
    content = data.content if data.content is not None else row.content
    checked = check_options(
        context, user_id, [row.platform], given, post_request(video, content), duration=video.duration
    )
    return checked.get(row.platform, {})


class ScheduleController(Controller):
    """Scheduled posts."""

    path = "/api/schedule"
    tags = ["schedule"]
    dependencies = {"user": Provide(provide_user)}

    @post(
        "/",
        operation_id="schedulePosts",
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def schedule(self, data: Annotated[ScheduleIn, STRICT_BODY], user: SignedIn, state: State) -> PostsOut:
        """One post per platform; each platform must be connected."""
        context: ServerContext = state.ctx
        now = utcnow()
        when = utc_time(data.scheduled_time, now)
        platforms = list(dict.fromkeys(p.strip().lower() for p in data.platforms))
        known = sorted(publisher_infos(context.catalog))
        for platform in platforms:
            if platform not in known:
                raise InvalidInput(f"Unknown platform {platform!r}", field="platforms", choices=known)
        with context.session() as session:
            video = session.get(Video, data.video_id)
            if video is None or video.user_id != user.id:
                raise not_found("No such video")
            if video.status == "failed":
                raise InvalidInput("This video failed to render; it cannot be published", field="video_id")
            connected = set(
                session.scalars(
                    select(AccountRow.platform).where(
                        AccountRow.user_id == user.id, AccountRow.status == "active"
                    )
                )
            )
            missing = [p for p in platforms if p not in connected]
            if missing:
                raise InvalidInput(
                    f"Connect {', '.join(missing)} first (under Social accounts), then schedule",
                    field="platforms",
                )
            session.expunge(video)
        # outside the transaction: a publisher may ask the platform what the account allows now
        checked = check_options(
            context,
            user.id,
            platforms,
            data.options,
            post_request(video, data.content),
            duration=video.duration,
        )
        with context.session() as session:
            if session.get(Video, video.id) is None:
                raise not_found("No such video")
            rows = [
                ScheduledPost(
                    user_id=user.id,
                    video_id=video.id,
                    platform=platform,
                    content=data.content,
                    scheduled_time=when,
                    status="pending",
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                    options=checked.get(platform),
                )
                for platform in platforms
            ]
            session.add_all(rows)
            session.flush()
            out = PostsOut([PostOut.of(row) for row in rows])
        log.info("User %s scheduled video %s on %s", user.id, data.video_id, ", ".join(platforms))
        return out

    @get("/list", operation_id="listScheduledPosts", sync_to_thread=True, responses=error_responses(400, 401))
    def list_posts(
        self,
        user: SignedIn,
        state: State,
        status: FromQuery[PostStatus | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> PostPage:
        """The user's posts, soonest first; filter by ``status``."""
        context: ServerContext = state.ctx
        conditions = [ScheduledPost.user_id == user.id]
        if status:
            conditions.append(ScheduledPost.status == status.value)
        with context.sessions() as session:
            total = int(
                session.scalar(select(func.count()).select_from(ScheduledPost).where(*conditions)) or 0
            )
            rows = session.scalars(
                select(ScheduledPost)
                .where(*conditions)
                .order_by(ScheduledPost.scheduled_time, ScheduledPost.id)
                .limit(limit)
                .offset(offset)
            )
            return PostPage([PostOut.of(row) for row in rows], total, limit, offset)

    @get(
        "/{post_id:str}",
        operation_id="getScheduledPost",
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def get_post(self, post_id: PostId, user: SignedIn, state: State) -> PostOut:
        """One post."""
        context: ServerContext = state.ctx
        with context.sessions() as session:
            row = session.get(ScheduledPost, post_id)
            if row is None or row.user_id != user.id:
                raise not_found("No such scheduled post")
            return PostOut.of(row)

    @put(
        "/{post_id:str}",
        operation_id="changeScheduledPost",
        sync_to_thread=True,
        responses=error_responses(400, 401, 404, 409),
    )
    def change_post(
        self, post_id: PostId, data: Annotated[ScheduleChangeIn, STRICT_BODY], user: SignedIn, state: State
    ) -> PostOut:
        """Change the time or caption of a pending post."""
        context: ServerContext = state.ctx
        now = utcnow()
        values: dict[str, object] = {"updated_at": now}
        if data.scheduled_time is not None:
            values["scheduled_time"] = utc_time(data.scheduled_time, now)
            values["not_before"] = None
        if data.content is not None:
            values["content"] = data.content
        if data.options is not None or data.content is not None:
            options = _changed_options(context, post_id, user.id, data)
            if options is not None:
                values["options"] = options
        with context.session() as session:
            _pending_or_409(session.get(ScheduledPost, post_id), user.id)
            changed = session.execute(
                update(ScheduledPost)
                .where(ScheduledPost.id == post_id, ScheduledPost.status == "pending")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise ApiError(409, "The post started publishing meanwhile; it can no longer be changed")
        with context.sessions() as session:
            row = session.get(ScheduledPost, post_id)
            assert row is not None
            return PostOut.of(row)

    @delete(
        "/{post_id:str}",
        operation_id="cancelScheduledPost",
        status_code=204,
        sync_to_thread=True,
        responses=error_responses(400, 401, 404, 409),
    )
    def cancel_post(self, post_id: PostId, user: SignedIn, state: State) -> None:
        """Cancel a pending post (a compare-and-set: a post already publishing answers 409)."""
        context: ServerContext = state.ctx
        with context.session() as session:
            _pending_or_409(session.get(ScheduledPost, post_id), user.id)
            changed = session.execute(
                update(ScheduledPost)
                .where(ScheduledPost.id == post_id, ScheduledPost.status == "pending")
                .values(status="cancelled", updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise ApiError(409, "The post started publishing meanwhile; it can no longer be cancelled")


ROUTES = [ScheduleController]
