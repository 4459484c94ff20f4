"""Installing Piper voices from Piper's catalogue, or from a mirror of it.

The catalogue is a folder of files on a web server: ``voices.json`` at its
root lists every voice by name (``en_US-lessac-medium``) with its language,
quality, speakers and files (``{family}/{lang_code}/{name}/{quality}/...``),
each with ``size_bytes`` and ``md5_digest``. :func:`install_voice` downloads a
voice's model, config and model card into the voices folder as
``NAME.onnx``, ``NAME.onnx.json`` and ``NAME.MODEL_CARD``.

Piper's own downloader neither checks digests nor takes a mirror; this one
streams each file into a temporary file beside its destination, checks its size
while it arrives (a server sending more than listed is cut off) and its md5
when it ends, and renames the files into place only when all of them check
out, the model last, so the voices folder never holds a half-installed voice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from attrs import frozen

from oasis_core.errors import InvalidInput, ProviderError, RetryableProviderError
from oasis_plugins.piper.voices import CARD_NAME

DEFAULT_CATALOGUE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main"
"""The public catalogue ``piper.download_voices`` uses (set ``OASIS_PIPER_VOICES_URL`` for a mirror)."""
URL_SETTING = "OASIS_PIPER_VOICES_URL"
CATALOGUE_FILE = "voices.json"
TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
MAX_CATALOGUE_BYTES = 16 * 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024 * 1024
"""The largest voice file Oasis downloads (Piper's largest models are about 120 MB): a catalogue listing
more is refused before anything is downloaded, so a wrong or hostile mirror cannot fill the disk."""
VOICE_NAME = re.compile(r"^[a-z]{2,3}_[A-Za-z0-9]{2,4}-[A-Za-z0-9_]{1,64}-[a-z_]{1,16}$")
"""``{lang_code}-{name}-{quality}``, as the catalogue names voices (and nothing that could leave a folder)."""
_CHUNK = 1 << 20


class CatalogueUnreachable(RetryableProviderError):
    """The catalogue did not answer (offline, refused, timed out, a 5xx): trying later may work."""


@frozen
class CatalogueFile:
    """One file of a catalogue voice: its path under the catalogue root, size and md5 digest."""

    path: str
    size: int
    md5: str

    def target_name(self, voice: str) -> str:
        """The name it gets in the voices folder: ``NAME.onnx``, ``NAME.onnx.json`` or ``NAME.MODEL_CARD``."""
        if self.path.endswith(".onnx.json"):
            return f"{voice}.onnx.json"
        if self.path.endswith(".onnx"):
            return f"{voice}.onnx"
        return f"{voice}.{CARD_NAME}"


@frozen
class CatalogueVoice:
    """A voice the catalogue offers."""

    name: str
    language: str
    quality: str
    speakers: int
    files: tuple[CatalogueFile, ...]

    @property
    def size(self) -> int:
        """Bytes to download."""
        return sum(item.size for item in self.files)


def _safe_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def _parse_voice(name: str, raw: Any) -> CatalogueVoice | None:
    """One ``voices.json`` entry, or ``None`` when it lacks what an install needs."""
    if (
        not isinstance(raw, Mapping)
        or not VOICE_NAME.match(name)
        or not isinstance(raw.get("files"), Mapping)
    ):
        return None
    files: list[CatalogueFile] = []
    for path, info in raw["files"].items():
        if not isinstance(path, str) or not _safe_path(path) or not isinstance(info, Mapping):
            continue
        if not path.endswith((".onnx", ".onnx.json")) and path.rsplit("/", 1)[-1] != CARD_NAME:
            continue
        size, md5 = info.get("size_bytes"), info.get("md5_digest")
        if (
            isinstance(size, int)
            and size >= 0
            and isinstance(md5, str)
            and re.fullmatch(r"[0-9a-f]{32}", md5)
        ):
            files.append(CatalogueFile(path, size, md5))
    kinds = {item.target_name(name) for item in files}
    if {f"{name}.onnx", f"{name}.onnx.json"} - kinds or len(kinds) != len(files):
        return None
    language = raw.get("language")
    code = language.get("code") if isinstance(language, Mapping) else None
    speakers = raw.get("num_speakers")
    return CatalogueVoice(
        name=name,
        language=str(code or name.split("-")[0]).replace("_", "-").lower(),
        quality=str(raw.get("quality") or name.rsplit("-", 1)[-1]),
        speakers=speakers if isinstance(speakers, int) and speakers > 0 else 1,
        files=tuple(files),
    )


def _client(timeout: float) -> Any:
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS)), follow_redirects=True
    )


def _url(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{quote(path)}"


def _unreachable(url: str, reason: str) -> CatalogueUnreachable:
    return CatalogueUnreachable(
        f"The Piper voices catalogue at {url} cannot be reached ({reason}); "
        f"check the network, or set {URL_SETTING} to a mirror",
        provider="piper",
    )


def _fail(url: str, exc: Exception) -> ProviderError:
    """The error for a failed request: unreachable for network trouble and 5xx, else a plain failure."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status >= 500 or status == 429:
            return _unreachable(url, f"HTTP {status}")
        return ProviderError(f"The Piper voices catalogue answered HTTP {status} for {url}", provider="piper")
    return _unreachable(url, type(exc).__name__)


def fetch_catalogue(
    base_url: str = DEFAULT_CATALOGUE_URL, *, timeout: float = TIMEOUT_SECONDS
) -> dict[str, CatalogueVoice]:
    """The voices the catalogue at ``base_url`` offers, by name.

    Raises :class:`CatalogueUnreachable` when it cannot be reached and
    :class:`ProviderError` when it answers with something that is not a catalogue.
    """
    import httpx

    url = _url(base_url, CATALOGUE_FILE)
    try:
        with _client(timeout) as client, client.stream("GET", url) as response:
            response.raise_for_status()
            body = bytearray()
            for piece in response.iter_bytes():
                body.extend(piece)
                if len(body) > MAX_CATALOGUE_BYTES:
                    raise ProviderError(f"The Piper voices catalogue at {url} is too large", provider="piper")
    except httpx.HTTPError as exc:
        raise _fail(url, exc) from exc
    try:
        raw = json.loads(bytes(body))
    except ValueError as exc:
        raise ProviderError(f"The Piper voices catalogue at {url} is not JSON", provider="piper") from exc
    if not isinstance(raw, Mapping):
        raise ProviderError(f"The Piper voices catalogue at {url} is not a list of voices", provider="piper")
    parsed = (_parse_voice(str(name), entry) for name, entry in raw.items())
    return {voice.name: voice for voice in parsed if voice is not None}


def check_voice_name(name: str) -> str:
    """``name`` stripped, or :class:`InvalidInput` when it is not shaped like a catalogue voice name."""
    cleaned = name.strip() if isinstance(name, str) else ""
    if not VOICE_NAME.match(cleaned):
        raise InvalidInput(
            f"{name!r} is not a Piper voice name: use language_REGION-name-quality, "
            "such as en_US-lessac-medium",
            field="name",
        )
    return cleaned


def _download(client: Any, url: str, item: CatalogueFile, destination: Path) -> Path:
    """Stream ``url`` into a temporary file beside ``destination``, checking size and md5; its path."""
    handle, temporary = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    path = Path(temporary)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        with os.fdopen(handle, "wb") as out, client.stream("GET", url) as response:
            response.raise_for_status()
            for piece in response.iter_bytes(_CHUNK):
                received += len(piece)
                if received > item.size:
                    break
                digest.update(piece)
                out.write(piece)
        if received != item.size:
            raise ProviderError(
                f"{url} sent {'more than' if received > item.size else str(received) + ' bytes, not'} "
                f"{item.size} bytes as the catalogue lists; nothing was installed",
                provider="piper",
            )
        if digest.hexdigest() != item.md5:
            raise ProviderError(
                f"{url} does not match the md5 digest the catalogue lists; nothing was installed",
                provider="piper",
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _remove_parts(downloaded: list[tuple[Path, Path]]) -> None:
    """Delete the temporary files still there (after the renames, none are)."""
    for part, _ in downloaded:
        part.unlink(missing_ok=True)


def _install_order(voice: CatalogueVoice) -> Iterator[CatalogueFile]:
    """The card and config first, the model last: a voice is complete once its model appears."""
    yield from sorted(voice.files, key=lambda item: item.target_name(voice.name).endswith(".onnx"))


def install_voice(
    name: str, voices_dir: Path, base_url: str = DEFAULT_CATALOGUE_URL, *, timeout: float = TIMEOUT_SECONDS
) -> Path:
    """Download voice ``name`` from the catalogue at ``base_url`` into ``voices_dir``; the model's path.

    Raises :class:`InvalidInput` for a malformed or unknown name (listing
    voices of the same language), :class:`CatalogueUnreachable` when the
    catalogue cannot be reached, and :class:`ProviderError` when a file is
    missing or does not match its size or digest (nothing is installed then).
    """
    import httpx

    name = check_voice_name(name)
    offered = fetch_catalogue(base_url, timeout=timeout)
    voice = offered.get(name)
    if voice is None:
        prefix = name.split("-")[0]
        similar = sorted(other for other in offered if other.startswith(prefix))[:20]
        raise InvalidInput(f"The Piper catalogue has no voice {name!r}", field="name", choices=similar)
    oversized = [item.path for item in voice.files if item.size > MAX_FILE_BYTES]
    if oversized:
        raise ProviderError(
            f"The catalogue lists {oversized[0]} as larger than {MAX_FILE_BYTES // 2**20} MB; "
            "nothing was installed",
            provider="piper",
        )
    voices_dir.mkdir(parents=True, exist_ok=True)
    downloaded: list[tuple[Path, Path]] = []
    with ExitStack() as cleanup:
        cleanup.callback(_remove_parts, downloaded)
        with _client(timeout) as client:
            for item in _install_order(voice):
                url = _url(base_url, item.path)
                destination = voices_dir / item.target_name(name)
                try:
                    downloaded.append((_download(client, url, item, destination), destination))
                except httpx.HTTPError as exc:
                    raise _fail(url, exc) from exc
        for part, destination in downloaded:
            part.replace(destination)
    return voices_dir / f"{name}.onnx"
