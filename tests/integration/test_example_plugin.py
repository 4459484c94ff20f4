"""A third-party plugin, installed into a fresh virtualenv, found through its entry point.

The fresh environment sees this interpreter's packages (Oasis and its
dependencies) through a ``.pth`` file, so nothing is downloaded; the example
plugin itself is built and installed by pip like any distribution.
"""

from __future__ import annotations

import json
import site
import subprocess
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).parents[1] / "example_plugin"


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    parents = [*site.getsitepackages(), site.getusersitepackages()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in parents if Path(p).is_dir())
    (Path(purelib) / "oasis-parent-env.pth").write_text(lines)
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            purelib,
            "--upgrade",
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        cwd=build,
    )
    return python


def test_the_plugin_is_found_through_its_entry_point(fresh_python: Path) -> None:
    out = subprocess.run(
        [fresh_python, "-m", "oasis_server.cli", "plugins", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    plugins = {p["name"]: p for p in json.loads(out)}
    assert plugins["example_voices"]["version"] == "1.2.3"
    assert plugins["example_voices"]["providers"] == [
        {
            "kind": "speech",
            "id": "hum",
            "name": "Humming example voice",
            "needs_key": None,
            "key_env_var": None,
        }
    ]
    assert plugins["example_voices"]["installed"] is True
    assert "oasis_plugins.espeak" in plugins


def test_oasis_load_plugins_can_leave_it_out(fresh_python: Path) -> None:
    out = subprocess.run(
        [fresh_python, "-m", "oasis_server.cli", "plugins", "--json"],
        check=True,
        capture_output=True,
        text=True,
        env={"OASIS_LOAD_PLUGINS": "oasis_plugins.espeak", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert [p["name"] for p in json.loads(out)] == ["oasis_plugins.espeak"]


def test_the_plugin_passes_the_contract_suite(fresh_python: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            fresh_python,
            "-m",
            "pytest",
            str(EXAMPLE / "tests"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout


def test_the_plugin_voices_a_render(fresh_python: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            fresh_python,
            "-m",
            "oasis_server.cli",
            "render",
            "--speech",
            "hum",
            "--voice",
            "high",
            "--quote",
            "Hum along.",
            "--aspect",
            "1:1",
            "--output",
            str(tmp_path / "hum.mp4"),
            "--data-dir",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "hum.mp4").stat().st_size > 10_000
