"""Automations: a cron schedule in a time zone; each due run writes, renders and schedules a video.

The scheduler only claims and queues runs; it never calls a provider. A run
is claimed with a compare-and-set on ``next_run_at`` (so with several
schedulers each tick runs once) that also writes a ``run_token``; the queued
message carries that token, and the worker that clears it is the one that runs
it, so a message delivered twice starts the run once. The language model,
the render and the posts are then the worker's business: a slow provider
holds up that run only, never the scheduler or another user's posts.

The next run is computed from *now*, not from the missed tick: runs missed
while no scheduler was up are caught up once, not once per missed tick.
Automations of inactive or deleted users are never claimed; a run already
queued when its owner was deactivated is put back, due, and happens when
the owner is active again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from sqlalchemy import ColumnElement, and_, select, update

from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput, OasisError
from oasis_core.services.content import generate_quote, generate_visual_prompt
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Automation, ScheduledPost, User, Video
from oasis_server.db.types import utcnow
from oasis_server.jobs.leases import short
from oasis_server.jobs.limits import is_active, user_limits
from oasis_server.jobs.submit import VideoSpec, submit_video
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice

log = logging.getLogger(__name__)

RECENT_QUOTES = 20
INTERVAL_SLACK = timedelta(seconds=59)
"""A scheduler may claim a tick up to this late: the gap between two runs is measured with it."""
GAP_SAMPLE = 400
"""How many consecutive ticks of a cron expression are checked against the minimum interval."""

SendRun = Callable[[str, str], None]
"""Queues a claimed run: ``(automation_id, run_token)``."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` or :class:`InvalidInput`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Paris' or 'UTC'", field="timezone"
        ) from None


def check_cron(expression: str) -> str:
    """``expression`` if it is a five-field cron expression that fires, else :class:`InvalidInput`."""
    expression = " ".join(expression.split())
    if len(expression.split(" ")) != 5 or not croniter.is_valid(expression):
        raise InvalidInput(
            f"Invalid cron expression {expression!r}: use five fields, minute hour day month weekday "
            "(for example '0 9 * * 1-5')",
            field="cron",
        )
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:  # "0 0 31 2 *": no 31st of February, ever
        raise InvalidInput(f"The cron expression {expression!r} never fires", field="cron") from None
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
    try:
        following: datetime = ticks.get_next(datetime)
        if not expression.split(" ")[1].startswith("*"):
            wall_clock = local.replace(tzinfo=None)
            for _ in range(1000):  # a repeated hour holds at most 60 ticks of a fixed-hour expression
                if following.replace(tzinfo=None) > wall_clock:
                    break
                following = ticks.get_next(datetime)
    except CroniterBadDateError:  # no tick left before croniter's horizon
        raise InvalidInput(f"The cron expression {expression!r} never fires", field="cron") from None
    return following.astimezone(UTC)


