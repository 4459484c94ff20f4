"""The six tables of the original design, with the columns the features need.

Ids are UUID strings; times are stored as UTC. Secrets (provider keys, OAuth
tokens) are stored encrypted by :mod:`oasis_server.security.secret_box`, and
``auth_tokens.token`` holds a SHA-256 digest, never a token.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from oasis_server.db.types import JSONText, UTCDateTime, utcnow


def new_id() -> str:
    """A random UUID string."""
    return str(uuid.uuid4())


def _enum(*values: str, name: str) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


class Base(DeclarativeBase):
    """The declarative base of every table."""


class User(Base):
    """A person who signs in."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(_enum("user", "admin", name="user_role"), default="user")
    status: Mapped[str] = mapped_column(
        _enum("active", "inactive", "pending", name="user_status"), default="active"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    avatar: Mapped[str | None] = mapped_column(String(255), nullable=True)
    provider_defaults: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    """The user's default provider per port (``{"llm": "openai"}``), or ``None``."""
    limits: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    """An admin's overrides of the server-wide limits (``{"queued_renders": 10}``), or ``None``."""

    tokens: Mapped[list[AuthToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class AuthToken(Base):
    """One issued token (``id`` is its ``jti``); ``token`` is the SHA-256 of the token, never the token."""

    __tablename__ = "auth_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class ApiKey(Base):
    """A user's own key for one provider, encrypted; ``key_hint`` shows at most its last four characters."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("user_id", "provider", name="uq_api_keys_user_provider"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(50))
    api_key: Mapped[str] = mapped_column(Text())
    key_hint: Mapped[str] = mapped_column(String(8), default="")
    last_tested: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(
        _enum("untested", "success", "failed", name="api_key_status"), default="untested"
    )
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Video(Base):
    """A video job and, once rendered, where its files are."""

    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_user_newest", "user_id", "created_at", "id"),
        Index("ix_videos_status_lease", "status", "lease_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text(), nullable=True)
    category: Mapped[str] = mapped_column(String(50))
    content: Mapped[str] = mapped_column(Text())
    visual_prompt: Mapped[str] = mapped_column(Text())
    style: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(
        _enum("processing", "completed", "failed", name="video_status"), default="processing"
    )
    url: Mapped[str | None] = mapped_column(String(255), nullable=True)
    thumbnail_url: Mapped[str | None] = mapped_column(String(255), nullable=True)
    duration: Mapped[int | None] = mapped_column(Integer(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # what the features need beyond the original columns
    aspect: Mapped[str] = mapped_column(String(10), default="9:16")
    voice: Mapped[str | None] = mapped_column(String(100), nullable=True)
    providers: Mapped[dict[str, Any]] = mapped_column(JSONText(), default=dict)
    stage: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer(), default=0)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    video_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    usage: Mapped[dict[str, Any]] = mapped_column(JSONText(), default=dict)
    captions: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    """The caption style's settings (``CaptionStyle.settings()``); ``NULL``: the classic look."""
    scenes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONText(), nullable=True)
    """A script's scenes (``text``, ``visual_prompt``, ``search_terms``), whose texts joined are ``content``;
    ``NULL``: a video of one text."""
    author: Mapped[str | None] = mapped_column(String(120), nullable=True)
    """Who said the words of a quote video; the render ends on a card naming them. ``NULL``: no end card."""


class SocialAccount(Base):
    """A connected platform account; tokens are encrypted."""

    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("user_id", "platform", name="uq_social_accounts_user_platform"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(50))
    username: Mapped[str | None] = mapped_column(String(255), nullable=True)
    access_token: Mapped[str] = mapped_column(Text())
    refresh_token: Mapped[str | None] = mapped_column(Text(), nullable=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(
        _enum("active", "expired", "revoked", name="social_status"), default="active"
    )
    session: Mapped[str | None] = mapped_column(Text(), nullable=True)
    """Platform session state that is not a token (instagrapi's settings), encrypted."""
    account_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    """Why the account is ``expired`` or ``revoked``: what its owner should do."""
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ScheduledPost(Base):
    """A video to publish on one platform at one time, exactly once."""

    __tablename__ = "scheduled_posts"
    __table_args__ = (Index("ix_scheduled_posts_due", "status", "scheduled_time"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    video_id: Mapped[str | None] = mapped_column(ForeignKey("videos.id", ondelete="SET NULL"), nullable=True)
    platform: Mapped[str] = mapped_column(String(50))
    content: Mapped[str | None] = mapped_column(Text(), nullable=True)
    scheduled_time: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        _enum("pending", "publishing", "published", "failed", "cancelled", name="post_status"),
        default="pending",
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    platform_id: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    published_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """After a transient failure: the earliest time of the next attempt."""
    claim: Mapped[str | None] = mapped_column(String(36), nullable=True)
    """The token of the claim that moved the post to ``publishing``; only its holder may finish it."""
    automation_id: Mapped[str | None] = mapped_column(
        ForeignKey("automations.id", ondelete="SET NULL"), nullable=True
    )
    options: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    """The options of this post's platform, as its publisher checked them; ``NULL``: the defaults."""


class Automation(Base):
    """Recurring content: at each cron tick, write, render and schedule a video to some platforms."""

    __tablename__ = "automations"
    __table_args__ = (Index("ix_automations_due", "enabled", "next_run_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    cron: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(50))
    style: Mapped[str] = mapped_column(String(50))
    platforms: Mapped[list[str]] = mapped_column(JSONText(), default=list)
    caption: Mapped[str | None] = mapped_column(Text(), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean(), default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    run_token: Mapped[str | None] = mapped_column(String(36), nullable=True)
    """The claimed run waiting for a worker: the worker that starts it clears it (each run starts once)."""
    options: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSONText(), nullable=True)
    """Post options per platform (``{"tiktok": {"privacy_level": …}}``) that each run's posts get."""


class UsedOAuthState(Base):
    """An OAuth ``state`` already used by a callback (its SHA-256 digest), kept until it would expire."""

    __tablename__ = "used_oauth_states"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
