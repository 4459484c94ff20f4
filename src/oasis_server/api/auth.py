"""``/api/auth``: register, log in, verify, log out."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy import select

from oasis_core.errors import InvalidInput
from oasis_server.accounts import AccountError, create_user, normalise_email, revoke_token, start_session
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import SignedIn, provide_user
from oasis_server.api.errors import ApiError
from oasis_server.api.schemas import (
    ANYONE,
    STRICT_BODY,
    AnonymousOperation,
    Email,
    Name,
    Password,
    UserOut,
    error_responses,
)
from oasis_server.db.models import User
from oasis_server.db.types import utcnow
from oasis_server.security.client_address import client_address as forwarded_client
from oasis_server.security.passwords import MAX_BYTES

log = logging.getLogger(__name__)
INVALID_LOGIN = "Invalid email or password"


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new account."""

    name: Name
    email: Email
    password: Password


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    """Credentials."""

    email: Email
    password: Password


class AuthOut(msgspec.Struct):
    """A session token, when it expires, and who it is for."""

    token: str
    expires_at: datetime
    user: UserOut


class VerifyOut(msgspec.Struct):
    """Who the token belongs to."""

    user: UserOut


def client_address(request: Request[Any, Any, Any], context: ServerContext) -> str:
    """The client's address: the peer, or what a proxy in ``OASIS_TRUSTED_PROXIES`` forwarded."""
    return forwarded_client(
        request.client.host if request.client else None,
        context.settings.trusted_proxies,
        forwarded=request.headers.getall("forwarded", []),
        x_forwarded_for=request.headers.getall("x-forwarded-for", []),
    )


def _user_of(context: ServerContext, user_id: str) -> User | None:
    with context.sessions() as session:
        return session.get(User, user_id)


class AuthController(Controller):
    """Accounts and sessions."""

    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/register",
        operation_id="register",
        security=ANYONE,
        operation_class=AnonymousOperation,
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 403, 409),
    )
    def register(self, data: Annotated[RegisterIn, STRICT_BODY], state: State) -> AuthOut:
        """Create an account and sign in; the first account becomes an admin."""
        context: ServerContext = state.ctx
        if not context.settings.allow_signup:
            raise ApiError(403, "Registration is turned off on this server; ask an admin for an account")
        try:
            with context.session() as session:
                user = create_user(
                    session, context.hasher, name=data.name, email=data.email, password=data.password
                )
                user.last_login = utcnow()
                issued = start_session(session, context.tokens, user)
        except AccountError as exc:
            raise ApiError(exc.status, exc.message) from exc
        return AuthOut(issued.token, issued.expires_at, UserOut.of(user))

    @post(
        "/login",
        operation_id="login",
        security=ANYONE,
        operation_class=AnonymousOperation,
        status_code=200,
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 429),
    )
    def login(
        self, data: Annotated[LoginIn, STRICT_BODY], request: Request[Any, Any, Any], state: State
    ) -> AuthOut:
        """Sign in. Unknown email and wrong password get the same answer in the same time."""
        context: ServerContext = state.ctx
        try:
            email = normalise_email(data.email)
        except InvalidInput:
            email = data.email.strip().lower()
        address = client_address(request, context)
        wait = context.throttle.retry_after(email, address)
        if wait is not None:
            raise ApiError(
                429,
                f"Too many failed sign-ins from your address; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if len(data.password.encode("utf-8")) > MAX_BYTES:
            raise InvalidInput(f"The password is longer than {MAX_BYTES} bytes", field="password")
        with context.session() as session:
            user = session.scalar(select(User).where(User.email == email))
            matched = context.hasher.verify(data.password, user.password_hash if user else None)
            if user is None or not matched:
                context.throttle.failed(email, address)
                log.info("Failed sign-in from %s", address)
                raise ApiError(401, INVALID_LOGIN)
            if user.status != "active":
                raise ApiError(403, f"This account is {user.status}; ask an admin to activate it")
            if context.hasher.needs_rehash(user.password_hash):
                user.password_hash = context.hasher.hash(data.password)
            user.last_login = utcnow()
            issued = start_session(session, context.tokens, user)
        context.throttle.succeeded(email, address)
        return AuthOut(issued.token, issued.expires_at, UserOut.of(user))

    @get(
        "/verify",
        operation_id="verify",
        dependencies={"user": Provide(provide_user)},
        responses=error_responses(401),
    )
    async def verify(self, user: SignedIn, state: State) -> VerifyOut:
        """The signed-in user."""
        context: ServerContext = state.ctx
        row = await context.read(_user_of, context, user.id)
        if row is None:
            raise ApiError(401, "Authentication required")
        return VerifyOut(UserOut.of(row))

    @post(
        "/logout",
        operation_id="logout",
        status_code=204,
        sync_to_thread=True,
        dependencies={"user": Provide(provide_user)},
        responses=error_responses(401),
    )
    def logout(self, user: SignedIn, state: State) -> None:
        """End this session: the token stops working at once."""
        context: ServerContext = state.ctx
        with context.session() as session:
            revoke_token(session, user.jti)


ROUTES = [AuthController]
