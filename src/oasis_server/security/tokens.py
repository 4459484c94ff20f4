"""Session tokens: HS256 JWTs with ``sub``, ``jti``, ``iat`` and ``exp``; only their digest is stored."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from attrs import frozen

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti")
VERIFIED_TOKENS_KEPT = 4096
"""How many verified tokens a process remembers, so a client's every request does not check the signature again."""


class InvalidToken(Exception):
    """The token is malformed, forged, expired or lacks a claim."""


@frozen
class IssuedToken:
    """A new token, its id and when it expires."""

    token: str
    jti: str
    expires_at: datetime


@frozen
class TokenClaims:
    """The claims of a verified token."""

    sub: str
    jti: str
    issued_at: datetime
    expires_at: datetime


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is recorded."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenService:
    """Issues and verifies tokens with one secret; the algorithm is pinned, never read from a token."""

    def __init__(self, secret: str, lifetime: timedelta) -> None:
        self._secret = secret
        self.lifetime = lifetime
        # Only tokens that verified are remembered (an exception is never cached), keyed by the whole
        # token, so a changed byte is a different key and is checked afresh. Expiry is checked on every use.
        self._verified = lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._decode)

    def issue(self, user_id: str, now: datetime) -> IssuedToken:
        """A token for ``user_id`` valid for the configured lifetime."""
        jti = str(uuid.uuid4())
        expires = now + self.lifetime
        claims = {"sub": user_id, "jti": jti, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
        return IssuedToken(
            jwt.encode(claims, self._secret, algorithm=ALGORITHM), jti, expires.replace(microsecond=0)
        )

    def verify(self, token: str) -> TokenClaims:
        """The claims of a token signed with our secret and not expired, or :class:`InvalidToken`."""
        claims = self._verified(token)
        if claims.expires_at <= datetime.now(UTC):
            raise InvalidToken("Signature has expired")
        return claims

    def _decode(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": list(REQUIRED_CLAIMS), "verify_signature": True, "verify_exp": True},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if not all(isinstance(claims.get(name), str) and claims[name] for name in ("sub", "jti")):
            raise InvalidToken("sub and jti must be strings")
        return TokenClaims(
            claims["sub"],
            claims["jti"],
            datetime.fromtimestamp(int(claims["iat"]), UTC),
            datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
