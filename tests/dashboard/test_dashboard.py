"""The dashboard end to end: a live ``oasis serve``, Debian's Chromium, the real offline providers.

Every test fails on a console error or an uncaught exception in the page.
Chromium logs "Failed to load resource: … status of 400" for every API answer
that is not a success; a test that provokes one on purpose (bad input, a
non-admin) says so with ``console.expect_http_error``, which also checks that
the answer really came.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.dashboard.conftest import BROWSER_ZONE, ConsoleWatch, LiveServer, Screenshots
from tests.fakes.tiktok_api import DISPLAY_NAME, FakeTikTok
from tests.server.publishing_support import tiktok_env

try:
    from playwright.sync_api import expect
except ImportError:  # the ``chromium`` fixture skips (under CI: fails) the tests that need it
    expect = None

PASSWORD = "correct horse battery"
SHORT_QUOTE = "Small steps every day."
RENDER_TIMEOUT = 120.0


def open_page(browser_context: Any, console: ConsoleWatch) -> Any:
    page = browser_context.new_page()
    console.attach(page)
    return page


def go(page: Any, server: LiveServer, route: str) -> None:
    """Open ``#/route`` and wait until the page has loaded its data."""
    page.goto(f"{server.url}/#/{route}")
    page.wait_for_selector(f'[data-page="{route}"][data-ready]')


def register(page: Any, server: LiveServer, name: str, email: str, password: str = PASSWORD) -> None:
    go(page, server, "register")
    page.fill("#register-name", name)
    page.fill("#register-email", email)
    page.fill("#register-password", password)
    page.click("#register-form button[type=submit]")
    page.wait_for_selector('[data-page="create"][data-ready]')


def session_token(page: Any) -> str:
    token = page.evaluate("() => sessionStorage.getItem('oasis.token')")
    assert token, "no token in sessionStorage"
    return str(token)


def alert_of(page: Any, scope: str) -> Any:
    """The error message area of a form or card."""
    return page.locator(f"{scope} .message[role=alert]").last


def field_error(page: Any, scope: str, name: str) -> Any:
    return page.locator(f'{scope} [data-field="{name}"] > .field-error')


# ------------------------------------------------------------------------------- create and schedule


def wait_for_render(page: Any) -> list[int]:
    """Follow the progress bar until the render ends; the values it showed."""
    seen: list[int] = []
    deadline = time.monotonic() + RENDER_TIMEOUT
    while True:
        state = page.evaluate(
            """() => ({
                value: document.getElementById('render-bar').value,
                status: document.getElementById('render-progress').dataset.status,
            })"""
        )
        seen.append(int(state["value"]))
        if state["status"] in {"completed", "failed"}:
            assert state["status"] == "completed", page.inner_text("#create-form .message[role=alert]")
            return seen
        assert time.monotonic() < deadline, f"the render did not finish; progress {seen[-10:]}"
        page.wait_for_timeout(200)


@pytest.fixture
def tiktok() -> Iterator[FakeTikTok]:
    """A fake TikTok: scheduling reads the creator's options from it."""
    fake = FakeTikTok()
    with fake.running():
        yield fake


@pytest.fixture
def tiktok_live(tmp_path: Path, tiktok: FakeTikTok) -> Iterator[LiveServer]:
    """A live server whose TikTok is the fake."""
    live = LiveServer(tmp_path, tiktok_env(tiktok))
    live.start()
    yield live
    live.stop()


