"""Conversion at the edges: plain data (JSON, CLI options) to domain objects and back.

The domain classes carry no serialisation settings; this module owns them:
ISO 8601 times with a UTC offset, enums by value, paths as strings, and
unknown keys refused. :func:`structure` turns cattrs' errors into one
:class:`~oasis_core.errors.InvalidInput` whose message names each bad field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.json import make_converter as make_json_converter

from oasis_core.errors import InvalidInput

T = TypeVar("T")


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected an ISO 8601 time, got {type(value).__name__}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _unstructure_datetime(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def make_converter() -> cattrs.Converter:
    """A converter configured for Oasis's boundaries."""
    converter = make_json_converter(forbid_extra_keys=True)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, _unstructure_datetime)
    converter.register_structure_hook(Path, lambda value, _: Path(value))
    converter.register_unstructure_hook(Path, str)
    return converter


converter = make_converter()


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from plain ``data``, or raise :class:`InvalidInput` naming every bad field."""
    try:
        return converter.structure(data, cls)
    except (cattrs.ClassValidationError, cattrs.ForbiddenExtraKeysError) as exc:
        problems = cattrs.transform_error(exc, path="")
        message = "; ".join(p.removesuffix(" @ $").replace(" @ $.", " at ") for p in problems)
        raise InvalidInput(f"Invalid {cls.__name__}: {message}") from exc
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"Invalid {cls.__name__}: {exc}") from exc


def unstructure(value: Any) -> Any:
    """Turn a domain object into plain data (dicts, lists, strings, numbers)."""
    return converter.unstructure(value)
