"""The contract every ``VisualSource`` provider passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import STYLES, get_style
from oasis_core.domain.media import ASPECTS
from oasis_core.testing.contracts.base import ProviderContract
from oasis_core.testing.media_files import image_size

PROMPT = "A lone tree on a hill at dawn, mist in the valley, calm and hopeful"


class VisualSourceContract(ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture returning a ready instance."""

    kind = PortKind.VISUALS

    @pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
    def test_images_cover_the_frame_and_the_duration(
        self, provider: Any, tmp_path: Path, aspect: Any
    ) -> None:
        visuals = provider.create(PROMPT, STYLES[0], aspect, 12.5, tmp_path)
        assert visuals.scenes[0].start == 0.0
        assert visuals.scenes[-1].end == pytest.approx(12.5)
        for before, after in zip(visuals.scenes, visuals.scenes[1:], strict=False):
            assert before.end == pytest.approx(after.start)
        for scene in visuals.scenes:
            width, height = image_size(scene.image_path)
            assert width >= aspect.width and height >= aspect.height

    def test_every_style_is_accepted(self, provider: Any, tmp_path: Path) -> None:
        for style in STYLES:
            visuals = provider.create(PROMPT, style, ASPECTS[0], 5.0, tmp_path)
            assert visuals.style == style.id

    def test_the_same_prompt_gives_the_same_picture(self, provider: Any, tmp_path: Path) -> None:
        first = provider.create(PROMPT, get_style("minimal"), ASPECTS[1], 5.0, tmp_path)
        second = provider.create(PROMPT, get_style("minimal"), ASPECTS[1], 5.0, tmp_path)
        assert first.scenes[0].image_path.read_bytes() == second.scenes[0].image_path.read_bytes()
