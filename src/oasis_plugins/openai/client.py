"""Building an ``openai.OpenAI`` client from a :class:`ProviderConfig`, and reading its errors as Oasis errors.

Settings (strings, all optional):

``base_url``
    Where the OpenAI-compatible API lives (default :data:`DEFAULT_BASE_URL`);
    point it at Ollama, vLLM, LM Studio or a llama.cpp server to use a local model.
``timeout`` (``image_timeout`` for images)
    Seconds one HTTP request may take (each provider has its own default).
``max_retries``
    How many times the SDK retries a rate limit, timeout, connection failure
    or 5xx answer, with exponential backoff; it waits as long as a
    ``Retry-After``/``retry-after-ms`` header says when there is one, up to two
    minutes (default :data:`DEFAULT_MAX_RETRIES`).
``organization`` / ``project``
    Sent as the ``OpenAI-Organization`` / ``OpenAI-Project`` headers.

The provider never reads the environment: the SDK would fill a missing base
URL, organisation or project from ``OPENAI_*`` variables, so every one is
given to it explicitly (the providers' ``settings_env`` maps those variables
into the settings instead).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import openai

from oasis_core.errors import NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig

PROVIDER_ID = "openai"
"""The id both OpenAI providers register under."""

DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""OpenAI's own API, used when no ``base_url`` setting is given."""

DEFAULT_MAX_RETRIES = 3
"""Retries of a transient failure (429, 408, 409, 5xx, timeout, lost connection) before giving up."""

COMMON_SETTINGS_ENV: dict[str, str] = {
    "base_url": "OPENAI_BASE_URL",
    "organization": "OPENAI_ORG_ID",
    "project": "OPENAI_PROJECT_ID",
    "max_retries": "OASIS_OPENAI_MAX_RETRIES",
}
"""The environment variables both providers take settings from."""

_NO_KEY = (
    "The OpenAI providers need an API key: save an openai key or set OPENAI_API_KEY "
    "(a local OpenAI-compatible server accepts any non-empty key)"
)


def build_client(
    config: ProviderConfig, *, default_timeout: float, timeout_setting: str = "timeout"
) -> openai.OpenAI:
    """An SDK client for ``config``: its key, base URL, timeout, retries, organisation and project.

    The timeout is read from the setting ``timeout_setting`` (the visual source uses
    ``image_timeout``, since both providers share the settings of the id ``openai``).
    Raise :class:`NeedsCredentials` without a key and :class:`InvalidInput` for a
    malformed timeout or ``max_retries`` setting.
    """
    if not config.key:
        raise NeedsCredentials(_NO_KEY, provider=PROVIDER_ID)
    timeout = config.number(timeout_setting, default_timeout, minimum=0.001)
    max_retries = config.whole("max_retries", DEFAULT_MAX_RETRIES)
    organization = config.setting("organization")
    project = config.setting("project")
    client = openai.OpenAI(
        api_key=config.key,
        base_url=config.setting("base_url", DEFAULT_BASE_URL),
        organization=organization,
        project=project,
        timeout=timeout,
        max_retries=max_retries,
    )
    # The SDK fills these from OPENAI_ORG_ID, OPENAI_PROJECT_ID and OPENAI_ADMIN_KEY when they are
    # not given; a provider takes nothing from the environment, so undo that.
    client.organization = organization
    client.project = project
    client.admin_api_key = None
    return client


def _server_message(exc: openai.APIError) -> str:
    """The ``error.message`` OpenAI put in the body, else the SDK's own text."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str) and inner["message"].strip():
            return " ".join(inner["message"].split())
        if isinstance(body.get("message"), str) and body["message"].strip():
            return " ".join(body["message"].split())
    return " ".join(str(exc.message).split())


def _error_code(exc: openai.APIError) -> str | None:
    if exc.code:
        return exc.code
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def _scrub(message: str, key: str | None) -> str:
    return message.replace(key, "***") if key else message


def provider_error(exc: BaseException, *, key: str | None, action: str) -> ProviderError:
    """The Oasis error for ``exc``, raised by the SDK (or by reading its answer) while doing ``action``.

    * a refused key (401, 403) → :class:`NeedsCredentials`;
    * a rate limit (429) → :class:`RetryableProviderError` with ``retry_after`` from the
      ``Retry-After`` header (an exhausted quota, also a 429, is a plain :class:`ProviderError`);
    * a timeout, lost connection or 5xx answer → :class:`RetryableProviderError`;
    * malformed JSON, an answer of an unexpected shape or any other API error → :class:`ProviderError`.

    ``key`` is never part of a message. ``action`` is a short phrase: "writing a quote".
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        refused = "invalid" if isinstance(exc, openai.AuthenticationError) else "not allowed to do this"
        return NeedsCredentials(
            f"OpenAI refused the API key while {action} (HTTP {exc.status_code}): the key is {refused}; "
            "save a valid openai key or set OPENAI_API_KEY",
            provider=PROVIDER_ID,
        )
    if isinstance(exc, openai.RateLimitError):
        detail = _scrub(_server_message(exc), key)
        if _error_code(exc) == "insufficient_quota":
            return ProviderError(
                f"OpenAI refused the request while {action}: the account has no quota left ({detail}); "
                "check the plan and billing of the key's organisation",
                provider=PROVIDER_ID,
            )
        return RetryableProviderError(
            f"OpenAI's rate limit was reached while {action} ({detail}); try again later",
            provider=PROVIDER_ID,
            retry_after=_retry_after(exc),
        )
    if isinstance(exc, openai.APITimeoutError):
        return RetryableProviderError(
            f"OpenAI did not answer in time while {action}; try again later or raise the timeout setting",
            provider=PROVIDER_ID,
        )
    if isinstance(exc, openai.APIConnectionError):
        return RetryableProviderError(
            f"Could not reach the OpenAI API while {action} ({_scrub(str(exc.message), key)}); "
            "check the network and the base_url setting",
            provider=PROVIDER_ID,
        )
    if isinstance(exc, openai.APIStatusError):
        detail = _scrub(_server_message(exc), key)
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            return RetryableProviderError(
                f"OpenAI failed while {action} (HTTP {exc.status_code}: {detail}); try again later",
                provider=PROVIDER_ID,
                retry_after=_retry_after(exc),
            )
        return ProviderError(
            f"OpenAI refused the request while {action} (HTTP {exc.status_code}: {detail})",
            provider=PROVIDER_ID,
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(
            f"OpenAI sent an answer of an unexpected shape while {action}", provider=PROVIDER_ID
        )
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return ProviderError(
            f"OpenAI sent an answer that is not valid JSON while {action}", provider=PROVIDER_ID
        )
    if isinstance(exc, openai.OpenAIError):
        return ProviderError(
            f"The OpenAI SDK failed while {action}: {_scrub(str(exc), key)}", provider=PROVIDER_ID
        )
    return ProviderError(
        f"OpenAI sent an answer of an unexpected shape while {action} ({type(exc).__name__}: "
        f"{_scrub(str(exc), key)})",
        provider=PROVIDER_ID,
    )


@contextmanager
def openai_errors(*, key: str | None, action: str) -> Iterator[None]:
    """Turn whatever the SDK, or reading its answer, raises inside the block into an Oasis error.

    Wraps the call and the reading of its answer, so a body of the wrong shape
    (a missing field, ``None`` where text was due) is a :class:`ProviderError` too.
    """
    try:
        yield
    except ProviderError:
        raise
    except (openai.OpenAIError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        _raise(provider_error(exc, key=key, action=action), exc)


def _raise(error: ProviderError, cause: BaseException) -> NoReturn:
    raise error from cause
