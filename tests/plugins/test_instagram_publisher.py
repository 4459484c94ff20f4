"""The ``instagram`` publisher through the real instagrapi, against a fake Instagram on 127.0.0.1."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import instagrapi.mixins.private
import pytest
from instagrapi import exceptions as ig
from tests.fakes.http_server import Reply
from tests.fakes.instagram_api import (
    CONFIGURE,
    COVER_UPLOAD,
    LOGIN,
    MEDIA_INFO,
    UPLOAD_SETTINGS,
    USER_CLIPS,
    VIDEO_UPLOAD,
    EscapedRequest,
    FakeInstagram,
    bad_password,
    challenge_required,
    feedback_required,
    login_required,
    please_wait,
    rate_limit_error,
    sentry_block,
    server_error,
    throttled,
    transcode_pending,
    two_factor_required,
    video_too_long,
    write_test_clip,
)

from oasis_core.catalog import PortKind
from oasis_core.domain.publishing import PublishRequest, SocialAccount
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.plugins import DEFAULT_PLUGINS, load_catalog
from oasis_core.ports.provider import ProviderConfig
from oasis_core.testing import PublisherContract
from oasis_plugins.instagram import InstagramPublisher
from oasis_plugins.instagram.publisher import (
    FEEDBACK_RETRY,
    PLEASE_WAIT_RETRY,
    THROTTLED_RETRY,
    TRANSIENT_RETRY,
    build_caption,
    sort_error,
    stable_device_ids,
)

USERNAME, PASSWORD = "oasis.test", "correct horse battery staple"
CODE_USER, CODE = "oasis.guarded", "314159"
FAST = {"delay_range": "0", "configure_timeout": "0"}


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeInstagram]:
    api = FakeInstagram()
    with api.running():
        yield api


@pytest.fixture
def fake(fake_server: FakeInstagram) -> Iterator[FakeInstagram]:
    """The module's fake Instagram, emptied, with two accounts; no request may leave for a real host."""
    fake_server.reset()
    fake_server.add_user(USERNAME, PASSWORD)
    fake_server.add_user(CODE_USER, PASSWORD, code=CODE)
    yield fake_server
    assert fake_server.escaped == []


def make_publisher(fake: FakeInstagram, **settings: str) -> InstagramPublisher:
    publisher = InstagramPublisher(ProviderConfig(settings={**FAST, **settings}))
    publisher.client_class = fake.client_class()
    return publisher


@pytest.fixture
def publisher(fake: FakeInstagram) -> InstagramPublisher:
    return make_publisher(fake)


