"""Rendering one video for the workers: claim the row, render, store, record, clean up.

:meth:`VideoRenderer.run` is what the Dramatiq actor calls with a video id.
It is safe to run any number of times for the same id, at once or later: the
claim lets one attempt at a time work, an attempt writes only while it holds
the lease, files go to a folder of their own (``videos/<id>/<token>``) and
are deleted again if the attempt does not end up owning the result.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from attrs import define, field
from dramatiq.middleware.time_limit import TimeLimitExceeded
from sqlalchemy.exc import OperationalError

from oasis_core.catalog import PortKind
from oasis_core.domain.video import RenderStage, overall_progress
from oasis_core.errors import OasisError, RetryableProviderError
from oasis_core.ports.blob_store import BlobStore
from oasis_core.services.render import RenderProviders, RenderRequest, render_video, store_video
from oasis_server.api.context import ServerContext
from oasis_server.api.media import media_path
from oasis_server.api.scripts import loaded_scenes
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow
from oasis_server.jobs import leases
from oasis_server.jobs.broker import RENDER_TIME_LIMIT_MS
from oasis_server.jobs.limits import is_active, rendering_now, user_limits
from oasis_server.provider_choice import ProviderChoice

log = logging.getLogger(__name__)

PROGRESS_WRITE_SECONDS = 0.5
"""The least time between two progress writes of one render (stage changes are always written)."""
MAX_RENDER_SECONDS = RENDER_TIME_LIMIT_MS // 1000
"""A lease is not renewed past this: a render stuck beyond it is given up and taken over."""
MAX_RETRY_WAIT_SECONDS = 15 * 60
"""The longest a provider's "try again later" holds a video back."""
INTERNAL_ERROR = "Rendering failed because of an internal error; try again"
CONCURRENCY_WAIT_SECONDS = 5.0
"""A video whose owner has as many renders running as allowed waits this long (to twice that), then a
sweeper sends it again."""


class LeaseLost(Exception):
    """This attempt no longer holds the video (it was taken over, deleted or timed out)."""


@define(eq=False)
class Lease:
    """One attempt's hold on a video row."""

    video_id: str
    token: str
    started: float = field(factory=time.monotonic)
    lost: threading.Event = field(factory=threading.Event)

    def check(self) -> None:
        """Raise :class:`LeaseLost` if the lease is gone."""
        if self.lost.is_set():
            raise LeaseLost(self.video_id)


class LeaseKeeper(threading.Thread):
    """Renews the leases of this process's running renders every quarter lease.

    A lease that cannot be renewed (the row was taken over or deleted), or
    whose render has run past :data:`MAX_RENDER_SECONDS`, is marked lost; its
    render stops at its next progress report.
    """

    def __init__(self, context: ServerContext) -> None:
        super().__init__(name="oasis-lease-keeper", daemon=True)
        self.context = context
        self.interval = max(0.25, context.settings.video_lease_seconds / 4)
        self._leases: dict[str, Lease] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def add(self, lease: Lease) -> None:
        """Start keeping ``lease``."""
        with self._lock:
            self._leases[lease.token] = lease

    def remove(self, lease: Lease) -> None:
        """Stop keeping ``lease``."""
        with self._lock:
            self._leases.pop(lease.token, None)

    def held(self) -> list[Lease]:
        """The leases being kept."""
        with self._lock:
            return list(self._leases.values())

    def renew_all(self) -> None:
        """One round of renewals."""
        lease_seconds = self.context.settings.video_lease_seconds
        for lease in self.held():
            if lease.lost.is_set():
                continue
            if time.monotonic() - lease.started > MAX_RENDER_SECONDS:
                log.warning("Video %s has rendered for too long; giving up its lease", lease.video_id)
                lease.lost.set()
                continue
            try:
                with self.context.session() as session:
                    kept = leases.renew(session, lease.video_id, lease.token, utcnow(), lease_seconds)
            except Exception as exc:  # the database is away: try again next round; the lease may lapse
                log.warning("Could not renew the lease of video %s: %s", lease.video_id, exc)
                continue
            if not kept:
                log.info("Video %s was taken over or deleted; stopping its render", lease.video_id)
                lease.lost.set()

    def release_all(self) -> None:
        """Hand every held video back at once (the process is stopping); these attempts do not count."""
        for lease in self.held():
            lease.lost.set()
            try:
                with self.context.session() as session:
                    leases.release(session, lease.video_id, lease.token, utcnow(), refund=True)
            except Exception as exc:
                log.warning("Could not release video %s: %s", lease.video_id, exc)

    def run(self) -> None:
        """Renew until stopped."""
        while not self._stopped.wait(self.interval):
            self.renew_all()

    def stop(self) -> None:
        """Stop renewing."""
        self._stopped.set()
        if self.is_alive():
            self.join(5)


