"""Turns a quote into a visual prompt without any model: salient words, concrete images, mood and look.

The prompt is built only from the quote's own words, the category's mood and the
style's look, so it is deterministic (the same inputs always give the same prompt)
and different quotes give different prompts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from oasis_core.domain.catalogue import Category, Style

MAX_PROMPT_LENGTH = 400
"""The longest prompt, in characters, that :func:`build_visual_prompt` returns."""

_EXCERPT_WORDS = 10
_MAX_KEYWORD_LENGTH = 24
_FRAMING = "subject centred, no text"


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: frozenset[str] = _word_set(
    """
    a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can cannot could did do does doing done down during each either else
    enough ever every few for from further get gets give given gives go goes had has have having he her
    here hers herself him himself his how however i if in into is it its itself just least less let lets
    like made make makes many may me might more most much must my myself neither never no nor not now
    of off oft often on once one only or other others ought our ours ourselves out over own rather said
    same say says shall she should so some such than that the their theirs them themselves then there
    these they thing things this those though through thus till to too under unless until unto up upon
    us very was we well were what whatever when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves
    art doth dost hath hast thee thou thine thy thyself tis twas wert wilt ye em
    man men way many every anyone someone somebody nothing everything something another
    """
)
"""Words too common to say anything about a picture (modern and archaic English)."""

_CONCEPTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("mountain", "summit", "height", "peak", "climb"), "a lone figure on a winding mountain path at dawn"),
    (
        ("journey", "road", "path", "travel", "step", "walk", "mile", "afoot"),
        "a long winding road toward the horizon",
    ),
    (("river", "stream", "flowing"), "a river winding through a misty valley"),
    (
        ("sea", "ocean", "wave", "shore", "promontory", "tide", "flood"),
        "waves breaking against a rocky headland",
    ),
    (("ship", "sail", "helm", "harbour", "port", "pilot"), "a sailing ship on open water"),
    (("storm", "stormy", "tempest", "thunder"), "storm clouds parting over a dark horizon"),
    (("rain", "cloud", "weeping", "tear"), "rain clouds with sunlight breaking through"),
    (("wind", "grass", "bend"), "tall grass bending in the wind"),
    (("light", "shine", "shining", "beam", "bright"), "shafts of light breaking through clouds"),
    (("sun", "sunshine", "sunrise", "dawn", "morning", "day"), "the sun rising over a quiet horizon"),
    (
        ("star", "heaven", "sky", "universe", "infinity", "eternity", "eternal"),
        "a vast night sky full of stars",
    ),
    (("night", "dark", "darkness", "shadow"), "a single lantern glowing in the dark"),
    (("candle",), "a single candle flame in a dark room"),
    (("fire", "flame", "kindling", "ember", "burn"), "glowing embers rising from a fire"),
    (("tree", "oak", "forest", "wood", "root"), "an ancient oak with sprawling roots"),
    (
        ("seed", "sprout", "acorn", "grow", "garden", "cultivate", "cultivation", "fruit"),
        "a green sprout pushing up through dark soil",
    ),
    (("flower", "roses", "bloom", "blossom"), "a single flower opening in soft light"),
    (("leaf", "leaves", "spring", "summer", "swallow"), "swallows over a green spring meadow"),
    (("winter", "snow", "autumn"), "a bare tree in a snowy field"),
    (("bird", "wing", "winged", "feather", "soar", "fly", "flies"), "a bird in flight against the open sky"),
    (("stone", "rock", "marble", "tower"), "a weathered stone worn smooth by time"),
    (("water", "dripping", "drop"), "drops of water falling onto a still pool"),
    (
        ("gold", "golden", "treasure", "rich", "riches", "wealth", "wealthy", "jewel"),
        "glints of gold in warm light",
    ),
    (("crown", "king", "throne", "government"), "a crown resting on a stone throne"),
    (
        ("battle", "war", "warrior", "soldier", "conquer", "conqueror", "victory", "arena", "fight"),
        "a lone warrior silhouetted against the sky",
    ),
    (
        ("time", "hour", "year", "moment", "nows", "morrow", "tomorrow"),
        "an hourglass with sand slowly falling",
    ),
    (
        ("book", "learning", "learn", "knowledge", "teach", "teacher", "education", "chapter"),
        "an open book in warm lamplight",
    ),
    (("home", "house", "village", "chamber"), "a warm window glowing in a quiet village"),
    (("friend", "friendship", "together", "togetherness"), "two friends walking side by side"),
    (("love", "loved", "lover", "heart", "lovable"), "two silhouettes holding hands in warm light"),
    (
        ("joy", "laughter", "smile", "merry", "mirth", "merriment", "happy", "happiness", "happily"),
        "friends laughing together in golden light",
    ),
    (("mind", "thought", "thinking", "soul", "opinion", "judgement"), "a quiet figure lost in thought"),
    (
        ("fear", "afraid", "danger", "brave", "courage", "valiant", "bold", "dare", "coward"),
        "a figure standing firm at the edge of a cliff",
    ),
    (("hope", "dream", "possibility", "faith"), "a figure gazing at first light on the horizon"),
    (("bee", "nectar", "butterfly"), "a butterfly resting on a wild flower"),
    (("sand", "grain"), "grains of sand in an open palm"),
    (("world", "earth"), "the curve of the earth at sunrise"),
    (
        ("gift", "thanks", "thankfulness", "gratitude", "blessing", "blessed", "miracle"),
        "open hands holding a warm glow",
    ),
    (
        ("silence", "silent", "quiet", "quietly", "stillness", "peace", "calm"),
        "a still lake reflecting the sky",
    ),
)

CONCEPT_IMAGES: dict[str, str] = {word: image for words, image in _CONCEPTS for word in words}
"""Concept words mapped to concrete images ("storm" → storm clouds parting over a dark horizon)."""

_WEAK_CONCEPTS = _word_set(
    "world earth time day year hour moment mind thought thinking soul heart light bright"
)
_NOT_CONCEPTS = frozenset({"springs", "rose", "lives"})  # verbs that look like concept nouns

_EDGE_WORDS = _word_set(
    "a an the and but or nor for so yet that which who whom whose of to in on at by with from as if than"
    " then when while"
)

_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_CLAUSE_BREAK = re.compile(r"[,;:.!?()\"“”—–]+")
_NOUN_ENDINGS = ("tion", "ness", "ity", "ment", "dom", "ship", "ance", "ence", "ure", "age", "hood")


def _base(token: str) -> str:
    """A token lower-cased and cut at its apostrophe ("man's" → "man")."""
    return re.split(r"['’]", token.lower(), maxsplit=1)[0]


def concept_of(word: str) -> str | None:
    """The concrete image for ``word`` (a lower-case word, plural or not), or ``None``."""
    if word in _NOT_CONCEPTS:
        return None
    candidates = [word]
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("s"):
        candidates.append(word[:-1])
    for candidate in candidates:
        if candidate in CONCEPT_IMAGES:
            return CONCEPT_IMAGES[candidate]
    return None


def is_content_word(word: str) -> bool:
    """Whether a lower-case word carries meaning for a picture (not a stop word, three letters or more)."""
    return len(word) >= 3 and word not in STOP_WORDS


def salience(word: str) -> int:
    """How strongly a lower-case word should shape the picture.

    Concrete concepts score highest (generic ones such as "time" less), then longer words and nouns.
    """
    if not is_content_word(word):
        return 0
    if concept_of(word) is not None:
        return 12 if word in _WEAK_CONCEPTS or word.rstrip("s") in _WEAK_CONCEPTS else 20
    score = len(word)
    if word.endswith(_NOUN_ENDINGS):
        score += 2
    if word.endswith("ly"):
        score -= 3
    return max(score, 1)


def content_words(text: str) -> list[str]:
    """The content words of ``text``, lower-case, in order, without repeats."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text):
        word = _base(token)
        if is_content_word(word):
            seen.setdefault(word, None)
    return list(seen)


