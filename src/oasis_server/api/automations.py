"""``/api/automations``: recurring content. At each cron tick (in the automation's time zone) the
scheduler writes a quote and a visual prompt, queues the video, and schedules a post to each
platform for when the video is done.

An automation may not run more often than its owner's limit (``OASIS_MIN_AUTOMATION_INTERVAL``, one hour
by default, or what an admin chose for them): a schedule whose ticks come closer together is a 400.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter
from sqlalchemy import select, update

from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.publishing import PublishRequest
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, provide_user
from oasis_server.api.errors import not_found
from oasis_server.api.schedule import PostOptions
from oasis_server.api.schemas import NO_CONTROL_CHARACTERS, STRICT_BODY, error_responses
from oasis_server.db.models import Automation
from oasis_server.db.types import utcnow
from oasis_server.jobs.limits import user_limits
from oasis_server.publishing.automations import check_cron, check_interval, next_run, zone
from oasis_server.publishing.platforms import publisher_infos
from oasis_server.publishing.post_options import PLACEHOLDER, check_options

log = logging.getLogger(__name__)

SignedIn = NamedDependency[CurrentUser]
AutomationId = Annotated[str, PathParameter(max_length=64)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=NO_CONTROL_CHARACTERS)]
Cron = Annotated[str, msgspec.Meta(min_length=9, max_length=120, examples=["0 9 * * 1-5"])]
Zone = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Paris"])]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Platforms = Annotated[list[Short], msgspec.Meta(max_length=10)]
Caption = Annotated[str, msgspec.Meta(max_length=5000)]


class AutomationIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new automation."""

    name: Name
    cron: Cron
    timezone: Zone
    category: Short
    style: Short
    platforms: Platforms
    caption: Caption | None = None
    enabled: bool = True
    options: PostOptions | None = None


class AutomationChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any fields of an automation to change."""

    name: Name | None = None
    cron: Cron | None = None
    timezone: Zone | None = None
    category: Short | None = None
    style: Short | None = None
    platforms: Platforms | None = None
    caption: Caption | None = None
    enabled: bool | None = None
    options: PostOptions | None = None


class AutomationOut(msgspec.Struct):
    """An automation; ``next_run_at`` is in UTC (``null`` while disabled); ``last_error`` is the last run's failure."""

    id: str
    name: str
    cron: str
    timezone: str
    category: str
    style: str
    platforms: list[str]
    caption: str | None
    enabled: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    options: dict[str, dict[str, Any]] | None = None
    """Each platform's post options, as checked; every run's posts get them."""

    @classmethod
    def of(cls, row: Automation) -> AutomationOut:
        """The API's view of a row."""
        return cls(
            row.id,
            row.name,
            row.cron,
            row.timezone,
            row.category,
            row.style,
            list(row.platforms or []),
            row.caption,
            row.enabled,
            row.next_run_at,
            row.last_run_at,
            row.last_error,
            row.created_at,
            row.updated_at,
            row.options,
        )


class AutomationsOut(msgspec.Struct):
    """The user's automations."""

    items: list[AutomationOut]


SCHEDULE_FIELDS = frozenset({"cron", "timezone", "enabled"})
"""Changing any of these moves the next run; changing anything else keeps it (even one that is due)."""

POST_FIELDS = frozenset({"name", "platforms", "caption", "category", "options"})
"""Changing any of these checks the post options again (the name is the videos' title)."""


def _check(
    context: ServerContext, row: Automation, *, reschedule: bool = True, check_posts: bool = True
) -> None:
    """Validate a row's fields together (400 naming the field) and, with ``reschedule``, set its next run.

    A new schedule is checked against the owner's minimum interval last, so other mistakes are named first.
    """
    row.name = row.name.strip()
    if not row.name:
        raise InvalidInput("The name is empty", field="name")
    row.cron = check_cron(row.cron)
    zone(row.timezone)
    row.category = get_category(row.category).id
    row.style = get_style(row.style).id
    known = sorted(publisher_infos(context.catalog))
    platforms = list(dict.fromkeys(p.strip().lower() for p in row.platforms))
    for platform in platforms:
        if platform not in known:
            raise InvalidInput(f"Unknown platform {platform!r}", field="platforms", choices=known)
    row.platforms = platforms
    if check_posts:
        words = PublishRequest(
            PLACEHOLDER, title=row.name, description=row.caption or "", tags=(row.category,)
        )
        checked = check_options(context, row.user_id, platforms, row.options, words, connected_only=False)
        row.options = {platform: chosen for platform, chosen in checked.items() if chosen} or None
    if reschedule:
        with context.sessions() as session:
            interval = user_limits(session, context.settings, row.user_id).automation_interval
        check_interval(row.cron, row.timezone, interval, utcnow())
        row.next_run_at = next_run(row.cron, row.timezone, utcnow()) if row.enabled else None


