"""Re-encrypting stored secrets under the newest key (``oasis secrets rotate``)."""

from __future__ import annotations

from sqlalchemy import select

from oasis_server.api.context import ServerContext
from oasis_server.db.models import ApiKey, SocialAccount


def rotate_all(context: ServerContext, batch: int = 200) -> int:
    """Rotate every provider key and OAuth token; returns how many values were re-encrypted."""
    count = 0
    with context.session() as session:
        for key in session.scalars(select(ApiKey).execution_options(yield_per=batch)):
            key.api_key = context.secrets.rotate(key.api_key)
            count += 1
        for account in session.scalars(select(SocialAccount).execution_options(yield_per=batch)):
            account.access_token = context.secrets.rotate(account.access_token)
            count += 1
            if account.refresh_token:
                account.refresh_token = context.secrets.rotate(account.refresh_token)
                count += 1
    return count
