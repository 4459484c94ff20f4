"""``/api/social``: connecting YouTube, TikTok and Instagram accounts; tokens are stored encrypted, never shown.

Three ways to connect, depending on the body of ``POST /api/social/connect``:

* ``{platform}`` on an OAuth platform: answers the ``authorization_url`` to
  send the user to; the platform redirects back to
  ``/api/social/callback/{platform}``, which checks the sealed ``state``
  (this user, this platform, at most 10 minutes old), exchanges the code
  (with the PKCE verifier where the platform uses PKCE), stores the tokens
  encrypted and redirects to the dashboard.
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
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oasis_core.domain.publishing import AccountStatus, SocialAccount
from oasis_core.errors import InvalidInput, OasisError
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import CurrentUser, provide_user
from oasis_server.api.errors import not_found
from oasis_server.api.schemas import STRICT_BODY, Timestamp, error_responses, parse_timestamp
from oasis_server.db.models import ScheduledPost
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.types import utcnow
from oasis_server.jobs.leases import short
from oasis_server.publishing.accounts import account_of, store_account
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
    status: str
    connected_at: datetime
    token_expires_at: datetime | None
    message: str | None = None

    @classmethod
    def of(cls, row: AccountRow) -> AccountOut:
        """The public view of ``row``."""
        return cls(
            row.platform, row.username, row.status, row.connected_at, row.token_expires_at, row.status_message
        )


class AccountsOut(msgspec.Struct):
    """The user's connected accounts."""

    items: list[AccountOut]


class AuthorizationOut(msgspec.Struct):
    """Where to send the user to give consent; the platform then redirects to the callback."""

    authorization_url: str


def redirect_uri(context: ServerContext, request: Request[Any, Any, Any], platform: str) -> str:
    """The callback URL registered with the platform: ``OASIS_PUBLIC_URL`` (or this request's origin) + path."""
    base = context.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/api/social/callback/{platform}"


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
        self,
        data: Annotated[ConnectIn, STRICT_BODY],
        user: SignedIn,
        state: State,
        request: Request[Any, Any, Any],
    ) -> AuthorizationOut | AccountOut:
        """Start OAuth (``{platform}``), sign in (``username``/``password``) or save pasted tokens."""
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
            return AccountOut.of(save_account(context, user.id, account))
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
            return AccountOut.of(save_account(context, user.id, account))
        if not supports(publisher, "authorization_url"):
            raise InvalidInput(
                f"{data.platform} connects with username and password, or a pasted access_token",
                field="platform",
            )
        verifier = new_verifier()
        challenge = challenge_of(verifier) if getattr(publisher, "uses_pkce", False) else None
        sealed = seal(context.secrets, user.id, data.platform, verifier)
        url = publisher.authorization_url(sealed, redirect_uri(context, request, data.platform), challenge)
        return AuthorizationOut(url)

    @get(
        "/callback/{platform:str}",
        operation_id="socialCallback",
        sync_to_thread=True,
        security=[{}],
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
        """Where the platform sends the user back: check ``state``, exchange ``code``, go to the dashboard."""
        context: ServerContext = state.ctx
        if not oauth_state:
            raise InvalidInput("The sign-in answer has no state; start connecting again", field="state")
        sealed = open_state(context.secrets, oauth_state, platform)
        if error or not code:
            reason = error_description or error or "the platform sent no code"
            return _back(platform, "failed", f"{platform} did not connect: {short(reason)}")
        try:
            publisher = build_publisher(context, platform)
            account = publisher.exchange_code(code, redirect_uri(context, request, platform), sealed.verifier)
        except OasisError as exc:
            log.info("Connecting %s for user %s failed: %s", platform, sealed.user_id, type(exc).__name__)
            return _back(platform, "failed", exc.message)
        save_account(context, sealed.user_id, account)
        return _back(platform, "connected", None)

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
        _revoke_quietly(context, row)
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


def _revoke_quietly(context: ServerContext, row: AccountRow) -> None:
    """Revoke at the platform if it offers that; a failure is logged (the tokens are deleted anyway)."""
    try:
        publisher = build_publisher(context, row.platform)
        if supports(publisher, "revoke"):
            publisher.revoke(account_of(row, context.secrets))
    except Exception as exc:
        log.warning(
            "Revoking the %s tokens failed (%s); deleting them anyway", row.platform, type(exc).__name__
        )


def _back(platform: str, status: str, message: str | None) -> Redirect:
    query = {"platform": platform, "status": status, **({"message": message} if message else {})}
    return Redirect(f"{DASHBOARD_PATH}?{urlencode(query)}#/social", status_code=303)


ROUTES = [SocialController]
