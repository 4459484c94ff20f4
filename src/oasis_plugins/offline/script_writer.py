"""An honest narrated script from the bundled quotes: a hook for the topic, quotes, a closing line.

The offline writer knows nothing about a topic, so it never states facts
about it. It says so in its hook ("On why sleep matters, here is what great
minds have said."), then lets real quotes speak, each with its author spoken
("Seneca said: …"), since a quote heard without its author would pass for
the narrator's own claim, and ends on a line that leaves the judgement to the
viewer.

Which quotes: the topic's words are matched against each category's id, name,
mood words and a short list of everyday topics that belong to it (a match
counts three), and against the words of the category's quotes (one each);
the best-scoring category wins, ``wisdom`` when nothing matches. Within it,
quotes that share words with the topic come first, the rest in random order.

How many: quotes are added until their characters fill the length at the
normal rate (:data:`CHARS_PER_WORD` characters a word), without passing
125 % of the words that rate holds, so an offline voice (espeak speaks faster
than the normal rate) still gives a video close to the length asked for.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from oasis_core.domain.catalogue import CATEGORIES, Category, get_category, get_style
from oasis_core.domain.media import Quote
from oasis_core.domain.script import WORDS_PER_SECOND, Script, ScriptScene, word_count
from oasis_plugins.offline.visual_prompt import build_visual_prompt, content_words, salience

FALLBACK_CATEGORY = "wisdom"
"""The category whose quotes speak to a topic that matches no category."""

PROMPT_STYLE = "cinematic"
"""The look written into each scene's visual prompt (the render's style still paints the picture)."""

CLOSING = "Which of these words will you keep?"
"""The last scene: the judgement is the viewer's."""

KEYWORD_WEIGHT = 3
"""What one match with a category's own words counts, against one for a word of one of its quotes."""

MAX_HOOK_TOPIC_WORDS = 8
"""A topic longer than this is not read out in the hook."""

MAX_QUOTE_CHARS = 400
"""Quotes longer than this are left out (a scene's text holds at most 500 characters)."""

SEARCH_TERMS = 3

MAX_WORDS_SHARE = 1.25
"""The most words a script may have, as a share of what its length holds at the normal rate."""

CHARS_PER_WORD = 6
"""An English word with its space and punctuation, in characters: quotes are measured in characters.

How long a text takes to say follows its characters far more closely than
its words (espeak: 17 characters a second, within 2 %, but 2.8 to 3.5 words
a second over the same scripts), so a script sized in characters
(:data:`WORDS_PER_SECOND` x this) gives a video close to the length asked for.
"""
"""How many search terms each scene gets: its most salient words."""

TOPIC_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "motivation": ("start", "action", "goal", "habit", "productivity", "discipline", "energy", "exercise"),
    "success": ("success", "career", "money", "business", "wealth", "achievement", "ambition", "win"),
    "stoicism": ("control", "stoic", "adversity", "anger", "emotion", "virtue", "death", "calm"),
    "mindfulness": (
        "sleep",
        "rest",
        "breath",
        "meditation",
        "stress",
        "anxiety",
        "present",
        "relax",
        "focus",
    ),
    "wisdom": ("life", "knowledge", "learning", "time", "truth", "education", "reading", "book", "age"),
    "leadership": ("lead", "leader", "team", "management", "manager", "boss", "vision", "responsibility"),
    "perseverance": ("failure", "persistence", "setback", "patience", "grit", "struggle", "effort", "endure"),
    "happiness": ("happy", "joy", "fun", "smile", "laughter", "contentment", "pleasure", "play"),
    "courage": ("fear", "afraid", "risk", "brave", "danger", "change", "confidence", "speaking"),
    "love": ("relationship", "family", "friend", "friendship", "marriage", "heart", "kindness", "partner"),
    "gratitude": ("thanks", "thankful", "grateful", "appreciation", "gift", "giving", "generosity"),
    "hope": ("future", "tomorrow", "dream", "beginning", "dark", "recovery", "healing", "optimism"),
}
"""Everyday topics that belong to each category, beyond its name and mood words."""


def _stem(word: str) -> str:
    """A crude stem, so "sleeping", "sleeps" and "sleep" match: the first five letters, or the word."""
    return word[:5] if len(word) > 5 else word.rstrip("s") or word


def _stems(words: Sequence[str]) -> set[str]:
    return {_stem(word.lower()) for word in words}


def category_score(topic: str, category: Category, quotes: Sequence[Quote]) -> int:
    """How well ``category`` fits ``topic`` (see the module's docstring)."""
    topic_stems = _stems(content_words(topic))
    own = (category.id, category.name, *category.mood, *TOPIC_KEYWORDS.get(category.id, ()))
    keyword_hits = len(topic_stems & _stems(own))
    quote_hits = len(topic_stems & _stems([w for quote in quotes for w in content_words(quote.text)]))
    return KEYWORD_WEIGHT * keyword_hits + quote_hits


