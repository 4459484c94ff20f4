"""``/api/keys``: a user's own provider keys, stored encrypted and only ever shown as a hint."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import FromPath
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oasis_core.domain.keys import KeyStatus, key_hint
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import SignedIn, provide_user
from oasis_server.api.errors import not_found
from oasis_server.api.schemas import STRICT_BODY, error_responses
from oasis_server.db.models import ApiKey
from oasis_server.db.types import utcnow
from oasis_server.key_testing import KeyCheck, check_key, key_names
from oasis_server.security.secret_box import SecretUnreadable

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 500
KeyName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=50,
        description="The name of the key: the `needs_key` of an installed provider",
        examples=["openai"],
    ),
]
KeyText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^\s*\S+\s*$",  # whitespace pasted around the key is trimmed; none may be inside
        description=f"The key as the provider issued it: 1 to {MAX_KEY_LENGTH} characters, no spaces",
    ),
]
"""Says in the schema what ``forbid_unknown_fields`` does: a body with an unknown field is refused."""


class SaveKeysIn(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``provider`` and ``api_key``, or ``keys`` mapping key names to keys."""

    provider: KeyName | None = None
    api_key: KeyText | None = None
    keys: Annotated[dict[KeyName, KeyText], msgspec.Meta(min_length=1, max_length=20)] | None = None


class KeyTestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Which saved key to check."""

    provider: KeyName


class KeyOut(msgspec.Struct):
    """A saved key as the API shows it: never the key, only its last characters.

    ``message`` is what the last test said (``null`` until tested).
    """

    provider: str
    key_hint: str
    status: KeyStatus
    last_tested: datetime | None
    created_at: datetime
    updated_at: datetime
    message: str | None = None

    @classmethod
    def of(cls, row: ApiKey) -> KeyOut:
        """From the database row."""
        return cls(
            row.provider,
            row.key_hint,
            KeyStatus(row.status),
            row.last_tested,
            row.created_at,
            row.updated_at,
            row.message,
        )


class KeysOut(msgspec.Struct):
    """The user's saved keys, by key name."""

    items: list[KeyOut]


class KeyTestOut(msgspec.Struct):
    """The result of checking a key with its provider."""

    provider: str
    status: KeyStatus
    message: str
    last_tested: datetime


def _now() -> datetime:
    """Now, to the second: what MySQL's DATETIME keeps, so an answer matches a later read."""
    return utcnow().replace(microsecond=0)


def _unknown_key_name(name: str, known: tuple[str, ...]) -> InvalidInput:
    if not known:
        return InvalidInput(
            f"Unknown provider {name!r}: no installed provider uses API keys", field="provider"
        )
    return InvalidInput(f"Unknown provider {name!r}", field="provider", choices=known)


def _clean_key(name: str, key: str) -> str:
    cleaned = key.strip()
    if not cleaned or len(cleaned) > MAX_KEY_LENGTH or any(char.isspace() for char in cleaned):
        raise InvalidInput(
            f"The {name} key must be 1 to {MAX_KEY_LENGTH} characters with no spaces", field="api_key"
        )
    return cleaned


def requested_keys(data: SaveKeysIn, known: tuple[str, ...]) -> dict[str, str]:
    """The key names and cleaned keys in a save request, all checked before any is saved."""
    if data.keys is not None:
        if data.provider is not None or data.api_key is not None:
            raise InvalidInput("Send either provider and api_key, or keys, not both", field="keys")
        pairs = data.keys
    else:
        if data.provider is None:
            raise InvalidInput("Name the provider the key is for", field="provider")
        if data.api_key is None:
            raise InvalidInput("The api_key is missing", field="api_key")
        pairs = {data.provider: data.api_key}
    for name in pairs:
        if name not in known:
            raise _unknown_key_name(name, known)
    return {name: _clean_key(name, key) for name, key in pairs.items()}


def _listing(session: Session, user_id: str) -> KeysOut:
    rows = session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.provider))
    return KeysOut([KeyOut.of(row) for row in rows])


