"""Password hashing with bcrypt: 8 to 72 bytes, never truncated, same cost for unknown users."""

from __future__ import annotations

import functools

import bcrypt

from oasis_core.errors import InvalidInput

MIN_BYTES = 8
MAX_BYTES = 72  # bcrypt's limit: longer passwords are refused, never silently cut


def check_password_policy(password: str) -> bytes:
    """Return the password's UTF-8 bytes, or raise :class:`InvalidInput` if it is too short or too long."""
    encoded = password.encode("utf-8")
    if len(encoded) < MIN_BYTES:
        raise InvalidInput(f"The password must be at least {MIN_BYTES} characters long", field="password")
    if len(encoded) > MAX_BYTES:
        raise InvalidInput(
            f"The password is {len(encoded)} bytes long; the limit is {MAX_BYTES} bytes (UTF-8)",
            field="password",
        )
    return encoded


class PasswordHasher:
    """Hashes and checks passwords at a fixed bcrypt cost."""

    def __init__(self, rounds: int = 12) -> None:
        if not 4 <= rounds <= 31:
            raise ValueError("bcrypt rounds must be between 4 and 31")
        self.rounds = rounds

    def hash(self, password: str) -> str:
        """A bcrypt hash of a password that passes the policy."""
        return bcrypt.hashpw(check_password_policy(password), bcrypt.gensalt(self.rounds)).decode("ascii")

    def verify(self, password: str, hashed: str | None) -> bool:
        """Whether ``password`` matches ``hashed``.

        With no hash (an unknown email) it checks against a dummy hash of the
        same cost, so both answers take the same time.
        """
        encoded = password.encode("utf-8")
        if len(encoded) > MAX_BYTES:
            encoded = encoded[:0]  # cannot match; still spend the same time below
        target = (hashed or self._dummy()).encode("ascii")
        try:
            matched = bcrypt.checkpw(encoded, target)
        except ValueError:
            return False
        return matched and hashed is not None

    def needs_rehash(self, hashed: str) -> bool:
        """Whether a stored hash uses a lower cost than the current one."""
        try:
            return int(hashed.split("$")[2]) < self.rounds
        except (IndexError, ValueError):
            return True

    def _dummy(self) -> str:
        return _dummy_hash(self.rounds)


@functools.cache
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds)).decode("ascii")
