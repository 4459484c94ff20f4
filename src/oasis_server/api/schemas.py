"""Wire types shared by several routes (msgspec structs, separate from the domain models)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.params import Body

from oasis_core.errors import InvalidInput
from oasis_server.db.models import User

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
"""Text without control characters (tabs, newlines, NUL, C1 codes, line separators): names and emails."""
Email = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=255, pattern=NO_CONTROL_CHARACTERS, examples=["ada@example.com"]),
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=512, description="8 to 72 bytes in UTF-8")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=NO_CONTROL_CHARACTERS)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=100)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class UserRole(enum.StrEnum):
    """What a user may do: an ``admin`` also manages users and the server's defaults."""

    USER = "user"
    ADMIN = "admin"


class UserStatus(enum.StrEnum):
    """Whether a user may sign in (``active``) or not yet (``pending``) or no longer (``inactive``)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"


ANYONE: list[dict[str, list[str]]] = [{}]
"""A route's ``security`` when it needs no token; give the route ``operation_class=AnonymousOperation`` too."""


@dataclass
class AnonymousOperation(Operation):
    """An operation anyone may call, described with ``security: []`` (no requirement at all).

    The route sets ``security=[{}]``: Litestar needs a non-empty list to
    override the app's bearer-token requirement. ``[{}]`` also means "no
    token needed" in OpenAPI, but generators such as openapi-python-client
    read any requirement as "needs credentials" and make the call demand an
    authenticated client; ``[]`` is read by all of them as none.
    """

    def __post_init__(self) -> None:
        if self.security == ANYONE:
            self.security = []


BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
OCTET_STREAM = "application/octet-stream"


def describe_files(operation: Operation, content_types: tuple[str, ...] = ()) -> None:
    """Describe ``operation``'s successful answers that are not JSON as a file's bytes (``format: binary``).

    Litestar describes a ``bytes`` answer as a plain string of its one media
    type, which generators such as openapi-python-client drop (``video/mp4`` or
    ``image/png`` are not types they know), so the route's answer would be
    missing from generated clients. Each answer lists ``content_types`` (else
    its own type) and ``application/octet-stream``, which they keep as bytes.
    """
    for status, response in (operation.responses or {}).items():
        if not status.startswith("2") or not isinstance(response, OpenAPIResponse) or not response.content:
            continue
        if any(kind.endswith("json") for kind in response.content):
            continue
        kinds = dict.fromkeys((*(content_types or response.content), OCTET_STREAM))
        response.content = {kind: OpenAPIMediaType(schema=BINARY) for kind in kinds}


@dataclass
class FileOperation(Operation):
    """An operation that answers a file (an image, a video): see :func:`describe_files`."""

    def __post_init__(self) -> None:
        describe_files(self)


class ErrorOut(msgspec.Struct):
    """Every error answer."""

    error: str
    fields: dict[str, str] | None = None


class UserOut(msgspec.Struct):
    """A user as the API shows it (never the password hash)."""

    id: str
    name: str
    email: str
    role: UserRole
    status: UserStatus
    created_at: datetime
    last_login: datetime | None
    avatar: str | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From the database row."""
        return cls(
            user.id,
            user.name,
            user.email,
            UserRole(user.role),
            UserStatus(user.status),
            user.created_at,
            user.last_login,
            user.avatar,
        )


def page_bounds(limit: int | None, offset: int | None) -> tuple[int, int]:
    """``limit`` (default 20, at most 100) and ``offset`` (default 0)."""
    return min(max(limit or 20, 1), 100), max(offset or 0, 0)


_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Not signed in, or the token is invalid, expired or revoked",
    403: "Signed in but not allowed",
    404: "Not found, or owned by someone else",
    409: "Conflict",
    429: "Too many attempts; see Retry-After",
    502: "A provider's service answered with an error or with data that does not check out",
    503: "A dependency (database, broker, a provider's service) is down or unreachable",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error answers a route can give.

    Every route may answer 400 (a malformed parameter or body) and 503 (the
    database is down), so those two are always documented.
    """
    every = sorted({400, 503, *codes})
    return {code: ResponseSpec(data_container=ErrorOut, description=_DESCRIPTIONS[code]) for code in every}


STRICT_BODY = Body(schema_extra={"additionalProperties": False})
"""Marks a JSON body whose unknown fields are refused (msgspec ``forbid_unknown_fields``) in the schema too."""


Timestamp = Annotated[
    str,
    msgspec.Meta(
        min_length=10,
        max_length=40,
        description="An ISO 8601 date and time with a time zone offset (`2026-12-01T09:00:00+01:00` or `…Z`)",
        examples=["2026-12-01T09:00:00+01:00"],
        extra_json_schema={"format": "date-time"},
    ),
]
"""A date and time in a request body: text, so a number is never taken for a time."""


def parse_timestamp(value: str, field: str) -> datetime:
    """``value`` as an aware UTC datetime, or :class:`InvalidInput` (no offset, or not a date and time)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"{field} is not an ISO 8601 date and time", field=field) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            f"{field} needs a time zone offset, for example 2026-12-01T09:00:00+01:00 or …Z", field=field
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past the last date Python can hold in UTC
        raise InvalidInput(f"{field} is out of range", field=field) from None
