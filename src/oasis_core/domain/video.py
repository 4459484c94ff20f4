"""A video's life: ``processing`` → ``completed`` | ``failed``, through render stages."""

from __future__ import annotations

import enum
from datetime import datetime

from attrs import define, field

from oasis_core.errors import InvalidTransition


class VideoStatus(enum.StrEnum):
    """Where a video stands as a job."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class RenderStage(enum.StrEnum):
    """The stages a render goes through, in order."""

    QUEUED = "queued"
    SPEECH = "speech"
    VISUALS = "visuals"
    COMPOSE = "compose"
    UPLOAD = "upload"
    DONE = "done"


STAGE_ORDER: tuple[RenderStage, ...] = tuple(RenderStage)

STAGE_SPANS: dict[RenderStage, tuple[int, int]] = {
    RenderStage.QUEUED: (0, 2),
    RenderStage.SPEECH: (2, 12),
    RenderStage.VISUALS: (12, 25),
    RenderStage.COMPOSE: (25, 92),
    RenderStage.UPLOAD: (92, 99),
    RenderStage.DONE: (100, 100),
}
"""The share of overall progress (0–100) each stage covers, in order."""


def overall_progress(stage: RenderStage, fraction: float) -> int:
    """Map a stage and how far it has got (0.0–1.0) to an overall percentage."""
    low, high = STAGE_SPANS[stage]
    fraction = min(1.0, max(0.0, fraction))
    return int(low + (high - low) * fraction)


@define
class Video:
    """A video job: its content, and where its render stands.

    ``advance`` and the two endings are the only ways to change the state;
    an illegal move (backwards, or out of a final state) raises
    :class:`InvalidTransition`.
    """

    id: str
    category: str
    content: str
    visual_prompt: str
    style: str
    title: str = ""
    description: str | None = None
    status: VideoStatus = VideoStatus.PROCESSING
    stage: RenderStage = RenderStage.QUEUED
    progress: int = 0
    error: str | None = None
    duration: float | None = None
    created_at: datetime | None = None
    usage: dict[str, dict[str, int]] = field(factory=dict)

    def advance(self, stage: RenderStage, fraction: float = 0.0) -> None:
        """Move to ``stage`` (the same or a later one) and set progress within it."""
        self._require_processing()
        if STAGE_ORDER.index(stage) < STAGE_ORDER.index(self.stage):
            raise InvalidTransition(f"A render cannot go back from {self.stage} to {stage}")
        if stage is RenderStage.DONE:
            raise InvalidTransition("Use complete() to finish a render")
        self.stage = stage
        self.progress = max(self.progress, overall_progress(stage, fraction))

    def complete(self, duration: float) -> None:
        """Mark the render finished."""
        self._require_processing()
        self.status = VideoStatus.COMPLETED
        self.stage = RenderStage.DONE
        self.progress = 100
        self.duration = duration
        self.error = None

    def fail(self, error: str) -> None:
        """Mark the render failed with a short message a user can act on."""
        self._require_processing()
        self.status = VideoStatus.FAILED
        self.error = error

    def _require_processing(self) -> None:
        if self.status is not VideoStatus.PROCESSING:
            raise InvalidTransition(f"Video {self.id} is already {self.status}")
