"""The ``instagram`` plugin: Reels through instagrapi, Instagram's private mobile API.

It signs in with a username and password (and a two-factor code when the
account asks for one), keeps instagrapi's session settings in
``SocialAccount.session`` and never stores the password. The private API can
get an account challenged or limited; ``docs/publishing.md`` says what that
means and what the official Graph API needs instead.
"""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.instagram.publisher import InstagramPublisher

__all__ = ["InstagramPublisher", "register_publishers"]


@hookimpl
def register_publishers(register: Register) -> None:
    """Register :class:`InstagramPublisher`."""
    register(InstagramPublisher)
