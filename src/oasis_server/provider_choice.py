"""Which provider serves a request, and with which key.

The order for each port (``llm``, ``speech``, ``visuals``):

1. the request's own ``providers`` choice;
2. the user's saved default for that port (``PUT /api/providers/defaults``);
3. the first installed provider (in registration order) whose key the user
   saved: a user who adds an OpenAI key gets OpenAI;
4. the server's default: ``OASIS_DEFAULT_PROVIDERS`` if it names an installed
   provider, else the first installed provider whose key the server holds
   (``OPENAI_API_KEY`` …), else the first that needs no key and is ready
   (Piper once a voice is in its voices folder, else eSpeak NG), as
   ``GET /api/providers`` marks it.

Keys come from the user's saved keys (``api_keys``, encrypted) first, then the
server's environment. A provider chosen on purpose whose key neither holds is
refused with a message saying which key to add, before anything is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import define, field
from sqlalchemy import select
from sqlalchemy.orm import Session

from oasis_core.catalog import PortKind, ProviderCatalog, ProviderInfo
from oasis_core.errors import NeedsCredentials, UnknownProvider
from oasis_server.api.context import ServerContext
from oasis_server.db.models import ApiKey, User
from oasis_server.security.secret_box import SecretUnreadable

log = logging.getLogger(__name__)

CHOOSABLE: tuple[PortKind, ...] = (PortKind.LLM, PortKind.SPEECH, PortKind.VISUALS)
"""The ports a request may pick a provider for."""


def user_defaults(session: Session, user_id: str) -> Mapping[str, str]:
    """The user's saved default provider per port (``{"llm": "openai"}``); empty if none."""
    saved = session.scalar(select(User.provider_defaults).where(User.id == user_id))
    if not isinstance(saved, dict):
        return {}
    return {port: value for port, value in saved.items() if isinstance(value, str) and value}


def server_default_id(context: ServerContext, kind: PortKind) -> str:
    """The server's default for ``kind``: ``OASIS_DEFAULT_PROVIDERS``, else the first provider whose key
    the server holds, else the catalog's (the first that needs no key and is ready)."""
    configured = context.settings.default_providers.get(kind.value)
    if configured and configured in context.catalog.ids(kind):
        return configured
    for info in context.catalog.providers(kind):
        if info.needs_key and context.server_key(info.needs_key):
            return info.id
    return context.catalog.default_id(kind, context.provider_config)


@define
class KeyRing:
    """The keys one user's work may use: their own saved keys, then the server's."""

    context: ServerContext
    saved: Mapping[str, str] = field(factory=dict)
    """Key name (``"openai"``) → the encrypted key as stored."""
    _plain: dict[str, str | None] = field(factory=dict, init=False)

    @classmethod
    def load(cls, context: ServerContext, session: Session, user_id: str) -> KeyRing:
        """The user's saved (still encrypted) keys; each is decrypted only when needed."""
        rows = session.execute(select(ApiKey.provider, ApiKey.api_key).where(ApiKey.user_id == user_id))
        return cls(context, {row.provider: row.api_key for row in rows})

    def user_key(self, name: str) -> str | None:
        """The user's own key called ``name``, decrypted, or ``None``."""
        if name not in self._plain:
            cipher = self.saved.get(name)
            plain: str | None = None
            if cipher:
                try:
                    plain = self.context.secrets.decrypt(cipher) or None
                except SecretUnreadable:
                    log.warning("A saved %s key could not be decrypted; ignoring it", name)
            self._plain[name] = plain
        return self._plain[name]

    def server_key(self, name: str) -> str | None:
        """The server's key called ``name`` (from its environment), or ``None``."""
        return self.context.server_key(name)

    def key(self, name: str) -> str | None:
        """The key to use: the user's own, else the server's."""
        return self.user_key(name) or self.server_key(name)


@define
class ProviderChoice:
    """Chooses and builds providers for one user."""

    context: ServerContext
    keys: KeyRing
    defaults: Mapping[str, str] = field(factory=dict)

    @classmethod
    def for_user(cls, context: ServerContext, session: Session, user_id: str) -> ProviderChoice:
        """The choice for ``user_id``, reading their keys and defaults through ``session``."""
        return cls(context, KeyRing.load(context, session, user_id), user_defaults(session, user_id))

    @property
    def catalog(self) -> ProviderCatalog:
        """The installed providers."""
        return self.context.catalog

    def choose(self, requested: Mapping[str, str | None], kinds: Iterable[PortKind]) -> dict[str, str]:
        """The provider id for each of ``kinds``; raises for an unknown id or a missing key.

        ``requested`` maps a port name (``"llm"``) to the id the request asked for.
        """
        chosen: dict[str, str] = {}
        for kind in kinds:
            wanted = requested.get(kind.value)
            if wanted:
                info = self._info(kind, wanted)
                self.key_for(info)  # refuse now, before anything is queued
                chosen[kind.value] = wanted
            else:
                chosen[kind.value] = self.default_id(kind)
        return chosen

    def default_id(self, kind: PortKind) -> str:
        """The provider used when a request names none (see the module docs for the order)."""
        preferred = self.defaults.get(kind.value)
        if (
            preferred
            and preferred in self.catalog.ids(kind)
            and self._usable(self.catalog.info(kind, preferred))
        ):
            return preferred
        for info in self.catalog.providers(kind):
            if info.needs_key and self.keys.user_key(info.needs_key):
                return info.id
        return server_default_id(self.context, kind)

    def effective(self) -> dict[str, str]:
        """The provider each choosable port uses when a request names none."""
        return {kind.value: self.default_id(kind) for kind in CHOOSABLE}

    def key_for(self, info: ProviderInfo) -> str | None:
        """The key ``info`` needs (``None`` if it needs none); raises :class:`NeedsCredentials` if absent."""
        if not info.needs_key:
            return None
        key = self.keys.key(info.needs_key)
        if key is None:
            server_hint = f", or ask the server admin to set {info.key_env_var}" if info.key_env_var else ""
            raise NeedsCredentials(
                f"The {info.id} {info.kind.value} provider needs an API key for {info.needs_key}: "
                f"add your {info.needs_key} key under API keys{server_hint}",
                provider=info.id,
            )
        return key

    def build(self, kind: PortKind, provider_id: str | None = None) -> Any:
        """An instance of ``provider_id`` (the default for ``kind`` when ``None``) with its key and cache."""
        provider_id = provider_id or self.default_id(kind)
        info = self._info(kind, provider_id)
        config = self.context.provider_config(info, self.key_for(info))
        return self.catalog.create(kind, provider_id, config)

    def _info(self, kind: PortKind, provider_id: str) -> ProviderInfo:
        try:
            return self.catalog.info(kind, provider_id)
        except UnknownProvider as exc:
            raise UnknownProvider(
                f"No {kind.value} provider {provider_id!r} is installed",
                field=f"providers.{kind.value}",
                choices=exc.choices,
            ) from None

    def _usable(self, info: ProviderInfo) -> bool:
        return not info.needs_key or self.keys.key(info.needs_key) is not None
