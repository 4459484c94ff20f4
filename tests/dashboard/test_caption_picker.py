"""The Create page's caption picker: presets and fields, a preview still from the server, the style sent."""

from __future__ import annotations

from typing import Any

from tests.dashboard.conftest import ConsoleWatch, LiveServer, Screenshots
from tests.dashboard.test_dashboard import (
    SHORT_QUOTE,
    expect,
    field_error,
    go,
    open_page,
    register,
    session_token,
)


def preview_state(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => { const i = document.getElementById('caption-preview');
                       return { src: i.src, width: i.naturalWidth, height: i.naturalHeight, done: i.complete }; }"""
        )
    )


def wait_for_new_preview(page: Any, before: str) -> dict[str, Any]:
    page.wait_for_function(
        """before => { const i = document.getElementById('caption-preview');
                       return i.src && i.src !== before && i.complete && i.naturalWidth > 0; }""",
        arg=before,
    )
    return preview_state(page)


def test_pick_a_preset_see_its_preview_and_render_with_it(
    server: LiveServer, browser_context: Any, console: ConsoleWatch, shots: Screenshots
) -> None:
    page = open_page(browser_context, console)
    register(page, server, "Ada Admin", "ada@example.com")
    go(page, server, "create")

    presets = page.locator("#caption-preset option").all_inner_texts()
    assert len(presets) == 4 and presets[0].startswith("Classic")
    first = wait_for_new_preview(page, "")
    assert (first["width"], first["height"]) == (540, 960)  # the 9:16 frame at half size
    expect(page.locator("#caption-position")).to_have_value("bottom")

    page.select_option("#caption-preset", "bold")
    expect(page.locator("#caption-position")).to_have_value("middle")  # the preset's own choices fill in
    expect(page.locator("#caption-uppercase")).to_be_checked()
    bold = wait_for_new_preview(page, first["src"])
    page.select_option("#caption-position", "top")
    page.select_option("#aspect", "1:1")
    square = wait_for_new_preview(page, bold["src"])
    assert (square["width"], square["height"]) == (540, 540)
    shots.take(page, "caption-picker")

    with console.expect_http_error(page, 400):
        page.fill("#caption-size", "5")
    expect(page.locator("#caption-preview-note")).to_contain_text("captions.size")
    expect(field_error(page, "#create-form", "captions.size")).to_contain_text("at least 16")
    page.fill("#caption-size", "")

    page.fill("#quote", SHORT_QUOTE)
    page.fill("#visual-prompt", "a quiet harbour at dawn")
    page.select_option("#caption-preset", "boxed")
    page.select_option("#caption-position", "top")
    page.click("#render")
    expect(page.locator("#render-progress")).to_be_visible()
    video_id = page.locator("#render-progress").get_attribute("data-video-id")
    with server.client(session_token(page)) as client:
        captions = client.get(f"/api/video/{video_id}").json()["captions"]
    assert captions["preset"] == "boxed" and captions["position"] == "top"
    assert captions["colour"] == "#ffffff" and captions["words_per_phrase"] == 4
    console.assert_clean()


def test_a_caption_refused_by_the_server_is_shown_at_its_field(
    server: LiveServer, browser_context: Any, console: ConsoleWatch
) -> None:
    page = open_page(browser_context, console)
    register(page, server, "Bea", "bea@example.com")
    go(page, server, "create")
    page.fill("#quote", SHORT_QUOTE)
    page.fill("#visual-prompt", "a quiet harbour at dawn")
    page.fill("#caption-words", "12")
    with console.expect_http_error(page, 400):
        page.click("#render")
        expect(field_error(page, "#create-form", "captions.words_per_phrase")).not_to_be_empty()
    console.assert_clean()
