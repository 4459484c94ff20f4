"""A blob store that keeps objects in a bucket of any S3-compatible service, through boto3.

Works with AWS S3, MinIO, Cloudflare R2, Backblaze B2, Google Cloud Storage's
XML (interoperability) API and anything else that speaks the S3 protocol.
boto3 is imported when a store is built, not when the plugin loads, so
listing plugins stays fast.
"""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, cast
from urllib.parse import urlsplit, urlunsplit

from oasis_core.errors import InvalidInput, NotFound, OasisError, StorageError
from oasis_core.ports.blob_store import validate_key
from oasis_core.ports.provider import ProviderConfig

MIB = 1024 * 1024
DEFAULT_PART_SIZE = 16 * MIB
MIN_PART_SIZE = 5 * MIB  # S3's smallest part (except the last one)
SPOOL_BYTES = 8 * MIB  # open() keeps an object up to this size in memory, larger ones in a temporary file
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live
ADDRESSING_STYLES = ("auto", "virtual", "path")
_TRUE = {"1", "true", "yes", "on"}

# Error codes meaning "these credentials are not accepted here" (the message never repeats them).
_CREDENTIAL_CODES = {
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "UnrecognizedClientException",
    "AuthorizationHeaderMalformed",
    "403",
    "401",
}
_MISSING_CODES = {"NoSuchKey", "NotFound", "404"}


_session_lock = threading.Lock()
_session: Any = None


def _make_client(**kwargs: Any) -> Any:
    """An S3 client from one shared boto3 session (loading the service model once, not per store).

    Sessions are not thread-safe, so clients are made under a lock; the
    clients themselves are.
    """
    global _session
    import boto3

    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client("s3", **kwargs)


