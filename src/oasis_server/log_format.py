"""One log format for every line a process writes: Oasis's, libraries' and uvicorn's.

``OASIS_LOG_FORMAT`` picks it: ``text`` (the default) writes
``2026-12-07T22:54:12.345Z INFO oasis_server.jobs: message``; ``json`` writes
one JSON object a line (``time``, ``level``, ``logger``, ``message``, and
``exception`` with the traceback when there is one) for log collectors.

All records go through a single handler on stderr. uvicorn gets the same
configuration (:func:`logging_config` is its ``log_config``), so its startup
and access lines look like ours instead of its own ``INFO:     ...``. Secrets
are redacted before any handler sees a record (:mod:`oasis_server.log_redaction`
replaces the record factory), so this applies to every handler configured here.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from oasis_core.errors import InvalidInput

LOG_FORMAT_VARIABLE = "OASIS_LOG_FORMAT"
LOG_FORMATS = ("text", "json")
DEFAULT_LOG_FORMAT = "text"
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
"""uvicorn's loggers: their records go to the one handler instead of uvicorn's own."""


def _timestamp(record: logging.LogRecord) -> str:
    """When ``record`` was made, in UTC, ISO 8601 to the millisecond."""
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <logger>: <message>``, then the traceback if there is one."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """One line (more with a traceback) for ``record``."""
        return f"{_timestamp(record)} {super().format(record)}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message`` and maybe ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        """``record`` as a JSON object on one line (newlines in the message are escaped)."""
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_FORMATTERS: dict[str, type[logging.Formatter]] = {"text": TextFormatter, "json": JsonFormatter}


def chosen_format(environ: Mapping[str, str] | None = None) -> str:
    """The format ``OASIS_LOG_FORMAT`` names (``text`` when unset); anything else is refused."""
    value = (os.environ if environ is None else environ).get(LOG_FORMAT_VARIABLE, "").strip().lower()
    if not value:
        return DEFAULT_LOG_FORMAT
    if value not in LOG_FORMATS:
        raise InvalidInput(
            f"{LOG_FORMAT_VARIABLE}={value[:40]!r} is not accepted: choose {' or '.join(LOG_FORMATS)}"
        )
    return value


def logging_config(level: int, log_format: str, *, server_level: int = logging.INFO) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration: one stderr handler in ``log_format`` for all.

    ``level`` is the root logger's (Oasis and libraries); uvicorn's loggers
    log at ``server_level`` and pass their records up to the same handler.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"oasis": {"()": f"{__name__}.{_FORMATTERS[log_format].__name__}"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "oasis", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": logging.getLevelName(level)},
        "loggers": {
            name: {"handlers": [], "level": logging.getLevelName(server_level), "propagate": True}
            for name in SERVER_LOGGERS
        },
    }


def level_for(*, debug: bool, quiet: bool, default: int = logging.WARNING) -> int:
    """The root level the command line's ``--debug`` and ``--quiet`` ask for (else ``default``)."""
    return logging.DEBUG if debug else logging.ERROR if quiet else default


def configure(level: int, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Send every log record to stderr in the chosen format at ``level``; returns the configuration.

    Raises :class:`InvalidInput` for an ``OASIS_LOG_FORMAT`` that is not ``text`` or ``json``.
    """
    config = logging_config(level, chosen_format(environ))
    logging.config.dictConfig(config)
    return config
