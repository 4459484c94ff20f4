"""Reading a post's options for one platform: the checks every publisher's ``check_options`` shares.

A publisher's ``check_options`` (see :mod:`oasis_core.ports.publisher`)
reads the options a user gave for its platform through an
:class:`OptionReader`, which refuses unknown names and values of the wrong
type or size with :class:`~oasis_core.errors.InvalidInput` whose ``field``
is the option's name; the platform's own rules (which privacy values, which
limits) stay in the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from oasis_core.errors import InvalidInput

HASHTAG = re.compile(r"(?<![\w#&/])#\w+", flags=re.UNICODE)
"""A hashtag as the platforms count them: ``#`` then word characters, not inside a word."""


def count_hashtags(text: str) -> int:
    """How many hashtags ``text`` holds."""
    return len(HASHTAG.findall(text))


class OptionReader:
    """Typed access to one platform's options; every refusal names the option.

    ``known`` lists the option names the platform takes: any other name is
    refused at once (a misspelt option must not be silently ignored).
    """

    def __init__(self, options: Mapping[str, Any], known: Iterable[str], *, platform: str) -> None:
        self.platform = platform
        self.known = tuple(known)
        if not isinstance(options, Mapping):
            raise InvalidInput(f"The {platform} options must be an object", field=None)
        unknown = sorted(str(name) for name in options if name not in self.known)
        if unknown:
            raise InvalidInput(
                f"{platform} has no option {unknown[0]!r}", field=unknown[0], choices=self.known
            )
        self.options = options

    def has(self, name: str) -> bool:
        """Whether the option was given (``null`` counts as not given)."""
        return self.options.get(name) is not None

    def text(
        self,
        name: str,
        *,
        max_chars: int | None = None,
        max_bytes: int | None = None,
        required: bool = False,
        forbidden: str = "",
    ) -> str | None:
        """A string option, at most ``max_chars`` characters / ``max_bytes`` UTF-8 bytes, without ``forbidden``."""
        value = self.options.get(name)
        if value is None:
            if required:
                raise InvalidInput(f"The {self.platform} option {name!r} is required", field=name)
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"The {self.platform} option {name!r} must be a string", field=name)
        if required and not value.strip():
            raise InvalidInput(f"The {self.platform} option {name!r} must not be empty", field=name)
        if max_chars is not None and len(value) > max_chars:
            raise InvalidInput(
                f"{self.platform} takes at most {max_chars} characters in {name!r}; this has {len(value)}",
                field=name,
            )
        size = len(value.encode())
        if max_bytes is not None and size > max_bytes:
            raise InvalidInput(
                f"{self.platform} takes at most {max_bytes} bytes (UTF-8) in {name!r}; this has {size}",
                field=name,
            )
        bad = sorted({character for character in value if character in forbidden})
        if bad:
            raise InvalidInput(
                f"{self.platform} refuses {' or '.join(repr(c) for c in bad)} in {name!r}", field=name
            )
        return value

    def flag(self, name: str) -> bool | None:
        """A true/false option."""
        value = self.options.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise InvalidInput(f"The {self.platform} option {name!r} must be true or false", field=name)
        return value

    def choice(self, name: str, choices: Iterable[str], *, required: bool = False) -> str | None:
        """One of ``choices``, exactly as spelt there."""
        allowed = tuple(choices)
        value = self.options.get(name)
        if value is None:
            if required:
                raise InvalidInput(
                    f"The {self.platform} option {name!r} is required", field=name, choices=allowed
                )
            return None
        if not isinstance(value, str) or value not in allowed:
            raise InvalidInput(
                f"The {self.platform} option {name!r} cannot be {value!r} for this account",
                field=name,
                choices=allowed,
            )
        return value

    def number(self, name: str, *, minimum: float, maximum: float | None = None) -> float | None:
        """A number from ``minimum`` to ``maximum``."""
        value = self.options.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise InvalidInput(f"The {self.platform} option {name!r} must be a number", field=name)
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" to {maximum:g}" if maximum is not None else " or more"
            raise InvalidInput(
                f"The {self.platform} option {name!r} must be {minimum:g}{upper}; it is {value:g}", field=name
            )
        return float(value)

    def strings(self, name: str, *, max_items: int, forbidden: str = "") -> list[str] | None:
        """A list of non-empty strings (at most ``max_items``), without ``forbidden`` characters."""
        value = self.options.get(name)
        if value is None:
            return None
        if not isinstance(value, list | tuple) or len(value) > max_items:
            raise InvalidInput(
                f"The {self.platform} option {name!r} must be a list of at most {max_items} strings",
                field=name,
            )
        items: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise InvalidInput(
                    f"Each of the {self.platform} option {name!r} must be a non-empty string", field=name
                )
            bad = sorted({character for character in item if character in forbidden})
            if bad:
                raise InvalidInput(
                    f"{self.platform} refuses {' or '.join(repr(c) for c in bad)} in {name!r}", field=name
                )
            items.append(item.strip())
        return items
