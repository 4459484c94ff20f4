"""A fake OpenAI API on 127.0.0.1 speaking the documented wire format.

Routes: ``GET /v1/models``, ``POST /v1/chat/completions``, ``POST
/v1/images/generations``, and the audio routes ``POST /v1/audio/speech`` and
``POST /v1/audio/transcriptions`` (:mod:`tests.fakes.openai_audio`). Every request must carry ``Authorization: Bearer
<key>`` with a key from :attr:`FakeOpenAI.valid_keys`, else the answer is
OpenAI's 401 body. Chat answers come from :attr:`FakeOpenAI.replies` (queued),
else :attr:`FakeOpenAI.reply_text`, else a numbered plain sentence, so two
calls never answer the same; a request for structured output (``response_format``) is checked
and answered as :mod:`tests.fakes.openai_structured` says. Images are real PNGs of the requested size, coloured by
the prompt (the same prompt gives the same bytes). The image route checks
parameters as OpenAI does: GPT Image models refuse ``response_format``, and
each model accepts only its own sizes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from PIL import Image, ImageDraw
from tests.fakes.http_server import FakeApi, Recorded, Reply
from tests.fakes.openai_audio import AudioRoutes
from tests.fakes.openai_structured import check_response_format, structured_answer, wants_schema

GPT_IMAGE_SIZES = {"1024x1024", "1024x1536", "1536x1024", "auto"}
DALL_E_3_SIZES = {"1024x1024", "1024x1792", "1792x1024"}
DALL_E_2_SIZES = {"256x256", "512x512", "1024x1024"}

MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-image-1", "dall-e-3", "dall-e-2", "text-embedding-3-small")


def error_body(message: str, *, type: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def invalid_key_reply(key: str) -> Reply:
    """OpenAI's 401 for an unknown key (it shows the key masked, as OpenAI does)."""
    masked = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"
    return Reply(
        401,
        error_body(
            f"Incorrect API key provided: {masked}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            type="invalid_request_error",
            code="invalid_api_key",
        ),
    )


def rate_limit_reply(retry_after: str = "0.01") -> Reply:
    """A 429 with a ``retry-after`` header (seconds) and OpenAI's ``rate_limit_exceeded`` body."""
    return Reply(
        429,
        error_body(
            "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1. "
            "Please try again in 20s.",
            type="requests",
            code="rate_limit_exceeded",
        ),
        headers={"retry-after": retry_after},
    )


def quota_reply() -> Reply:
    """The 429 OpenAI sends when the account has no credit left."""
    return Reply(
        429,
        error_body(
            "You exceeded your current quota, please check your plan and billing details.",
            type="insufficient_quota",
            code="insufficient_quota",
        ),
    )


def server_error_reply(status: int = 500) -> Reply:
    """A 5xx with OpenAI's ``server_error`` body."""
    return Reply(
        status,
        error_body(
            "The server had an error while processing your request. Sorry about that!",
            type="server_error",
            code=None,
        ),
    )


def malformed_reply() -> Reply:
    """A 200 whose JSON body is cut short."""
    return Reply(
        200,
        raw=b'{"id": "chatcmpl-1", "choices": [{"message": ',
        headers={"Content-Type": "application/json"},
    )


