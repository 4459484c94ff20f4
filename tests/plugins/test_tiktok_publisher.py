"""Tests of the ``tiktok`` publisher, through real HTTP, against a fake TikTok on 127.0.0.1."""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import av
import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fakes.http_server import Reply
from tests.fakes.tiktok_api import (
    CLIENT_KEY,
    CLIENT_SECRET,
    OPEN_ID,
    USERNAME,
    FakeTikTok,
    chunk_rule_violation,
    connection_dropped,
    rate_limited,
    refused,
    s256,
    server_error,
    token_invalid,
)
from tests.fakes.tiktok_api import api_error as tiktok_api_error

from oasis_core import ProviderConfig
from oasis_core.catalog import PortKind
from oasis_core.domain.publishing import PublishRequest, SocialAccount
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.plugins import load_catalog
from oasis_core.testing import PublisherContract
from oasis_plugins.tiktok import TikTokPublisher
from oasis_plugins.tiktok.client import api_error
from oasis_plugins.tiktok.limits import (
    MAX_CHUNK_BYTES,
    MAX_CHUNK_COUNT,
    MAX_LAST_CHUNK_BYTES,
    MAX_VIDEO_BYTES,
    MIN_CHUNK_BYTES,
    plan_chunks,
)
from oasis_plugins.tiktok.publisher import privacy_level

FAST = {
    "timeout": "2",
    "upload_timeout": "2",
    "poll_interval": "0.01",
    "poll_timeout": "1",
    "retry_backoff": "0.01",
}
REDIRECT_URI = "https://oasis.example/api/social/callback/tiktok"
VERIFIER = "a-pkce-verifier-of-at-least-43-characters-0123456789"


# -- media ----------------------------------------------------------------------------------------


