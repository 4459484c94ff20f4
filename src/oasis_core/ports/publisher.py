"""The ``Publisher`` port: uploads a finished video to a platform, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol, runtime_checkable

from oasis_core.domain.publishing import PublishRequest, PublishResult, SocialAccount
from oasis_core.ports.provider import Provider


@runtime_checkable
class Publisher(Provider, Protocol):
    """Publishes videos to one platform (``platform`` names it: ``youtube``, ``tiktok`` …).

    Register implementations with the ``register_publishers`` hook.
    """

    platform: ClassVar[str]

    def publish(
        self,
        request: PublishRequest,
        account: SocialAccount,
        *,
        on_platform_id: Callable[[str], None] | None = None,
    ) -> PublishResult:
        """Upload and publish ``request.video_path`` with ``account``'s credentials.

        Call ``on_platform_id`` the moment the platform gives an upload or
        publish id, so the caller can store it before anything else can fail.
        If ``request.platform_id`` is set, an earlier attempt got that far:
        check it (see :meth:`lookup`) and do not upload a second copy.
        Transient failures raise
        :class:`~oasis_core.errors.RetryableProviderError`; refused credentials
        :class:`~oasis_core.errors.NeedsCredentials`; anything else
        :class:`~oasis_core.errors.ProviderError` with a message a user can act on.
        """
        ...

    def lookup(self, platform_id: str, account: SocialAccount) -> PublishResult | None:
        """Return the post with that platform id if it was published, else ``None``."""
        ...
