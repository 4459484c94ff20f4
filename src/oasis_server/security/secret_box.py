"""Provider keys and OAuth tokens at rest: authenticated encryption under rotating keys."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from oasis_core.errors import OasisError


class SecretUnreadable(OasisError):
    """A stored secret cannot be decrypted with any configured key (it was tampered with or its key dropped)."""


class SecretBox:
    """Encrypts with the first key of ``OASIS_SECRET_KEYS`` and decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token (base64 text) holding ``plaintext``."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext, or :class:`SecretUnreadable`."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretUnreadable("A stored secret could not be decrypted; save it again") from exc

    def rotate(self, ciphertext: str) -> str:
        """The same secret re-encrypted under the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError) as exc:
            raise SecretUnreadable("A stored secret could not be decrypted with any configured key") from exc


def generate_key() -> str:
    """A new key for ``OASIS_SECRET_KEYS``."""
    return Fernet.generate_key().decode("ascii")