def _owned(context: ServerContext, automation_id: str, user_id: str) -> Automation:
    with context.sessions() as session:
        row = session.get(Automation, automation_id)
        if row is None or row.user_id != user_id:
            raise not_found("No such automation")
        session.expunge(row)
    return row


class AutomationController(Controller):
    """Automations."""

    path = "/api/automations"
    tags = ["automations"]
    dependencies = {"user": Provide(provide_user)}

    @post(
        "/",
        operation_id="createAutomation",
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 401),
    )
    def create(
        self, data: Annotated[AutomationIn, STRICT_BODY], user: SignedIn, state: State
    ) -> AutomationOut:
        """Create an automation; a bad cron expression, zone, category, style or platform is a 400."""
        context: ServerContext = state.ctx
        now = utcnow()
        row = Automation(
            user_id=user.id,
            name=data.name,
            cron=data.cron,
            timezone=data.timezone,
            category=data.category,
            style=data.style,
            platforms=list(data.platforms),
            caption=data.caption,
            enabled=data.enabled,
            options=data.options,
            created_at=now,
            updated_at=now,
        )
        _check(context, row)
        with context.session() as session:
            session.add(row)
            session.flush()
            out = AutomationOut.of(row)
        log.info("User %s created automation %s (%s %s)", user.id, out.id, out.cron, out.timezone)
        return out

    @get("/", operation_id="listAutomations", sync_to_thread=True, responses=error_responses(401))
    def list_automations(self, user: SignedIn, state: State) -> AutomationsOut:
        """The user's automations, oldest first."""
        context: ServerContext = state.ctx
        with context.sessions() as session:
            rows = session.scalars(
                select(Automation)
                .where(Automation.user_id == user.id)
                .order_by(Automation.created_at, Automation.id)
            )
            return AutomationsOut([AutomationOut.of(row) for row in rows])

    @get(
        "/{automation_id:str}",
        operation_id="getAutomation",
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def get_automation(self, automation_id: AutomationId, user: SignedIn, state: State) -> AutomationOut:
        """One automation."""
        return AutomationOut.of(_owned(state.ctx, automation_id, user.id))

    @put(
        "/{automation_id:str}",
        operation_id="changeAutomation",
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def change(
        self,
        automation_id: AutomationId,
        data: Annotated[AutomationChangeIn, STRICT_BODY],
        user: SignedIn,
        state: State,
    ) -> AutomationOut:
        """Change the fields given; a new cron, zone or ``enabled`` computes the next run again.

        Other changes keep the next run as it is, so a run that is due still happens. Only the
        changed columns are written: a scheduler claiming a run meanwhile keeps what it recorded.
        """
        context: ServerContext = state.ctx
        row = _owned(context, automation_id, user.id)
        changed = {
            name: list(value) if name == "platforms" else value
            for name in AutomationChangeIn.__struct_fields__
            if (value := getattr(data, name)) is not None
        }
        for name, value in changed.items():
            setattr(row, name, value)
        reschedule = not SCHEDULE_FIELDS.isdisjoint(changed)
        check_posts = not POST_FIELDS.isdisjoint(changed)
        _check(context, row, reschedule=reschedule, check_posts=check_posts)
        values = {name: getattr(row, name) for name in changed}  # as _check normalised them
        if check_posts:
            values["options"] = row.options
        if reschedule:
            values["next_run_at"] = row.next_run_at
        values["updated_at"] = utcnow()
        with context.session() as session:
            written = session.execute(
                update(Automation)
                .where(Automation.id == row.id, Automation.user_id == user.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            current = session.get(Automation, row.id)
            if written.rowcount != 1 or current is None:  # type: ignore[attr-defined]
                raise not_found("No such automation")  # deleted meanwhile
            return AutomationOut.of(current)

    @delete(
        "/{automation_id:str}",
        operation_id="deleteAutomation",
        status_code=204,
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def delete_automation(self, automation_id: AutomationId, user: SignedIn, state: State) -> None:
        """Delete the automation (videos and posts it already made stay)."""
        context: ServerContext = state.ctx
        row = _owned(context, automation_id, user.id)
        with context.session() as session:
            session.query(Automation).filter(Automation.id == row.id).delete()


ROUTES = [AutomationController]
