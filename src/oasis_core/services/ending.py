"""How a video ends: at least five seconds long, on an end card that names the author.

A one-word quote is spoken in under a second; as a 2-second video it is
refused by TikTok (which takes nothing under 3 s) and gone before anyone can
read it. So every video lasts at least :data:`MIN_SECONDS`, and a quote with
an author ends on a card with the attribution (``— Epictetus``) that fades
in after the last caption and holds to the end, for at least
:data:`END_CARD_SECONDS`.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from oasis_core.domain.captions import CaptionPhrase
from oasis_core.errors import InvalidInput
from oasis_core.ports.compositor import EndCard

MIN_SECONDS = 5.0
"""No video is shorter: platforms refuse very short videos (TikTok: under 3 s)."""
END_CARD_SECONDS = 2.0
"""The end card's least time on screen: a fade-in of about 1.2 s, then a hold."""
MAX_ATTRIBUTION = 120
"""The longest attribution, in characters: it must fit the end card in large type."""
_DASHES = "—–-―‒ \t"


def optional_attribution(value: str | None) -> str | None:
    """An author or source as given (spaces and a leading dash trimmed), ``None`` when blank.

    Raises :class:`InvalidInput` when it is longer than :data:`MAX_ATTRIBUTION` characters.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("The attribution must be text", field="attribution")
    cleaned = " ".join(value.split()).lstrip(_DASHES).strip()
    if len(cleaned) > MAX_ATTRIBUTION:
        raise InvalidInput(
            f"The attribution is {len(cleaned)} characters long; at most {MAX_ATTRIBUTION} fit the end card",
            field="attribution",
        )
    return cleaned or None


@frozen
class Ending:
    """The video's length and the end card it finishes on (``None`` without an attribution)."""

    duration: float
    end_card: EndCard | None


def plan_ending(
    speech_seconds: float, captions: Sequence[CaptionPhrase], attribution: str | None, *, tail: float
) -> Ending:
    """How long the video lasts and when its end card starts.

    The video lasts the speech plus ``tail`` seconds, at least
    :data:`MIN_SECONDS`. With an ``attribution`` the end card starts when the
    last caption goes (or when the speech ends, without captions) and the
    video runs on until the card has been up for :data:`END_CARD_SECONDS`.
    """
    duration = max(MIN_SECONDS, speech_seconds + tail)
    if attribution is None:
        return Ending(duration, None)
    start = max((phrase.end for phrase in captions), default=speech_seconds)
    return Ending(max(duration, start + END_CARD_SECONDS), EndCard(f"— {attribution}", start))