def nearest_category(topic: str, quotes: Mapping[str, Sequence[Quote]]) -> Category:
    """The category whose words and quotes best match ``topic``; :data:`FALLBACK_CATEGORY` when none does."""
    scored = [(category_score(topic, c, quotes.get(c.id, ())), c) for c in CATEGORIES if quotes.get(c.id)]
    best = max(scored, key=lambda pair: pair[0], default=None)
    if best is None or best[0] == 0:
        return get_category(FALLBACK_CATEGORY)
    return best[1]


def hook(topic: str) -> str:
    """The first scene: names the topic (when short enough to read out) without claiming to know it."""
    words = topic.rstrip(" .!?…").split()
    if not words or len(words) > MAX_HOOK_TOPIC_WORDS:
        return "Here is what great minds have said on this."
    return f"On {' '.join(words)}, here is what great minds have said."


def spoken_quote(quote: Quote) -> str:
    """A quote as one scene says it: its author named first (``"Seneca said: …"``), when known."""
    return f"{quote.author} said: {quote.text}" if quote.author else quote.text


def search_terms(text: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The most salient words of ``text`` (concrete nouns first), after ``extra``, at most :data:`SEARCH_TERMS`."""
    ranked = sorted(content_words(text), key=lambda w: -salience(w))
    terms: list[str] = []
    for term in [*extra, *ranked]:
        if term and term not in terms:
            terms.append(term)
    return tuple(terms[:SEARCH_TERMS])


def _size(quote: Quote) -> int:
    """A quote's length as spoken in a scene, in characters, with the space before it."""
    return len(spoken_quote(quote)) + 1


def pick_quotes(
    topic: str, quotes: Sequence[Quote], budget: int, chooser: random.Random, *, max_words: int
) -> list[Quote]:
    """Quotes whose spoken characters add up to ``budget`` or a little more: topic matches first, then at random.

    A quote may take at most half the budget (when the budget allows two), so
    a script has several scenes rather than one long one; the total stays
    within 115 % of the budget, and within ``max_words`` words. Should the first pass fall short, the quote
    that comes closest to the budget is added, until none fits: a narration
    that falls short makes a video shorter than asked, since most voices speak
    a little faster than the normal rate.
    """
    topic_stems = _stems(content_words(topic))
    usable = [q for q in quotes if len(q.text) <= MAX_QUOTE_CHARS]
    chooser.shuffle(usable)
    usable.sort(key=lambda q: -len(topic_stems & _stems(content_words(q.text))))  # stable: shuffled ties
    largest = max(budget // 2 if budget >= 24 * CHARS_PER_WORD else budget, 8 * CHARS_PER_WORD)
    ceiling = budget * 1.15
    picked: list[Quote] = []
    total = words = 0

    def fits(quote: Quote) -> bool:
        return total + _size(quote) <= ceiling and words + word_count(spoken_quote(quote)) <= max_words

    for quote in usable:
        size = _size(quote)
        if size <= largest and fits(quote):
            picked.append(quote)
            total, words = total + size, words + word_count(spoken_quote(quote))
        if total >= budget:
            return picked
    while total < budget:
        left = [q for q in usable if q not in picked and fits(q)]
        if not left:
            break
        best = max(left, key=lambda q: _size(q))
        picked.append(best)
        total, words = total + _size(best), words + word_count(spoken_quote(best))
    return picked


def build_script(
    topic: str,
    category: Category | None,
    length_seconds: int,
    quotes: Mapping[str, Sequence[Quote]],
    chooser: random.Random,
) -> Script:
    """A script of about ``length_seconds`` at the normal speaking rate: hook, quotes, closing line."""
    chosen = category or nearest_category(topic, quotes)
    opening, closing = hook(topic), CLOSING
    budget = round(length_seconds * WORDS_PER_SECOND * CHARS_PER_WORD) - len(opening) - len(closing) - 1
    max_words = int(length_seconds * WORDS_PER_SECOND * MAX_WORDS_SHARE) - word_count(f"{opening} {closing}")
    picked = pick_quotes(topic, quotes.get(chosen.id, ()), budget, chooser, max_words=max_words)
    covered = sum(_size(q) for q in picked)
    if covered < budget * 0.8:  # the category ran short: other categories fill the rest
        others = [q for c, items in quotes.items() if c != chosen.id for q in items]
        spoken = sum(word_count(spoken_quote(q)) for q in picked)
        picked += pick_quotes(topic, others, budget - covered, chooser, max_words=max_words - spoken)
    style = get_style(PROMPT_STYLE)

    def scene(text: str, picture: str) -> ScriptScene:
        terms = search_terms(picture) or (chosen.name.lower(),)
        return ScriptScene(text, build_visual_prompt(picture, chosen, style), terms)

    scenes = [scene(opening, topic)]
    scenes += [scene(spoken_quote(quote), quote.text) for quote in picked]
    scenes.append(scene(closing, f"{closing} {topic}"))
    return Script(tuple(scenes), topic=topic, language="en")
