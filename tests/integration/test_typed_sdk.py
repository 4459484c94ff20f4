"""The SDK is typed: mypy on a user's script checks the calls into ``oasis_core`` (py.typed, explicit keywords)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CORRECT = """
from pathlib import Path

from oasis_core import RenderResult, Studio, __version__
from oasis_core.domain.video import RenderStage


def report(stage: RenderStage, percent: int) -> None:
    print(stage.value, percent)


studio = Studio.from_plugins(data_dir=Path("/tmp/oasis"), keys={"openai": "sk-test"})
plan = studio.plan(category="stoicism", quote="Well begun is half done.", rate=1.2)
video: RenderResult = studio.render(
    category="stoicism", style="nature", output="stoic.mp4", voice="en-gb", providers={"speech": "espeak"},
    on_progress=report,
)
size: int = video.size_bytes
version: str = __version__
"""

TYPO = """
from oasis_core import Studio

studio = Studio.from_plugins()
studio.render(category="stoicism", styel="nature")
"""

WRONG_TYPE = """
from oasis_core import Studio

Studio.from_plugins(data_dir="/tmp").render(rate="fast")
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(script),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_correct_script_type_checks(tmp_path: Path) -> None:
    result = _mypy(tmp_path, CORRECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_a_misspelt_render_argument_is_reported(tmp_path: Path) -> None:
    result = _mypy(tmp_path, TYPO)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Unexpected keyword argument "styel" for "render" of "Studio"' in result.stdout
    assert "missing library stubs or py.typed marker" not in result.stdout


def test_wrong_argument_types_are_reported(tmp_path: Path) -> None:
    result = _mypy(tmp_path, WRONG_TYPE)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"from_plugins" of "Studio" has incompatible type "str"' in result.stdout
    assert '"render" of "Studio" has incompatible type "str"' in result.stdout
