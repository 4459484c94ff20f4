"""Request dependencies: the server context and the signed-in user."""

from __future__ import annotations

import hmac
from typing import Any

from attrs import frozen
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import bindparam, select

from oasis_server.api.context import ServerContext
from oasis_server.api.errors import ApiError
from oasis_server.db.models import AuthToken, User
from oasis_server.db.types import utcnow
from oasis_server.security.tokens import InvalidToken, digest


@frozen
class CurrentUser:
    """The user a request is authenticated as, and the session it used."""

    id: str
    role: str
    jti: str

    @property
    def is_admin(self) -> bool:
        """Whether the user may use the admin routes."""
        return self.role == "admin"


def provide_context(state: State) -> ServerContext:
    """The process's :class:`ServerContext`."""
    context: ServerContext = state.ctx
    return context


def _unauthorized(message: str = "Authentication required") -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


_SESSION_OF_TOKEN = (
    select(AuthToken.token, AuthToken.revoked_at, AuthToken.expires_at, User.id, User.role, User.status)
    .join(User, User.id == AuthToken.user_id)
    .where(AuthToken.id == bindparam("jti"))
)
"""The token's record and its user, built once: every authenticated request runs it (a Core query, no ORM)."""

SignedIn = NamedDependency[CurrentUser]
"""A handler parameter that receives the signed-in user (named ``user``, or ``admin`` for admins)."""


def _token_record(context: ServerContext, jti: str) -> Any:
    with context.engine.connect() as connection:
        return connection.execute(_SESSION_OF_TOKEN, {"jti": jti}).first()


async def provide_user(request: Request[Any, Any, Any], state: State) -> CurrentUser:
    """The signed-in user, or 401: the token must verify, be recorded, unrevoked, and its user active."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized()
    context: ServerContext = state.ctx
    try:
        claims = context.tokens.verify(token.strip())
    except InvalidToken:
        raise _unauthorized("Invalid or expired token") from None
    row = await context.read(_token_record, context, claims.jti)
    if row is None or not hmac.compare_digest(row.token, digest(token.strip())) or row.id != claims.sub:
        raise _unauthorized("Invalid or expired token")
    if row.revoked_at is not None or row.expires_at <= utcnow():
        raise _unauthorized("This session has ended; sign in again")
    if row.status != "active":
        raise _unauthorized("This account is not active")
    return CurrentUser(row.id, row.role, claims.jti)


def provide_admin(user: SignedIn) -> CurrentUser:
    """The signed-in user if an admin, else 403."""
    if not user.is_admin:
        raise ApiError(403, "Only admins may do this")
    return user