def write_video(
    path: Path, *, seconds: float = 3.0, codec: str = "libx264", size: tuple[int, int] = (540, 960)
) -> Path:
    """A real, tiny MP4 of a moving grey gradient at 24 fps."""
    width, height = size
    fps = 24
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        base = np.tile(np.arange(width, dtype=np.uint8), (height, 1))
        for index in range(round(seconds * fps)):
            image = np.dstack([base + index] * 3).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_sparse_video(path: Path, seconds: float) -> Path:
    """An H.264 MP4 lasting ``seconds`` made of two frames (a long video, written in no time)."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 540, 960, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 24)
        stream.options = {"preset": "ultrafast"}
        for pts in (0, round(seconds * 24)):
            frame = av.VideoFrame.from_ndarray(np.zeros((960, 540, 3), np.uint8), format="rgb24")
            frame.pts = pts
            frame.time_base = Fraction(1, 24)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def padded_copy(source: Path, target: Path, size: int) -> Path:
    """``source`` followed by a ``free`` box, to ``size`` bytes: still a valid MP4, big enough to chunk."""
    data = source.read_bytes()
    padding = size - len(data)
    target.write_bytes(data + struct.pack(">I4s", padding, b"free") + bytes(padding - 8))
    return target


@pytest.fixture(scope="module")
def sample_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("tiktok") / "short.mp4")


@pytest.fixture(scope="module")
def big_video(sample_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """11 MiB: two chunks at the smallest chunk size (5 MiB and 6 MiB)."""
    return padded_copy(sample_video, tmp_path_factory.mktemp("tiktok") / "big.mp4", 11 * 1024 * 1024)


# -- the fake and the publisher -------------------------------------------------------------------


@pytest.fixture(scope="module")
def running_fake() -> Iterator[FakeTikTok]:
    with FakeTikTok().running() as api:  # one server for the module: stopping it takes half a second
        yield api  # type: ignore[misc]


@pytest.fixture
def fake(running_fake: FakeTikTok) -> FakeTikTok:
    running_fake.reset()
    return running_fake


def publisher_for(fake: FakeTikTok, **extra: str) -> TikTokPublisher:
    settings = {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "api_base_url": fake.url,
        "auth_base_url": fake.url,
        **FAST,
        **extra,
    }
    return TikTokPublisher(ProviderConfig(settings=settings))


def account_for(fake: FakeTikTok, *, expires_in: timedelta = timedelta(hours=20)) -> SocialAccount:
    tokens = fake.issue_tokens()
    return SocialAccount(
        platform="tiktok",
        username=USERNAME,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_expires_at=datetime.now(UTC) + expires_in,
        account_id=OPEN_ID,
    )


@pytest.fixture
def publisher(fake: FakeTikTok) -> TikTokPublisher:
    return publisher_for(fake)


@pytest.fixture
def account(fake: FakeTikTok) -> SocialAccount:
    return account_for(fake)


class TestTikTokPublisher(PublisherContract):
    @pytest.fixture
    def provider(self, publisher: TikTokPublisher) -> TikTokPublisher:
        return publisher

    @pytest.fixture
    def account(self, fake: FakeTikTok) -> SocialAccount:
        return account_for(fake)

    @pytest.fixture
    def video_file(self, sample_video: Path) -> Path:
        return sample_video


def test_the_plugin_registers_the_publisher_with_its_settings_from_the_environment() -> None:
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "tiktok"})
    info = catalog.info(PortKind.PUBLISHER, "tiktok")
    assert info.plugin == "oasis_plugins.tiktok" and info.factory is TikTokPublisher
    environ = {"TIKTOK_CLIENT_KEY": "key", "TIKTOK_CLIENT_SECRET": "secret", "TIKTOK_API_BASE_URL": ""}
    assert info.settings_from(environ) == {"client_key": "key", "client_secret": "secret"}
    assert TikTokPublisher.uses_pkce is True


def test_a_malformed_setting_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="poll_interval"):
        TikTokPublisher(ProviderConfig(settings={"poll_interval": "soon"}))
    with pytest.raises(InvalidInput, match="chunk size"):
        TikTokPublisher(ProviderConfig(settings={"chunk_size": str(MAX_CHUNK_BYTES + 1)}))


# -- connecting an account ------------------------------------------------------------------------


def test_the_authorization_url_asks_for_posting_with_pkce(
    publisher: TikTokPublisher, fake: FakeTikTok
) -> None:
    url = publisher.authorization_url("state-123", REDIRECT_URI, s256(VERIFIER))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/v2/auth/authorize/"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query == {
        "client_key": CLIENT_KEY,
        "scope": "user.info.basic,video.publish",
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "state-123",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }


def test_the_default_authorization_url_is_tiktoks() -> None:
    url = TikTokPublisher(ProviderConfig(settings={"client_key": "ck"})).authorization_url(
        "s", REDIRECT_URI, None
    )
    assert url.startswith("https://www.tiktok.com/v2/auth/authorize/?client_key=ck&")
    assert "code_challenge" not in url


def test_connecting_needs_the_apps_client_key() -> None:
    with pytest.raises(NeedsCredentials, match="TIKTOK_CLIENT_KEY"):
        TikTokPublisher().authorization_url("s", REDIRECT_URI, None)


def consent(publisher: TikTokPublisher, state: str = "st") -> str:
    """Follow the authorization URL to the fake's redirect and return the code it carries."""
    answer = httpx.get(publisher.authorization_url(state, REDIRECT_URI, s256(VERIFIER)))
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def test_exchanging_the_code_gives_an_account_named_after_the_creator(
    publisher: TikTokPublisher, fake: FakeTikTok
) -> None:
    before = datetime.now(UTC)
    account = publisher.exchange_code(consent(publisher), REDIRECT_URI, VERIFIER)
    assert account.platform == "tiktok"
    assert account.account_id == OPEN_ID and account.username == USERNAME
    assert account.access_token in fake.access_tokens and account.refresh_token in fake.refresh_tokens
    assert account.token_expires_at is not None and account.token_expires_at.tzinfo is not None
    assert (
        before + timedelta(seconds=86400) <= account.token_expires_at <= datetime.now(UTC) + timedelta(days=1)
    )
    [token_call] = fake.requests_to(r"/oauth/token/$")
    assert token_call.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = {name: values[0] for name, values in parse_qs(token_call.body.decode()).items()}
    assert form["grant_type"] == "authorization_code" and form["code_verifier"] == VERIFIER
    [user_call] = fake.requests_to(r"/user/info/$")
    assert "display_name" in parse_qs(user_call.query)["fields"][0]


