"""What makes an OAuth connection safe besides the sealed state: where the platform sends the user back,
which browser may come back, and that each state works once.

The attack these stop: someone starts connecting a platform on their own
Oasis account and sends the consent link to a victim; the victim consents and
the victim's channel lands in the attacker's account. Three defences:

* **The browser that started the flow** gets a cookie with a random nonce
  (HttpOnly, SameSite=Lax so it comes along on the platform's redirect,
  Secure when the public address is https, scoped to the callback's path);
  the state seals the nonce's SHA-256. A callback without that cookie (another
  browser, or a link opened ten minutes later) is refused before the code is
  exchanged.
* **Each state is used once**, even across server processes: the callback
  records the state's digest in ``used_oauth_states`` (a primary key, so a
  second insert fails whatever the process) with the time it would have
  expired anyway; older rows are purged as new ones come.
* **The callback address never comes from the request's** ``Host`` header
  (a forged header would send the code elsewhere). It is ``OASIS_PUBLIC_URL``;
  without one, only a development server (not ``OASIS_ENV=production``, bound
  to a loopback address) may connect, at ``http://HOST:PORT``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from attrs import frozen
from litestar.datastructures import Cookie
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.db.models import UsedOAuthState
from oasis_server.db.types import utcnow
from oasis_server.publishing.oauth_state import STATE_TTL_SECONDS, OAuthState
from oasis_server.settings import Settings

log = logging.getLogger(__name__)

COOKIE_PREFIX = "oasis_oauth_"
"""The binding cookie is ``oasis_oauth_<platform>``: one per platform, so two flows in two tabs coexist."""
CALLBACK_PATH = "/api/social/callback/{platform}"
LOOPBACK_NAMES = frozenset({"localhost"})


def digest_of(text: str) -> str:
    """The SHA-256 of ``text``, hex: what is stored or sealed instead of a nonce or a state."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- where the platform sends the user back ------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a ``HOST`` setting) only listens on this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_base(settings: Settings) -> str:
    """The address the platform sends the user back to (no trailing slash), from the settings alone.

    ``OASIS_PUBLIC_URL`` when set. Otherwise a development server (not
    production, bound to loopback) uses ``http://HOST:PORT``; anything else
    is refused: an exposed server has to say what its public address is.
    """
    if settings.public_url:
        return settings.public_url
    if not settings.production and is_loopback(settings.host):
        host = settings.host.strip("[]")
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{settings.port}"
    raise InvalidInput(
        "This server cannot connect accounts with OAuth yet: its admin must set OASIS_PUBLIC_URL to the "
        "address users reach it at (for example https://oasis.example.com), and register "
        "<that address>/api/social/callback/<platform> with the platform; see docs/publishing.md",
        field="platform",
    )


def callback_url(settings: Settings, platform: str) -> str:
    """The redirect URI registered with the platform: :func:`public_base` + the callback path."""
    return public_base(settings) + CALLBACK_PATH.format(platform=platform)


# -- the browser that started the flow -------------------------------------------------------------


@frozen
class BrowserBinding:
    """A fresh nonce for the cookie, and its digest for the sealed state."""

    nonce: str
    digest: str

    @classmethod
    def new(cls) -> BrowserBinding:
        """A random 256-bit nonce."""
        nonce = secrets.token_urlsafe(32)
        return cls(nonce, digest_of(nonce))


def cookie_name(platform: str) -> str:
    """The binding cookie's name for ``platform``."""
    return f"{COOKIE_PREFIX}{platform}"


def binding_cookie(platform: str, redirect_uri: str, value: str = "", *, max_age: int = 0) -> Cookie:
    """The cookie for ``platform``'s callback at ``redirect_uri``; the default clears it."""
    parts = urlsplit(redirect_uri)
    return Cookie(
        key=cookie_name(platform),
        value=value,
        path=parts.path,
        max_age=max_age,
        httponly=True,
        samesite="lax",  # sent along on the platform's top-level redirect back to us, not on cross-site posts
        secure=parts.scheme == "https",
    )


def new_binding_cookie(platform: str, redirect_uri: str, binding: BrowserBinding) -> Cookie:
    """The cookie the connect answer sets: the nonce, for as long as the state lives."""
    return binding_cookie(platform, redirect_uri, binding.nonce, max_age=STATE_TTL_SECONDS)


def check_browser(sealed: OAuthState, cookie: str | None) -> None:
    """Refuse a callback from a browser that did not start this flow (:class:`InvalidInput`)."""
    if not cookie or not secrets.compare_digest(digest_of(cookie), sealed.browser):
        raise InvalidInput(
            "This sign-in was started in another browser, or too long ago: open Connections in Oasis in "
            "this browser and connect again",
            field="state",
        )


# -- each state once -----------------------------------------------------------------------------------


def spend_state(context: ServerContext, state: str, sealed: OAuthState) -> None:
    """Record ``state`` as used; :class:`InvalidInput` when it already was (by any server process)."""
    expires = datetime.fromtimestamp(sealed.issued_at + STATE_TTL_SECONDS, UTC)
    try:
        with context.session() as session:
            session.add(UsedOAuthState(digest=digest_of(state), expires_at=expires))
    except IntegrityError:
        raise InvalidInput(
            "This sign-in link was already used: open Connections in Oasis and connect again", field="state"
        ) from None
    purge_used_states(context)


def purge_used_states(context: ServerContext) -> int:
    """Delete the records of states that have expired anyway; how many went. Failures only log."""
    try:
        with context.session() as session:
            result = session.execute(delete(UsedOAuthState).where(UsedOAuthState.expires_at < utcnow()))
    except SQLAlchemyError as exc:  # a lock timeout here must not fail a connection: the next call purges
        log.warning("Purging used OAuth states failed (%s); will retry later", type(exc).__name__)
        return 0
    return int(getattr(result, "rowcount", 0) or 0)
