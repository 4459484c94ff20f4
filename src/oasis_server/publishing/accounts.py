"""Stored social accounts ↔ the domain's :class:`SocialAccount`: tokens and sessions decrypted only in memory."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from oasis_core.domain.publishing import AccountStatus, SocialAccount
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.types import utcnow
from oasis_server.security.secret_box import SecretBox


def account_of(row: AccountRow, secrets: SecretBox) -> SocialAccount:
    """The account with its secrets decrypted (raises ``SecretUnreadable`` if they cannot be)."""
    return SocialAccount(
        platform=row.platform,
        username=row.username,
        access_token=secrets.decrypt(row.access_token),
        refresh_token=secrets.decrypt(row.refresh_token) if row.refresh_token else None,
        token_expires_at=row.token_expires_at,
        status=AccountStatus(row.status),
        session=secrets.decrypt(row.session) if row.session else None,
        account_id=row.account_id,
    )


def store_account(row: AccountRow, account: SocialAccount, secrets: SecretBox) -> None:
    """Write ``account`` into ``row``, encrypting its tokens and session."""
    row.username = account.username
    row.access_token = secrets.encrypt(account.access_token)
    row.refresh_token = secrets.encrypt(account.refresh_token) if account.refresh_token else None
    row.token_expires_at = account.token_expires_at
    row.session = secrets.encrypt(account.session) if account.session else None
    row.account_id = account.account_id
    row.status = account.status.value


def credentials_changed(before: SocialAccount, after: SocialAccount) -> bool:
    """Whether a call refreshed the tokens or changed the session (so the row must be saved)."""
    return (before.access_token, before.refresh_token, before.token_expires_at, before.session) != (
        after.access_token,
        after.refresh_token,
        after.token_expires_at,
        after.session,
    )


def save_tokens(
    session: Session, row_id: str, version: str, account: SocialAccount, secrets: SecretBox
) -> str | None:
    """Save ``account``'s refreshed tokens over row ``row_id`` if its stored access token is still ``version``
    (the ciphertext the caller read); the new version, or ``None`` when the stored tokens changed meanwhile
    (another worker's refresh, or the account connected again: theirs are newer). Keeps the status."""
    saved = secrets.encrypt(account.access_token)
    result = session.execute(
        update(AccountRow)
        .where(AccountRow.id == row_id, AccountRow.access_token == version)
        .values(
            access_token=saved,
            refresh_token=secrets.encrypt(account.refresh_token) if account.refresh_token else None,
            token_expires_at=account.token_expires_at,
            session=secrets.encrypt(account.session) if account.session else None,
            account_id=account.account_id,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return saved if result.rowcount == 1 else None  # type: ignore[attr-defined]
