"""Tests of the ``youtube`` publisher, through google-api-python-client, against a fake Google over TLS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import httpx
import numpy as np
import pytest
from tests.fakes.elevenlabs_api import encode_mp3
from tests.fakes.google_api import (
    ACCESS_TOKEN,
    CHANNEL_ID,
    CHANNEL_TITLE,
    CLIENT_ID,
    CLIENT_SECRET,
    CONSENT_PATH,
    REFRESH_TOKEN,
    FakeGoogle,
    TlsFiles,
    backend_error,
    forbidden,
    json_body,
    make_tls_files,
    quota_exceeded,
    rate_limited,
    s256,
    upload_limit_exceeded,
)

from oasis_core import ProviderConfig
from oasis_core.catalog import PortKind
from oasis_core.domain.publishing import PublishRequest, SocialAccount
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.plugins import load_catalog
from oasis_core.testing import PublisherContract
from oasis_plugins.youtube import YouTubePublisher
from oasis_plugins.youtube import limits as yt_limits
from oasis_plugins.youtube.publisher import seconds_until_quota_reset

CHUNK = 256 * 1024
REDIRECT = "https://oasis.example/api/social/callback/youtube"
UPLOAD_START = r"^/upload/youtube/v3/videos$"


def write_video(
    path: Path, width: int, height: int, *, seconds: float, fps: int = 10, noise: bool = False
) -> Path:
    """An H.264 MP4; ``noise`` makes it big (noise does not compress) so it takes several chunks."""
    rng = np.random.default_rng(7)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "35", "preset": "ultrafast"}
        for index in range(round(seconds * fps)):
            if noise:
                pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            else:
                pixels = np.full((height, width, 3), index % 250, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("youtube-media")
    return {
        "short": write_video(folder / "short.mp4", 180, 320, seconds=5, noise=True),  # ~800 KB: 4 chunks
        "landscape": write_video(folder / "landscape.mp4", 64, 36, seconds=1),
        "long": write_video(folder / "long.mp4", 36, 64, seconds=181, fps=1),
        "square": write_video(folder / "square.mp4", 48, 48, seconds=1),
    }


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("fake-google-tls"))


@pytest.fixture(scope="module")
def running_fake(tls: TlsFiles) -> Iterator[FakeGoogle]:
    with FakeGoogle(tls).running() as api:  # one server for the module
        yield api  # type: ignore[misc]


@pytest.fixture
def fake(running_fake: FakeGoogle) -> FakeGoogle:
    running_fake.reset()
    running_fake.register_redirect(REDIRECT)
    return running_fake


@pytest.fixture
def short(media: dict[str, Path]) -> Path:
    return media["short"]


def settings_for(fake: FakeGoogle, tls: TlsFiles, **extra: str) -> dict[str, str]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "api_base_url": f"{fake.url}/",
        "token_url": f"{fake.url}/token",
        "revoke_url": f"{fake.url}/revoke",
        "auth_url": f"{fake.url}{CONSENT_PATH}",
        "ca_certs": str(tls.ca),
        "chunk_size": str(CHUNK),
        "retry_backoff": "0",
        "timeout": "2",
        "max_retries": "3",
        **extra,
    }


@pytest.fixture
def make_publisher(fake: FakeGoogle, tls: TlsFiles, tmp_path: Path) -> Any:
    def make(cache: Path | None = tmp_path / "cache", **extra: str) -> YouTubePublisher:
        return YouTubePublisher(ProviderConfig(settings=settings_for(fake, tls, **extra), cache_dir=cache))

    return make


@pytest.fixture
def publisher(make_publisher: Any) -> YouTubePublisher:
    return make_publisher()


def new_account(**changes: Any) -> SocialAccount:
    values: dict[str, Any] = {
        "platform": "youtube",
        "username": CHANNEL_TITLE,
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "token_expires_at": datetime.now(UTC) + timedelta(hours=1),
        "account_id": CHANNEL_ID,
    }
    values.update(changes)
    return SocialAccount(**values)


@pytest.fixture
def account() -> SocialAccount:
    return new_account()


def upload_starts(fake: FakeGoogle) -> list:  # type: ignore[type-arg]
    return [r for r in fake.requests_to(UPLOAD_START) if r.method == "POST"]


class TestYouTubePublisher(PublisherContract):
    @pytest.fixture
    def provider(self, publisher: YouTubePublisher) -> YouTubePublisher:
        return publisher

    @pytest.fixture
    def account(self) -> SocialAccount:
        return new_account()

    @pytest.fixture
    def video_file(self, media: dict[str, Path]) -> Path:
        return media["short"]


# -- registration and settings -------------------------------------------------------------------


def test_the_plugin_registers_the_publisher_with_its_settings() -> None:
    info = load_catalog(environ={"OASIS_LOAD_PLUGINS": "youtube"}).info(PortKind.PUBLISHER, "youtube")
    assert info.factory is YouTubePublisher and info.needs_key is None
    assert info.settings_from({"YOUTUBE_CLIENT_ID": "id", "GOOGLE_TOKEN_URL": "https://t"}) == {
        "client_id": "id",
        "token_url": "https://t",
    }


def test_a_chunk_size_off_the_256_kib_grid_is_refused() -> None:
    with pytest.raises(InvalidInput, match="multiple of 262144"):
        YouTubePublisher(ProviderConfig(settings={"chunk_size": str(CHUNK + 1)}))
    with pytest.raises(InvalidInput, match="max_retries"):
        YouTubePublisher(ProviderConfig(settings={"max_retries": "many"}))


# -- OAuth ---------------------------------------------------------------------------------------


def test_the_consent_url_asks_for_offline_upload_access() -> None:
    url = YouTubePublisher(ProviderConfig(settings={"client_id": CLIENT_ID})).authorization_url(
        "state-123", REDIRECT, None
    )
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.google.com/o/oauth2/v2/auth"
    assert query == {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": "state-123",
    }


def test_the_consent_url_needs_a_client_id() -> None:
    with pytest.raises(InvalidInput, match="YOUTUBE_CLIENT_ID"):  # the API answers 400, not 502
        YouTubePublisher().authorization_url("s", REDIRECT, None)


def test_exchanging_the_code_connects_the_channel(fake: FakeGoogle, publisher: YouTubePublisher) -> None:
    before = datetime.now(UTC)
    account = publisher.exchange_code(fake.new_code(redirect_uri=REDIRECT), REDIRECT, None)
    assert account.platform == "youtube"
    assert (account.username, account.account_id) == (CHANNEL_TITLE, CHANNEL_ID)
    assert account.access_token in fake.access_tokens and account.refresh_token in fake.refresh_tokens
    assert account.token_expires_at is not None
    assert before + timedelta(minutes=59) < account.token_expires_at < before + timedelta(minutes=61)
    form = parse_qs(fake.requests_to(r"^/token$")[0].body.decode())
    assert form["grant_type"] == ["authorization_code"] and form["redirect_uri"] == [REDIRECT]


def test_a_grant_without_the_upload_scope_is_refused(fake: FakeGoogle, publisher: YouTubePublisher) -> None:
    code = fake.new_code(scope="https://www.googleapis.com/auth/youtube.readonly", redirect_uri=REDIRECT)
    with pytest.raises(NeedsCredentials, match="permission to upload"):
        publisher.exchange_code(code, REDIRECT, None)


def test_a_used_code_and_a_wrong_client_say_what_to_fix(
    fake: FakeGoogle, publisher: YouTubePublisher, make_publisher: Any
) -> None:
    with pytest.raises(NeedsCredentials, match="reconnect"):
        publisher.exchange_code("4/not-a-code", REDIRECT, None)
    with pytest.raises(ProviderError, match="YOUTUBE_CLIENT_SECRET") as caught:
        make_publisher(client_secret="wrong").exchange_code(
            fake.new_code(redirect_uri=REDIRECT), REDIRECT, None
        )
    assert not isinstance(caught.value, NeedsCredentials)


def test_a_google_account_without_a_channel_is_refused(fake: FakeGoogle, publisher: YouTubePublisher) -> None:
    fake.has_channel = False
    with pytest.raises(ProviderError, match="no YouTube channel"):
        publisher.exchange_code(fake.new_code(redirect_uri=REDIRECT), REDIRECT, None)


# -- PKCE, against a consent page and token endpoint as strict as Google's ------------------------

VERIFIER = "pkce-verifier." + "0123456789abcdef" * 3  # 62 characters (RFC 7636: 43-128)


def consent_at(fake: FakeGoogle, tls: TlsFiles, url: str) -> dict[str, str]:
    """What the browser does at Google: consent, and come back to the redirect URI; its query."""
    answer = httpx.get(url, follow_redirects=False, timeout=5, verify=tls.client_context())
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_the_publisher_uses_pkce_so_the_server_sends_a_challenge() -> None:
    assert YouTubePublisher.uses_pkce is True


def test_the_consent_url_carries_the_s256_challenge() -> None:
    url = YouTubePublisher(ProviderConfig(settings={"client_id": CLIENT_ID})).authorization_url(
        "state-123", REDIRECT, s256(VERIFIER)
    )
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert (query["code_challenge"], query["code_challenge_method"]) == (s256(VERIFIER), "S256")


def test_pkce_connects_through_the_consent_page(
    fake: FakeGoogle, tls: TlsFiles, publisher: YouTubePublisher
) -> None:
    back = consent_at(fake, tls, publisher.authorization_url("state-1", REDIRECT, s256(VERIFIER)))
    assert back["state"] == "state-1"
    account = publisher.exchange_code(back["code"], REDIRECT, VERIFIER)
    assert (account.username, account.account_id) == (CHANNEL_TITLE, CHANNEL_ID)
    form = parse_qs(fake.requests_to(r"^/token$")[0].body.decode())
    assert form["code_verifier"] == [VERIFIER]
    with pytest.raises(NeedsCredentials, match="Malformed auth code"):  # a code works once
        publisher.exchange_code(back["code"], REDIRECT, VERIFIER)


@pytest.mark.parametrize(
    ("challenge", "verifier", "google_says"),
    [
        (None, VERIFIER, "code_verifier or verifier is not needed."),
        (s256(VERIFIER), None, "Missing code verifier."),
        (s256(VERIFIER), VERIFIER[::-1], "Invalid code verifier."),
    ],
    ids=["verifier-without-challenge", "challenge-without-verifier", "wrong-verifier"],
)
def test_google_refuses_a_pkce_mismatch(
    fake: FakeGoogle,
    tls: TlsFiles,
    publisher: YouTubePublisher,
    challenge: str | None,
    verifier: str | None,
    google_says: str,
) -> None:
    code = consent_at(fake, tls, publisher.authorization_url("s", REDIRECT, challenge))["code"]
    with pytest.raises(NeedsCredentials) as caught:
        publisher.exchange_code(code, REDIRECT, verifier)
    assert google_says in caught.value.message
    assert len(fake.access_tokens) == 1, "no token may be issued on a mismatch"


def test_the_exchange_must_name_the_consent_requests_redirect_uri(
    fake: FakeGoogle, tls: TlsFiles, publisher: YouTubePublisher
) -> None:
    code = consent_at(fake, tls, publisher.authorization_url("s", REDIRECT, s256(VERIFIER)))["code"]
    with pytest.raises(ProviderError, match="OASIS_PUBLIC_URL"):
        publisher.exchange_code(code, "https://elsewhere.example/callback", VERIFIER)


def test_the_consent_page_refuses_an_unregistered_redirect_uri(
    fake: FakeGoogle, tls: TlsFiles, publisher: YouTubePublisher
) -> None:
    url = publisher.authorization_url("s", "https://attacker.example/cb", s256(VERIFIER))
    answer = httpx.get(url, follow_redirects=False, timeout=5, verify=tls.client_context())
    assert answer.status_code == 400
    assert answer.json()["error"] == "redirect_uri_mismatch"


def test_refresh_keeps_the_refresh_token_google_leaves_out(
    fake: FakeGoogle, publisher: YouTubePublisher
) -> None:
    account = new_account(token_expires_at=None)
    publisher.refresh(account)
    assert account.access_token != ACCESS_TOKEN and account.access_token in fake.access_tokens
    assert account.refresh_token == REFRESH_TOKEN
    assert account.token_expires_at is not None and account.token_expires_at > datetime.now(UTC)


def test_refresh_takes_the_newest_refresh_token(fake: FakeGoogle, publisher: YouTubePublisher) -> None:
    fake.rotate_refresh_tokens = True
    account = new_account()
    publisher.refresh(account)
    assert account.refresh_token != REFRESH_TOKEN and account.refresh_token in fake.refresh_tokens


def test_a_revoked_refresh_token_needs_a_reconnection(fake: FakeGoogle, publisher: YouTubePublisher) -> None:
    fake.refresh_tokens.clear()
    with pytest.raises(NeedsCredentials, match="expired or revoked"):
        publisher.refresh(new_account())
    with pytest.raises(NeedsCredentials, match="no refresh token"):
        publisher.refresh(new_account(refresh_token=None))


def test_revoke_forgets_the_grant_and_never_fails(fake: FakeGoogle, publisher: YouTubePublisher) -> None:
    publisher.revoke(new_account())
    assert REFRESH_TOKEN not in fake.refresh_tokens
    publisher.revoke(new_account())  # already revoked: still quiet
    assert [parse_qs(r.body.decode())["token"] for r in fake.requests_to(r"^/revoke$")] == [
        [REFRESH_TOKEN]
    ] * 2


# -- uploading -----------------------------------------------------------------------------------


def test_uploads_in_256_kib_chunks_with_the_video_resource(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    request = PublishRequest(
        short, "My <first> Short", description="Made by Oasis", tags=("oasis", "ai video"), privacy="unlisted"
    )
    result = publisher.publish(request, account)
    assert result.url == f"https://youtube.com/shorts/{result.platform_id}"
    assert fake.completed_uploads == 1
    assert fake.uploaded_bytes(result.platform_id) == short.read_bytes()
    session = fake.session_for(result.platform_id)
    assert session.query["part"] == ["snippet,status"]
    assert session.metadata == {
        "snippet": {
            "title": "My ‹first› Short",
            "description": "Made by Oasis",
            "tags": ["oasis", "ai video"],
            "categoryId": "22",
        },
        "status": {
            "privacyStatus": "unlisted",
            "selfDeclaredMadeForKids": False,
            "containsSyntheticMedia": True,
        },
    }
    start = upload_starts(fake)[0]
    assert start.headers["x-upload-content-length"] == str(short.stat().st_size)
    assert start.headers["x-upload-content-type"] == "video/mp4"
    assert start.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    ranges = [r.headers["content-range"] for r in fake.requests if r.method == "PUT"]
    size = short.stat().st_size
    assert len(ranges) == -(-size // CHUNK) and ranges[0] == f"bytes 0-{CHUNK - 1}/{size}"


def test_the_flags_for_kids_and_synthetic_media_are_sent(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    request = PublishRequest(short, "Kids", made_for_kids=True, synthetic_media=False, privacy="private")
    result = publisher.publish(request, account)
    status = fake.videos[result.platform_id]["status"]
    assert status["selfDeclaredMadeForKids"] is True and status["containsSyntheticMedia"] is False
    assert status["privacyStatus"] == "private"


def test_title_and_description_are_cut_to_youtube_limits(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    title = "word " * 40
    description = "é" * 3000  # 6000 bytes
    result = publisher.publish(PublishRequest(short, title, description=description), account)
    snippet = fake.videos[result.platform_id]["snippet"]
    assert len(snippet["title"]) <= 100 and snippet["title"].endswith("word…")
    assert len(snippet["description"].encode()) == 5000 and set(snippet["description"]) == {"é"}


def test_an_empty_title_or_unknown_privacy_uploads_nothing(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    with pytest.raises(InvalidInput, match="title"):
        publisher.publish(PublishRequest(short, " \n "), account)
    with pytest.raises(InvalidInput, match="privacy"):
        publisher.publish(PublishRequest(short, "Fine", privacy="friends"), account)
    assert not fake.requests


def test_a_chunk_cut_short_by_a_503_resumes_where_the_server_stopped(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    fake.interrupt_chunk(2, keep=100_000, reply=backend_error(503))
    result = publisher.publish(PublishRequest(short, "Interrupted"), account)
    assert fake.completed_uploads == 1
    assert fake.uploaded_bytes(result.platform_id) == short.read_bytes()
    puts = [r.headers["content-range"] for r in fake.requests if r.method == "PUT"]
    size = short.stat().st_size
    assert f"bytes */{size}" in puts  # asked how far it got ...
    assert (
        f"bytes {CHUNK + 100_000}-{CHUNK + 100_000 + CHUNK - 1}/{size}" in puts
    )  # ... and went on from there
    assert len(upload_starts(fake)) == 1


def test_a_lost_answer_to_the_last_chunk_finds_the_video_instead_of_uploading_again(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path, make_publisher: Any
) -> None:
    chunks = -(-short.stat().st_size // CHUNK)
    fake.interrupt_chunk(chunks, delay=1.0)  # the video is made, the answer comes after the 0.5 s timeout
    seen: list[str] = []
    result = make_publisher(timeout="0.5").publish(
        PublishRequest(short, "Lost"), account, on_platform_id=seen.append
    )
    assert fake.completed_uploads == 1 and seen[-1] == result.platform_id
    assert len(seen) == 2 and seen[0].startswith("upload:")  # the session first, then the video
    assert len(upload_starts(fake)) == 1


def test_a_failed_attempt_is_resumed_by_the_next_one_without_a_second_upload(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path
) -> None:
    chunks = -(-short.stat().st_size // CHUNK)
    fake.interrupt_chunk(chunks, delay=1.0)
    impatient = make_publisher(timeout="0.5", max_retries="0")
    with pytest.raises(RetryableProviderError, match="resume"):
        impatient.publish(PublishRequest(short, "Twice?"), account)
    assert fake.completed_uploads == 1  # the last chunk arrived; its answer did not
    result = make_publisher().publish(PublishRequest(short, "Twice?"), account)  # a new worker, same cache
    assert fake.completed_uploads == 1 and result.platform_id in fake.videos
    assert len(upload_starts(fake)) == 1
    again = make_publisher().publish(PublishRequest(short, "Twice?"), account)  # finished: a new post is new
    assert again.platform_id != result.platform_id and fake.completed_uploads == 2


def test_a_retry_on_another_machine_resumes_the_session_it_was_given(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path, tmp_path: Path
) -> None:
    """The caller stores the session id; a worker with another (empty) cache resumes from it alone."""
    chunks = -(-short.stat().st_size // CHUNK)
    fake.interrupt_chunk(chunks, delay=1.0)
    seen: list[str] = []
    with pytest.raises(RetryableProviderError):
        make_publisher(timeout="0.5", max_retries="0").publish(
            PublishRequest(short, "Elsewhere"), account, on_platform_id=seen.append
        )
    assert len(seen) == 1 and seen[0].startswith("upload:")
    elsewhere = make_publisher(cache=tmp_path / "another-machine")  # its journal knows nothing
    result = elsewhere.publish(PublishRequest(short, "Elsewhere", platform_id=seen[0]), account)
    assert fake.completed_uploads == 1 and result.platform_id in fake.videos
    assert len(upload_starts(fake)) == 1
    assert elsewhere.lookup(seen[0], account) is None  # a session is not a video


def test_without_a_cache_folder_the_process_remembers_the_session(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path
) -> None:
    chunks = -(-short.stat().st_size // CHUNK)
    fake.interrupt_chunk(chunks, delay=1.0)
    with pytest.raises(RetryableProviderError):
        make_publisher(cache=None, timeout="0.5", max_retries="0").publish(
            PublishRequest(short, "Memory"), account
        )
    result = make_publisher(cache=None).publish(PublishRequest(short, "Memory"), account)
    assert fake.completed_uploads == 1 and len(upload_starts(fake)) == 1 and result.platform_id in fake.videos


def test_an_unfinished_session_from_a_failed_attempt_is_continued(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path
) -> None:
    fake.interrupt_chunk(2, reply=backend_error(500))
    fake.interrupt_chunk(3, reply=backend_error(500))
    with pytest.raises(RetryableProviderError):
        make_publisher(max_retries="0").publish(PublishRequest(short, "Later"), account)
    result = make_publisher().publish(PublishRequest(short, "Later"), account)
    assert fake.completed_uploads == 1 and len(upload_starts(fake)) == 1
    assert fake.uploaded_bytes(result.platform_id) == short.read_bytes()


def test_an_expired_session_starts_a_new_upload(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path
) -> None:
    fake.interrupt_chunk(1, reply=backend_error(500))
    with pytest.raises(RetryableProviderError):
        make_publisher(max_retries="0").publish(PublishRequest(short, "Expired"), account)
    fake.sessions.clear()  # Google forgot the session
    result = make_publisher().publish(PublishRequest(short, "Expired"), account)
    assert fake.completed_uploads == 1 and len(upload_starts(fake)) == 2
    assert fake.uploaded_bytes(result.platform_id) == short.read_bytes()


def test_a_retry_with_the_platform_id_uploads_nothing(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    video_id = fake.add_video()
    result = publisher.publish(PublishRequest(short, "Again", platform_id=video_id), account)
    assert result.platform_id == video_id and fake.completed_uploads == 0 and not upload_starts(fake)


def test_a_retry_for_a_video_youtube_no_longer_has_says_so(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    with pytest.raises(ProviderError, match="no longer has"):
        publisher.publish(PublishRequest(short, "Gone", platform_id="vidGONE"), account)
    rejected = fake.add_video("rejected", rejectionReason="duplicate")
    with pytest.raises(ProviderError, match="duplicate"):
        publisher.publish(PublishRequest(short, "Rejected", platform_id=rejected), account)
    assert not upload_starts(fake)


def test_lookup(fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount) -> None:
    video_id = fake.add_video("processed")
    assert publisher.lookup(video_id, account) is not None
    assert publisher.lookup("vidMISSING", account) is None
    assert publisher.lookup(fake.add_video("rejected"), account) is None
    query = parse_qs(fake.requests_to(r"^/youtube/v3/videos$")[0].query)
    assert query["id"] == [video_id] and query["part"] == ["status"]


# -- tokens during publishing --------------------------------------------------------------------


def test_a_401_refreshes_once_and_the_upload_goes_on(
    fake: FakeGoogle, publisher: YouTubePublisher, short: Path
) -> None:
    fake.access_tokens.clear()  # the saved access token was revoked early
    account = new_account()
    result = publisher.publish(PublishRequest(short, "Refreshed"), account)
    assert fake.completed_uploads == 1 and result.platform_id in fake.videos
    assert account.access_token in fake.access_tokens and account.refresh_token == REFRESH_TOKEN
    assert len(fake.requests_to(r"^/token$")) == 1


def test_a_token_about_to_expire_is_refreshed_before_uploading(
    fake: FakeGoogle, publisher: YouTubePublisher, short: Path
) -> None:
    account = new_account(token_expires_at=datetime.now(UTC) + timedelta(minutes=2))
    publisher.publish(PublishRequest(short, "Fresh"), account)
    assert fake.requests[0].path == "/token"
    assert upload_starts(fake)[0].headers["authorization"] == f"Bearer {account.access_token}"
    assert account.access_token != ACCESS_TOKEN


def test_a_pasted_refresh_token_alone_is_enough(
    fake: FakeGoogle, publisher: YouTubePublisher, short: Path
) -> None:
    account = new_account(access_token="", token_expires_at=None)
    result = publisher.publish(PublishRequest(short, "Pasted"), account)
    assert result.platform_id in fake.videos and account.access_token in fake.access_tokens
    assert account.token_expires_at is not None


def test_a_refused_refresh_during_a_publish_needs_credentials(
    fake: FakeGoogle, publisher: YouTubePublisher, short: Path
) -> None:
    fake.access_tokens.clear()
    fake.refresh_tokens.clear()
    with pytest.raises(NeedsCredentials, match="reconnect"):
        publisher.publish(PublishRequest(short, "Dead"), new_account())
    assert fake.completed_uploads == 0


# -- errors --------------------------------------------------------------------------------------


def test_a_used_up_quota_is_retryable_after_midnight_pacific(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    fake.fail_next(quota_exceeded())
    with pytest.raises(RetryableProviderError, match="daily quota") as caught:
        publisher.publish(PublishRequest(short, "Quota"), account)
    assert caught.value.retry_after is not None and 60 <= caught.value.retry_after <= 25 * 3600


def test_a_rate_limit_is_retryable(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    fake.fail_next(rate_limited())
    with pytest.raises(RetryableProviderError, match="rate-limiting"):
        publisher.publish(PublishRequest(short, "Rate"), account)


@pytest.mark.parametrize(
    ("reply", "words"),
    [(upload_limit_exceeded, "number of videos"), (forbidden, "may not upload")],
)
def test_permanent_refusals_are_provider_errors(
    fake: FakeGoogle,
    publisher: YouTubePublisher,
    account: SocialAccount,
    short: Path,
    reply: Any,
    words: str,
) -> None:
    fake.fail_next(reply())
    with pytest.raises(ProviderError, match=words) as caught:
        publisher.publish(PublishRequest(short, "No"), account)
    assert not isinstance(caught.value, RetryableProviderError | NeedsCredentials)
    assert fake.completed_uploads == 0


def test_persistent_server_errors_give_up_as_retryable(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path
) -> None:
    fake.fail_next(*[backend_error(502)] * 3)
    with pytest.raises(RetryableProviderError, match="502"):
        make_publisher(max_retries="2").publish(PublishRequest(short, "Down"), account)
    assert len(fake.requests) == 3


def test_an_untrusted_certificate_says_how_to_trust_it(
    fake: FakeGoogle, make_publisher: Any, account: SocialAccount, short: Path
) -> None:
    publisher = make_publisher(ca_certs="")
    with pytest.raises(ProviderError, match="ca_certs"):
        publisher.publish(PublishRequest(short, "TLS"), account)


def test_seconds_until_quota_reset() -> None:
    # 23:30 Pacific daylight time is 06:30 UTC: half an hour to go.
    assert seconds_until_quota_reset(datetime(2026, 7, 1, 6, 30, tzinfo=UTC)) == 1800
    assert seconds_until_quota_reset(datetime(2026, 1, 1, 8, 0, tzinfo=UTC)) == 24 * 3600


# -- check() and the metadata limits -------------------------------------------------------------


def test_check_accepts_vertical_and_square_shorts(
    publisher: YouTubePublisher, media: dict[str, Path]
) -> None:
    publisher.check(PublishRequest(media["short"], "Fine"))
    publisher.check(PublishRequest(media["square"], "Fine"))


def test_check_refuses_a_landscape_video(publisher: YouTubePublisher, media: dict[str, Path]) -> None:
    with pytest.raises(InvalidInput, match=r"vertical or square.*landscape \(64×36\)"):
        publisher.check(PublishRequest(media["landscape"], "Wide"))


def test_check_refuses_a_video_over_three_minutes(
    publisher: YouTubePublisher, media: dict[str, Path]
) -> None:
    with pytest.raises(InvalidInput, match=r"at most 3 minutes.*181\.0 s"):
        publisher.check(PublishRequest(media["long"], "Long"))


def test_check_refuses_what_is_not_a_video(publisher: YouTubePublisher, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    with pytest.raises(InvalidInput, match="not a video file"):
        publisher.check(PublishRequest(junk, "Junk"))
    with pytest.raises(InvalidInput, match="does not exist"):
        publisher.check(PublishRequest(tmp_path / "missing.mp4", "Missing"))
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(InvalidInput, match="empty"):
        publisher.check(PublishRequest(empty, "Empty"))


def test_check_refuses_audio_only_files(publisher: YouTubePublisher, tmp_path: Path) -> None:
    audio = tmp_path / "voice.mp3"
    audio.write_bytes(encode_mp3(0.5))
    with pytest.raises(InvalidInput, match="does not take"):
        publisher.check(PublishRequest(audio, "Audio"))


def test_clean_title() -> None:
    assert yt_limits.clean_title("  Two\n lines <b> ") == "Two lines ‹b›"
    long = yt_limits.clean_title("x" * 150)
    assert len(long) == 100 and long.endswith("…")


def test_clean_tags_respects_the_500_character_budget() -> None:
    tags = yt_limits.clean_tags(["#oasis", "Oasis", "a,b", "<x>", "two words", *["t" * 48] * 20])
    assert tags[:4] == ["oasis", "a b", "x", "two words"]
    total = sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1
    assert total <= 500


def test_requests_are_json(
    fake: FakeGoogle, publisher: YouTubePublisher, account: SocialAccount, short: Path
) -> None:
    publisher.publish(PublishRequest(short, "Body"), account)
    assert json_body(upload_starts(fake)[0])["snippet"]["title"] == "Body"
