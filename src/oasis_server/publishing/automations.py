"""Automations: a cron schedule in a time zone; each due run writes, renders and schedules a video.

Runs are claimed with a compare-and-set on ``next_run_at``, so with several
schedulers each tick runs once. The next run is computed from *now*, not from
the missed tick: runs missed while no scheduler was up are caught up once,
not once per missed tick.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import select, update

from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput, OasisError
from oasis_core.services.content import generate_quote, generate_visual_prompt
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Automation, ScheduledPost, Video
from oasis_server.db.types import utcnow
from oasis_server.jobs.leases import short
from oasis_server.jobs.submit import VideoSpec, submit_video
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice

log = logging.getLogger(__name__)

RECENT_QUOTES = 20


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` or :class:`InvalidInput`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Paris' or 'UTC'", field="timezone"
        ) from None


def check_cron(expression: str) -> str:
    """``expression`` if it is a five-field cron expression, else :class:`InvalidInput`."""
    expression = " ".join(expression.split())
    if len(expression.split(" ")) != 5 or not croniter.is_valid(expression):
        raise InvalidInput(
            f"Invalid cron expression {expression!r}: use five fields, minute hour day month weekday "
            "(for example '0 9 * * 1-5')",
            field="cron",
        )
    return expression


def next_run(expression: str, timezone: str, after: datetime) -> datetime:
    """The first tick of ``expression`` in ``timezone`` strictly after ``after``, in UTC.

    When the clocks go back, the wall-clock hour that repeats is not run twice by an expression
    with a fixed hour ("30 2 * * *" runs once that night); one whose hour field is a wildcard
    ("0 * * * *", "*/15 */2 * * *") keeps running by the real clock. When the clocks go forward, a
    tick in the skipped hour runs at the first moment after it, as cron does.
    """
    expression = check_cron(expression)
    local = after.astimezone(zone(timezone))
    ticks = croniter(expression, local)
    following: datetime = ticks.get_next(datetime)
    if not expression.split(" ")[1].startswith("*"):
        wall_clock = local.replace(tzinfo=None)
        for _ in range(1000):  # a repeated hour holds at most 60 ticks of a fixed-hour expression
            if following.replace(tzinfo=None) > wall_clock:
                break
            following = ticks.get_next(datetime)
    return following.astimezone(UTC)


def claim_run(session_factory: ServerContext, automation: Automation, now: datetime) -> datetime | None:
    """Move ``next_run_at`` from its current value to the tick after ``now``; ``None`` if another won."""
    following = next_run(automation.cron, automation.timezone, now)
    with session_factory.session() as session:
        result = session.execute(
            update(Automation)
            .where(
                Automation.id == automation.id,
                Automation.enabled.is_(True),
                Automation.next_run_at == automation.next_run_at,
            )
            .values(next_run_at=following, last_run_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return following if result.rowcount == 1 else None  # type: ignore[attr-defined]


def run_once(context: ServerContext, automation: Automation, now: datetime) -> str:
    """Write a quote and a visual prompt, queue the video, and schedule a post per platform; the video id."""
    with context.sessions() as session:
        choice = ProviderChoice.for_user(context, session, automation.user_id)
        recent = list(
            session.scalars(
                select(Video.content)
                .where(Video.user_id == automation.user_id, Video.category == automation.category)
                .order_by(Video.created_at.desc())
                .limit(RECENT_QUOTES)
            )
        )
    llm = choice.build(PortKind.LLM, choice.choose({}, CHOOSABLE)[PortKind.LLM.value])
    quote = generate_quote(llm, automation.category, avoid=recent)
    prompt = generate_visual_prompt(llm, quote.text, automation.category, automation.style)
    spec = VideoSpec(
        category=automation.category,
        content=quote.text,
        visual_prompt=prompt,
        style=automation.style,
        title=automation.name,
        description=automation.caption,
        voice=None,
        aspect=None,
        providers={},
    )
    video_id = submit_video(context, automation.user_id, spec)
    with context.session() as session:
        for platform in automation.platforms:
            session.add(
                ScheduledPost(
                    user_id=automation.user_id,
                    video_id=video_id,
                    platform=platform,
                    content=automation.caption,
                    scheduled_time=now,
                    status="pending",
                    attempts=0,
                    automation_id=automation.id,
                    created_at=now,
                    updated_at=now,
                )
            )
    return video_id


def run_due(context: ServerContext, now: datetime | None = None, limit: int = 20) -> int:
    """Start every automation whose time has come (each once, whatever the number of schedulers)."""
    now = now or utcnow()
    with context.sessions() as session:
        due = list(
            session.scalars(
                select(Automation)
                .where(Automation.enabled.is_(True), Automation.next_run_at <= now)
                .order_by(Automation.next_run_at)
                .limit(limit)
            )
        )
        session.expunge_all()
    started = 0
    for automation in due:
        if claim_run(context, automation, now) is None:
            continue
        error: str | None = None
        try:
            video_id = run_once(context, automation, now)
            log.info("Automation %s started video %s", automation.id, video_id)
            started += 1
        except OasisError as exc:
            error = exc.message
        except Exception:
            log.exception("Automation %s failed", automation.id)
            error = "The run failed because of an internal error"
        with context.session() as session:
            session.execute(
                update(Automation)
                .where(Automation.id == automation.id)
                .values(last_error=short(error) if error else None)
            )
    return started