def png_bytes(width: int, height: int, seed: str) -> bytes:
    """A real PNG of ``width`` x ``height``: a two-colour picture derived from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", (width, height), tuple(digest[0:3]))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=tuple(digest[3:6]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class FakeOpenAI(AudioRoutes, FakeApi):
    """The OpenAI endpoints Oasis uses; see the module docs."""

    routes = (
        ("GET", r"/v1/models", "list_models"),
        ("POST", r"/v1/chat/completions", "chat_completion"),
        ("POST", r"/v1/images/generations", "generate_images"),
        *AudioRoutes.audio_routes,
    )

    def __init__(self, valid_keys: Iterable[str] = ("sk-test-key",)) -> None:
        super().__init__()
        self.valid_keys = set(valid_keys)
        self.replies: deque[str] = deque()
        """Chat answers to give, in order, before :attr:`reply_text`."""
        self.reply_text: str | None = None
        """The chat answer once :attr:`replies` is empty (``None``: a numbered sentence)."""
        self.models = list(MODELS)
        self.image_usage = True
        """Whether image answers carry a ``usage`` object (GPT Image models do)."""
        self._count = 0
        self._count_lock = threading.Lock()
        self.reset_audio()

    def reset(self) -> None:
        """Forget recorded requests, queued failures and replies, and restore the default answers.

        Lets one running server serve many tests (stopping one takes half a second).
        """
        with self._lock:
            self.requests.clear()
            self._failures.clear()
        with self._count_lock:
            self.replies.clear()
            self._count = 0
        self.reply_text = None
        self.models = list(MODELS)
        self.image_usage = True
        self.reset_audio()

    @property
    def base_url(self) -> str:
        """The ``base_url`` setting that points the SDK here."""
        return f"{self.url}/v1"

    def reply_with(self, *texts: str) -> None:
        """Answer the next chat requests with ``texts``, in order."""
        self.replies.extend(texts)

    def chat_requests(self) -> list[Recorded]:
        """The recorded chat requests."""
        return self.requests_to(r"/chat/completions$")

    def image_requests(self) -> list[Recorded]:
        """The recorded image requests."""
        return self.requests_to(r"/images/generations$")

    # -- handlers ------------------------------------------------------------------------------------
    def _refused(self, request: Recorded) -> Reply | None:
        header = request.headers.get("authorization", "")
        key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if key in self.valid_keys:
            return None
        if not key:
            return Reply(
                401,
                error_body("You didn't provide an API key.", type="invalid_request_error", code=None),
            )
        return invalid_key_reply(key)

    def list_models(self, request: Recorded, match: re.Match[str]) -> Reply:
        """``GET /v1/models``: a list object."""
        if (refused := self._refused(request)) is not None:
            return refused
        data = [
            {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "openai"}
            for model in self.models
        ]
        return Reply(200, {"object": "list", "data": data})

    def _next_text(self) -> tuple[int, str]:
        with self._count_lock:
            self._count += 1
            number = self._count
            if self.replies:
                return number, self.replies.popleft()
        if self.reply_text is not None:
            return number, self.reply_text
        return number, f"Step {number} is the one that counts, so take it today."

    def chat_completion(self, request: Recorded, match: re.Match[str]) -> Reply:
        """``POST /v1/chat/completions``: a ``chat.completion`` object with usage."""
        if (refused := self._refused(request)) is not None:
            return refused
        body = request.json()
        messages = body.get("messages")
        if not isinstance(body.get("model"), str) or not isinstance(messages, list) or not messages:
            return Reply(
                400,
                error_body("'model' and 'messages' are required", type="invalid_request_error", code=None),
            )
        if (refused := check_response_format(body)) is not None:
            return refused
        if wants_schema(body) and not self.replies and self.reply_text is None:
            with self._count_lock:
                self._count += 1
                number = self._count
            text = json.dumps(structured_answer(body, number))
        else:
            number, text = self._next_text()
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        completion_tokens = len(text.split())
        return Reply(
            200,
            {
                "id": f"chatcmpl-fake{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "system_fingerprint": "fp_fake",
            },
        )

    def generate_images(self, request: Recorded, match: re.Match[str]) -> Reply:
        """``POST /v1/images/generations``: ``{"created", "data": [{"b64_json"}], "usage"}``."""
        if (refused := self._refused(request)) is not None:
            return refused
        body = request.json()
        model = body.get("model") or "dall-e-2"
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return Reply(
                400,
                error_body("'prompt' is required", type="invalid_request_error", code=None, param="prompt"),
            )
        gpt_image = str(model).startswith("gpt-image")
        if gpt_image and "response_format" in body:
            return Reply(
                400,
                error_body(
                    "Unknown parameter: 'response_format'.",
                    type="invalid_request_error",
                    code="unknown_parameter",
                    param="response_format",
                ),
            )
        allowed = GPT_IMAGE_SIZES if gpt_image else DALL_E_3_SIZES if model == "dall-e-3" else DALL_E_2_SIZES
        size = body.get("size") or "1024x1024"
        if size not in allowed:
            return Reply(
                400,
                error_body(
                    f"Invalid value: '{size}'. Supported values are: {', '.join(sorted(allowed))}.",
                    type="invalid_request_error",
                    code="invalid_value",
                    param="size",
                ),
            )
        width, height = (1024, 1024) if size == "auto" else (int(n) for n in size.split("x"))
        encoded = base64.b64encode(png_bytes(width, height, f"{model}\n{prompt}")).decode()
        item = {"b64_json": encoded}
        if not gpt_image and body.get("response_format") != "b64_json":
            item = {"url": f"{self.url}/images/{hashlib.sha256(prompt.encode()).hexdigest()[:12]}.png"}
        if model == "dall-e-3":
            item["revised_prompt"] = prompt
        answer: dict[str, Any] = {"created": int(time.time()), "data": [item] * int(body.get("n") or 1)}
        if gpt_image and self.image_usage:
            tokens = len(prompt.split())
            answer["usage"] = {
                "input_tokens": tokens,
                "output_tokens": 1056,
                "total_tokens": tokens + 1056,
                "input_tokens_details": {"text_tokens": tokens, "image_tokens": 0},
            }
        return Reply(200, answer)
