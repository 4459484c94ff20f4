"""Everything a request or a job needs, built once per process from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from attrs import define, field
from litestar.concurrency import sync_to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oasis_core.catalog import PortKind, ProviderCatalog, ProviderInfo
from oasis_core.plugins import load_catalog
from oasis_core.ports.blob_store import BlobStore
from oasis_core.ports.provider import ProviderConfig
from oasis_server import log_redaction
from oasis_server.db.engine import make_engine, make_sessionmaker
from oasis_server.security.passwords import PasswordHasher
from oasis_server.security.secret_box import SecretBox
from oasis_server.security.throttle import LoginThrottle, MemoryCounter, RedisCounter, ThrottlePolicy
from oasis_server.security.tokens import TokenService
from oasis_server.settings import Settings

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
Enqueue = Callable[[str], None]
"""Sends a render job for a video id to the workers."""


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    """The sign-in throttle's limits from the ``OASIS_LOGIN_*`` settings."""
    return ThrottlePolicy(
        account_address_limit=settings.login_max_failures,
        address_limit=settings.login_address_max_failures,
        account_limit=settings.login_account_max_failures,
        window=settings.login_window_seconds,
        max_wait=settings.login_max_wait_seconds,
    )


@define
class ServerContext:
    """The shared services of one process: database, catalog, security and the job queue."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: ProviderCatalog
    hasher: PasswordHasher
    tokens: TokenService
    secrets: SecretBox
    throttle: LoginThrottle
    redis: Any = None
    enqueue_render: Enqueue = field(default=lambda video_id: None)
    _store: BlobStore | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(cls, settings: Settings, *, catalog: ProviderCatalog | None = None) -> ServerContext:
        """Connect to the database (and Redis, if configured) and load the plugins.

        Every process that serves, renders or publishes builds one, so this is
        also where secret URL parameters are kept out of its logs.
        """
        log_redaction.install()
        engine = make_engine(settings.database_url)
        redis_client = None
        if settings.redis_url:
            import redis

            redis_client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=5, socket_connect_timeout=5
            )
        counter = RedisCounter(redis_client) if redis_client is not None else MemoryCounter()
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            catalog=catalog or load_catalog(),
            hasher=PasswordHasher(settings.bcrypt_rounds),
            tokens=TokenService(settings.jwt_secret, settings.jwt_expires),
            secrets=SecretBox(settings.secret_keys),
            throttle=LoginThrottle(counter, throttle_policy(settings)),
            redis=redis_client,
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    async def read(self, query: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``query``, a short read of indexed rows, without stalling other requests.

        On a server database (MySQL, MariaDB) it runs in a worker thread: the
        network or a lock may hold it up. On the embedded SQLite it runs right
        here on the event loop: in WAL mode a reader never waits for a writer,
        and an indexed read takes tens of microseconds, less than handing it
        to a thread and back (which, under load, also queues for the GIL).
        """
        if self.settings.is_sqlite:
            return query(*args, **kwargs)
        return await sync_to_thread(query, *args, **kwargs)

    def blob_store(self) -> BlobStore:
        """The configured blob store (``local`` under the data folder by default), built once."""
        if self._store is None:
            self._store = self._build_blob_store()
        return self._store

    def _build_blob_store(self) -> BlobStore:
        kind = PortKind.STORAGE
        # STORAGE_BUCKET means s3, never a silent fallback to local files (each machine its own):
        # without `oasis-video[s3]` the catalog's error says what to install
        provider_id = "s3" if self.settings.storage_bucket else "local"
        extra = {"root": str(self.settings.data_dir / "media")}
        if self.settings.storage_bucket:
            extra["bucket"] = self.settings.storage_bucket
        info = self.catalog.info(kind, provider_id)
        store: BlobStore = self.catalog.create(kind, provider_id, self.provider_config(info, extra=extra))
        return store

    def provider_config(
        self, info: ProviderInfo, key: str | None = None, *, extra: dict[str, str] | None = None
    ) -> ProviderConfig:
        """The config the server builds ``info`` with: ``key``, its settings from the environment, a cache folder.

        ``extra`` settings fill in what the environment leaves unset.
        """
        settings = {
            **info.data_settings(self.settings.data_dir),
            **(extra or {}),
            **info.settings_from(self.settings.environ),
        }
        return ProviderConfig(
            key=key, settings=settings, cache_dir=self.settings.data_dir / "cache" / info.id
        )

    def server_key(self, key_name: str) -> str | None:
        """The server's own key called ``key_name``: the environment variable a provider using it names."""
        for info in self.catalog:
            if info.needs_key == key_name and info.key_env_var:
                value = self.settings.environ.get(info.key_env_var)
                if value:
                    return value
        return None

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()
