"""The errors Oasis raises. Every one derives from :class:`OasisError`.

The core knows nothing of HTTP or of the command line: each entry point maps
these to its own answer (a status code, an exit code). Every message is meant
to be shown to a user as it is, so it says what went wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable


class OasisError(Exception):
    """Root of every error Oasis raises on purpose."""

    @property
    def message(self) -> str:
        """The text to show a user."""
        return str(self)


class InvalidInput(OasisError):
    """A value given by a caller is not acceptable.

    ``field`` names the offending input when there is one, and ``choices``
    lists the valid values when the set is closed.
    """

    def __init__(self, message: str, *, field: str | None = None, choices: Iterable[str] = ()) -> None:
        self.field = field
        self.choices = tuple(choices)
        if self.choices:
            message = f"{message} (choose from: {', '.join(self.choices)})"
        super().__init__(message)


class UnknownProvider(InvalidInput):
    """No installed plugin registers a provider with that id for that port."""


class InvalidTransition(OasisError):
    """A domain object was asked to move to a state it cannot reach from its current one."""


class PluginError(OasisError):
    """A plugin is broken: a misspelt hook, a provider that does not fit its port, an id clash."""


class ProviderError(OasisError):
    """A provider could not do what it was asked; the message says why."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        self.provider = provider
        super().__init__(message)


class NeedsCredentials(ProviderError):
    """The provider needs a key (or a fresh token) that it was not given, or that was refused."""


class RetryableProviderError(ProviderError):
    """A transient failure (rate limit, timeout, 5xx): the same call may succeed later.

    ``retry_after`` is the wait, in seconds, that the provider asked for, if any.
    """

    def __init__(
        self, message: str, *, provider: str | None = None, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider)


class StorageError(OasisError):
    """A blob store could not read, write or delete an object."""


class NotFound(StorageError):
    """The requested object does not exist."""
