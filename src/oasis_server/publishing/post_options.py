"""A post's options per platform, checked before anything is queued.

``POST /api/schedule``, ``PUT /api/schedule/{id}`` and the automations take
``options`` keyed by platform. Each platform's publisher says what the
connected account allows now (``posting_rules``: TikTok reads its creator
info, so a privacy level the account lost is refused at scheduling time, not
at publishing time) and checks the options against it (``check_options``);
the server stores what the publisher returned with the post and hands it
back as ``PublishRequest.options`` when the post is published. The rules
live in the plugins (``oasis_plugins.<platform>.options``); this module only
calls them and names a refused option the way the API spells it
(``options.tiktok.privacy_level``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import evolve
from sqlalchemy import select

from oasis_core.domain.publishing import PostingRules, PublishRequest
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.models import Video
from oasis_server.publishing.accounts import account_of, credentials_changed, save_tokens
from oasis_server.publishing.platforms import build_publisher, supports

UNPREFIXED = frozenset({"content", "video_id"})
"""Fields a publisher's check may name that are the request's own, not one of its options."""

PLACEHOLDER = Path("video.mp4")
"""The ``video_path`` of the request an options check sees: the words matter there, not the file."""


def post_request(
    video: Video,
    content: str | None,
    path: Path = PLACEHOLDER,
    *,
    options: Mapping[str, Any] | None = None,
    platform_id: str | None = None,
) -> PublishRequest:
    """What a post of ``video`` gives its publisher: the video's title, the post's caption (else the video's
    description), the category as a tag, and the post's options."""
    return PublishRequest(
        path,
        title=video.title,
        description=content if content is not None else (video.description or ""),
        tags=(video.category,),
        platform_id=platform_id,
        options=dict(options or {}),
    )


def posting_rules(context: ServerContext, user_id: str, platform: str) -> PostingRules | None:
    """What ``user_id``'s active account on ``platform`` allows now; ``None`` when none is connected.

    Tokens the publisher refreshed on the way are saved back (unless newer ones were saved meanwhile).
    """
    with context.sessions() as session:
        row = session.scalar(
            select(AccountRow).where(
                AccountRow.user_id == user_id, AccountRow.platform == platform, AccountRow.status == "active"
            )
        )
        if row is not None:
            session.expunge(row)
    if row is None:
        return None
    publisher: Any = build_publisher(context, platform)
    if not supports(publisher, "posting_rules"):
        return PostingRules(platform=platform, username=row.username, nickname=row.username)
    account = account_of(row, context.secrets)
    before = evolve(account)
    try:
        rules: PostingRules = publisher.posting_rules(account)
    finally:
        if credentials_changed(before, account):
            with context.session() as session:
                save_tokens(session, row.id, row.access_token, account, context.secrets)
    return rules


def check_options(
    context: ServerContext,
    user_id: str,
    platforms: list[str],
    options: Mapping[str, Any] | None,
    request: PublishRequest,
    *,
    duration: float | None = None,
    connected_only: bool = True,
) -> dict[str, dict[str, Any]]:
    """Each platform's options as its publisher checked them (platforms without options left out).

    ``request`` carries the post's words (title, caption, tags). Raise
    :class:`InvalidInput` naming the option (``options.tiktok.privacy_level``)
    or the request's own field. With ``connected_only`` false (an automation,
    whose accounts may be connected later), only the platforms given options
    are checked, a platform with no account against its general rules.
    """
    given = {str(name).strip().lower(): chosen for name, chosen in (options or {}).items()}
    for name in given:
        if name not in platforms:
            raise InvalidInput(
                f"Options for {name!r}, which is not one of the post's platforms", field=f"options.{name}"
            )
    checked: dict[str, dict[str, Any]] = {}
    for platform in platforms:
        publisher: Any = build_publisher(context, platform)
        chosen = given.get(platform)
        if not supports(publisher, "check_options"):
            if chosen:
                raise InvalidInput(f"{platform} takes no options", field=f"options.{platform}")
            continue
        if chosen is not None and not isinstance(chosen, Mapping):
            raise InvalidInput(f"The {platform} options must be an object", field=f"options.{platform}")
        if not connected_only and chosen is None:
            continue  # an automation without options for this platform: its posts get the defaults
        rules = posting_rules(context, user_id, platform)
        if rules is None:
            if connected_only:
                raise InvalidInput(f"Connect {platform} first (under Social accounts)", field="platforms")
            rules = PostingRules(platform=platform)
        try:
            checked[platform] = dict(publisher.check_options(chosen or {}, rules, request, duration))
        except InvalidInput as exc:
            field = (
                exc.field
                if exc.field in UNPREFIXED
                else ".".join(part for part in ("options", platform, exc.field) if part)
            )
            raise InvalidInput(exc.message, field=field) from None
    return checked
