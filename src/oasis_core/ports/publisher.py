"""The ``Publisher`` port: uploads a finished video to a platform, once.

Besides the port's methods, a publisher class may offer these optional
members; the server uses them when present (``hasattr``):

``check(request: PublishRequest) -> None``
    Refuse, before any upload, a video outside the platform's limits
    (duration, size, aspect, codec) with :class:`~oasis_core.errors.InvalidInput`
    saying which limit and what the video has.
``authorization_url(state: str, redirect_uri: str, code_challenge: str | None) -> str``
    For OAuth platforms: the URL that asks the user for consent. ``state`` is
    opaque to the publisher; ``code_challenge`` is the S256 PKCE challenge
    for platforms that use PKCE (the publisher class says so with a class
    attribute ``uses_pkce: ClassVar[bool] = True``).
``exchange_code(code: str, redirect_uri: str, code_verifier: str | None) -> SocialAccount``
    Exchange the callback's code for tokens; fill ``username`` and
    ``account_id`` with the channel's or creator's name and id. The server
    passes ``code_verifier`` exactly when it sent a ``code_challenge`` (a
    platform such as Google refuses a verifier without a challenge, and the
    reverse), and the same ``redirect_uri`` as to ``authorization_url``.
``refresh(account: SocialAccount) -> None``
    Refresh the tokens in place; raise
    :class:`~oasis_core.errors.NeedsCredentials` when the platform refuses
    (the account then becomes ``expired`` and its owner is told). ``publish``
    refreshes by itself before an expiry and once after a 401.
``revoke(account: SocialAccount) -> None``
    Revoke the tokens at the platform where it allows (best effort).
``login(username: str, password: str, verification_code: str | None) -> SocialAccount``
    For platforms without OAuth (instagrapi): sign in and keep the session
    settings in ``SocialAccount.session`` so later calls reuse them.
``posting_rules(account: SocialAccount) -> PostingRules``
    What ``account`` may post now: the privacy choices, the interactions the
    creator turned off, the longest video. TikTok asks its creator info
    (its audit requires reading it whenever a post is prepared); platforms
    with fixed choices answer them without a call. May refresh the tokens
    in place, as ``publish`` does.
``check_options(options: Mapping[str, Any], rules: PostingRules, request: PublishRequest, duration: float | None) -> dict[str, Any]``
    Validate a post's options for this platform before anything is queued,
    against ``rules`` and the words ``request`` carries (its ``video_path``
    is a placeholder; ``duration`` is the video's, when known). Return the
    options to store and later pass as ``PublishRequest.options``; raise
    :class:`~oasis_core.errors.InvalidInput` whose ``field`` is the option's
    name (``privacy_level``) when one is wrong.

Client ids and secrets come through :class:`~oasis_core.ports.provider.ProviderConfig`
settings (``client_id``, ``client_secret``, filled from the environment through
``settings_env``), never from globals.
"""

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
        publish id, so the caller can store it before anything else can fail;
        call it again when a better id arrives (an upload session first, the
        post's id at the end): the last one is the post's.
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
