"""``/api/social``: connecting YouTube, TikTok and Instagram accounts; tokens are stored encrypted, never shown.

Three ways to connect, depending on the body of ``POST /api/social/connect``:

* ``{platform}`` on an OAuth platform: answers the ``authorization_url`` to
  send the user to, and sets a cookie binding the flow to this browser; the
  platform redirects back to ``/api/social/callback/{platform}`` (under
  ``OASIS_PUBLIC_URL``, never the request's ``Host``), which checks the sealed
  ``state`` (this user, this platform, at most 10 minutes old, this browser,
  never used before), exchanges the code (with the PKCE verifier where the
  platform uses PKCE), stores the tokens encrypted and redirects to the
  dashboard with a status and a reason code, never with free text (see
  :mod:`oasis_server.publishing.oauth_flow`).
* ``{platform, username, password, verification_code?}`` on a platform that
  signs in (Instagram through instagrapi): the password is used once and never
  stored; the session the platform hands back is stored encrypted and reused.
* ``{platform, access_token, refresh_token?, expires_at?, username?}`` on any
  platform: tokens pasted directly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oasis_core.domain.publishing import AccountStatus, SocialAccount
from oasis_core.errors import InvalidInput, NeedsCredentials, OasisError, RetryableProviderError
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, provide_user
from oasis_server.api.errors import not_found
from oasis_server.api.schemas import (
    ANYONE,
    STRICT_BODY,
    AnonymousOperation,
    Timestamp,
    error_responses,
    parse_timestamp,
)
from oasis_server.db.models import ScheduledPost, User
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.types import utcnow
from oasis_server.publishing.accounts import account_of, store_account
from oasis_server.publishing.oauth_flow import (
    BrowserBinding,
    binding_cookie,
    callback_url,
    check_browser,
    cookie_name,
    new_binding_cookie,
    spend_state,
)
from oasis_server.publishing.oauth_state import challenge_of, new_verifier, open_state, seal
from oasis_server.publishing.platforms import build_publisher, publisher_info, supports

log = logging.getLogger(__name__)

SignedIn = NamedDependency[CurrentUser]
Platform = Annotated[str, msgspec.Meta(min_length=1, max_length=50, examples=["tiktok"])]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
DASHBOARD_PATH = "/"


class ConnectIn(msgspec.Struct, forbid_unknown_fields=True):
    """``platform`` alone (OAuth), or with ``username`` and ``password`` (sign-in), or with ``access_token``."""

    platform: Platform
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    verification_code: Annotated[str, msgspec.Meta(min_length=4, max_length=12)] | None = None
    access_token: Secret | None = None
    refresh_token: Secret | None = None
    expires_at: Timestamp | None = None


class DisconnectIn(msgspec.Struct, forbid_unknown_fields=True):
    """The platform to disconnect."""

    platform: Platform


class AccountOut(msgspec.Struct):
    """A connected account, without its tokens. ``message`` says what to do when it is not ``active``."""

    platform: str
    username: str | None
    status: AccountStatus
    connected_at: datetime
    token_expires_at: datetime | None
    message: str | None = None

    @classmethod
    def of(cls, row: AccountRow) -> AccountOut:
        """The public view of ``row``."""
        return cls(
            row.platform,
            row.username,
            AccountStatus(row.status),
            row.connected_at,
            row.token_expires_at,
            row.status_message,
        )


class AccountsOut(msgspec.Struct):
    """The user's connected accounts."""

    items: list[AccountOut]


class AuthorizationOut(msgspec.Struct):
    """Where to send the user to give consent; the platform then redirects to the callback."""

    authorization_url: str


def save_account(context: ServerContext, user_id: str, account: SocialAccount) -> AccountRow:
    """Insert or replace the user's account on ``account.platform``, tokens encrypted."""
    now = utcnow()
    with context.session() as session:
        row = session.scalar(
            select(AccountRow).where(AccountRow.user_id == user_id, AccountRow.platform == account.platform)
        )
        if row is None:
            row = AccountRow(user_id=user_id, platform=account.platform)
            session.add(row)
        account.status = AccountStatus.ACTIVE
        store_account(row, account, context.secrets)
        row.connected_at = now
        row.updated_at = now
        row.status_message = None
        session.flush()
        session.expunge(row)
    log.info("User %s connected %s as %s", user_id, account.platform, account.username)
    return row