def _clean_words(clause: str) -> list[str]:
    words = []
    for raw in clause.split():
        word = raw.strip("'’-")
        if raw.lower() in {"'em", "'tis", "'twas"}:
            word = raw
        if any(ch.isalnum() for ch in word):
            words.append(word)
    return words


def excerpt(text: str, max_words: int = _EXCERPT_WORDS) -> str:
    """The most salient short phrase of ``text``: all of it when short, else its richest clause,
    cut to ``max_words`` words."""
    whole = _clean_words(_CLAUSE_BREAK.sub(" ", text))
    if len(whole) <= max_words:
        return " ".join(whole)
    best: list[str] = []
    best_score = -1
    for clause in _CLAUSE_BREAK.split(text):
        words = _clean_words(clause)
        if not words:
            continue
        scores = [salience(_base(w)) for w in words]
        width = min(max_words, len(words))
        for start in range(len(words) - width + 1):
            score = sum(scores[start : start + width]) + width  # longer phrases read better
            if score > best_score:
                best, best_score = words[start : start + width], score
    while len(best) > 1 and best[-1].lower() in _EDGE_WORDS:
        best = best[:-1]
    while len(best) > 1 and best[0].lower() in _EDGE_WORDS:
        best = best[1:]
    return " ".join(best)


def images_for(text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` distinct concrete images for the concept words of ``text``, most salient first."""
    ranked = sorted(content_words(text), key=lambda w: -salience(w))  # stable: ties keep text order
    images: list[str] = []
    for word in ranked:
        image = concept_of(word)
        if image is not None and image not in images:
            images.append(image)
        if len(images) == limit:
            break
    return images


def _subject(text: str, category: Category, images: Sequence[str]) -> str:
    if images:
        return " and ".join(images)
    usable = [w for w in content_words(text) if len(w) <= _MAX_KEYWORD_LENGTH]
    keywords = sorted(usable, key=lambda w: -salience(w))[:2]
    if keywords:
        return f"a symbolic scene of {' and '.join(keywords)}"
    return f"an evocative scene of {category.name.lower()}"


def _assemble(subject: str, phrase: str, category: Category, style: Style, framing: bool) -> str:
    head = subject[:1].upper() + subject[1:]
    if phrase:
        head += f", evoking '{phrase}'"
    parts = [head]
    if category.mood:
        parts.append(f"{', '.join(category.mood)} mood")
    parts.append(style.look)
    if framing:
        parts.append(_FRAMING)
    return "; ".join(parts)


def build_visual_prompt(text: str, category: Category, style: Style) -> str:
    """A one-paragraph visual prompt (at most 400 characters) for ``text`` in ``category`` and ``style``.

    Shape: ``<concrete images>, evoking '<salient phrase>'; <mood words> mood; <style look>; <framing>``.
    Optional parts give way (second image, then the phrase word by word, then the framing) to fit the limit.
    """
    text = " ".join(text.split())
    images = images_for(text)
    phrase_words = excerpt(text).split()
    framing = True
    while True:
        prompt = _assemble(_subject(text, category, images), " ".join(phrase_words), category, style, framing)
        if len(prompt) <= MAX_PROMPT_LENGTH:
            return prompt
        if len(images) > 1:
            images = images[:1]
        elif phrase_words:
            phrase_words = phrase_words[:-1]
        elif framing:
            framing = False
        else:
            return prompt[:MAX_PROMPT_LENGTH].rsplit(" ", 1)[0].rstrip(",;")
