"""The contract every ``Compositor`` provider passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import get_style
from oasis_core.domain.media import ASPECTS, Aspect, Scene, Visuals
from oasis_core.ports.compositor import Composition
from oasis_core.services.captions import plan_captions
from oasis_core.testing.contracts.base import ProviderContract
from oasis_core.testing.fakes import FakeSpeechEngine, FakeVisualSource


def make_composition(
    tmp_path: Path, aspect: Aspect, text: str = "Stay hungry and keep walking forward."
) -> Composition:
    """A small composition from the fake speech engine and visual source."""
    speech = FakeSpeechEngine().synthesize(text, tmp_path)
    duration = speech.duration + 0.5
    visuals = FakeVisualSource().create("a calm sea", get_style("minimal"), aspect, duration, tmp_path)
    return Composition(
        speech=speech,
        visuals=visuals,
        captions=plan_captions(speech.words, duration),
        aspect=aspect,
        duration=duration,
        output_path=tmp_path / "out.mp4",
        thumbnail_path=tmp_path / "out.jpg",
    )


class CompositorContract(ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture returning a ready instance."""

    kind = PortKind.COMPOSITOR

    @pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
    def test_writes_the_video_and_thumbnail_it_describes(
        self, provider: Any, tmp_path: Path, aspect: Aspect
    ) -> None:
        composition = make_composition(tmp_path, aspect)
        progress: list[float] = []
        video = provider.compose(composition, progress.append)
        assert video.path == composition.output_path and video.path.is_file()
        assert video.thumbnail_path == composition.thumbnail_path and video.thumbnail_path.is_file()
        assert (video.width, video.height) == (aspect.width, aspect.height)
        assert video.duration == pytest.approx(composition.duration, abs=0.25)
        assert video.size_bytes == video.path.stat().st_size
        assert progress and progress == sorted(progress)
        assert progress[0] >= 0.0 and progress[-1] == pytest.approx(1.0)

    def test_leaves_no_file_behind_when_it_fails(self, provider: Any, tmp_path: Path) -> None:
        composition = make_composition(tmp_path, ASPECTS[0])
        broken = Visuals((Scene(tmp_path / "missing.png", 0.0, composition.duration),), "minimal")
        with pytest.raises(Exception):  # noqa: B017 - any error will do, as long as nothing is left
            provider.compose(
                Composition(
                    speech=composition.speech,
                    visuals=broken,
                    captions=composition.captions,
                    aspect=composition.aspect,
                    duration=composition.duration,
                    output_path=composition.output_path,
                    thumbnail_path=composition.thumbnail_path,
                )
            )
        assert not composition.output_path.exists()