def _listing(session: Session, user_id: str) -> AccountsOut:
    rows = session.scalars(
        select(AccountRow).where(AccountRow.user_id == user_id).order_by(AccountRow.platform)
    )
    return AccountsOut([AccountOut.of(row) for row in rows])


class SocialController(Controller):
    """Connected social accounts."""

    path = "/api/social"
    tags = ["social"]
    dependencies = {"user": Provide(provide_user)}

    @get("/list", operation_id="listSocialAccounts", sync_to_thread=True, responses=error_responses(401))
    def list_accounts(self, user: SignedIn, state: State) -> AccountsOut:
        """The user's accounts with their status; tokens are never returned."""
        context: ServerContext = state.ctx
        with context.sessions() as session:
            return _listing(session, user.id)

    @post(
        "/connect",
        operation_id="connectSocialAccount",
        status_code=200,
        sync_to_thread=True,
        responses=error_responses(400, 401),
    )
    def connect(
        self, data: Annotated[ConnectIn, STRICT_BODY], user: SignedIn, state: State
    ) -> Response[AuthorizationOut | AccountOut]:
        """Start OAuth (``{platform}``), sign in (``username``/``password``) or save pasted tokens.

        Starting OAuth sets the HttpOnly cookie ``oasis_oauth_<platform>`` that the callback checks:
        the consent must be given, and the callback reached, in the browser that asked.
        """
        context: ServerContext = state.ctx
        publisher_info(context.catalog, data.platform)  # 400 listing the platforms for an unknown one
        publisher = build_publisher(context, data.platform)
        if data.access_token is not None:
            account = SocialAccount(
                platform=data.platform,
                username=data.username,
                access_token=data.access_token.strip(),
                refresh_token=data.refresh_token.strip() if data.refresh_token else None,
                token_expires_at=parse_timestamp(data.expires_at, "expires_at") if data.expires_at else None,
            )
            return Response(AccountOut.of(save_account(context, user.id, account)))
        if data.password is not None or data.username is not None:
            if not (data.username and data.password):
                raise InvalidInput("Give both username and password", field="password")
            if not supports(publisher, "login"):
                raise InvalidInput(
                    f"{data.platform} does not sign in with a password: connect with {{platform}} alone "
                    "(OAuth) or paste an access_token",
                    field="password",
                )
            account = publisher.login(data.username, data.password, data.verification_code)
            return Response(AccountOut.of(save_account(context, user.id, account)))
        if not supports(publisher, "authorization_url"):
            raise InvalidInput(
                f"{data.platform} connects with username and password, or a pasted access_token",
                field="platform",
            )
        callback = callback_url(context.settings, data.platform)  # 400 when the server has no public address
        # One decision for both halves of PKCE: a verifier is sealed only when its challenge is sent
        # (Google refuses a verifier for a code asked without a challenge, and the reverse).
        verifier = new_verifier() if getattr(publisher, "uses_pkce", False) else ""
        binding = BrowserBinding.new()
        sealed = seal(context.secrets, user.id, data.platform, verifier, binding.digest)
        url = publisher.authorization_url(sealed, callback, challenge_of(verifier) if verifier else None)
        return Response(AuthorizationOut(url), cookies=[new_binding_cookie(data.platform, callback, binding)])

    @get(
        "/callback/{platform:str}",
        operation_id="socialCallback",
        sync_to_thread=True,
        security=ANYONE,
        operation_class=AnonymousOperation,
        status_code=303,
        responses=error_responses(400),
    )
    def callback(
        self,
        platform: Annotated[str, PathParameter(max_length=50)],
        state: State,
        request: Request[Any, Any, Any],
        code: Annotated[str | None, QueryParameter(max_length=4000)] = None,
        oauth_state: Annotated[str | None, QueryParameter(name="state", max_length=4000)] = None,
        error: Annotated[str | None, QueryParameter(max_length=500)] = None,
        error_description: Annotated[str | None, QueryParameter(max_length=2000)] = None,
    ) -> Redirect:
        """Where the platform sends the user back: check ``state``, exchange ``code``, go to the dashboard.

        A state that is forged, expired, for another platform, from another browser or already
        used is a 400 and its code is never exchanged. Otherwise the answer is a 303 to the
        dashboard with ``status`` (``connected``/``failed``) and, on failure, a ``reason`` code.
        """
        context: ServerContext = state.ctx
        if not oauth_state:
            raise InvalidInput("The sign-in answer has no state; start connecting again", field="state")
        sealed = open_state(context.secrets, oauth_state, platform)
        check_browser(sealed, request.cookies.get(cookie_name(platform)))
        spend_state(context, oauth_state, sealed)
        callback = callback_url(context.settings, platform)
        if error or not code:
            log.info("Connecting %s for user %s: %r", platform, sealed.user_id, (error or "no code")[:100])
            return _back(platform, callback, "failed", "denied" if error == "access_denied" else "platform")
        if not _user_is_active(context, sealed.user_id):  # deleted or deactivated meanwhile: code unspent
            raise InvalidInput(_GONE, field="state")
        try:
            publisher = build_publisher(context, platform)
            account = publisher.exchange_code(code, callback, sealed.verifier or None)
        except OasisError as exc:
            log.info("Connecting %s for user %s failed: %s", platform, sealed.user_id, exc.message)
            return _back(platform, callback, "failed", failure_reason(exc))
        try:
            save_account(context, sealed.user_id, account)
        except IntegrityError:
            if not _user_is_active(context, sealed.user_id):  # deleted during the exchange: give it back
                _revoke_quietly(context, account)
                raise InvalidInput(_GONE, field="state") from None
            save_account(
                context, sealed.user_id, account
            )  # a concurrent connection inserted first: replace it
        return _back(platform, callback, "connected", None)

    @post(
        "/disconnect",
        operation_id="disconnectSocialAccount",
        status_code=204,
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def disconnect(self, data: Annotated[DisconnectIn, STRICT_BODY], user: SignedIn, state: State) -> None:
        """Revoke the tokens where the platform allows, delete them, and fail the platform's pending posts."""
        context: ServerContext = state.ctx
        with context.sessions() as session:
            row = session.scalar(
                select(AccountRow).where(AccountRow.user_id == user.id, AccountRow.platform == data.platform)
            )
            if row is None:
                raise not_found(f"No {data.platform} account is connected")
            session.expunge(row)
        _revoke_quietly(context, account_of(row, context.secrets))
        now = utcnow()
        with context.session() as session:
            session.execute(
                update(ScheduledPost)
                .where(
                    ScheduledPost.user_id == user.id,
                    ScheduledPost.platform == data.platform,
                    ScheduledPost.status == "pending",
                )
                .values(
                    status="failed",
                    error=f"The {data.platform} account was disconnected before this post was published",
                    updated_at=now,
                )
            )
            session.query(AccountRow).filter(AccountRow.id == row.id).delete()
        log.info("User %s disconnected %s", user.id, data.platform)


def _revoke_quietly(context: ServerContext, account: SocialAccount) -> None:
    """Revoke at the platform if it offers that; a failure is logged (the tokens are deleted anyway)."""
    try:
        publisher = build_publisher(context, account.platform)
        if supports(publisher, "revoke"):
            publisher.revoke(account)
    except Exception as exc:
        log.warning(
            "Revoking the %s tokens failed (%s); deleting them anyway", account.platform, type(exc).__name__
        )


_GONE = (
    "The Oasis account that started this connection no longer exists or was deactivated; "
    "nothing was connected"
)

REASONS = ("denied", "platform", "refused", "unavailable", "failed")
"""Why a connection failed, as the callback tells the dashboard (which has its own text for each):
the user declined, the platform reported an error, it refused the code, it could not be reached, other."""


def failure_reason(exc: OasisError) -> str:
    """The reason code for a failed code exchange; the details go to the server log only."""
    if isinstance(exc, RetryableProviderError):
        return "unavailable"
    if isinstance(exc, NeedsCredentials):
        return "refused"
    return "failed"


def _user_is_active(context: ServerContext, user_id: str) -> bool:
    with context.sessions() as session:
        return session.scalar(select(User.status).where(User.id == user_id)) == "active"


def _back(platform: str, callback: str, status: str, reason: str | None) -> Redirect:
    """303 to the dashboard's Connections page with a status and reason code; clears the binding cookie."""
    query = {"platform": platform, "status": status, **({"reason": reason} if reason else {})}
    return Redirect(
        f"{DASHBOARD_PATH}?{urlencode(query)}#/social",
        status_code=303,
        cookies=[binding_cookie(platform, callback)],
    )


ROUTES = [SocialController]