def _upsert(context: ServerContext, user_id: str, keys: dict[str, str]) -> KeysOut:
    with context.session() as session:
        existing = {
            row.provider: row
            for row in session.scalars(
                select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.provider.in_(keys))
            )
        }
        now = _now()
        for name, key in keys.items():
            row = existing.get(name)
            if row is None:
                row = ApiKey(user_id=user_id, provider=name, created_at=now)
                session.add(row)
            row.api_key = context.secrets.encrypt(key)
            row.key_hint = key_hint(key)
            row.status = KeyStatus.UNTESTED.value
            row.message = None
            row.last_tested = None
            row.updated_at = now
        session.flush()
        session.expire_all()  # answer with what is stored (an unchanged updated_at gets its onupdate time)
        return _listing(session, user_id)


class KeysController(Controller):
    """A user's own provider keys."""

    path = "/api/keys"
    tags = ["keys"]
    dependencies = {"user": Provide(provide_user)}

    @get("/", operation_id="listKeys", sync_to_thread=True, responses=error_responses(401))
    def list_keys(self, user: SignedIn, state: State) -> KeysOut:
        """The signed-in user's saved keys (hints only)."""
        context: ServerContext = state.ctx
        with context.sessions() as session:
            return _listing(session, user.id)

    @post(
        "/",
        operation_id="saveKeys",
        status_code=200,
        sync_to_thread=True,
        responses=error_responses(400, 401),
    )
    def save_keys(self, data: Annotated[SaveKeysIn, STRICT_BODY], user: SignedIn, state: State) -> KeysOut:
        """Save one key or several; a saved key replaces the old one and is untested again."""
        context: ServerContext = state.ctx
        keys = requested_keys(data, key_names(context.catalog))
        try:
            listing = _upsert(context, user.id, keys)
        except IntegrityError:  # a concurrent save of the same key inserted first: update it instead
            listing = _upsert(context, user.id, keys)
        log.info("User %s saved keys for %s", user.id, ", ".join(sorted(keys)))
        return listing

    @post(
        "/test",
        operation_id="testKey",
        status_code=200,
        sync_to_thread=True,
        responses=error_responses(400, 401, 404),
    )
    def test_key(self, data: Annotated[KeyTestIn, STRICT_BODY], user: SignedIn, state: State) -> KeyTestOut:
        """Check a saved key with its provider, for real, and record the outcome."""
        context: ServerContext = state.ctx
        with context.sessions() as session:
            row = session.scalar(
                select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.provider == data.provider)
            )
        if row is None:
            raise not_found(f"No {data.provider} key is saved")
        try:
            key = context.secrets.decrypt(row.api_key)
        except SecretUnreadable:
            outcome = KeyCheck(False, "The saved key could not be decrypted on this server; save it again")
        else:
            outcome = check_key(context.catalog, data.provider, key, environ=context.settings.environ)
        tested = _now()
        with context.session() as session:
            # only if the key was not replaced meanwhile: a new key starts untested.
            # updated_at says when the key was saved, so a test leaves it as it is.
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == row.id, ApiKey.api_key == row.api_key)
                .values(
                    status=outcome.status.value,
                    message=outcome.message,
                    last_tested=tested,
                    updated_at=ApiKey.updated_at,
                )
            )
        log.info("User %s tested their %s key: %s", user.id, data.provider, outcome.status.value)
        return KeyTestOut(data.provider, outcome.status, outcome.message, tested)

    @delete(
        "/{provider:str}",
        operation_id="deleteKey",
        sync_to_thread=True,
        responses=error_responses(401, 404),
    )
    def delete_key(self, provider: FromPath[str], user: SignedIn, state: State) -> None:
        """Forget a saved key."""
        context: ServerContext = state.ctx
        with context.session() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.provider == provider))
            if row is None:
                raise not_found(f"No {provider} key is saved")
            session.delete(row)
        log.info("User %s deleted their %s key", user.id, provider)


ROUTES = [KeysController]
