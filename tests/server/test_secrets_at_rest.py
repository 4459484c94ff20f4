"""A dump of the database holds no password, token or provider key; rotation re-encrypts every secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from litestar.testing import TestClient
from sqlalchemy import select
from tests.server.conftest import PASSWORD, auth, build_context, register
from tests.server.test_keys import GOOD, keyed_catalog

from oasis_core.catalog import ProviderCatalog
from oasis_server.api.context import ServerContext
from oasis_server.db.models import ApiKey, Base, SocialAccount
from oasis_server.secrets_rotation import rotate_all
from oasis_server.security.secret_box import SecretBox


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    return keyed_catalog()


def dump(context: ServerContext) -> str:
    """Every cell of every table, as text."""
    cells: list[str] = []
    with context.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                cells.extend(str(value) for value in row)
    return "\n".join(cells)


def test_a_dump_holds_no_password_token_or_key(client: TestClient[Any], context: ServerContext) -> None:
    token, _ = register(client, "ada@example.com")
    login = client.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD}).json()[
        "token"
    ]
    assert (
        client.post("/api/keys", json={"provider": "acme", "api_key": GOOD}, headers=auth(token)).status_code
        == 200
    )
    text = dump(context)
    for secret in (PASSWORD, token, login, GOOD, GOOD[-8:]):
        assert secret not in text
    assert "ada@example.com" in text  # the dump did read the rows
    if context.settings.is_sqlite:
        files = Path(context.settings.data_dir).glob("oasis.db*")
        raw = b"".join(path.read_bytes() for path in files)
        for secret in (PASSWORD, token, login, GOOD):
            assert secret.encode() not in raw


def test_rotation_moves_every_secret_to_the_newest_key(
    client: TestClient[Any], context: ServerContext, api_env: dict[str, str]
) -> None:
    token, _ = register(client, "ada@example.com")
    client.post("/api/keys", json={"provider": "acme", "api_key": GOOD}, headers=auth(token))
    with context.session() as session:
        user_id = session.scalar(select(ApiKey.user_id))
        session.add(
            SocialAccount(
                user_id=user_id,
                platform="youtube",
                access_token=context.secrets.encrypt("ya29.access"),
                refresh_token=context.secrets.encrypt("1//refresh"),
            )
        )
    old_keys = list(context.settings.secret_keys)
    new_key = Fernet.generate_key().decode()
    rotated_env = {**api_env, "OASIS_SECRET_KEYS": ",".join([new_key, *old_keys])}
    rotated = build_context(rotated_env, catalog=keyed_catalog(), migrate=False)
    try:
        assert rotate_all(rotated) == 3
    finally:
        rotated.close()
    only_new = SecretBox([new_key])  # the old key is dropped: everything must still read
    with context.sessions() as session:
        key = session.scalar(select(ApiKey))
        account = session.scalar(select(SocialAccount))
        assert key is not None and account is not None and account.refresh_token is not None
        assert only_new.decrypt(key.api_key) == GOOD
        assert only_new.decrypt(account.access_token) == "ya29.access"
        assert only_new.decrypt(account.refresh_token) == "1//refresh"
