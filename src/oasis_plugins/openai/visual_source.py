"""``OpenAIVisualSource``: one generated image per scene from OpenAI's image API, cached on disk."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import threading
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image, UnidentifiedImageError

from oasis_core.domain.catalogue import Style
from oasis_core.domain.media import Aspect, Scene, Visuals
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.services.scenes import overscan_size, plan_scene_groups
from oasis_plugins.openai.client import (
    COMMON_SETTINGS_ENV,
    PROVIDER_ID,
    build_client,
    openai_errors,
)
from oasis_plugins.openai.prompts import scene_image_prompt

DEFAULT_IMAGE_MODEL = "gpt-image-1"
"""The image model used when the ``image_model`` setting is not given."""

DEFAULT_GPT_IMAGE_QUALITY = "medium"
"""The ``quality`` asked of GPT Image models when ``image_quality`` is not given (their own default,
``auto``, often picks ``high``, which costs about four times as much)."""

DEFAULT_TIMEOUT = 120.0
"""Seconds one image request may take when the ``image_timeout`` setting is not given."""

MAX_IMAGES = 6
"""The most images one video gets when the ``max_images`` setting is not given."""

DEFAULT_CONCURRENCY = 3
"""How many image requests run at once when the ``concurrency`` setting is not given."""

MIN_SCENE_SECONDS = 4.0
"""The shortest a scene may be; a video too short for two such scenes gets one image."""

MAX_IMAGE_PROMPT = 4000
"""The longest prompt sent for one image (DALL·E 3's limit; GPT Image models take more)."""

JPEG_QUALITY = 92

GPT_IMAGE_SIZES = {"portrait": "1024x1536", "landscape": "1536x1024", "square": "1024x1024"}
"""Sizes GPT Image models (``gpt-image-1`` …) make; they always answer with base64 data."""

DALL_E_3_SIZES = {"portrait": "1024x1792", "landscape": "1792x1024", "square": "1024x1024"}
"""Sizes DALL·E 3 makes; it answers with base64 data only when asked (``response_format``)."""

DALL_E_2_SIZES = {"portrait": "1024x1024", "landscape": "1024x1024", "square": "1024x1024"}


def orientation(aspect: Aspect) -> str:
    """``portrait``, ``landscape`` or ``square``."""
    if aspect.height > aspect.width:
        return "portrait"
    if aspect.width > aspect.height:
        return "landscape"
    return "square"


def is_gpt_image(model: str) -> bool:
    """Whether ``model`` is one of the GPT Image models (which refuse ``response_format``)."""
    return model.startswith(("gpt-image", "chatgpt-image"))


def image_request(model: str, aspect: Aspect, *, size: str | None = None) -> dict[str, Any]:
    """The size and format arguments of ``images.generate`` for ``model`` and ``aspect``.

    GPT Image models always answer with base64 and refuse ``response_format``;
    DALL·E (and, by default, other OpenAI-compatible image models) must be asked
    for ``b64_json``. ``size`` overrides the size chosen from the aspect.
    """
    if is_gpt_image(model):
        return {"size": size or GPT_IMAGE_SIZES[orientation(aspect)]}
    sizes = DALL_E_2_SIZES if model == "dall-e-2" else DALL_E_3_SIZES
    return {"size": size or sizes[orientation(aspect)], "response_format": "b64_json"}


def plan_scenes(
    duration: float, scene_texts: Sequence[str], max_images: int = MAX_IMAGES
) -> list[tuple[float, float, str]]:
    """``(start, end, text)`` of each scene, contiguous from 0 to exactly ``duration``.

    One scene per sentence or two: contiguous parts are grouped into at most
    ``max_images`` scenes, and into fewer when the video is too short for each
    to last :data:`MIN_SCENE_SECONDS`. Each scene gets that minimum plus a share
    of the rest in proportion to the length of its text. No text: one scene.
    """
    texts = [" ".join(text.split()) for text in scene_texts if text.strip()]
    if not texts:
        return [(0.0, duration, "")]
    groups = plan_scene_groups(
        duration, [len(text) for text in texts], max_scenes=max_images, min_seconds=MIN_SCENE_SECONDS
    )
    return [(start, end, " ".join(texts[a:b])) for start, end, a, b in groups]


def fit_image(data: bytes, width: int, height: int) -> Image.Image:
    """The image in ``data`` scaled to cover ``width`` x ``height`` and cropped to it, centred."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    scale = max(width / image.width, height / image.height)
    scaled = (max(width, math.ceil(image.width * scale)), max(height, math.ceil(image.height * scale)))
    if scaled != image.size:
        image = image.resize(scaled, Image.Resampling.LANCZOS)
    left, top = (image.width - width) // 2, (image.height - height) // 2
    return image.crop((left, top, left + width, top + height))


def _write_atomically(path: Path, write: Any) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ProviderError(f"Could not write the image {path}: {exc}", provider=PROVIDER_ID) from exc


class OpenAIVisualSource:
    """Generates one picture per scene with OpenAI's image API (``gpt-image-1`` or ``dall-e-3``).

    Settings: ``image_model`` (default :data:`DEFAULT_IMAGE_MODEL`), ``image_quality``
    (sent as ``quality``; ``medium`` for GPT Image models unless given), ``image_size`` (overrides the size chosen from
    the aspect), ``max_images`` (default 6), ``concurrency`` (default 3),
    ``base_url``, ``image_timeout`` (seconds, default 120), ``max_retries`` (default 3),
    ``organization`` and ``project``. Images are cached in ``cache_dir`` by model,
    size and prompt, so rendering the same video again makes no request.
    """

    id: ClassVar[str] = PROVIDER_ID
    name: ClassVar[str] = "OpenAI images"
    needs_key: ClassVar[str | None] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"
    settings_env: ClassVar[Mapping[str, str]] = {
        **COMMON_SETTINGS_ENV,
        "image_model": "OASIS_OPENAI_IMAGE_MODEL",
        "image_quality": "OASIS_OPENAI_IMAGE_QUALITY",
        "max_images": "OASIS_OPENAI_MAX_IMAGES",
        "image_timeout": "OASIS_OPENAI_IMAGE_TIMEOUT",
    }

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.model = config.setting("image_model", DEFAULT_IMAGE_MODEL) or DEFAULT_IMAGE_MODEL
        self.quality = config.setting(
            "image_quality", DEFAULT_GPT_IMAGE_QUALITY if is_gpt_image(self.model) else None
        )
        self.size = config.setting("image_size")
        self.max_images = config.whole("max_images", MAX_IMAGES, minimum=1)
        self.concurrency = config.whole("concurrency", DEFAULT_CONCURRENCY, minimum=1)
        self._client = build_client(config, default_timeout=DEFAULT_TIMEOUT, timeout_setting="image_timeout")
        self._lock = threading.Lock()

    # -- one image -----------------------------------------------------------------------------------
    def _cache_path(self, digest: str) -> Path | None:
        if self.config.cache_dir is None:
            return None
        return Path(self.config.cache_dir) / "images" / f"{digest}.img"

    def _generate(self, prompt: str, request: Mapping[str, Any]) -> tuple[bytes, dict[str, int]]:
        """Ask for one image; return its bytes and the usage the answer reported."""
        arguments = dict(request)
        if self.quality:
            arguments["quality"] = self.quality
        key = self.config.key
        with openai_errors(key=key, action="generating an image"):
            response = self._client.images.generate(model=self.model, prompt=prompt, n=1, **arguments)
            if isinstance(response, str) or not response.data:
                raise ProviderError("The OpenAI image API answered without an image", provider=PROVIDER_ID)
            item = response.data[0]
            encoded = item.b64_json
            counted: dict[str, int] = {}
            usage = getattr(response, "usage", None)
            if usage is not None:
                counted["input_tokens"] = int(getattr(usage, "input_tokens", 0) or 0)
                counted["output_tokens"] = int(getattr(usage, "output_tokens", 0) or 0)
        if not encoded:
            hint = " (it sent a link instead)" if getattr(item, "url", None) else ""
            raise ProviderError(
                f"The OpenAI image API sent no image data for model {self.model!r}{hint}",
                provider=PROVIDER_ID,
            )
        try:
            return base64.b64decode(encoded, validate=True), counted
        except (binascii.Error, ValueError) as exc:
            raise ProviderError(
                "The OpenAI image API sent image data that is not valid base64", provider=PROVIDER_ID
            ) from exc

    def _image(self, prompt: str, aspect: Aspect, out_dir: Path, usage: dict[str, int]) -> Path:
        """Write the image for ``prompt`` into ``out_dir`` (from the cache when it is there)."""
        request = image_request(self.model, aspect, size=self.size)
        identity = [self.model, request["size"], self.quality or "", prompt]
        digest = hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()
        cached = self._cache_path(digest)
        data: bytes | None = None
        if cached is not None and cached.is_file():
            try:
                data = cached.read_bytes()
            except OSError:
                data = None
        from_cache = data is not None
        if data is None:
            with self._lock:
                usage["requests"] += 1
            data, counted = self._generate(prompt, request)
            with self._lock:
                usage["images"] += 1
                for name, value in counted.items():
                    usage[name] = usage.get(name, 0) + value
        width, height = overscan_size(aspect)
        try:
            image = fit_image(data, width, height)
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            if cached is not None and from_cache:
                cached.unlink(missing_ok=True)
            raise ProviderError(
                "The OpenAI image API sent data that is not a readable image", provider=PROVIDER_ID
            ) from exc
        if from_cache:
            with self._lock:
                usage["cached_images"] += 1
        elif cached is not None:
            _write_atomically(cached, lambda path: path.write_bytes(data))
        path = Path(out_dir) / f"openai-{digest[:20]}-{width}x{height}.jpg"
        _write_atomically(
            path, lambda target: image.save(target, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        )
        return path

    # -- the port ------------------------------------------------------------------------------------
    def create(
        self,
        prompt: str,
        style: Style,
        aspect: Aspect,
        duration: float,
        out_dir: Path,
        *,
        scene_texts: Sequence[str] = (),
    ) -> Visuals:
        """Generate one image per scene (a sentence or two of ``scene_texts``; one without them).

        Each image's prompt is ``prompt``, the style's look and that scene's words.
        Images are scaled and cropped to 115 % of the frame and written as JPEG into
        ``out_dir``. ``Visuals.usage`` counts ``images`` generated, ``cached_images``
        and ``requests`` (and ``input_tokens``/``output_tokens`` when OpenAI reports them).
        """
        if not (math.isfinite(duration) and duration > 0):
            raise InvalidInput(
                f"The duration must be a positive number of seconds, not {duration}", field="duration"
            )
        if not prompt.strip():
            raise InvalidInput("The visual prompt is empty", field="visual_prompt")
        plan = plan_scenes(duration, scene_texts, self.max_images)
        prompts = [scene_image_prompt(prompt, style, text)[:MAX_IMAGE_PROMPT] for _, _, text in plan]
        usage = {"images": 0, "cached_images": 0, "requests": 0}
        if len(prompts) == 1 or self.concurrency == 1:
            paths = [self._image(p, aspect, out_dir, usage) for p in prompts]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts))) as pool:
                futures = [pool.submit(self._image, p, aspect, out_dir, usage) for p in prompts]
                try:
                    paths = [future.result() for future in futures]
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
        scenes = [Scene(path, start, end) for path, (start, end, _) in zip(paths, plan, strict=True)]
        return Visuals(tuple(scenes), style=style.id, usage=usage)

    def close(self) -> None:
        """Close the HTTP connections of the SDK client."""
        self._client.close()
