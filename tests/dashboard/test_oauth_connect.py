"""Connecting TikTok with OAuth from the Connections page, in a real browser, against the fake TikTok.

What only a browser shows: the connect call keeps the cookie that binds the
flow to this browser (the dashboard's other calls send no cookies), Chromium
sends it back on the platform's redirect (SameSite=Lax), and the page reports
the result in its own words.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard.conftest import ConsoleWatch, LiveServer, Screenshots
from tests.dashboard.test_dashboard import go, open_page, register
from tests.fakes.tiktok_api import FakeTikTok
from tests.server.publishing_support import tiktok_env

try:
    from playwright.sync_api import expect
except ImportError:  # the ``chromium`` fixture skips (under CI: fails) the tests that need it
    expect = None


@pytest.fixture
def tiktok() -> Iterator[FakeTikTok]:
    fake = FakeTikTok()
    with fake.running():
        yield fake


@pytest.fixture
def tiktok_server(tmp_path: Path, tiktok: FakeTikTok) -> Iterator[LiveServer]:
    """A development server (no OASIS_PUBLIC_URL, ``--host 127.0.0.1 --port N``) whose TikTok app is the fake's.

    Its callback address is then ``http://127.0.0.1:N``: the one ``--port`` chose, not the default port.
    """
    live = LiveServer(tmp_path, tiktok_env(tiktok))
    live.start()
    yield live
    live.stop()


def test_connecting_tiktok_through_its_consent_page(
    tiktok_server: LiveServer,
    tiktok: FakeTikTok,
    chromium: Any,
    browser_context: Any,
    console: ConsoleWatch,
    shots: Screenshots,
) -> None:
    page = open_page(browser_context, console)
    register(page, tiktok_server, "Ada Admin", "ada@example.com")
    go(page, tiktok_server, "social")
    page.click('[data-platform="tiktok"] button.connect')  # to the fake TikTok, which consents at once
    page.wait_for_url(f"{tiktok_server.url}/#/social")
    page.wait_for_selector('[data-page="social"][data-ready]')
    expect(page.locator("#callback-news .message[role=status]")).to_have_text("TikTok connected.")
    expect(page.locator('[data-platform="tiktok"][data-status="active"]')).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in browser_context.cookies(tiktok_server.url)}
    assert "oasis_oauth_tiktok" not in cookies, "the callback leaves the binding cookie behind"
    exchanges = tiktok.requests_to(r"/v2/oauth/token/$")
    assert len(exchanges) == 1
    assert (
        f"redirect_uri={tiktok_server.url.replace(':', '%3A').replace('/', '%2F')}"
        in exchanges[0].body.decode()
    )
    shots.take(page, "oauth-connected")
    console.assert_clean()
