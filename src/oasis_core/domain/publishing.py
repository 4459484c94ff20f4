"""Getting a video out: connected accounts, scheduled posts and what a publisher is given."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from oasis_core.errors import InvalidTransition


class AccountStatus(enum.StrEnum):
    """Whether a connected social account can be used."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@define
class SocialAccount:
    """A user's account on a platform, with the credentials a publisher needs.

    A publisher that refreshes the tokens (before they expire, or after a
    401) updates ``access_token``, ``refresh_token`` (keeping the newest) and
    ``token_expires_at`` in place; the caller saves the account back after
    every call, whatever its outcome. ``session`` holds platform session
    state that is not a token (instagrapi's settings, as JSON); it is stored
    encrypted like the tokens. ``account_id`` is the platform's id for the
    account (a channel id, an open_id) when known.
    """

    platform: str
    username: str | None
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_expires_at: datetime | None = None
    status: AccountStatus = AccountStatus.ACTIVE
    session: str | None = field(default=None, repr=False)
    account_id: str | None = None


class PostStatus(enum.StrEnum):
    """Where a scheduled post stands."""

    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


_POST_MOVES: dict[PostStatus, frozenset[PostStatus]] = {
    PostStatus.PENDING: frozenset({PostStatus.PUBLISHING, PostStatus.CANCELLED, PostStatus.FAILED}),
    PostStatus.PUBLISHING: frozenset({PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.PENDING}),
    PostStatus.PUBLISHED: frozenset(),
    PostStatus.FAILED: frozenset(),
    PostStatus.CANCELLED: frozenset(),
}


def can_move(current: PostStatus, target: PostStatus) -> bool:
    """Whether a post may move from ``current`` to ``target``.

    ``publishing`` → ``pending`` is the retry path after a transient failure.
    """
    return target in _POST_MOVES[current]


@define
class ScheduledPost:
    """A video to publish on one platform at one time, exactly once."""

    id: str
    video_id: str | None
    platform: str
    scheduled_time: datetime
    content: str | None = None
    status: PostStatus = PostStatus.PENDING
    attempts: int = 0
    platform_id: str | None = None
    published_url: str | None = None
    error: str | None = None

    def move(self, target: PostStatus) -> None:
        """Change status, or raise :class:`InvalidTransition` if the move is not allowed."""
        if not can_move(self.status, target):
            raise InvalidTransition(f"A {self.status} post cannot become {target}")
        self.status = target


def _tags(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


@frozen
class PublishRequest:
    """What a publisher uploads: the file and the words that go with it.

    ``platform_id`` is set when an earlier attempt already got an upload or
    publish id from the platform, so the publisher can check it instead of
    uploading twice.
    """

    video_path: Path
    title: str
    description: str = ""
    tags: tuple[str, ...] = field(default=(), converter=_tags)
    privacy: str = "public"
    made_for_kids: bool = False
    synthetic_media: bool = True
    platform_id: str | None = None
    options: Mapping[str, Any] = field(factory=dict)
    """The post's options for this platform, as the publisher's ``check_options`` returned them
    (empty for a post made without options: the publisher's defaults apply)."""


@frozen
class PostingRules:
    """What an account may post now: the choices a post's options must come from.

    ``privacy_options`` are the platform's own privacy values (TikTok's
    ``privacy_level_options`` from its creator info; YouTube's fixed three);
    the ``*_disabled`` flags are interactions the creator turned off, which a
    post cannot turn on; ``max_duration_seconds`` is the longest video the
    account may post; ``limits`` names the platform's text limits
    (``title_chars``, ``caption_chars``, ``hashtags`` …) for a form to show.
    """

    platform: str
    username: str | None = None
    nickname: str | None = None
    privacy_options: tuple[str, ...] = ()
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_duration_seconds: float | None = None
    limits: Mapping[str, int] = field(factory=dict)


@frozen
class PublishResult:
    """What the platform answered: its id for the post and, once known, a public URL."""

    platform_id: str
    url: str | None = None
