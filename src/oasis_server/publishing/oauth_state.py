"""The OAuth ``state``: sealed (encrypted and authenticated), bound to one user and platform, short-lived.

The state carries the user id, the platform, the PKCE verifier (empty when the
platform does not use PKCE) and the digest of the nonce in the browser's
binding cookie (see :mod:`oasis_server.publishing.oauth_flow`), encrypted
with the server's secret keys, so any API process can check a callback
without shared memory, and nobody can forge a state for another user or read
the verifier from the URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

from attrs import frozen

from oasis_core.errors import InvalidInput
from oasis_server.security.secret_box import SecretBox, SecretUnreadable

STATE_TTL_SECONDS = 600


@frozen
class OAuthState:
    """What a callback needs: whose connection, which platform, the PKCE verifier, the browser's digest."""

    user_id: str
    platform: str
    verifier: str
    """The PKCE verifier, or ``""`` when no challenge was sent (then none may be sent at the exchange)."""
    issued_at: float
    browser: str
    """The SHA-256 (hex) of the nonce in the cookie of the browser that started the flow."""


def new_verifier() -> str:
    """A PKCE code verifier: 64 characters from the unreserved set (RFC 7636 allows 43–128)."""
    return secrets.token_urlsafe(48)[:64]


def challenge_of(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: base64url(SHA-256), without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def seal(box: SecretBox, user_id: str, platform: str, verifier: str, browser: str) -> str:
    """A state string for this user, platform and browser (``browser``: the digest of its nonce)."""
    payload = {
        "u": user_id,
        "p": platform,
        "v": verifier,
        "b": browser,
        "t": time.time(),
        "n": secrets.token_hex(8),
    }
    return box.encrypt(json.dumps(payload, separators=(",", ":")))


def open_state(box: SecretBox, state: str, platform: str, *, ttl: float = STATE_TTL_SECONDS) -> OAuthState:
    """The state's contents, or :class:`InvalidInput` when it is forged, for another platform or too old."""
    try:
        payload = json.loads(box.decrypt(state))
        sealed = OAuthState(
            str(payload["u"]), str(payload["p"]), str(payload["v"]), float(payload["t"]), str(payload["b"])
        )
    except (SecretUnreadable, ValueError, KeyError, TypeError):
        raise InvalidInput("The sign-in link is not valid; start connecting again", field="state") from None
    if sealed.platform != platform:
        raise InvalidInput("The sign-in link belongs to another platform", field="state")
    if not 0 <= time.time() - sealed.issued_at <= ttl:
        raise InvalidInput("The sign-in link has expired; start connecting again", field="state")
    return sealed
