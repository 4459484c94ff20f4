"""A script: the narration of a video cut into scenes, each with the picture that goes with it.

A topic video ("why sleep matters") is told in scenes. Each scene has the
words spoken over it, a visual prompt for its picture and a few search terms
for stock footage. The whole narration is the scenes' texts joined in order.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import field, frozen

from oasis_core.domain.media import validate_text
from oasis_core.errors import InvalidInput

MIN_SCRIPT_SECONDS = 15
"""The shortest script length, in seconds, that can be asked for."""

MAX_SCRIPT_SECONDS = 90
"""The longest script length, in seconds, that can be asked for."""

DEFAULT_SCRIPT_SECONDS = 30
"""The length of a script when none is asked for."""

WORDS_PER_SECOND = 2.5
"""A normal speaking rate (150 words a minute) at speaking rate 1.0: how many words fit a length."""

MAX_SCENES = 20
"""The most scenes one script may have."""

MAX_SCENE_TEXT = 500
"""The longest narration of one scene, in characters."""

MAX_SCRIPT_TEXT = 2500
"""The longest whole narration, in characters (90 s at a fast speaking rate, with room)."""

MAX_SCENE_PROMPT = 1000
"""The longest visual prompt of one scene, in characters."""

MAX_SEARCH_TERMS = 8
"""The most search terms one scene may carry."""

MAX_SEARCH_TERM = 60
"""The longest search term, in characters."""

MAX_TOPIC = 200
"""The longest topic, in characters."""


def script_length(seconds: float) -> int:
    """``seconds`` as a whole script length, or :class:`InvalidInput` (field ``length``) outside 15–90."""
    if not (MIN_SCRIPT_SECONDS <= seconds <= MAX_SCRIPT_SECONDS):
        raise InvalidInput(
            f"The length must be {MIN_SCRIPT_SECONDS} to {MAX_SCRIPT_SECONDS} seconds, not {seconds:g}",
            field="length",
        )
    return round(seconds)


def validate_topic(topic: str) -> str:
    """``topic`` on one line, or :class:`InvalidInput` (field ``topic``) if it is empty or too long."""
    return validate_text(topic, field_name="topic", limit=MAX_TOPIC)


def word_count(text: str) -> int:
    """How many words a speech engine times in ``text`` (as :meth:`str.split` finds them)."""
    return len(text.split())


def speaking_seconds(text: str, rate: float = 1.0) -> float:
    """About how long ``text`` takes to say at ``rate``, at :data:`WORDS_PER_SECOND`."""
    return word_count(text) / (WORDS_PER_SECOND * rate)


def _search_terms(terms: Iterable[str]) -> tuple[str, ...]:
    cleaned: list[str] = []
    for term in terms:
        if not isinstance(term, str):
            raise InvalidInput("A search term must be text", field="search_terms")
        one = " ".join(term.split())
        if not one:
            continue
        if len(one) > MAX_SEARCH_TERM:
            raise InvalidInput(
                f"The search term {one[:20]!r}… is longer than {MAX_SEARCH_TERM} characters",
                field="search_terms",
            )
        if one.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(one)
    if len(cleaned) > MAX_SEARCH_TERMS:
        raise InvalidInput(f"A scene has at most {MAX_SEARCH_TERMS} search terms", field="search_terms")
    return tuple(cleaned)


def _scene_text(text: str) -> str:
    return validate_text(text, field_name="text", limit=MAX_SCENE_TEXT)


def _scene_prompt(prompt: str) -> str:
    return " ".join(prompt.split())[:MAX_SCENE_PROMPT]


@frozen
class ScriptScene:
    """One scene: the words spoken over it, a description of its picture and stock-footage search terms.

    The text is checked (one line, 1–500 characters); an empty ``visual_prompt``
    means "use the video's own prompt"; search terms are trimmed, without
    repeats, at most eight of 60 characters each.
    """

    text: str = field(converter=_scene_text)
    visual_prompt: str = field(default="", converter=_scene_prompt)
    search_terms: tuple[str, ...] = field(default=(), converter=_search_terms)


def _scenes(items: Iterable[ScriptScene]) -> tuple[ScriptScene, ...]:
    scenes = tuple(items)
    if not scenes:
        raise InvalidInput("A script needs at least one scene", field="scenes")
    if len(scenes) > MAX_SCENES:
        raise InvalidInput(f"A script has at most {MAX_SCENES} scenes, not {len(scenes)}", field="scenes")
    return scenes


def narration(scenes: Iterable[ScriptScene]) -> str:
    """The whole narration of ``scenes``: their texts joined with spaces, in order."""
    return " ".join(scene.text for scene in scenes)


@frozen
class Script:
    """A narrated video's words, scene by scene (1 to :data:`MAX_SCENES`), and who wrote it.

    ``topic`` is what it is about; ``language`` the BCP 47 tag it is written
    in, when the writer says.
    """

    scenes: tuple[ScriptScene, ...] = field(converter=_scenes)
    topic: str = ""
    language: str | None = None

    def __attrs_post_init__(self) -> None:
        if len(self.content) > MAX_SCRIPT_TEXT:
            raise InvalidInput(
                f"The script is {len(self.content)} characters long; the limit is {MAX_SCRIPT_TEXT}",
                field="scenes",
            )

    @property
    def content(self) -> str:
        """The whole narration, as spoken and captioned."""
        return narration(self.scenes)

    @property
    def seconds(self) -> float:
        """About how long the narration takes to say at a normal rate."""
        return speaking_seconds(self.content)
