"""Secrets in URLs never reach a log line.

A signed media link (``sig``) works for an hour without a login, and an
OAuth callback's ``code`` and ``state`` can be exchanged by whoever reads
them first; uvicorn's access log used to record both in full. Every log
record created in the process (uvicorn's, Oasis's, libraries') has the values
of those query parameters replaced before any handler formats it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

SECRET_PARAMETERS = ("sig", "code", "state", "token", "access_token", "refresh_token")
REDACTED = "[redacted]"
_SECRET_VALUE = re.compile(
    r"(?P<name>(?:^|[?&;\s])(?:" + "|".join(SECRET_PARAMETERS) + r")=)(?P<value>[^&;#\s\"'<>]*)",
    re.IGNORECASE,
)
_PLAIN = (int, float, bool, type(None), bytes)


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced by ``[redacted]``."""
    if "=" not in text:
        return text
    return _SECRET_VALUE.sub(lambda match: match["name"] + (REDACTED if match["value"] else ""), text)


def _redact_argument(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, _PLAIN):
        return value
    text = str(value)  # a URL object (httpx, yarl) prints the query too
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record``'s message and arguments in place (the arguments keep their positions)."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_argument(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _redact_argument(arg) for key, arg in record.args.items()}
    return record


def install() -> None:
    """Redact every log record this process creates from now on (calling it again does nothing).

    A record factory rather than a handler filter: it covers records whatever
    logger or handler they go through, uvicorn's access log (whose formatter
    reads the path from the record's arguments) included.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "oasis_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    factory.oasis_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
