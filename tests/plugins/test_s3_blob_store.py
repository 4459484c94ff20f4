"""The ``s3`` blob store against a real S3 protocol server (moto, see tests/s3_server.py), through boto3."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.s3_server import MotoServer, start_moto, unique_bucket
from tests.services import free_port

from oasis_core import ProviderConfig
from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput, NotFound, StorageError
from oasis_core.plugins import load_catalog
from oasis_core.testing import BlobStoreContract
from oasis_core.testing.contracts.blob_store import ESCAPING_KEYS
from oasis_plugins.s3 import S3BlobStore

MIB = 1024 * 1024


def make_store(settings: dict[str, str], **extra: str) -> S3BlobStore:
    return S3BlobStore(ProviderConfig(settings={**settings, **extra}))


class TestS3BlobStore(BlobStoreContract):
    @pytest.fixture
    def provider(self, s3_settings: dict[str, str]) -> S3BlobStore:
        return make_store(s3_settings)


@pytest.fixture
def store(s3_settings: dict[str, str]) -> S3BlobStore:
    return make_store(s3_settings)


def write(path: Path, payload: bytes) -> Path:
    path.write_bytes(payload)
    return path


# ------------------------------------------------------------------------------------ registration


def test_registers_through_the_hook_after_local_which_stays_the_default() -> None:
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "local,s3"})
    assert catalog.ids(PortKind.STORAGE) == ("local", "s3")
    assert catalog.default_id(PortKind.STORAGE) == "local"
    info = catalog.info(PortKind.STORAGE, "s3")
    assert info.factory is S3BlobStore and info.plugin == "oasis_plugins.s3"
    assert info.needs_key is None and info.key_env_var is None
    environ = {"STORAGE_BUCKET": "media", "S3_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "eu-west-1"}
    assert info.settings_from(environ) == {
        "bucket": "media",
        "endpoint_url": "http://127.0.0.1:9",
        "region": "eu-west-1",
    }


def test_the_register_blob_stores_hook_registers_the_class() -> None:
    import oasis_plugins.s3 as plugin

    registered: list[type] = []
    getattr(plugin, "register_blob_stores")(register=registered.append)  # noqa: B009 - hook by name
    assert registered == [S3BlobStore]


# ------------------------------------------------------------------------------------ settings


def test_a_missing_bucket_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="STORAGE_BUCKET"):
        S3BlobStore(ProviderConfig(settings={"root": "/tmp/ignored"}))


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("addressing_style", "sideways"),
        ("multipart_chunksize", str(MIB)),
        ("multipart_threshold", "lots"),
        ("max_attempts", "0"),
        ("read_timeout", "nan"),
        ("prefix", "../up"),
    ],
)
def test_bad_settings_are_refused_naming_them(setting: str, value: str) -> None:
    with pytest.raises(StorageError, match=setting):
        S3BlobStore(ProviderConfig(settings={"bucket": "b", setting: value}))


def test_half_a_key_pair_is_refused_without_showing_it() -> None:
    with pytest.raises(StorageError, match="both an access key id and a secret") as caught:
        S3BlobStore(ProviderConfig(settings={"bucket": "b", "secret_access_key": "s3cr3t-value"}))
    assert "s3cr3t-value" not in str(caught.value)


def test_addressing_style_is_path_with_an_endpoint_and_auto_without() -> None:
    with_endpoint = S3BlobStore(
        ProviderConfig(settings={"bucket": "b", "endpoint_url": "http://127.0.0.1:9"})
    )
    plain = S3BlobStore(ProviderConfig(settings={"bucket": "b", "region": "eu-west-1"}))
    assert with_endpoint.addressing_style == "path"
    assert plain.addressing_style == "auto"
    assert "secret" not in repr(make_store({"bucket": "b", "secret_access_key": "x", "access_key_id": "y"}))


# ------------------------------------------------------------------------------------ behaviour


def test_uploads_above_the_threshold_in_parts(
    moto_server: MotoServer, s3_settings: dict[str, str], tmp_path: Path
) -> None:
    store = make_store(s3_settings, multipart_threshold=str(5 * MIB), multipart_chunksize=str(5 * MIB))
    payload = os.urandom(11 * MIB + 3)
    store.put("videos/big/video.mp4", write(tmp_path / "big.bin", payload), content_type="video/mp4")
    head = moto_server.client().head_object(Bucket=s3_settings["bucket"], Key="videos/big/video.mp4")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object: three parts
    assert head["ContentType"] == "video/mp4"
    assert store.size("videos/big/video.mp4") == len(payload)
    with store.open("videos/big/video.mp4") as stream:
        assert stream.read() == payload
        stream.seek(6 * MIB)
        assert stream.read(10) == payload[6 * MIB : 6 * MIB + 10]


def test_a_small_file_is_one_put_with_a_guessed_content_type(
    moto_server: MotoServer, store: S3BlobStore, tmp_path: Path
) -> None:
    store.put("thumbs/t.jpg", write(tmp_path / "t", b"jpeg"))
    head = moto_server.client().head_object(Bucket=store.bucket, Key="thumbs/t.jpg")
    assert "-" not in head["ETag"] and head["ContentType"] == "image/jpeg"


def test_a_presigned_url_serves_ranges(store: S3BlobStore, tmp_path: Path) -> None:
    payload = bytes(range(256))
    store.put("v/clip.mp4", write(tmp_path / "clip", payload), content_type="video/mp4")
    url = store.url("v/clip.mp4", expires_in=60)
    assert url is not None and url.startswith(store.endpoint_url or "")
    request = urllib.request.Request(url, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 206
        assert answer.headers["Content-Range"] == "bytes 10-19/256"
        assert answer.read() == payload[10:20]


def test_a_presigned_url_carries_its_expiry(store: S3BlobStore) -> None:
    # moto does not refuse expired presigned URLs, so check what the URL asks S3 to enforce.
    query = parse_qs(urlsplit(store.url("a/b.mp4", expires_in=120) or "").query)
    assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Date" in query and "X-Amz-Signature" in query
    assert parse_qs(urlsplit(store.url("a/b.mp4", expires_in=0) or "").query)["X-Amz-Expires"] == ["1"]
    assert parse_qs(urlsplit(store.url("a/b.mp4", expires_in=10**9) or "").query)["X-Amz-Expires"] == [
        str(7 * 24 * 3600)
    ]


def test_a_presigned_url_for_a_missing_object_is_a_404(store: S3BlobStore) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(store.url("nothing.mp4", expires_in=60) or "", timeout=10)
    assert caught.value.code == 404


def test_delete_removes_the_object(moto_server: MotoServer, store: S3BlobStore, tmp_path: Path) -> None:
    store.put("d/x.bin", write(tmp_path / "x", b"x"))
    store.delete("d/x.bin")
    listing = moto_server.client().list_objects_v2(Bucket=store.bucket)
    assert listing.get("KeyCount", 0) == 0
    store.delete("d/x.bin")


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_every_method_refuses_keys_outside_the_store(store: S3BlobStore, key: str) -> None:
    for call in (store.size, store.exists, store.delete, lambda k: store.url(k, expires_in=60)):
        with pytest.raises(InvalidInput):
            call(key)


def test_the_prefix_keeps_objects_under_it(
    moto_server: MotoServer, s3_settings: dict[str, str], tmp_path: Path
) -> None:
    store = make_store(s3_settings, prefix="/tenant-1/media/")
    whole_bucket = make_store(s3_settings)
    store.put("v/1.mp4", write(tmp_path / "1", b"one"))
    keys = [o["Key"] for o in moto_server.client().list_objects_v2(Bucket=store.bucket)["Contents"]]
    assert keys == ["tenant-1/media/v/1.mp4"]
    assert store.exists("v/1.mp4") and not whole_bucket.exists("v/1.mp4")
    assert whole_bucket.exists("tenant-1/media/v/1.mp4")
    assert "/tenant-1/media/v/1.mp4?" in (store.url("v/1.mp4", expires_in=60) or "")
    store.delete("v/1.mp4")
    assert not whole_bucket.exists("tenant-1/media/v/1.mp4")


def test_a_missing_bucket_is_reported_when_not_created(moto_server: MotoServer, tmp_path: Path) -> None:
    store = make_store(moto_server.settings(unique_bucket()))
    with pytest.raises(StorageError, match="does not exist") as caught:
        store.put("a.txt", write(tmp_path / "a", b"a"))
    assert not isinstance(caught.value, NotFound)
    with pytest.raises(StorageError, match="does not exist"):
        store.open("a.txt")


def test_create_bucket_makes_it_in_the_configured_region(moto_server: MotoServer, tmp_path: Path) -> None:
    bucket = unique_bucket()
    try:
        store = make_store(moto_server.settings(bucket, region="eu-west-1", create_bucket="1"))
        make_store(moto_server.settings(bucket, region="eu-west-1", create_bucket="yes"))  # already there
        location = moto_server.client().get_bucket_location(Bucket=bucket)["LocationConstraint"]
        assert location == "eu-west-1"
        store.put("r.txt", write(tmp_path / "r", b"r"))
        assert store.size("r.txt") == 1
    finally:
        moto_server.empty_and_remove(bucket)


@pytest.fixture
def checking_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(tmp_path_factory.mktemp("moto-auth"), auth=True)
    yield server
    server.stop()


def test_refused_credentials_are_a_storage_error_without_the_secret(
    checking_moto: MotoServer, tmp_path: Path
) -> None:
    store = make_store(
        checking_moto.settings(
            "any-bucket", access_key_id="AKIAWRONGWRONGWRONG1", secret_access_key="hunter2-secret"
        )
    )
    for action in (
        lambda: store.put("a.txt", write(tmp_path / "a", b"a")),
        lambda: store.exists("a.txt"),
        lambda: store.open("a.txt"),
    ):
        with pytest.raises(StorageError, match="refused the credentials") as caught:
            action()
        assert not isinstance(caught.value, NotFound)
        assert "hunter2-secret" not in str(caught.value)


def test_an_unreachable_endpoint_fails_fast_naming_it(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    store = make_store(
        {
            "bucket": "b",
            "endpoint_url": endpoint,
            "region": "us-east-1",
            "access_key_id": "testing",
            "secret_access_key": "testing",
            "connect_timeout": "1",
            "read_timeout": "1",
            "max_attempts": "2",
        }
    )
    started = time.monotonic()
    for action in (
        lambda: store.exists("a.txt"),
        lambda: store.size("a.txt"),
        lambda: store.open("a.txt"),
        lambda: store.put("a.txt", write(tmp_path / "a", b"a")),
        lambda: store.delete("a.txt"),
    ):
        with pytest.raises(StorageError, match="Could not reach the storage endpoint") as caught:
            action()
        assert endpoint in str(caught.value) and not isinstance(caught.value, NotFound)
    assert time.monotonic() - started < 15


def test_credentials_in_the_endpoint_url_are_not_shown() -> None:
    endpoint = f"http://user:pw-secret@127.0.0.1:{free_port()}"
    store = make_store(
        {
            "bucket": "b",
            "endpoint_url": endpoint,
            "access_key_id": "t",
            "secret_access_key": "t",
            "max_attempts": "1",
        }
    )
    with pytest.raises(StorageError) as caught:
        store.size("a.txt")
    assert "pw-secret" not in str(caught.value) and "127.0.0.1" in str(caught.value)