def test_a_wrong_verifier_is_refused_as_credentials(publisher: TikTokPublisher) -> None:
    with pytest.raises(NeedsCredentials, match="invalid_grant"):
        publisher.exchange_code(consent(publisher), REDIRECT_URI, "not-the-verifier")


def test_a_consent_without_posting_is_refused(publisher: TikTokPublisher, fake: FakeTikTok) -> None:
    answer = httpx.get(
        publisher.authorization_url("s", REDIRECT_URI, s256(VERIFIER)).replace(
            "user.info.basic%2Cvideo.publish", "user.info.basic"
        )
    )
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    with pytest.raises(NeedsCredentials, match="post"):
        publisher.exchange_code(code, REDIRECT_URI, VERIFIER)


def test_refresh_keeps_the_newest_refresh_token(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount
) -> None:
    old_access, old_refresh = account.access_token, account.refresh_token
    publisher.refresh(account)
    assert account.access_token != old_access and account.refresh_token != old_refresh
    assert account.refresh_token in fake.refresh_tokens and old_refresh not in fake.refresh_tokens
    assert account.token_expires_at is not None and account.token_expires_at > datetime.now(UTC) + timedelta(
        hours=23
    )
    publisher.refresh(account)  # the rotated token works again
    stale = SocialAccount("tiktok", USERNAME, access_token=old_access, refresh_token=old_refresh)
    with pytest.raises(NeedsCredentials, match="connect the TikTok account again"):
        publisher.refresh(stale)


def test_a_refresh_that_fails_for_a_moment_is_retryable_not_a_dead_token(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount
) -> None:
    fake.fail_next(server_error())
    with pytest.raises(RetryableProviderError):
        publisher.refresh(account)


def test_revoke_makes_tiktok_forget_the_tokens(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    publisher.revoke(account)
    assert account.access_token not in fake.access_tokens and account.refresh_token not in fake.refresh_tokens
    publisher.revoke(account)  # already gone: nothing to do
    with pytest.raises(NeedsCredentials):
        publisher.publish(PublishRequest(sample_video, "Gone"), account)


# -- the chunk rules ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    video_size=st.integers(min_value=1, max_value=MAX_VIDEO_BYTES),
    chunk_size=st.integers(min_value=MIN_CHUNK_BYTES, max_value=MAX_CHUNK_BYTES),
)
def test_chunk_plans_cover_the_file_in_order_within_tiktoks_rules(video_size: int, chunk_size: int) -> None:
    plan = plan_chunks(video_size, chunk_size)
    chunks = plan.chunks
    assert 1 <= plan.total_chunk_count == len(chunks) <= MAX_CHUNK_COUNT
    assert plan.total_chunk_count == plan.video_size // plan.chunk_size
    assert chunks[0].first == 0 and chunks[-1].last == video_size - 1
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(chunks))
    assert sum(chunk.size for chunk in chunks) == video_size
    if len(chunks) == 1:
        assert plan.chunk_size == video_size <= MAX_CHUNK_BYTES  # over 64 MB must be chunked
    else:
        assert MIN_CHUNK_BYTES <= plan.chunk_size <= MAX_CHUNK_BYTES
        assert all(chunk.size == plan.chunk_size for chunk in chunks[:-1])
        assert plan.chunk_size <= chunks[-1].size <= MAX_LAST_CHUNK_BYTES
    assert chunk_rule_violation(plan.video_size, plan.chunk_size, plan.total_chunk_count) is None


def test_chunk_plans_at_the_edges() -> None:
    assert plan_chunks(1).total_chunk_count == 1
    assert plan_chunks(MAX_CHUNK_BYTES, MAX_CHUNK_BYTES).total_chunk_count == 1
    assert plan_chunks(MAX_CHUNK_BYTES + 1, MAX_CHUNK_BYTES).total_chunk_count == 2
    assert plan_chunks(MAX_VIDEO_BYTES, MIN_CHUNK_BYTES).total_chunk_count == 819
    assert [c.content_range for c in plan_chunks(11 * 2**20, MIN_CHUNK_BYTES).chunks] == [
        "bytes 0-5242879/11534336",
        "bytes 5242880-11534335/11534336",
    ]
    with pytest.raises(InvalidInput, match=r"4\.00 GB"):
        plan_chunks(MAX_VIDEO_BYTES + 1)