@pytest.fixture
def account(publisher: InstagramPublisher) -> SocialAccount:
    return publisher.login(USERNAME, PASSWORD)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real MP4s made with PyAV: a good 9:16 reel, one too long, one too short, one landscape."""
    folder = tmp_path_factory.mktemp("instagram-clips")
    return {
        "reel": write_test_clip(folder / "reel.mp4"),
        "long": write_test_clip(folder / "long.mp4", width=72, height=128, seconds=91, audio=False),
        "short": write_test_clip(folder / "short.mp4", seconds=2),
        "landscape": write_test_clip(folder / "landscape.mp4", width=640, height=360),
    }


@pytest.fixture
def clip(clips: dict[str, Path]) -> Path:
    return clips["reel"]


def request(clip: Path, title: str = "Stay the course", **fields: Any) -> PublishRequest:
    return PublishRequest(clip, title, "A line for the caption.", tags=("motivation", "deep work"), **fields)


def login_requests(fake: FakeInstagram) -> int:
    return len(fake.requests_to(LOGIN))


class TestInstagramPublisherContract(PublisherContract):
    @pytest.fixture
    def provider(self, fake: FakeInstagram) -> InstagramPublisher:
        return make_publisher(fake)

    @pytest.fixture
    def account(self, provider: InstagramPublisher) -> SocialAccount:
        return provider.login(USERNAME, PASSWORD)

    @pytest.fixture
    def video_file(self, clip: Path) -> Path:
        return clip


# -- the plugin --------------------------------------------------------------------------------------


def test_the_plugin_registers_the_publisher_with_its_settings() -> None:
    assert "oasis_plugins.instagram" in DEFAULT_PLUGINS
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "instagram"})
    assert catalog.ids(PortKind.PUBLISHER) == ("instagram",)
    info = catalog.info(PortKind.PUBLISHER, "instagram")
    assert (info.needs_key, info.key_env_var) == (None, None)
    environ = {"INSTAGRAM_PROXY": "http://127.0.0.1:1", "INSTAGRAM_DELAY_RANGE": "2,5", "OTHER": "x"}
    assert info.settings_from(environ) == {"proxy": "http://127.0.0.1:1", "delay_range": "2,5"}
    assert InstagramPublisher.platform == "instagram"
    assert InstagramPublisher.name == "Instagram (instagrapi)"


@pytest.mark.parametrize(
    ("value", "expected"), [(None, [1.0, 3.0]), ("0", None), ("2,5", [2.0, 5.0]), ("1.5-4", [1.5, 4.0])]
)
def test_the_delay_range_setting(value: str | None, expected: list[float] | None) -> None:
    settings = {} if value is None else {"delay_range": value}
    assert InstagramPublisher(ProviderConfig(settings=settings)).delay_range == expected


@pytest.mark.parametrize(
    "setting", [{"delay_range": "5,1"}, {"delay_range": "soon"}, {"configure_timeout": "-1"}]
)
def test_a_bad_setting_is_refused_by_name(setting: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        InstagramPublisher(ProviderConfig(settings=setting))
    assert caught.value.field == next(iter(setting))


def test_the_caption_joins_title_description_and_hashtags() -> None:
    req = PublishRequest(Path("x.mp4"), " Title ", "Body text.", tags=("deep work", "#focus", "focus", "!!"))
    assert build_caption(req) == "Title\n\nBody text.\n\n#deepwork #focus"
    assert build_caption(PublishRequest(Path("x.mp4"), "Only a title")) == "Only a title"


def test_the_adapter_refuses_any_host_but_the_fakes(fake: FakeInstagram) -> None:
    client = fake.client_class()(settings={})
    with pytest.raises(EscapedRequest):
        client.public.get("https://example.com/")
    assert fake.escaped == ["https://example.com/"]
    fake.escaped.clear()


# -- connecting --------------------------------------------------------------------------------------


def test_login_keeps_the_session_and_never_the_password(
    fake: FakeInstagram, publisher: InstagramPublisher
) -> None:
    account = publisher.login(f" @{USERNAME} ", PASSWORD)
    user = fake.users[USERNAME]
    assert (account.platform, account.username, account.account_id) == ("instagram", USERNAME, user.pk)
    settings = json.loads(account.session or "")
    assert settings["authorization_data"]["ds_user_id"] == user.pk
    assert account.access_token == settings["authorization_data"]["sessionid"]
    assert account.access_token in fake.sessions
    assert settings["uuids"]["phone_id"] == stable_device_ids(USERNAME)["phone_id"]
    assert PASSWORD not in (account.session or "")
    assert all(PASSWORD.encode() not in sent.body for sent in fake.requests), "the password travels encrypted"


def test_every_login_for_an_account_comes_from_the_same_device(publisher: InstagramPublisher) -> None:
    first = json.loads(publisher.login(USERNAME, PASSWORD).session or "")
    second = json.loads(publisher.login(USERNAME, PASSWORD).session or "")
    keys = ("phone_id", "uuid", "advertising_id", "android_device_id")
    assert [first["uuids"][k] for k in keys] == [second["uuids"][k] for k in keys]
    assert stable_device_ids("someone.else")["uuid"] != first["uuids"]["uuid"]


def test_a_two_factor_account_asks_for_the_code_then_accepts_it(
    fake: FakeInstagram, publisher: InstagramPublisher
) -> None:
    with pytest.raises(NeedsCredentials) as asked:
        publisher.login(CODE_USER, PASSWORD)
    assert "security code" in asked.value.message and "connect again" in asked.value.message
    assert fake.codes_sent == 1
    account = publisher.login(CODE_USER, PASSWORD, verification_code=" 314 159 ")
    assert account.account_id == fake.users[CODE_USER].pk
    assert account.access_token in fake.sessions


def test_a_wrong_two_factor_code_says_so(publisher: InstagramPublisher) -> None:
    with pytest.raises(NeedsCredentials) as refused:
        publisher.login(CODE_USER, PASSWORD, verification_code="000000")
    assert "did not accept the security code" in refused.value.message


def test_the_legacy_two_factor_answer_asks_for_the_code(
    fake: FakeInstagram, publisher: InstagramPublisher
) -> None:
    fake.fail(LOGIN, two_factor_required(USERNAME))
    with pytest.raises(NeedsCredentials) as asked:
        publisher.login(USERNAME, PASSWORD)
    assert "security code" in asked.value.message


def test_a_challenge_tells_the_user_to_approve_the_login_in_the_app(
    fake: FakeInstagram, publisher: InstagramPublisher
) -> None:
    fake.fail(LOGIN, challenge_required())
    with pytest.raises(NeedsCredentials) as challenged:
        publisher.login(USERNAME, PASSWORD)
    message = challenged.value.message
    assert "Open the Instagram app" in message and "approve the login" in message and "connect" in message
    assert not fake.sessions


def test_a_wrong_password_is_refused(fake: FakeInstagram, publisher: InstagramPublisher) -> None:
    with pytest.raises(NeedsCredentials) as refused:
        publisher.login(USERNAME, "not it")
    assert "refused the username or password" in refused.value.message
    fake.fail(LOGIN, bad_password())
    with pytest.raises(NeedsCredentials):
        publisher.login(USERNAME, PASSWORD)


def test_login_needs_a_username_and_a_password(publisher: InstagramPublisher) -> None:
    with pytest.raises(InvalidInput):
        publisher.login("", PASSWORD)
    with pytest.raises(InvalidInput):
        publisher.login(USERNAME, "")


def test_revoke_logs_the_session_out(fake: FakeInstagram, publisher: InstagramPublisher, clip: Path) -> None:
    account = publisher.login(USERNAME, PASSWORD)
    publisher.revoke(account)
    assert not fake.sessions
    with pytest.raises(NeedsCredentials):
        publisher.publish(request(clip), account)


# -- publishing --------------------------------------------------------------------------------------


def test_a_reel_is_uploaded_once_with_its_caption_and_cover(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    seen: list[str] = []
    result = publisher.publish(request(clip), account, on_platform_id=seen.append)
    [reel] = fake.reels
    assert seen == [result.platform_id] == [reel.pk]
    assert result.url == f"https://www.instagram.com/reel/{reel.code}/"
    assert reel.caption == "Stay the course\n\nA line for the caption.\n\n#motivation #deepwork"
    assert reel.video_bytes == clip.stat().st_size and reel.cover_bytes > 0
    assert (reel.width, reel.height) == (360, 640)
    assert fake.configure_calls == 1
    assert "moviepy" not in sys.modules, "the cover comes from PyAV, so MoviePy is never needed"


def test_the_session_is_reused_and_written_back(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    logins = login_requests(fake)
    account.session = json.dumps({**json.loads(account.session or ""), "mid": "stale-mid"})
    publisher.publish(request(clip, "First"), account)
    publisher.publish(request(clip, "Second"), account)
    assert login_requests(fake) == logins == 1
    assert fake.configure_calls == 2 and len(fake.reels) == 2
    settings = json.loads(account.session or "")
    assert settings["authorization_data"]["sessionid"] == account.access_token
    assert "uuids" in settings and "cookies" in settings


def test_an_ended_session_asks_to_reconnect_without_logging_in(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    fake.end_sessions()
    with pytest.raises(NeedsCredentials) as ended:
        publisher.publish(request(clip), account)
    assert "Reconnect Instagram" in ended.value.message
    assert login_requests(fake) == 1 and fake.configure_calls == 0


def test_an_account_without_a_session_asks_to_connect(publisher: InstagramPublisher, clip: Path) -> None:
    for session in (None, "not json", json.dumps({"uuids": {}})):
        account = SocialAccount("instagram", USERNAME, "token", session=session)
        with pytest.raises(NeedsCredentials):
            publisher.publish(request(clip), account)


def test_a_pasted_sessionid_is_enough_to_publish(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    pasted = SocialAccount("instagram", USERNAME, account.access_token)
    result = publisher.publish(request(clip), pasted)
    assert fake.reels[0].pk == result.platform_id and fake.reels[0].user.username == USERNAME
    assert json.loads(pasted.session or "")["authorization_data"]["sessionid"] == account.access_token


def test_a_retry_with_the_platform_id_looks_the_reel_up_instead_of_uploading(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    first = publisher.publish(request(clip), account)
    uploads = len(fake.requests_to(VIDEO_UPLOAD))
    again = publisher.publish(request(clip, platform_id=first.platform_id), account)
    assert again == first
    assert fake.configure_calls == 1 and len(fake.requests_to(VIDEO_UPLOAD)) == uploads
    assert fake.requests_to(MEDIA_INFO)


def test_a_retry_for_a_deleted_reel_does_not_post_it_again(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    with pytest.raises(ProviderError) as gone:
        publisher.publish(request(clip, platform_id="3300000000000009999"), account)
    assert type(gone.value) is ProviderError and "no longer on the account" in gone.value.message
    assert fake.configure_calls == 0 and not fake.requests_to(VIDEO_UPLOAD)


def test_a_lost_answer_is_found_again_instead_of_posting_twice(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    fake.lose_answer(CONFIGURE)
    with pytest.raises(RetryableProviderError):
        publisher.publish(request(clip), account)
    [reel] = fake.reels  # Instagram made it; the client never heard
    seen: list[str] = []
    result = publisher.publish(request(clip), account, on_platform_id=seen.append)
    assert result.platform_id == reel.pk and seen == [reel.pk]
    assert fake.configure_calls == 1 and len(fake.reels) == 1


def test_an_old_or_different_reel_does_not_count_as_a_duplicate(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    publisher.publish(request(clip), account)
    fake.reels[0].taken_at -= 2 * 3600
    publisher.publish(request(clip), account)
    publisher.publish(request(clip, "Another title"), account)
    assert len(fake.reels) == 3


def test_the_duplicate_check_can_be_turned_off(
    fake: FakeInstagram, account: SocialAccount, clip: Path
) -> None:
    publisher = make_publisher(fake, duplicate_window="0")
    publisher.publish(request(clip), account)
    publisher.publish(request(clip), account)
    assert len(fake.reels) == 2 and not fake.requests_to(USER_CLIPS)


def test_lookup_finds_a_reel_or_says_none(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    result = publisher.publish(request(clip), account)
    assert publisher.lookup(result.platform_id, account) == result
    assert publisher.lookup("3300000000000009999", account) is None
    someone_else = SocialAccount("instagram", "x", "t", session=account.session, account_id="1")
    assert publisher.lookup(result.platform_id, someone_else) is None


def test_a_transcode_in_progress_is_waited_for(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    fake.fail(CONFIGURE, transcode_pending())
    publisher.publish(request(clip), account)
    assert fake.configure_calls == 2 and len(fake.reels) == 1


# -- errors ------------------------------------------------------------------------------------------

CASES = [
    pytest.param(
        CONFIGURE, feedback_required("Try again later"), RetryableProviderError, FEEDBACK_RETRY, id="feedback"
    ),
    pytest.param(CONFIGURE, please_wait(), RetryableProviderError, PLEASE_WAIT_RETRY, id="please-wait"),
    pytest.param(CONFIGURE, throttled(120), RetryableProviderError, 120, id="429-retry-after"),
    pytest.param(USER_CLIPS, throttled(), RetryableProviderError, THROTTLED_RETRY, id="429"),
    pytest.param(CONFIGURE, rate_limit_error(), RetryableProviderError, THROTTLED_RETRY, id="rate-limit"),
    pytest.param(CONFIGURE, server_error(500), RetryableProviderError, TRANSIENT_RETRY, id="500"),
    pytest.param(VIDEO_UPLOAD, server_error(503), RetryableProviderError, TRANSIENT_RETRY, id="upload-503"),
    pytest.param(UPLOAD_SETTINGS, throttled(), RetryableProviderError, THROTTLED_RETRY, id="upload-429"),
    pytest.param(CONFIGURE, login_required(), NeedsCredentials, None, id="login-required"),
    pytest.param(VIDEO_UPLOAD, login_required(), NeedsCredentials, None, id="upload-login-required"),
    pytest.param(CONFIGURE, challenge_required(), NeedsCredentials, None, id="challenge"),
    pytest.param(CONFIGURE, sentry_block(), ProviderError, None, id="sentry-block"),
    pytest.param(CONFIGURE, video_too_long(), ProviderError, None, id="too-long"),
    pytest.param(
        VIDEO_UPLOAD, Reply(400, {"message": "bad", "status": "fail"}), ProviderError, None, id="upload-400"
    ),
    pytest.param(
        COVER_UPLOAD, Reply(400, {"message": "bad", "status": "fail"}), ProviderError, None, id="cover-400"
    ),
    pytest.param(
        CONFIGURE, Reply(400, {"message": "odd", "status": "fail"}), ProviderError, None, id="other"
    ),
]


@pytest.mark.parametrize(("path", "reply", "kind", "retry_after"), CASES)
def test_each_instagram_answer_becomes_the_right_error(
    fake: FakeInstagram,
    publisher: InstagramPublisher,
    account: SocialAccount,
    clip: Path,
    path: str,
    reply: Reply,
    kind: type[ProviderError],
    retry_after: float | None,
) -> None:
    fake.fail(path, reply)
    with pytest.raises(ProviderError) as caught:
        publisher.publish(request(clip), account)
    assert type(caught.value) is kind, caught.value.message
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert caught.value.provider == "instagram" and caught.value.message
    assert not fake.reels
    if kind is RetryableProviderError and path == CONFIGURE and reply.status == 400:
        assert "limiting" in caught.value.message


@pytest.mark.parametrize("path", [CONFIGURE, VIDEO_UPLOAD])
def test_a_broken_connection_is_retryable(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path, path: str
) -> None:
    fake.drop(path)
    with pytest.raises(RetryableProviderError) as caught:
        publisher.publish(request(clip), account)
    assert caught.value.retry_after == TRANSIENT_RETRY and not fake.reels


def test_a_request_timeout_is_retryable(
    fake: FakeInstagram,
    publisher: InstagramPublisher,
    account: SocialAccount,
    clip: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # instagrapi waits 60 s and tries once more after a 408: skip the wait.
    monkeypatch.setattr(
        instagrapi.mixins.private, "time", SimpleNamespace(time=time.time, sleep=lambda _: None)
    )
    timeout = Reply(408, {"message": "timeout", "status": "fail"})
    fake.fail(CONFIGURE, timeout, timeout)
    with pytest.raises(RetryableProviderError):
        publisher.publish(request(clip), account)
    assert fake.configure_calls == 2 and not fake.reels


def test_feedback_required_passes_instagrams_reason_on(
    fake: FakeInstagram, publisher: InstagramPublisher, account: SocialAccount, clip: Path
) -> None:
    fake.fail(CONFIGURE, feedback_required("We limit how often you can do certain things"))
    with pytest.raises(RetryableProviderError) as caught:
        publisher.publish(request(clip), account)
    assert "We limit how often you can do certain things" in caught.value.message
    assert "6 hours" in caught.value.message


SORTED = [
    (ig.ChallengeRequired(), NeedsCredentials, "Open the Instagram app"),
    (ig.ChallengeUnknownStep(), NeedsCredentials, "approve the login"),
    (ig.SelectContactPointRecoveryForm(), NeedsCredentials, "approve the login"),
    (ig.TwoFactorRequired(), NeedsCredentials, "security code"),
    (ig.BadPassword(), NeedsCredentials, "username or password"),
    (ig.LoginRequired(), NeedsCredentials, "Reconnect Instagram"),
    (ig.ReloginAttemptExceeded(), NeedsCredentials, "Reconnect Instagram"),
    (
        ig.ClipNotUpload("Clip upload failed: HTTP 403: login_required", status_code=403),
        NeedsCredentials,
        "Reconnect",
    ),
    (ig.FeedbackRequired(), RetryableProviderError, "limiting"),
    (ig.PleaseWaitFewMinutes(), RetryableProviderError, "limiting"),
    (ig.RateLimitError(), RetryableProviderError, "rate-limiting"),
    (ig.ClientThrottledError(), RetryableProviderError, "rate-limiting"),
    (ig.ClientConnectionError("reset"), RetryableProviderError, "try again"),
    (ig.ClientRequestTimeout(), RetryableProviderError, "try again"),
    (ig.ClientError("boom", code=502), RetryableProviderError, "HTTP 502"),
    (ig.VideoTooLongException(), ProviderError, "90 seconds"),
    (ig.VideoNotUpload("nope"), ProviderError, "did not accept the reel"),
    (ig.ClipNotUpload("Clip upload failed during rupload_upload: HTTP 400"), ProviderError, "rupload_upload"),
    (ig.ClipConfigureError("no media"), ProviderError, "did not accept the reel"),
    (ig.MediaNotFound("gone"), ProviderError, "cannot find"),
    (ig.AccountSuspended(), ProviderError, "suspended"),
    (ig.ProxyAddressIsBlocked(), ProviderError, "INSTAGRAM_PROXY"),
    (ig.ClientNeedsUpgradeError(), ProviderError, "Upgrade"),
    (ig.ClientError("something else"), ProviderError, "something else"),
]


@pytest.mark.parametrize(
    ("error", "kind", "words"), SORTED, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else ""
)
def test_sort_error_covers_instagrapis_exceptions(
    error: Exception, kind: type[ProviderError], words: str
) -> None:
    sorted_error = sort_error(error)
    assert type(sorted_error) is kind
    assert words in sorted_error.message


# -- checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("long", ["91.0 s", "3 to 90 s"]),
        ("short", ["2.0 s", "3 to 90 s"]),
        ("landscape", ["9:16", "640×360", "landscape"]),
    ],
)
def test_check_refuses_a_clip_outside_the_reel_limits_before_any_request(
    fake: FakeInstagram,
    publisher: InstagramPublisher,
    account: SocialAccount,
    clips: dict[str, Path],
    name: str,
    words: list[str],
) -> None:
    sent = len(fake.requests)
    with pytest.raises(InvalidInput) as refused:
        publisher.publish(request(clips[name]), account)
    assert all(word in refused.value.message for word in words), refused.value.message
    assert refused.value.field == "video"
    assert len(fake.requests) == sent


def test_check_refuses_what_instagram_would(
    publisher: InstagramPublisher, clip: Path, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput) as private:
        publisher.check(request(clip, privacy="private"))
    assert private.value.field == "privacy"
    with pytest.raises(InvalidInput) as tags:
        publisher.check(PublishRequest(clip, "Many tags", tags=[f"tag{n}" for n in range(31)]))
    assert "31 hashtags" in tags.value.message
    with pytest.raises(InvalidInput) as long_caption:
        publisher.check(PublishRequest(clip, "Long", "x" * 2300))
    assert "2200" in long_caption.value.message
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(2048))
    with pytest.raises(InvalidInput):
        publisher.check(request(garbage))
    with pytest.raises(InvalidInput):
        publisher.check(request(tmp_path / "missing.mp4"))
    publisher.check(request(clip))