def check_interval(expression: str, timezone: str, interval: int, now: datetime) -> None:
    """:class:`InvalidInput` if ``expression`` fires more often than every ``interval`` seconds."""
    if interval <= 0:
        return
    ticks = croniter(check_cron(expression), now.astimezone(zone(timezone)))
    try:
        previous: datetime = ticks.get_next(datetime)
        for _ in range(GAP_SAMPLE):
            following: datetime = ticks.get_next(datetime)
            if (following - previous).total_seconds() < interval:
                raise InvalidInput(
                    f"This schedule runs more often than your limit of one run every "
                    f"{_duration(interval)}; choose a cron expression with ticks further apart",
                    field="cron",
                )
            previous = following
    except CroniterBadDateError:
        return  # few ticks left: none of them close together


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def claim_run(context: ServerContext, automation: Automation, now: datetime) -> str | None:
    """Claim the due run: move ``next_run_at`` to the tick after ``now`` and write a run token.

    Returns the token, or ``None`` if another scheduler won (or the automation changed). A run
    that comes sooner than the owner's minimum interval after the last one is skipped instead: the
    next run moves to the first tick past the interval and no token is written.
    """
    with context.session() as session:
        interval = user_limits(session, context.settings, automation.user_id).automation_interval
        too_soon = automation.last_run_at is not None and now - automation.last_run_at < (
            timedelta(seconds=interval) - INTERVAL_SLACK
        )
        token = None if too_soon else str(uuid.uuid4())
        if token is None:
            assert automation.last_run_at is not None
            after = max(now, automation.last_run_at + timedelta(seconds=interval) - INTERVAL_SLACK)
            values: dict[str, object] = {"next_run_at": next_run(automation.cron, automation.timezone, after)}
        else:
            following = next_run(automation.cron, automation.timezone, now)
            values = {"next_run_at": following, "last_run_at": now, "run_token": token}
        result = session.execute(
            update(Automation)
            .where(
                Automation.id == automation.id,
                Automation.enabled.is_(True),
                Automation.next_run_at == automation.next_run_at,
            )
            .values(**values, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    if token is None:
        log.info("Automation %s skipped a run: its last one was less than %d s ago", automation.id, interval)
    return token


def _unclaim(context: ServerContext, automation: Automation, token: str) -> None:
    """Put a claimed run back as it was (its message could not be sent)."""
    with context.session() as session:
        session.execute(
            update(Automation)
            .where(Automation.id == automation.id, Automation.run_token == token)
            .values(run_token=None, next_run_at=automation.next_run_at, last_run_at=automation.last_run_at)
            .execution_options(synchronize_session=False)
        )


def _due(context: ServerContext, condition: ColumnElement[bool], limit: int) -> list[Automation]:
    with context.sessions() as session:
        rows = list(
            session.scalars(
                select(Automation)
                .join(User, User.id == Automation.user_id)
                .where(Automation.enabled.is_(True), User.status == "active", condition)
                .order_by(Automation.next_run_at)
                .limit(limit)
            )
        )
        session.expunge_all()
    return rows


def run_due(context: ServerContext, send: SendRun, now: datetime | None = None, limit: int = 20) -> int:
    """Claim every due run of an active user's automation and queue it; returns how many were queued.

    Also sends again runs whose message was queued more than a post lease ago and never started
    (a lost message): the worker that clears the token runs it, so copies are harmless.
    """
    now = now or utcnow()
    queued = 0
    for automation in _due(context, Automation.next_run_at <= now, limit):
        token = claim_run(context, automation, now)
        if token is None:
            continue
        try:
            send(automation.id, token)
        except Exception as exc:  # the broker is down: the run stays due for the next pass
            log.warning("Could not queue a run of automation %s (%s)", automation.id, type(exc).__name__)
            _unclaim(context, automation, token)
            continue
        queued += 1
    lease = timedelta(seconds=context.settings.post_lease_seconds)
    lost = and_(Automation.run_token.is_not(None), Automation.updated_at < now - lease)
    for automation in _due(context, lost, limit):
        with context.session() as session:
            kept = session.execute(
                update(Automation)
                .where(Automation.id == automation.id, Automation.run_token == automation.run_token)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )
        if kept.rowcount == 1 and automation.run_token:  # type: ignore[attr-defined]
            try:
                send(automation.id, automation.run_token)
            except Exception as exc:
                log.warning("Could not queue automation %s again (%s)", automation.id, type(exc).__name__)
    return queued


class AutomationRunner:
    """The body of the automation actor: one claimed run, written, rendered and scheduled."""

    def __init__(self, context: ServerContext) -> None:
        self.context = context

    def run(self, automation_id: str, token: str) -> str:
        """Start the run ``token`` of ``automation_id`` if it is still waiting; returns what happened.

        ``started`` (video queued and posts scheduled), ``failed`` (recorded in ``last_error``),
        ``held`` (the owner is inactive: the run is due again for when they are back) or
        ``skipped`` (started already, or the automation is gone).
        """
        context = self.context
        with context.session() as session:
            automation = session.get(Automation, automation_id)
            if automation is None or automation.run_token != token:
                return "skipped"
            if not automation.enabled:  # disabled since the run was queued
                automation.run_token = None
                return "skipped"
            if not is_active(session, automation.user_id):
                session.execute(
                    update(Automation)
                    .where(Automation.id == automation_id, Automation.run_token == token)
                    # due again, and not counted as a run (the minimum interval would hold it back)
                    .values(run_token=None, next_run_at=automation.last_run_at or utcnow(), last_run_at=None)
                    .execution_options(synchronize_session=False)
                )
                log.info("Automation %s: its owner is inactive; the run waits for them", automation_id)
                return "held"
            started = session.execute(
                update(Automation)
                .where(Automation.id == automation_id, Automation.run_token == token)
                .values(run_token=None)
                .execution_options(synchronize_session=False)
            )
            if started.rowcount != 1:  # type: ignore[attr-defined]
                return "skipped"
            session.expunge(automation)
        error: str | None = None
        try:
            video_id = run_once(context, automation, automation.last_run_at or utcnow())
            log.info("Automation %s started video %s", automation.id, video_id)
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
                .execution_options(synchronize_session=False)
            )
        return "failed" if error else "started"


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
        author=quote.author,
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
                    options=(automation.options or {}).get(platform),
                )
            )
    return video_id
