"""Wire types shared by several routes (msgspec structs, separate from the domain models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.openapi import ResponseSpec
from litestar.params import Body

from oasis_server.db.models import User

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=255, examples=["ada@example.com"])]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=512, description="8 to 72 bytes in UTF-8")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=100)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class ErrorOut(msgspec.Struct):
    """Every error answer."""

    error: str
    fields: dict[str, str] | None = None


class UserOut(msgspec.Struct):
    """A user as the API shows it (never the password hash)."""

    id: str
    name: str
    email: str
    role: str
    status: str
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
            user.role,
            user.status,
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
    503: "A dependency (database, broker) is down",
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
