"""The categories and visual styles Oasis offers, with the words that describe them.

Providers read these to write prompts (the mood of a category, the look of a
style); the CLI and the API list them as the valid choices.
"""

from __future__ import annotations

from attrs import frozen

from oasis_core.errors import InvalidInput


@frozen
class Category:
    """A theme of content, such as ``motivation``; ``mood`` words colour the visuals."""

    id: str
    name: str
    mood: tuple[str, ...]


@frozen
class Style:
    """A visual style, such as ``cinematic``; ``look`` describes it for a visual prompt."""

    id: str
    name: str
    look: str


CATEGORIES: tuple[Category, ...] = (
    Category("motivation", "Motivation", ("rising", "energetic", "determined")),
    Category("success", "Success", ("triumphant", "golden", "confident")),
    Category("stoicism", "Stoicism", ("calm", "austere", "timeless")),
    Category("mindfulness", "Mindfulness", ("serene", "quiet", "present")),
    Category("wisdom", "Wisdom", ("ancient", "contemplative", "deep")),
    Category("leadership", "Leadership", ("bold", "steady", "inspiring")),
    Category("perseverance", "Perseverance", ("resilient", "enduring", "stormy")),
    Category("happiness", "Happiness", ("bright", "warm", "joyful")),
    Category("courage", "Courage", ("fearless", "dramatic", "heroic")),
    Category("love", "Love", ("tender", "warm", "intimate")),
    Category("gratitude", "Gratitude", ("gentle", "glowing", "thankful")),
    Category("hope", "Hope", ("dawning", "luminous", "open")),
)

STYLES: tuple[Style, ...] = (
    Style(
        "cinematic",
        "Cinematic",
        "cinematic wide shot, volumetric light, teal and orange grade, shallow depth of field",
    ),
    Style(
        "minimal",
        "Minimal",
        "minimalist composition, soft pastel tones, generous negative space, clean lines",
    ),
    Style(
        "neon", "Neon", "neon glow, deep night colours, magenta and cyan light trails, synthwave atmosphere"
    ),
    Style("nature", "Nature", "natural landscape, soft daylight, greens and earth tones, mist over hills"),
    Style(
        "retro", "Retro", "retro film look, warm faded colours, sunset stripes, grain and halftone texture"
    ),
    Style(
        "abstract",
        "Abstract",
        "abstract flowing shapes, bold colour fields, fluid gradients, painterly texture",
    ),
    Style("dreamy", "Dreamy", "dreamy haze, soft bokeh lights, lavender and peach tones, gentle glow"),
    Style(
        "monochrome", "Monochrome", "black and white photography, strong contrast, silver light, fine grain"
    ),
)

CATEGORY_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES)
STYLE_IDS: tuple[str, ...] = tuple(s.id for s in STYLES)


def get_category(category_id: str) -> Category:
    """Return the category with that id, or raise :class:`InvalidInput` listing the valid ones."""
    for category in CATEGORIES:
        if category.id == category_id:
            return category
    raise InvalidInput(f"Unknown category {category_id!r}", field="category", choices=CATEGORY_IDS)


def get_style(style_id: str) -> Style:
    """Return the style with that id, or raise :class:`InvalidInput` listing the valid ones."""
    for style in STYLES:
        if style.id == style_id:
            return style
    raise InvalidInput(f"Unknown style {style_id!r}", field="style", choices=STYLE_IDS)
