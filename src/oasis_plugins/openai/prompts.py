"""The instructions sent to the chat model: one brief per category and per style, and the messages built from them.

Every category and style of the catalogue has a brief written for it; the
category's ``mood`` words and the style's ``look`` are added to it, so a
category or style a later version adds still gets a fitting instruction from
its own fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from oasis_core.domain.catalogue import Category, Style

MAX_AVOID = 20
"""How many of the texts to avoid are quoted in the prompt (the most recent ones)."""

_AVOID_CHARS = 200

CATEGORY_BRIEFS: dict[str, str] = {
    "motivation": "a line that makes someone get up and start now; about action, effort and momentum",
    "success": "a line about what success really takes: work, patience, focus and earning it",
    "stoicism": (
        "a line in the spirit of the Stoics (Marcus Aurelius, Seneca, Epictetus): what is in our control, "
        "calm in adversity, virtue over comfort"
    ),
    "mindfulness": "a line about being present: breath, attention, this moment, letting thoughts pass",
    "wisdom": "a line of lasting insight about life, time, knowledge or human nature, plain and memorable",
    "leadership": "a line about leading people: responsibility, example, trust, vision and serving a team",
    "perseverance": "a line about not giving up: setbacks, endurance, getting back up and going on",
    "happiness": "a line about joy and contentment: simple pleasures, gratitude, choosing a good day",
    "courage": "a line about courage: acting despite fear, speaking up, taking the first risky step",
    "love": "a line about love: tenderness, care, devotion and what it means to love someone well",
    "gratitude": "a line about gratitude: noticing what we already have and thanking the people in our lives",
    "hope": "a line about hope: a new day, light after darkness, believing things can get better",
}
"""What a good text for each category is about."""

STYLE_BRIEFS: dict[str, str] = {
    "cinematic": "a film still: a clear subject in a wide establishing shot, dramatic light, real locations",
    "minimal": "one simple subject on a calm, uncluttered background, few colours, lots of empty space",
    "neon": "a night scene lit by neon signs and glowing light, city or retro-futuristic setting",
    "nature": "an outdoor landscape photograph: real places, plants, sky and weather, no people in focus",
    "retro": "a vintage 1970s-80s photograph or poster feel: faded warm colours, film grain, sunsets",
    "abstract": "no literal scene: shapes, colour fields and flowing forms that carry the feeling",
    "dreamy": "a soft, hazy, gentle scene: glowing lights out of focus, pastel colours, a calm fantasy mood",
    "monochrome": "a black and white fine-art photograph: strong shapes, contrast, texture and shadow",
}
"""How a picture in each style is composed."""


def category_brief(category: Category) -> str:
    """The instruction for ``category``: its brief (or its name) and its mood words."""
    brief = CATEGORY_BRIEFS.get(category.id, f"a line about {category.name.lower()}")
    if category.mood:
        brief += f"; the feeling is {', '.join(category.mood)}"
    return brief


def style_brief(style: Style) -> str:
    """The instruction for ``style``: its brief (or its name) and its look."""
    brief = STYLE_BRIEFS.get(style.id, f"a picture in a {style.name.lower()} style")
    return f"{brief}; the look: {style.look}"


QUOTE_SYSTEM = (
    "You write the words of short vertical videos (Reels, Shorts, TikTok) that a voice reads aloud "
    "over a picture, with captions. Answer with a JSON object and nothing else: "
    '{"text": "<the quote>", "author": "<who said it, or null>"}. '
    "The text is plain: no quotation marks around it, no markdown, no hashtags, no emoji, "
    "no attribution inside the text. Keep it to one to three sentences and under 280 characters."
)

_KIND = {
    "quote": (
        "Give a real, well-known quote whose author you are certain of, with the author's name. "
        "If you are not certain who said it, write an original line instead and set author to null."
    ),
    "original": "Write an original line of your own (not a famous quote) and set author to null.",
}
CONTENT_KINDS: tuple[str, ...] = tuple(_KIND)
"""The values of the ``content`` setting: real quotes (the default) or original lines."""


def language_instruction(language: str) -> str:
    """The instruction to write in ``language`` (a BCP 47 tag, which chat models understand)."""
    return (
        f"Write the text in the language whose BCP 47 tag is {language}, in its usual script. "
        "For a real quote first said in another language, give a faithful, well-known translation "
        "with the original author."
    )


def quote_messages(
    category: Category, avoid: Sequence[str], *, content: str = "quote", language: str | None = None
) -> list[dict[str, str]]:
    """The chat messages that ask for one text for ``category``, different from each of ``avoid``.

    ``language`` (a BCP 47 tag) asks for the text in that language; ``None`` leaves it to the model.
    """
    lines = [f"Category: {category.name}.", f"Write {category_brief(category)}.", _KIND[content]]
    if language is not None:
        lines.append(language_instruction(language))
    recent = [" ".join(text.split())[:_AVOID_CHARS] for text in avoid if text.strip()][-MAX_AVOID:]
    if recent:
        lines.append("Do not use any of these, nor a close variant of one:")
        lines.extend(f"- {text}" for text in recent)
    return [{"role": "system", "content": QUOTE_SYSTEM}, {"role": "user", "content": "\n".join(lines)}]


VISUAL_SYSTEM = (
    "You write prompts for an image generator. Given the words of a short video, describe the one "
    "picture shown behind them: a concrete subject drawn from the words, the setting, the light, the "
    "colours and the composition. One paragraph of plain text, under 60 words, no lists, no markdown, "
    "no quotation marks. The picture must contain no text, letters, logos or watermarks, and no "
    "recognisable real person. Answer with the prompt only."
)


def visual_prompt_messages(text: str, category: Category, style: Style) -> list[dict[str, str]]:
    """The chat messages that ask for a visual prompt for ``text`` in ``category`` and ``style``."""
    mood = ", ".join(category.mood) or category.name.lower()
    user = "\n".join(
        (
            f"Words of the video: {' '.join(text.split())}",
            f"Category: {category.name} (mood: {mood}).",
            f"Style: {style.name}: {style_brief(style)}.",
        )
    )
    return [{"role": "system", "content": VISUAL_SYSTEM}, {"role": "user", "content": user}]


def scene_image_prompt(visual_prompt: str, style: Style, scene_text: str) -> str:
    """The prompt for one generated image: the video's visual prompt, the style's look and that scene's words."""
    parts = [" ".join(visual_prompt.split()).rstrip(".")]
    parts.append(f"Style: {style.look}")
    scene = " ".join(scene_text.split())
    if scene:
        parts.append(f"This moment of the video: {scene}")
    parts.append("A background for a short video: no text, no letters, no logos, no watermark")
    return ". ".join(part for part in parts if part) + "."


