"""What every contract suite checks: the provider's declared attributes."""

from __future__ import annotations

import re
from typing import Any

from oasis_core.catalog import PortKind, port_members

_ID = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


class ProviderContract:
    """Checks shared by every port's contract; subclasses set ``kind``."""

    kind: PortKind

    def test_declares_provider_attributes(self, provider: Any) -> None:
        assert isinstance(provider.id, str) and _ID.match(provider.id)
        assert isinstance(provider.name, str) and provider.name.strip()
        assert provider.needs_key is None or isinstance(provider.needs_key, str)
        assert provider.key_env_var is None or isinstance(provider.key_env_var, str)

    def test_has_every_member_of_its_port(self, provider: Any) -> None:
        missing = [name for name in port_members(self.kind) if not hasattr(provider, name)]
        assert not missing, f"{type(provider).__name__} lacks {missing}"
