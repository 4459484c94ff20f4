"""``GET /api/social/{platform}/creator``: what the connected account may post now.

The dashboard's "Schedule a video" form builds its per-platform options from
this answer, as TikTok's audit requires: the creator's nickname shown, the
privacy picked from the creator's ``privacy_level_options`` (no default), and
the comment, duet and stitch switches disabled where the creator disabled
them. TikTok's answer is read from its creator info at every call; YouTube
and Instagram answer their fixed choices.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, provide_user
from oasis_server.api.errors import not_found
from oasis_server.api.schemas import error_responses
from oasis_server.publishing.platforms import publisher_info
from oasis_server.publishing.post_options import posting_rules

SignedIn = NamedDependency[CurrentUser]
PlatformName = Annotated[str, PathParameter(min_length=1, max_length=50)]


class CreatorOut(msgspec.Struct):
    """What the account allows now: privacy choices (the platform's own values), the interactions the
    creator turned off (a post cannot turn them on), the longest video in seconds, and the text limits
    (``title_chars``, ``description_bytes``, ``tags_chars``, ``caption_chars``, ``hashtags``)."""

    platform: str
    username: str | None
    nickname: str | None
    privacy_options: list[str]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_duration_seconds: float | None
    limits: dict[str, int]


class CreatorController(Controller):
    """The connected accounts' posting rules."""

    path = "/api/social"
    tags = ["social"]
    dependencies = {"user": Provide(provide_user)}

    @get(
        "/{platform:str}/creator",
        operation_id="getCreatorInfo",
        sync_to_thread=True,
        responses=error_responses(400, 401, 404, 502, 503),
    )
    def creator(self, platform: PlatformName, user: SignedIn, state: State) -> CreatorOut:
        """What the user's account on ``platform`` allows now; ``404`` when none is connected."""
        context: ServerContext = state.ctx
        name = platform.strip().lower()
        publisher_info(context.catalog, name)  # an unknown platform is a 400 listing the known ones
        rules = posting_rules(context, user.id, name)
        if rules is None:
            raise not_found(f"No {name} account is connected")
        return CreatorOut(
            platform=name,
            username=rules.username,
            nickname=rules.nickname,
            privacy_options=list(rules.privacy_options),
            comment_disabled=rules.comment_disabled,
            duet_disabled=rules.duet_disabled,
            stitch_disabled=rules.stitch_disabled,
            max_duration_seconds=rules.max_duration_seconds,
            limits=dict(rules.limits),
        )


ROUTES = [CreatorController]