SCRIPT_SYSTEM = (
    "You write the narration of short vertical videos (Reels, Shorts, TikTok) about a topic. A voice "
    "reads it aloud with captions, scene by scene, over a picture or stock clip for each scene. Open with "
    "a hook, explain or tell in short spoken sentences, close with a line that lands. Be accurate: state "
    "only what is well established, and no invented numbers or quotes. Each scene's text is plain spoken "
    "words: no markdown, no emoji, no hashtags, no stage directions, no scene numbers, no quotation marks "
    "around it. Each scene's visual_prompt describes its picture (a concrete subject, setting, light; no "
    "text, logos or real people) in under 40 words, in English; its search_terms are two or three short "
    'English stock-footage searches ("sleeping person", "night city").'
)


def script_messages(
    topic: str,
    category: Category | None,
    *,
    length_seconds: int,
    words: int,
    scenes: int,
    language: str | None,
) -> list[dict[str, str]]:
    """The chat messages that ask for a script about ``topic`` of about ``words`` words in ``scenes`` scenes.

    ``words`` is what ``length_seconds`` holds at a normal speaking rate; the
    model is told both, since models count words better than seconds.
    """
    lines = [
        f"Topic: {' '.join(topic.split())}",
        f"Length: {length_seconds} seconds read aloud: about {words} words in all, "
        f"in {scenes} scenes of one or two sentences each.",
    ]
    if category is not None:
        lines.append(f"Mood: {category.name} ({', '.join(category.mood)}).")
    if language is not None:
        lines.append(
            f"Write the scene texts in the language whose BCP 47 tag is {language}, in its usual script; "
            "keep visual_prompt and search_terms in English."
        )
    return [{"role": "system", "content": SCRIPT_SYSTEM}, {"role": "user", "content": "\n".join(lines)}]
