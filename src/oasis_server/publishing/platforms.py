"""Which publisher serves each platform, and building one with the server's settings."""

from __future__ import annotations

from typing import Any

from oasis_core.catalog import PortKind, ProviderCatalog, ProviderInfo
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext


def publisher_infos(catalog: ProviderCatalog) -> dict[str, ProviderInfo]:
    """Platform name → the first installed publisher for it (built-ins first)."""
    found: dict[str, ProviderInfo] = {}
    for info in catalog.providers(PortKind.PUBLISHER):
        platform = getattr(info.factory, "platform", None)
        if isinstance(platform, str) and platform not in found:
            found[platform] = info
    return found


def publisher_info(catalog: ProviderCatalog, platform: str) -> ProviderInfo:
    """The publisher for ``platform``, or :class:`InvalidInput` listing the platforms there are."""
    infos = publisher_infos(catalog)
    try:
        return infos[platform]
    except KeyError:
        raise InvalidInput(
            f"Unknown platform {platform!r}", field="platform", choices=sorted(infos)
        ) from None


def build_publisher(context: ServerContext, platform: str) -> Any:
    """A publisher instance for ``platform`` with its settings (client ids …) from the environment."""
    info = publisher_info(context.catalog, platform)
    return context.catalog.create(PortKind.PUBLISHER, info.id, context.provider_config(info))


def supports(publisher: Any, member: str) -> bool:
    """Whether ``publisher`` offers the optional member ``member`` (see the Publisher port's docs)."""
    return callable(getattr(publisher, member, None))
