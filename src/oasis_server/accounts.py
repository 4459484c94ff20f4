"""User accounts: registration, sign-in, sessions and the rules around admins.

Shared by the auth and admin routes and by ``oasis users create``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oasis_core.errors import InvalidInput, OasisError
from oasis_server.db.models import AuthToken, User, Video
from oasis_server.db.types import utcnow
from oasis_server.security.passwords import PasswordHasher, check_password_policy
from oasis_server.security.tokens import IssuedToken, TokenService, digest

log = logging.getLogger(__name__)

ROLES = ("user", "admin")
STATUSES = ("active", "inactive", "pending")


class AccountError(Exception):
    """A rule about accounts was broken; ``status`` is the HTTP status that fits."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased; raises :class:`InvalidInput` unless it looks like an address."""
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or " " in cleaned or len(cleaned) > 255:
        raise InvalidInput("Enter a valid email address", field="email")
    return cleaned


def clean_name(name: str) -> str:
    """A display name: trimmed, 1 to 255 characters."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 255:
        raise InvalidInput("The name must be 1 to 255 characters", field="name")
    return cleaned


def check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    """``value`` if it is one of ``choices``, else :class:`InvalidInput` listing them."""
    if value not in choices:
        raise InvalidInput(f"Unknown {field} {value!r}", field=field, choices=choices)
    return value


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    name: str,
    email: str,
    password: str,
    role: str | None = None,
    status: str = "active",
) -> User:
    """Create a user; the very first user becomes an admin whatever ``role`` says.

    Raises :class:`AccountError` (409) for a duplicate email.
    """
    email = normalise_email(email)
    name = clean_name(name)
    check_password_policy(password)
    check_choice(status, STATUSES, "status")
    if role is not None:
        check_choice(role, ROLES, "role")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(409, "An account with this email already exists")
    password_hash = hasher.hash(password)  # slow (bcrypt): done before any lock is taken
    first = _no_users(session) and _first_under_lock(session)
    user = User(
        name=name,
        email=email,
        password_hash=password_hash,
        role="admin" if first else (role or "user"),
        status="active" if first else status,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent registration with the same email won the race
        raise AccountError(409, "An account with this email already exists") from exc
    log.info("Created user %s (%s)", user.id, user.role)
    return user


def _no_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is None


def _first_under_lock(session: Session) -> bool:
    """Whether this is the first user, decided so that only one of concurrent registrations says yes.

    Four registrations on an empty database once all read "no users", hashed
    their passwords and inserted: four admins. Here each first takes the
    database's write lock on the one row every migrated database has (the
    schema version), held until the transaction ends, and only then looks
    again with a locking read (on MySQL/MariaDB a plain read would see the
    transaction's older snapshot; on SQLite the write already made the
    transaction the only writer, and ``FOR UPDATE`` compiles to nothing).
    The others wait at the lock and then see the first user.
    """
    session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    return session.scalar(select(User.id).limit(1).with_for_update()) is None


def start_session(
    session: Session, tokens: TokenService, user: User, now: datetime | None = None
) -> IssuedToken:
    """Issue a token for ``user`` and record its digest."""
    now = now or utcnow()
    issued = tokens.issue(user.id, now)
    session.add(
        AuthToken(
            id=issued.jti,
            user_id=user.id,
            token=digest(issued.token),
            created_at=now,
            expires_at=issued.expires_at,
        )
    )
    return issued


def revoke_token(session: Session, jti: str) -> None:
    """End one session."""
    session.execute(update(AuthToken).where(AuthToken.id == jti).values(revoked_at=utcnow()))


def revoke_all(session: Session, user_id: str) -> None:
    """End every session of a user (deactivation, password change by an admin)."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def purge_tokens(session: Session, now: datetime | None = None) -> int:
    """Delete the records of expired and revoked sessions; returns how many.

    Safe because a token is accepted only while its record exists (and is
    unrevoked and unexpired): deleting a record can only end a session that
    had already ended.
    """
    now = now or utcnow()
    result = session.execute(
        delete(AuthToken).where(or_(AuthToken.expires_at <= now, AuthToken.revoked_at.is_not(None)))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def active_admins(session: Session, excluding: str | None = None) -> int:
    """How many active admins there are, not counting ``excluding``."""
    query = select(func.count()).select_from(User).where(User.role == "admin", User.status == "active")
    if excluding:
        query = query.where(User.id != excluding)
    return int(session.scalar(query) or 0)


LAST_ADMIN = "This is the last active admin: make another user an active admin first"


def is_active_admin(user: User) -> bool:
    """Whether ``user`` is an admin who can sign in."""
    return user.role == "admin" and user.status == "active"


def ensure_an_admin_remains(session: Session) -> None:
    """:class:`AccountError` (409) unless an active admin is left; locks their rows (MySQL) so two
    demotions cannot race."""
    admins = session.scalars(
        select(User.id).where(User.role == "admin", User.status == "active").with_for_update()
    ).all()
    if not admins:
        raise AccountError(409, LAST_ADMIN)


def find_user(session: Session, who: str) -> User:
    """The user whose id or email is ``who``, or :class:`AccountError` (404)."""
    user = session.get(User, who.strip())
    if user is None and "@" in who:
        user = session.scalar(select(User).where(User.email == normalise_email(who)))
    if user is None:
        raise AccountError(404, f"No user with the id or email {who!r}")
    return user


def stored_files(session: Session, user_id: str) -> list[str]:
    """The blob-store keys of a user's videos and thumbnails (to delete with the account)."""
    return [
        key
        for row in session.execute(
            select(Video.video_key, Video.thumbnail_key).where(Video.user_id == user_id)
        )
        for key in row
        if key
    ]


def delete_stored_files(open_store: Callable[[], Any], keys: list[str]) -> int:
    """Delete a deleted user's files from the blob store ``open_store()`` gives.

    The account is gone whatever happens here, so a failure is logged, not
    raised; returns how many files could not be deleted.
    """
    if not keys:
        return 0
    try:
        store = open_store()
    except OasisError as exc:
        log.warning("Could not open the blob store to delete %d files: %s", len(keys), exc)
        return len(keys)
    failed = 0
    for key in keys:
        try:
            store.delete(key)
        except (OasisError, OSError) as exc:
            log.warning("Could not delete stored file %s: %s", key, exc)
            failed += 1
    return failed