def test_create_render_play_and_schedule(
    tiktok_live: LiveServer,
    tiktok: FakeTikTok,
    browser_context: Any,
    console: ConsoleWatch,
    shots: Screenshots,
) -> None:
    server = tiktok_live
    page = open_page(browser_context, console)
    register(page, server, "Ada Admin", "ada@example.com")

    # connect TikTok with a pasted token
    go(page, server, "social")
    card = '[data-platform="tiktok"]'
    page.click(f"{card} details:has(.token-form) summary")
    page.fill(f"{card} .token-form input[name=access_token]", tiktok.issue_tokens()["access_token"])
    page.fill(f"{card} .token-form input[name=username]", "ada_makes")
    page.click(f"{card} .token-form button[type=submit]")
    expect(page.locator(f'{card}[data-status="active"]')).to_be_visible()
    expect(page.locator(card)).to_contain_text("ada_makes")
    shots.take(page, "connections")

    # write a quote and a prompt, then render a short quote
    go(page, server, "create")
    page.click("#write-quote")
    expect(page.locator("#quote")).not_to_have_value("")
    page.fill("#quote", SHORT_QUOTE)
    page.click("#write-prompt")
    expect(page.locator("#visual-prompt")).not_to_have_value("")
    assert page.locator("#voice option").count() >= 1
    assert "(default)" in page.locator("#provider-llm option:checked").inner_text()
    page.fill("#title", "Small steps")
    shots.take(page, "create")
    page.click("#render")
    expect(page.locator("#render-progress")).to_be_visible()
    seen = wait_for_render(page)
    assert seen == sorted(seen), f"the progress went backwards: {seen}"
    assert seen[-1] == 100
    expect(page.locator("#render-percent")).to_have_text("100 %")
    expect(page.locator("#render-stage")).to_have_text("Done")

    video = page.locator("#preview-video")
    expect(video).to_be_visible()
    duration = video.evaluate(
        """v => new Promise(resolve => {
            if (v.readyState >= 1) return resolve(v.duration);
            v.addEventListener('loadedmetadata', () => resolve(v.duration));
            v.addEventListener('error', () => resolve(-1));
        })"""
    )
    assert duration > 0, "the browser could not read the video"
    played = video.evaluate(
        """async v => {
            v.muted = true;
            await v.play();
            await new Promise(resolve => setTimeout(resolve, 600));
            v.pause();
            return v.currentTime;
        }"""
    )
    assert played > 0, "the video did not play"
    shots.take(page, "rendered")

    # the library shows it with its thumbnail; schedule it on TikTok, twice
    go(page, server, "library")
    card = "#video-list .video-card"
    expect(page.locator(card)).to_have_count(1)
    expect(page.locator(card)).to_contain_text("Small steps")
    expect(page.locator(f"{card} .badge")).to_have_text("completed")
    thumb = page.locator(f"{card} img.thumb")
    expect(thumb).to_be_visible()
    page.wait_for_function("() => document.querySelector('#video-list img.thumb').naturalWidth > 0")
    expect(page.locator(f"{card} a", has_text="Download")).to_have_attribute(
        "download", re.compile(r"\.mp4$")
    )
    page.click(f"{card} .schedule-toggle")
    form = f"{card} .schedule-form"
    expect(page.locator(f"{form} input[value=tiktok]")).to_be_checked()
    # TikTok's required form: the creator's nickname, a privacy with no default, interactions off
    # (stitches disabled: the creator turned them off), commercial content off, music confirmation
    options = f'{form} [data-platform="tiktok"]'
    expect(page.locator(options)).to_contain_text(DISPLAY_NAME)
    privacy = page.locator(f'{options} select[name="options.tiktok.privacy_level"]')
    expect(privacy).to_have_value("")
    for name in ("disable_comment", "disable_duet", "disable_stitch", "brand_content_toggle"):
        expect(page.locator(f'{options} input[name="options.tiktok.{name}"]')).not_to_be_checked()
    expect(page.locator(f'{options} input[name="options.tiktok.disable_stitch"]')).to_be_disabled()
    expect(page.locator(f"{options} .music")).to_contain_text("Music Usage Confirmation")
    page.fill(f"{form} textarea[name=content]", "Tiny steps #daily")
    with console.expect_http_error(page, 400):  # no privacy chosen: the API names the field
        page.click(f"{form} button[type=submit]")
        expect(field_error(page, options, "options.tiktok.privacy_level")).to_contain_text("required")
    privacy.select_option("SELF_ONLY")
    page.click(f"{form} button[type=submit]")
    expect(page.locator(f"{form} .message[role=status]")).to_contain_text("Scheduled on tiktok")
    page.click(f"{form} button[type=submit]")
    expect(page.locator(f"{form} .message[role=status]")).to_contain_text("Scheduled on tiktok")
    shots.take(page, "library")
    page.click(f"{card} button.play")
    expect(page.locator(f"{card} video.player")).to_be_visible()

    # both posts are upcoming; reschedule one, cancel it
    go(page, server, "schedule")
    upcoming = "#posts-upcoming li.post"
    expect(page.locator(upcoming)).to_have_count(2)
    expect(page.locator(upcoming).first).to_contain_text("tiktok: Small steps")
    first = page.locator(upcoming).first
    first.get_by_role("button", name="Reschedule").click()
    stored = first.locator('select[name="options.tiktok.privacy_level"]')
    expect(stored).to_have_value("SELF_ONLY")  # the post's options, editable while it is pending
    stored.select_option("FOLLOWER_OF_CREATOR")
    later = (datetime.now(ZoneInfo(BROWSER_ZONE)) + timedelta(days=2)).replace(second=0, microsecond=0)
    first.locator("input[name=scheduled_time]").fill(later.strftime("%Y-%m-%dT%H:%M"))
    first.get_by_role("button", name="Save changes").click()
    expect(page.locator(".page-schedule > .messages .message[role=status]")).to_contain_text("now due")
    with server.client(session_token(page)) as client:
        listed = client.get("/api/schedule/list").json()["items"]
        times = [post["scheduled_time"] for post in listed]
        assert sorted(post["options"]["privacy_level"] for post in listed) == [
            "FOLLOWER_OF_CREATOR",
            "SELF_ONLY",
        ]
    wanted = later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    assert any(time_.startswith(wanted) for time_ in times), (wanted, times)
    last = page.locator(upcoming).last  # soonest first: the rescheduled post is now last
    last.locator(".confirm > button.danger").click()
    last.locator(".confirm-ask button.danger").click()
    expect(page.locator("#posts-cancelled li.post")).to_have_count(1)
    expect(page.locator(upcoming)).to_have_count(1)
    shots.take(page, "schedule")

    # disconnecting TikTok fails the pending post, with the reason shown
    go(page, server, "social")
    page.click('[data-platform="tiktok"] .confirm > button.danger')
    page.click('[data-platform="tiktok"] .confirm-ask button.danger')
    expect(page.locator('[data-platform="tiktok"][data-status="none"]')).to_be_visible()
    go(page, server, "schedule")
    failed = page.locator("#posts-failed li.post")
    expect(failed).to_have_count(1)
    expect(failed.locator(".reason")).to_contain_text("disconnected")
    shots.take(page, "schedule-failed")

    # deleting the video empties the library
    go(page, server, "library")
    page.get_by_role("button", name="Delete: Small steps").click()
    page.get_by_role("button", name="Delete for good: Small steps").click()
    expect(page.locator("#video-list .video-card")).to_have_count(0)
    expect(page.locator("#library-summary")).to_have_text("No videos yet.")
    console.assert_clean()