@define
class ProgressWriter:
    """Writes a render's stage and progress to its row, throttled; notices a lost lease."""

    context: ServerContext
    lease: Lease
    _stage: RenderStage | None = None
    _percent: int = -1
    _written: float = 0.0

    def __call__(self, stage: RenderStage, fraction: float) -> None:
        """The ``on_progress`` callback of the render and upload services."""
        self.lease.check()
        percent = overall_progress(stage, fraction)
        now = time.monotonic()
        changed_stage = stage != self._stage
        if not changed_stage and (percent <= self._percent or now - self._written < PROGRESS_WRITE_SECONDS):
            return
        with self.context.session() as session:
            kept = leases.report(
                session,
                self.lease.video_id,
                self.lease.token,
                stage,
                percent,
                utcnow(),
                self.context.settings.video_lease_seconds,
            )
        if not kept:
            self.lease.lost.set()
            raise LeaseLost(self.lease.video_id)
        self._stage, self._percent, self._written = stage, percent, now


class VideoRenderer:
    """Renders videos by id for one process; the actor's body."""

    def __init__(self, context: ServerContext, keeper: LeaseKeeper | None = None) -> None:
        self.context = context
        self.keeper = keeper or LeaseKeeper(context)

    def run(self, video_id: str) -> str:
        """Render ``video_id`` if this call can claim it.

        Returns what happened: ``completed``, ``failed``, ``retry`` (handed back
        for a later attempt), ``lost`` (taken over mid-way) or ``skipped``
        (finished, deleted, or another attempt holds it).
        """
        settings = self.context.settings
        lease = Lease(video_id, secrets.token_hex(8))
        with self.context.session() as session:
            if not leases.claim(session, video_id, lease.token, utcnow(), settings.video_lease_seconds):
                log.debug("Video %s is finished, gone or being rendered elsewhere", video_id)
                return "skipped"
            video = session.get(Video, video_id)
            assert video is not None  # the claim just matched it
            session.expunge(video)
        held = self._hold(video, lease)
        if held is not None:
            return held
        if video.attempts > settings.video_max_attempts:
            with self.context.session() as session:
                leases.fail(
                    session,
                    video_id,
                    lease.token,
                    leases.attempts_exhausted_message(settings.video_max_attempts),
                )
            return "failed"
        self.keeper.add(lease)
        try:
            return self._attempt(video, lease)
        finally:
            self.keeper.remove(lease)

    def _hold(self, video: Video, lease: Lease) -> str | None:
        """Hand the video back, this attempt uncounted, if it may not render now: ``held`` while its owner
        is inactive (parked until they are active again), ``retry`` while the owner already has as many
        renders running as their limit (sent again by a sweeper shortly); ``None`` to go ahead."""
        now = utcnow()
        with self.context.session() as session:
            if not is_active(session, video.user_id):
                leases.release(session, video.id, lease.token, leases.PARKED_UNTIL, refund=True)
                log.info("Video %s waits: its owner is inactive", video.id)
                return "held"
            limit = user_limits(session, self.context.settings, video.user_id).concurrent_renders
            if rendering_now(session, video.user_id, now, excluding=video.id) >= limit:
                wait = timedelta(seconds=CONCURRENCY_WAIT_SECONDS * random.uniform(1.0, 2.0))
                leases.release(session, video.id, lease.token, now + wait, refund=True)
                log.info("Video %s waits: its owner has %d renders running", video.id, limit)
                return "retry"
        return None

    def _attempt(self, video: Video, lease: Lease) -> str:
        progress = ProgressWriter(self.context, lease)
        stored: list[str] = []
        store: BlobStore | None = None
        try:
            progress(RenderStage.QUEUED, 1.0)
            store = self.context.blob_store()
            values = self._render(video, lease, progress, store, stored)
            with self.context.session() as session:
                if not leases.complete(session, video.id, lease.token, values):
                    raise LeaseLost(video.id)
            log.info("Video %s completed (attempt %d)", video.id, video.attempts)
            return "completed"
        except BaseException as exc:
            if store is not None:
                _delete_quietly(store, stored)
            return self._ended_badly(video, lease, exc)

    def _render(
        self, video: Video, lease: Lease, progress: ProgressWriter, store: BlobStore, stored: list[str]
    ) -> dict[str, Any]:
        with self.context.sessions() as session:
            choice = ProviderChoice.for_user(self.context, session, video.user_id)
        chosen = video.providers or {}
        providers = RenderProviders(
            speech=choice.build(PortKind.SPEECH, chosen.get("speech")),
            visuals=choice.build(PortKind.VISUALS, chosen.get("visuals")),
            compositor=choice.build(PortKind.COMPOSITOR, chosen.get("compositor")),
        )
        request = RenderRequest(
            text=video.content,
            visual_prompt=video.visual_prompt,
            style=video.style,
            aspect=video.aspect or "9:16",
            voice=video.voice,
            category=video.category,
            max_seconds=self.context.settings.max_video_seconds,
            captions=video.captions,
            scenes=loaded_scenes(video.scenes),
            attribution=video.author,
        )
        with tempfile.TemporaryDirectory(prefix="oasis-render-") as temp:
            work = Path(temp) / "work"
            work.mkdir()
            outcome = render_video(
                request, providers, output_path=Path(temp) / "video.mp4", workdir=work, on_progress=progress
            )
            lease.check()
            prefix = f"videos/{video.id}/{lease.token}"
            stored.extend((f"{prefix}/video.mp4", f"{prefix}/thumbnail.jpg"))
            keys = store_video(store, outcome.video, prefix, on_progress=progress)
        return {
            "video_key": keys.video_key,
            "thumbnail_key": keys.thumbnail_key,
            "url": media_path(video.id, "video"),
            "thumbnail_url": media_path(video.id, "thumbnail"),
            "duration": max(1, math.ceil(outcome.video.duration)),
            "usage": outcome.usage,
        }

    def _ended_badly(self, video: Video, lease: Lease, exc: BaseException) -> str:
        """Record how an attempt ended that did not complete; re-raise what the worker must see."""
        settings = self.context.settings
        if lease.lost.is_set() or isinstance(exc, LeaseLost):
            log.info("Video %s: attempt %d gave up its lease", video.id, video.attempts)
            return "lost"
        if isinstance(exc, OperationalError):
            raise exc  # the database is away: the message is retried, then the sweeper takes over
        if isinstance(exc, RetryableProviderError) and video.attempts < settings.video_max_attempts:
            wait = min(exc.retry_after or 30.0 * video.attempts, MAX_RETRY_WAIT_SECONDS)
            with self.context.session() as session:
                leases.release(
                    session, video.id, lease.token, utcnow() + timedelta(seconds=wait), refund=False
                )
            log.warning("Video %s: %s; trying again in %.0f s", video.id, exc.message, wait)
            return "retry"
        if isinstance(exc, TimeLimitExceeded):
            minutes = RENDER_TIME_LIMIT_MS // 60_000
            message = f"Rendering took longer than {minutes} minutes and was stopped; try a shorter text"
        elif isinstance(exc, OasisError):
            message = exc.message
        elif isinstance(exc, Exception):
            log.error("Video %s failed", video.id, exc_info=exc)
            message = INTERNAL_ERROR
        else:
            raise exc  # KeyboardInterrupt, SystemExit: the lease lapses and the sweeper takes over
        with self.context.session() as session:
            leases.fail(session, video.id, lease.token, message)
        log.warning("Video %s failed: %s", video.id, message)
        return "failed"


def _delete_quietly(store: BlobStore, keys: list[str]) -> None:
    for key in keys:
        try:
            store.delete(key)
        except Exception as exc:
            log.warning("Could not delete %s: %s", key, exc)
