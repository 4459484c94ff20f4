"""Rendered files get the mode the umask allows, as files made with ``open()`` do (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oasis_core.services import RenderProviders, RenderRequest, render_video
from oasis_core.testing import FakeCompositor, FakeSpeechEngine, FakeVisualSource


def render_with_umask(folder: Path, umask: int) -> tuple[int, int]:
    """The permission bits of the video and thumbnail rendered into ``folder`` under ``umask``."""
    folder.mkdir(parents=True)
    providers = RenderProviders(FakeSpeechEngine(), FakeVisualSource(), FakeCompositor())
    request = RenderRequest(text="Begin anywhere.", visual_prompt="a door ajar", style="cinematic")
    previous = os.umask(umask)
    try:
        outcome = render_video(request, providers, output_path=folder / "out.mp4", workdir=folder)
    finally:
        os.umask(previous)
    return stat.S_IMODE(outcome.video.path.stat().st_mode), stat.S_IMODE(
        outcome.video.thumbnail_path.stat().st_mode
    )


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    assert render_with_umask(tmp_path / "out", umask) == (mode, mode)
    assert not [path.name for path in (tmp_path / "out").iterdir() if ".part" in path.name]


@settings(max_examples=20, deadline=None)
@given(umask=st.integers(min_value=0, max_value=0o077))  # the owner keeps rwx: the render needs its folders
def test_any_umask_gives_0666_less_the_umask(tmp_path_factory: pytest.TempPathFactory, umask: int) -> None:
    folder = tmp_path_factory.mktemp("umask") / "out"
    assert render_with_umask(folder, umask) == (0o666 & ~umask,) * 2