# ------------------------------------------------------------------------------------- form errors


def test_every_form_shows_the_api_message(
    server: LiveServer, browser_context: Any, console: ConsoleWatch, shots: Screenshots
) -> None:
    page = open_page(browser_context, console)
    go(page, server, "signin")
    assert page.locator("#nav").is_hidden()

    # register: a short password is refused next to the password field
    go(page, server, "register")
    page.fill("#register-name", "Grace")
    page.fill("#register-email", "grace@example.com")
    page.fill("#register-password", "short")
    with console.expect_http_error(page, 400):
        page.click("#register-form button[type=submit]")
        expect(alert_of(page, "#register-form")).to_contain_text("at least 8 characters")
    expect(field_error(page, "#register-form", "password")).to_contain_text("at least 8 characters")
    expect(page.locator("#register-password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#register-password")).to_be_focused()
    shots.take(page, "register-error")
    page.fill("#register-password", PASSWORD)
    page.click("#register-form button[type=submit]")
    page.wait_for_selector('[data-page="create"][data-ready]')

    # sign out (the token is forgotten), then a wrong password
    page.click("#sign-out")
    page.wait_for_selector('[data-page="signin"][data-ready]')
    assert page.evaluate("() => sessionStorage.getItem('oasis.token')") is None
    page.fill("#signin-email", "grace@example.com")
    page.fill("#signin-password", "not the password")
    with console.expect_http_error(page, 401):
        page.click("#signin-form button[type=submit]")
        expect(alert_of(page, "#signin-form")).to_have_text("Invalid email or password")
    shots.take(page, "signin-error")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector('[data-page="create"][data-ready]')

    # create: rendering or prompting without a quote
    with console.expect_http_error(page, 400):
        page.click("#render")
        expect(field_error(page, "#create-form", "content")).not_to_be_empty()
    expect(alert_of(page, "#create-form")).not_to_be_empty()
    with console.expect_http_error(page, 400):
        page.click("#write-prompt")
        expect(
            page.locator("#write-prompt").locator("xpath=../..").locator(".message[role=alert]")
        ).not_to_be_empty()
    shots.take(page, "create-errors")

    # API keys: an empty key, then a real save (hint only), a test, a delete
    go(page, server, "keys")
    page.select_option("#key-provider", "openai")
    with console.expect_http_error(page, 400):
        page.click("#key-form button[type=submit]")
        expect(field_error(page, "#key-form", "api_key")).not_to_be_empty()
    expect(page.locator("#key-form ~ .messages .message[role=alert]")).not_to_be_empty()
    page.fill("#key-value", "sk-test-abcd1234")
    page.click("#key-form button[type=submit]")
    row = page.locator('#keys-table tr[data-provider="openai"]')
    expect(row.locator(".key-hint")).to_have_text(re.compile(r"1234$"))
    assert "sk-test-abcd1234" not in page.content()
    row.get_by_role("button", name="Test the openai key").click()
    expect(row.locator(".key-result")).to_contain_text("Failed:")
    expect(row.locator(".key-status .badge")).to_have_text("failed")
    shots.take(page, "keys")
    row.locator(".confirm > button.danger").click()
    row.locator(".confirm-ask button.danger").click()
    expect(page.locator("#keys-table")).to_be_hidden()

    # default providers: one that needs a key nobody has
    page.select_option("#default-llm", "openai")
    with console.expect_http_error(page, 400):
        page.click("#defaults-form button[type=submit]")
        expect(alert_of(page, "#defaults-form")).to_contain_text("needs an API key")
    page.select_option("#default-llm", "")
    page.click("#defaults-form button[type=submit]")
    expect(page.locator("#defaults-form .message[role=status]")).to_have_text("Default providers saved.")
    expect(page.locator("#effective-providers")).to_contain_text("llm offline")

    # automations: a bad cron, then one that works; disable, rename, delete it
    go(page, server, "automations")
    form = "#automation-create"
    zone = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(page.locator(f"{form} input[name=timezone]")).to_have_value(zone)
    page.fill(f"{form} input[name=name]", "Weekday mornings")
    page.fill(f"{form} input[name=cron]", "every day at nine")
    with console.expect_http_error(page, 400):
        page.click(f"{form} button[type=submit]")
        expect(field_error(page, form, "cron")).to_contain_text("Invalid cron expression")
    shots.take(page, "automation-error")
    page.fill(f"{form} input[name=cron]", "0 9 * * 1-5")
    page.check(f"{form} input[name=platforms][value=tiktok]")
    page.click(f"{form} button[type=submit]")
    item = page.locator("#automation-list li.automation")
    expect(item).to_have_count(1)
    expect(item.locator("dd").nth(1)).not_to_have_text("—")
    expect(item).to_contain_text("tiktok")
    item.get_by_label("Enabled").uncheck()
    expect(page.locator("#automation-list li.automation .badge")).to_have_text("disabled")
    item = page.locator("#automation-list li.automation")
    expect(item.locator("dd").nth(1)).to_contain_text("disabled")
    item.get_by_role("button", name="Edit").click()
    item.locator(".automation-form input[name=name]").fill("Weekday quotes")
    item.locator(".automation-form button[type=submit]").click()
    expect(page.locator("#automation-list li.automation h3")).to_contain_text("Weekday quotes")
    shots.take(page, "automations")
    item = page.locator("#automation-list li.automation")
    item.locator(".confirm > button.danger").click()
    item.locator(".confirm-ask button.danger").click()
    expect(page.locator("#automation-list li.automation")).to_have_count(0)

    # connections: an empty token, an OAuth platform the server has no app for, a half sign-in
    go(page, server, "social")
    tiktok = '[data-platform="tiktok"]'
    page.click(f"{tiktok} details:has(.token-form) summary")
    with console.expect_http_error(page, 400):
        page.click(f"{tiktok} .token-form button[type=submit]")
        expect(field_error(page, f"{tiktok} .token-form", "access_token")).not_to_be_empty()
    with console.expect_http_error(page, 400):
        page.click(f"{tiktok} button.connect")
        expect(alert_of(page, tiktok)).to_contain_text("TIKTOK_CLIENT_KEY")
    instagram = '[data-platform="instagram"]'
    page.click(f"{instagram} details:has(.signin-form) summary")
    page.fill(f"{instagram} .signin-form input[name=username]", "grace")
    with console.expect_http_error(page, 400):
        page.click(f"{instagram} .signin-form button[type=submit]")
        expect(field_error(page, f"{instagram} .signin-form", "password")).to_contain_text(
            "username and password"
        )
    shots.take(page, "connections-errors")

    # what the OAuth callback reports when it redirects back: a reason code, shown in the dashboard's words;
    # text slipped into the address is never shown
    page.goto(f"{server.url}/?platform=tiktok&status=failed&reason=denied&message=Call+555+0100#/social")
    page.wait_for_selector('[data-page="social"][data-ready]')
    news = page.locator("#callback-news .message[role=alert]")
    expect(news).to_have_text("You did not allow Oasis on TikTok; nothing was connected.")
    assert page.evaluate("() => location.search") == ""
    page.goto(f"{server.url}/?platform=tiktok&status=failed&reason=%3Cb%3Ecall+us%3C%2Fb%3E#/social")
    page.wait_for_selector('[data-page="social"][data-ready]')
    expect(news).to_have_text("TikTok did not connect; the server's log says why.")
    shots.take(page, "oauth-callback")
    console.assert_clean()