# -- publishing -----------------------------------------------------------------------------------


def test_a_post_goes_through_creator_info_init_upload_and_status(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    seen: list[str] = []
    request = PublishRequest(sample_video, "Stay hungry", "Every day.", tags=("motivation", "#quotes"))
    result = publisher.publish(request, account, on_platform_id=seen.append)
    assert seen == [result.platform_id]
    post = fake.post(result.platform_id)
    assert result.url == f"https://www.tiktok.com/@{USERNAME}/video/{post.post_id}"
    paths = [r.path for r in fake.requests if r.method == "POST"]
    assert paths[:2] == ["/v2/post/publish/creator_info/query/", "/v2/post/publish/video/init/"]
    assert all(
        r.headers["authorization"] == f"Bearer {account.access_token}"
        for r in fake.requests
        if r.method == "POST"
    )
    body = fake.inits[0].json()
    assert body["post_info"] == {
        "title": "Stay hungry\n\nEvery day.\n\n#motivation #quotes",
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "disable_comment": False,
        "disable_duet": False,
        "disable_stitch": True,  # the creator has stitches off
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
        "is_aigc": True,
    }
    size = sample_video.stat().st_size
    assert body["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": size,
        "total_chunk_count": 1,
    }
    [put] = fake.chunk_puts
    assert put.headers["content-type"] == "video/mp4"
    assert put.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert "authorization" not in put.headers
    assert post.digest.hexdigest() == hashlib.sha256(sample_video.read_bytes()).hexdigest()
    assert fake.completed_uploads == {result.platform_id: 1}


def test_a_big_video_goes_in_ordered_chunks(
    fake: FakeTikTok, account: SocialAccount, big_video: Path
) -> None:
    publisher = publisher_for(fake, chunk_size=str(MIN_CHUNK_BYTES))
    result = publisher.publish(PublishRequest(big_video, "Big"), account)
    size = big_video.stat().st_size
    assert fake.inits[0].json()["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": MIN_CHUNK_BYTES,
        "total_chunk_count": 2,
    }
    assert [put.headers["content-range"] for put in fake.chunk_puts] == [
        f"bytes 0-{MIN_CHUNK_BYTES - 1}/{size}",
        f"bytes {MIN_CHUNK_BYTES}-{size - 1}/{size}",
    ]
    assert (
        fake.post(result.platform_id).digest.hexdigest() == hashlib.sha256(big_video.read_bytes()).hexdigest()
    )
    assert fake.completed_uploads == {result.platform_id: 1}


@pytest.mark.parametrize("failure", [server_error, connection_dropped], ids=["5xx", "connection-cut"])
def test_a_failed_chunk_is_sent_again_and_the_upload_completes_once(
    fake: FakeTikTok, account: SocialAccount, big_video: Path, failure: object
) -> None:
    fake.chunk_failures = {1: [failure(), failure()]}  # type: ignore[operator]
    publisher = publisher_for(fake, chunk_size=str(MIN_CHUNK_BYTES))
    result = publisher.publish(PublishRequest(big_video, "Interrupted"), account)
    assert len(fake.chunk_puts) == 4  # chunk 0, chunk 1 twice failed, chunk 1
    assert len(fake.inits) == 1
    assert fake.completed_uploads == {result.platform_id: 1}
    assert (
        fake.post(result.platform_id).digest.hexdigest() == hashlib.sha256(big_video.read_bytes()).hexdigest()
    )


def test_a_chunk_failing_every_time_is_retryable_and_the_retry_starts_over_once(
    fake: FakeTikTok, account: SocialAccount, big_video: Path
) -> None:
    fake.chunk_failures = {1: [server_error() for _ in range(4)]}
    publisher = publisher_for(fake, chunk_size=str(MIN_CHUNK_BYTES), upload_retries="3")
    seen: list[str] = []
    with pytest.raises(RetryableProviderError):
        publisher.publish(PublishRequest(big_video, "Flaky"), account, on_platform_id=seen.append)
    assert fake.post(seen[0]).status == "PROCESSING_UPLOAD"
    again = publisher.publish(
        PublishRequest(big_video, "Flaky", platform_id=seen[0]), account, on_platform_id=seen.append
    )
    assert again.platform_id == seen[1] != seen[0]
    assert fake.completed_uploads == {seen[1]: 1}


def test_an_expired_upload_link_is_retryable_without_sending_the_chunk_again(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.chunk_failures = {0: [tiktok_api_error(404, "invalid_upload_url", "expired")]}
    with pytest.raises(RetryableProviderError, match="upload link"):
        publisher.publish(PublishRequest(sample_video, "Late"), account)
    assert len(fake.chunk_puts) == 1


def test_a_call_that_times_out_is_retryable(
    fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.fail_next(Reply(200, {}, delay=0.5))
    with pytest.raises(RetryableProviderError, match="did not answer"):
        publisher_for(fake, timeout="0.1").publish(PublishRequest(sample_video, "Slow"), account)


def test_a_401_refreshes_the_token_once_and_carries_on(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    old_refresh = account.refresh_token
    fake.fail_next(token_invalid())
    result = publisher.publish(PublishRequest(sample_video, "After a 401"), account)
    assert len(fake.requests_to(r"/oauth/token/$")) == 1
    assert account.refresh_token != old_refresh and account.refresh_token in fake.refresh_tokens
    assert fake.completed_uploads == {result.platform_id: 1}


def test_a_second_401_means_the_account_must_be_connected_again(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.fail_next(token_invalid(), token_invalid(), token_invalid())
    with pytest.raises(NeedsCredentials, match="connect the TikTok account again"):
        publisher.publish(PublishRequest(sample_video, "401s"), account)
    assert len(fake.requests_to(r"/oauth/token/$")) == 1
    assert not fake.inits


def test_a_token_about_to_expire_is_refreshed_first(
    publisher: TikTokPublisher, fake: FakeTikTok, sample_video: Path
) -> None:
    account = account_for(fake, expires_in=timedelta(minutes=2))
    publisher.publish(PublishRequest(sample_video, "Fresh"), account)
    assert fake.requests[0].path == "/v2/oauth/token/"
    assert account.token_expires_at is not None and account.token_expires_at > datetime.now(UTC) + timedelta(
        hours=1
    )


def test_an_expired_token_without_a_refresh_token_needs_a_new_connection(
    publisher: TikTokPublisher, fake: FakeTikTok, sample_video: Path
) -> None:
    account = account_for(fake, expires_in=timedelta(minutes=-1))
    account.refresh_token = None
    with pytest.raises(NeedsCredentials, match="paste a new token"):
        publisher.publish(PublishRequest(sample_video, "Pasted"), account)
    assert not fake.requests


@pytest.mark.parametrize(("header", "wait"), [("7", 7.0), (None, 60.0)])
def test_a_rate_limit_is_retryable_with_its_wait(
    publisher: TikTokPublisher,
    fake: FakeTikTok,
    account: SocialAccount,
    sample_video: Path,
    header: str | None,
    wait: float,
) -> None:
    fake.fail_next(rate_limited(header))
    with pytest.raises(RetryableProviderError, match="rate limit") as caught:
        publisher.publish(PublishRequest(sample_video, "Too fast"), account)
    assert caught.value.retry_after == wait


def test_a_server_error_is_retryable(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.fail_next(server_error())
    with pytest.raises(RetryableProviderError):
        publisher.publish(PublishRequest(sample_video, "Oops"), account)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("spam_risk_too_many_posts", "daily limit"),
        ("spam_risk_user_banned_from_posting", "banned"),
        ("reached_active_user_cap", "audited"),
        ("some_new_code", "some_new_code"),
    ],
)
def test_a_permanent_refusal_is_a_provider_error_saying_what_to_do(
    publisher: TikTokPublisher,
    fake: FakeTikTok,
    account: SocialAccount,
    sample_video: Path,
    code: str,
    words: str,
) -> None:
    fake.fail_next(refused(code))
    with pytest.raises(ProviderError, match=words) as caught:
        publisher.publish(PublishRequest(sample_video, "No"), account)
    assert not isinstance(caught.value, RetryableProviderError | NeedsCredentials)
    assert "log id" in caught.value.message


def test_an_unaudited_app_is_told_to_post_privately(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.audited = False
    with pytest.raises(ProviderError, match="private") as caught:
        publisher.publish(PublishRequest(sample_video, "Public please"), account)
    assert not isinstance(caught.value, RetryableProviderError)
    result = publisher.publish(PublishRequest(sample_video, "Private", privacy="private"), account)
    assert fake.inits[-1].json()["post_info"]["privacy_level"] == "SELF_ONLY"
    assert result.url is None  # a private post has no public id


def test_privacy_follows_the_creators_options(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    publisher.publish(PublishRequest(sample_video, "Friends", privacy="unlisted"), account)
    assert fake.inits[-1].json()["post_info"]["privacy_level"] == "MUTUAL_FOLLOW_FRIENDS"
    fake.creator["privacy_level_options"] = ["SELF_ONLY"]
    with pytest.raises(
        ProviderError, match=r"cannot post with privacy 'public'; it allows: private \(SELF_ONLY\)"
    ):
        publisher.publish(PublishRequest(sample_video, "Public"), account)
    assert len(fake.inits) == 1


def test_privacy_levels() -> None:
    every = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
    assert privacy_level("public", every) == "PUBLIC_TO_EVERYONE"
    assert privacy_level("private", every) == "SELF_ONLY"
    assert privacy_level("unlisted", ("FOLLOWER_OF_CREATOR", "SELF_ONLY")) == "FOLLOWER_OF_CREATOR"
    assert privacy_level("FOLLOWER_OF_CREATOR", every) == "FOLLOWER_OF_CREATOR"
    with pytest.raises(ProviderError, match="choose private"):
        privacy_level("public", ("SELF_ONLY",))


def test_the_creators_longest_video_is_respected_before_any_upload(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.creator["max_video_post_duration_sec"] = 2
    with pytest.raises(ProviderError, match="up to 2 s"):
        publisher.publish(PublishRequest(sample_video, "Too long for you"), account)
    assert not fake.inits


def test_a_failed_post_says_why(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.fail_reason = "file_format_check_failed"
    with pytest.raises(ProviderError, match=r"H\.264") as caught:
        publisher.publish(PublishRequest(sample_video, "Broken"), account)
    assert not isinstance(caught.value, RetryableProviderError)


def test_a_post_still_processing_at_the_deadline_is_retryable_and_the_retry_finishes_it(
    fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.processing_polls = 1000
    seen: list[str] = []
    publisher = publisher_for(fake, poll_timeout="0.05")
    with pytest.raises(RetryableProviderError, match="still processing"):
        publisher.publish(PublishRequest(sample_video, "Slow"), account, on_platform_id=seen.append)
    fake.post(seen[0]).polls_left = 2
    again = publisher_for(fake).publish(PublishRequest(sample_video, "Slow", platform_id=seen[0]), account)
    assert again.platform_id == seen[0]
    assert len(fake.inits) == 1 and fake.completed_uploads == {seen[0]: 1}


# -- retries carrying the publish id --------------------------------------------------------------


def test_a_retry_of_a_completed_post_uploads_nothing(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    first = publisher.publish(PublishRequest(sample_video, "Once"), account)
    calls = len(fake.requests)
    again = publisher.publish(PublishRequest(sample_video, "Once", platform_id=first.platform_id), account)
    assert again == first
    assert [r.path for r in fake.requests[calls:]] == ["/v2/post/publish/status/fetch/"]
    assert fake.completed_uploads == {first.platform_id: 1}


def test_a_retry_of_a_failed_post_whose_upload_completed_does_not_upload_again(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    fake.fail_reason = "duration_check_failed"
    seen: list[str] = []
    with pytest.raises(ProviderError):
        publisher.publish(PublishRequest(sample_video, "Bad"), account, on_platform_id=seen.append)
    with pytest.raises(ProviderError, match="longer or shorter"):
        publisher.publish(PublishRequest(sample_video, "Bad", platform_id=seen[0]), account)
    assert len(fake.inits) == 1


def test_a_retry_with_a_publish_id_tiktok_does_not_know_starts_over(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    result = publisher.publish(PublishRequest(sample_video, "Lost", platform_id="v_pub_file~nope"), account)
    assert result.platform_id != "v_pub_file~nope"
    assert fake.completed_uploads == {result.platform_id: 1}


def test_lookup(
    publisher: TikTokPublisher, fake: FakeTikTok, account: SocialAccount, sample_video: Path
) -> None:
    assert publisher.lookup("v_pub_file~nope", account) is None
    result = publisher.publish(PublishRequest(sample_video, "Found"), account)
    assert publisher.lookup(result.platform_id, account) == result
    fake.processing_polls = 1000
    seen: list[str] = []
    with pytest.raises(RetryableProviderError):
        publisher_for(fake, poll_timeout="0").publish(
            PublishRequest(sample_video, "Pending"), account, on_platform_id=seen.append
        )
    assert publisher.lookup(seen[0], account) is None


# -- limits ---------------------------------------------------------------------------------------


def test_check_accepts_the_sample(publisher: TikTokPublisher, sample_video: Path) -> None:
    publisher.check(PublishRequest(sample_video, "Fine"))


def test_check_refuses_a_codec_tiktok_does_not_take(publisher: TikTokPublisher, tmp_path: Path) -> None:
    video = write_video(tmp_path / "mpeg4.mp4", codec="mpeg4")
    with pytest.raises(
        InvalidInput, match=r"H\.264, H\.265, VP8 or VP9 video; mpeg4\.mp4 is encoded with mpeg4"
    ):
        publisher.check(PublishRequest(video, "Old codec"))


def test_check_refuses_a_video_over_ten_minutes(publisher: TikTokPublisher, tmp_path: Path) -> None:
    video = write_sparse_video(tmp_path / "long.mp4", 605)
    with pytest.raises(InvalidInput, match=r"3 s to 10 minutes; long\.mp4 lasts 60\d\.\d s"):
        publisher.check(PublishRequest(video, "Long"))


def test_check_refuses_a_tiny_frame_and_a_long_caption(
    publisher: TikTokPublisher, tmp_path: Path, sample_video: Path
) -> None:
    video = write_video(tmp_path / "tiny.mp4", seconds=3, size=(320, 240))
    with pytest.raises(InvalidInput, match=r"360 to 4096 pixels per side; tiny\.mp4 is 320x240"):
        publisher.check(PublishRequest(video, "Tiny"))
    with pytest.raises(InvalidInput, match="2200 characters"):
        publisher.check(PublishRequest(sample_video, "Wordy", "x" * 2200))


def test_check_refuses_what_is_not_a_video(publisher: TikTokPublisher, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(2048))
    with pytest.raises(InvalidInput, match=r"junk\.mp4"):
        publisher.check(PublishRequest(junk, "Junk"))
    with pytest.raises(InvalidInput, match="does not exist"):
        publisher.check(PublishRequest(tmp_path / "missing.mp4", "Missing"))


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "access_token_invalid", NeedsCredentials),
        (401, "scope_not_authorized", NeedsCredentials),
        (429, "rate_limit_exceeded", RetryableProviderError),
        (500, "internal_error", RetryableProviderError),
        (503, "", RetryableProviderError),
        (403, "privacy_level_option_mismatch", ProviderError),
        (400, "invalid_params", ProviderError),
    ],
)
def test_error_codes_are_sorted(status: int, code: str, kind: type) -> None:
    error = api_error(status, code, "m", "log-1")
    assert isinstance(error, kind)
    if kind is ProviderError:
        assert not isinstance(error, RetryableProviderError | NeedsCredentials)