def _public_endpoint(url: str) -> str:
    """``url`` without any user:password part, fit to show in a message."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class S3BlobStore:
    """Objects in a bucket of any S3-compatible service (AWS S3, MinIO, R2, B2, GCS interoperability).

    Settings (all strings; the SDK and the server fill them from the
    environment variables in :attr:`settings_env`):

    ``bucket`` (required)
        The bucket; Oasis does not create it unless ``create_bucket`` is set.
    ``endpoint_url``
        The service's URL (``http://127.0.0.1:9000`` for MinIO); unset means
        AWS S3, or whatever boto3 finds itself (``AWS_ENDPOINT_URL_S3``, the
        AWS config file).
    ``region`` / ``default_region``
        The bucket's region (``AWS_REGION``, else ``AWS_DEFAULT_REGION``);
        unset leaves it to boto3's configuration chain.
    ``access_key_id`` / ``secret_access_key`` / ``session_token``
        Credentials; give both of the first two or neither. Unset: boto3's
        default chain (profile, SSO, container or instance role…).
    ``prefix``
        A folder inside the bucket that every key is stored under (``oasis/media``).
    ``addressing_style``
        ``path`` (``https://host/bucket/key``), ``virtual``
        (``https://bucket.host/key``) or ``auto``; default ``path`` when an
        ``endpoint_url`` is set, else ``auto``.
    ``multipart_threshold`` / ``multipart_chunksize``
        Bytes; files from the threshold on are uploaded in parts of the chunk
        size (both 16 MiB by default; parts are at least 5 MiB).
    ``connect_timeout`` / ``read_timeout``
        Seconds (default 10 and 60); ``max_attempts``: tries per request,
        with botocore's standard retry mode (default 5).
    ``create_bucket``
        ``1`` creates the bucket when it is missing (development and tests;
        in production the operator makes the bucket).

    A ``put`` becomes visible whole or not at all (S3 publishes an object,
    multipart ones included, only once it is complete). ``open`` reads the
    object with one GET into a spooled temporary file (memory up to 8 MiB,
    then disk), so the stream is seekable and is one consistent version of the
    object even if it is replaced meanwhile. ``url`` hands out presigned GET
    URLs, on which the service itself honours ``Range``. The credentials
    need ``s3:GetObject``, ``s3:PutObject``, ``s3:DeleteObject`` and
    ``s3:ListBucket`` (without it S3 answers 403, not 404, for a missing object).
    """

    id: ClassVar[str] = "s3"
    name: ClassVar[str] = "S3-compatible bucket"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    settings_env: ClassVar[Mapping[str, str]] = {
        "bucket": "STORAGE_BUCKET",
        "endpoint_url": "S3_ENDPOINT_URL",
        "region": "AWS_REGION",
        "default_region": "AWS_DEFAULT_REGION",
        "access_key_id": "AWS_ACCESS_KEY_ID",
        "secret_access_key": "AWS_SECRET_ACCESS_KEY",
        "session_token": "AWS_SESSION_TOKEN",
        "prefix": "OASIS_S3_PREFIX",
        "addressing_style": "OASIS_S3_ADDRESSING_STYLE",
    }

    def __init__(self, config: ProviderConfig) -> None:
        bucket = config.setting("bucket")
        if not bucket:
            raise StorageError(
                "The s3 blob store needs a bucket: set STORAGE_BUCKET (or the 'bucket' setting)"
            )
        self.bucket = bucket
        self.endpoint_url = config.setting("endpoint_url")
        self.region = config.setting("region") or config.setting("default_region")
        self.prefix = self._prefix(config.setting("prefix", "") or "")
        self.addressing_style = (
            config.setting("addressing_style") or ("path" if self.endpoint_url else "auto")
        ).lower()
        if self.addressing_style not in ADDRESSING_STYLES:
            raise StorageError(
                f"The s3 'addressing_style' setting must be one of {', '.join(ADDRESSING_STYLES)}, "
                f"not {self.addressing_style!r}"
            )
        self.multipart_threshold = self._number(config, "multipart_threshold", DEFAULT_PART_SIZE, minimum=1)
        self.multipart_chunksize = self._number(
            config, "multipart_chunksize", DEFAULT_PART_SIZE, minimum=MIN_PART_SIZE
        )
        connect_timeout = self._number(config, "connect_timeout", 10, minimum=0.001, kind=float)
        read_timeout = self._number(config, "read_timeout", 60, minimum=0.001, kind=float)
        max_attempts = self._number(config, "max_attempts", 5, minimum=1)
        access_key_id = config.setting("access_key_id")
        secret_access_key = config.setting("secret_access_key")
        if bool(access_key_id) != bool(secret_access_key):
            raise StorageError(
                "The s3 blob store needs both an access key id and a secret access key "
                "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or neither to use the default AWS credentials"
            )
        try:
            from boto3.s3.transfer import TransferConfig
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - boto3 is a dependency of oasis-video
            raise StorageError("The s3 blob store needs boto3: pip install boto3") from exc

        client_config = Config(
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "max_attempts": max_attempts},
            s3={"addressing_style": self.addressing_style},
            # Newer botocore adds CRC checksums to every upload by default, which several
            # S3-compatible services reject; ask for them only where S3 requires them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            user_agent_extra="oasis-video",
        )
        try:
            self._client: Any = _make_client(
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                aws_session_token=config.setting("session_token") if access_key_id else None,
                config=client_config,
            )
        except Exception as exc:  # a malformed endpoint URL or region
            raise StorageError(f"Could not set up the s3 blob store for {self._where}: {exc}") from exc
        self._transfer = TransferConfig(
            multipart_threshold=self.multipart_threshold, multipart_chunksize=self.multipart_chunksize
        )
        if (config.setting("create_bucket", "") or "").strip().lower() in _TRUE:
            self._create_bucket()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, endpoint={self._where!r}, prefix={self.prefix!r})"

    # ------------------------------------------------------------------------------------ helpers

    @staticmethod
    def _prefix(raw: str) -> str:
        prefix = raw.strip().strip("/")
        if not prefix:
            return ""
        try:
            validate_key(prefix)
        except InvalidInput:
            raise StorageError(
                f"The s3 'prefix' setting {raw!r} is not a valid folder: use letters, digits, '-', '_', "
                "'.' and '/' (no '..')"
            ) from None
        return prefix + "/"

    @staticmethod
    def _number(
        config: ProviderConfig, name: str, default: float, *, minimum: float, kind: type = int
    ) -> Any:
        raw = config.setting(name)
        if raw is None:
            return kind(default)
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not value >= minimum:  # also refuses nan
            raise StorageError(f"The s3 {name!r} setting must be a number of at least {minimum}, not {raw!r}")
        return value

    @property
    def _where(self) -> str:
        if self.endpoint_url:
            return _public_endpoint(self.endpoint_url)
        return f"AWS S3 ({self.region})" if self.region else "AWS S3"

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _error(self, exc: Exception, action: str, key: str | None = None) -> OasisError:
        """The :class:`StorageError` (or :class:`NotFound`) to raise for a boto3/botocore failure."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import (
            ClientError,
            ConnectionClosedError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
            ReadTimeoutError,
        )

        if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, Exception):
            exc = exc.__context__  # boto3 wraps the ClientError of an upload in a plain message
        what = f"{action} {key!r}" if key is not None else action
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return StorageError(
                    f"The bucket {self.bucket!r} does not exist at {self._where}: create it, or fix STORAGE_BUCKET"
                )
            if code in _MISSING_CODES or status == 404:
                return NotFound(f"No object {key!r}")
            if code in _CREDENTIAL_CODES or status in (401, 403):
                return StorageError(
                    f"{self._where} refused the credentials for bucket {self.bucket!r} ({code or status}) "
                    f"when trying to {what}: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the key's "
                    "permissions on the bucket"
                )
            detail = str(error.get("Message") or "")[:200]
            return StorageError(
                f"Could not {what} in bucket {self.bucket!r} at {self._where}: {code or status} {detail}".rstrip()
            )
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return StorageError(
                f"No credentials for bucket {self.bucket!r} at {self._where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or give the process an AWS profile or role"
            )
        if isinstance(exc, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError):
            return StorageError(
                f"Could not reach the storage endpoint {self._where} to {what} "
                f"({type(exc).__name__}): is S3_ENDPOINT_URL right and the service up?"
            )
        if isinstance(exc, OSError):
            return StorageError(f"Could not {what}: {exc.strerror or exc}")
        return StorageError(f"Could not {what} in bucket {self.bucket!r} at {self._where}: {exc}")

    def _create_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
                raise self._error(exc, "check the bucket") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "check the bucket") from exc
        params: dict[str, Any] = {"Bucket": self.bucket}
        region = self._client.meta.region_name
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._client.create_bucket(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise self._error(exc, "create the bucket") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "create the bucket") from exc

    # ------------------------------------------------------------------------------------ the port

    def put(self, key: str, source: Path, *, content_type: str | None = None) -> None:
        """Upload ``source`` (in parts from ``multipart_threshold`` on); the object appears only when complete."""
        object_key = self._object_key(key)
        content_type = content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
        try:
            self._client.upload_file(
                str(source),
                self.bucket,
                object_key,
                ExtraArgs={"ContentType": content_type},
                Config=self._transfer,
            )
        except Exception as exc:
            raise self._error(exc, "store", key) from exc

    def open(self, key: str) -> BinaryIO:
        """Download the object with one GET into a seekable spooled temporary file."""
        object_key = self._object_key(key)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115 - returned
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=object_key)
            with response["Body"] as body:  # botocore checks the length it read against Content-Length
                shutil.copyfileobj(body, spool, MIB)
            spool.seek(0)
        except Exception as exc:
            spool.close()
            raise self._error(exc, "read", key) from exc
        return cast(BinaryIO, spool)

    def _head(self, key: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._client.head_object(Bucket=self.bucket, Key=self._object_key(key)))

    def size(self, key: str) -> int:
        """The object's ``Content-Length``."""
        self._object_key(key)
        try:
            return int(self._head(key)["ContentLength"])
        except Exception as exc:
            raise self._error(exc, "measure", key) from exc

    def exists(self, key: str) -> bool:
        """Whether a HEAD finds the object (404 means no; other failures raise)."""
        self._object_key(key)
        try:
            self._head(key)
        except Exception as exc:
            error = self._error(exc, "look up", key)
            if isinstance(error, NotFound):
                return False
            raise error from exc
        return True

    def url(self, key: str, *, expires_in: int) -> str | None:
        """A presigned GET URL valid for ``expires_in`` seconds (1 s to 7 days); ranges work on it."""
        object_key = self._object_key(key)
        seconds = max(1, min(int(expires_in), MAX_PRESIGN_SECONDS))
        try:
            return str(
                self._client.generate_presigned_url(
                    "get_object", Params={"Bucket": self.bucket, "Key": object_key}, ExpiresIn=seconds
                )
            )
        except Exception as exc:
            raise self._error(exc, "sign a URL for", key) from exc

    def delete(self, key: str) -> None:
        """Delete the object; S3 answers the same whether it existed or not."""
        object_key = self._object_key(key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=object_key)
        except Exception as exc:
            error = self._error(exc, "delete", key)
            if not isinstance(error, NotFound):
                raise error from exc