# ------------------------------------------------------------------------------------ admin and user


def test_admin_manages_users_and_others_see_no_admin(
    server: LiveServer, chromium: Any, browser_context: Any, console: ConsoleWatch, shots: Screenshots
) -> None:
    page = open_page(browser_context, console)
    register(page, server, "Ada Admin", "ada@example.com")
    expect(page.locator("#nav-admin")).to_be_visible()

    go(page, server, "admin")
    create = "#user-create"
    for name, email in (("Bob Builder", "bob@example.com"), ("Cy Normal", "cy@example.com")):
        page.fill(f"{create} input[name=name]", name)
        page.fill(f"{create} input[name=email]", email)
        page.fill(f"{create} input[name=password]", PASSWORD)
        page.click(f"{create} button[type=submit]")
        expect(page.locator(f"{create} .message[role=status]")).to_contain_text(f"Created {email}")
    with console.expect_http_error(page, 409):
        page.fill(f"{create} input[name=name]", "Bob Again")
        page.fill(f"{create} input[name=email]", "BOB@example.com")
        page.fill(f"{create} input[name=password]", PASSWORD)
        page.click(f"{create} button[type=submit]")
        expect(alert_of(page, create)).to_contain_text("already exists")
    expect(page.locator("#users-table tbody tr")).to_have_count(3)

    page.fill("#user-search input[name=q]", "bob")
    page.click("#user-search button[type=submit]")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)
    bob = page.locator('#users-table tr[data-email="bob@example.com"]')
    bob.get_by_label("Status of bob@example.com").select_option("inactive")
    expect(bob.locator(".message[role=status]")).to_contain_text("inactive")
    shots.take(page, "admin")
    page.fill("#user-search input[name=q]", "")
    page.click("#user-search button[type=submit]")
    ada = page.locator('#users-table tr[data-email="ada@example.com"]')
    with console.expect_http_error(page, 409):
        ada.get_by_label("Role of ada@example.com").select_option("user")
        expect(ada.locator(".message[role=alert]")).to_contain_text("last active admin")
    expect(ada.get_by_label("Role of ada@example.com")).to_have_value("admin")
    with server.client(session_token(page)) as client:
        found = client.get("/api/admin/users", params={"q": "bob"}).json()["items"]
        assert [(user["email"], user["status"]) for user in found] == [("bob@example.com", "inactive")]
    console.assert_clean()

    # a phone, keyboard only: Bob is refused, Cy signs in and sees no Admin
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        console.attach(mobile)
        go(mobile, server, "signin")
        mobile.keyboard.press("Tab")
        assert mobile.evaluate("() => document.activeElement.className") == "skip-link"
        mobile.keyboard.press("Enter")
        assert mobile.evaluate("() => document.activeElement.id") == "main"
        mobile.keyboard.press("Tab")
        assert mobile.evaluate("() => document.activeElement.id") == "signin-email"
        outline = mobile.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused field shows no focus ring"
        mobile.keyboard.type("bob@example.com")
        mobile.keyboard.press("Tab")
        mobile.keyboard.type(PASSWORD)
        with console.expect_http_error(mobile, 403):
            mobile.keyboard.press("Enter")
            expect(alert_of(mobile, "#signin-form")).to_contain_text("inactive")
        mobile.fill("#signin-email", "cy@example.com")
        mobile.focus("#signin-password")
        mobile.keyboard.press("Enter")
        mobile.wait_for_selector('[data-page="create"][data-ready]')
        expect(mobile.locator("#nav")).to_be_visible()
        expect(mobile.locator("#nav-admin")).to_be_hidden()
        mobile.goto(f"{server.url}/#/admin")
        mobile.wait_for_function("() => location.hash === '#/create'")
        expect(mobile.locator('[data-page="admin"]')).to_have_count(0)
        with server.client(session_token(mobile)) as client:
            refused = client.get("/api/admin/users")
            assert refused.status_code == 403
            assert "error" in refused.json()
        for route in ("create", "library", "keys"):
            go(mobile, server, route)
            width = mobile.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"#/{route} is {width}px wide on a 390px phone"
            shots.take(mobile, f"phone-{route}")
    finally:
        phone.close()

    # the admin deletes Bob
    bob = page.locator('#users-table tr[data-email="bob@example.com"]')
    bob.get_by_role("button", name="Delete: bob@example.com").click()
    bob.locator(".confirm-ask button.danger").click()
    expect(page.locator('#users-table tr[data-email="bob@example.com"]')).to_have_count(0)
    console.assert_clean()
