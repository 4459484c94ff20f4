"""How an OpenAI voice should sound for each category: the ``instructions`` sent to ``gpt-4o-mini-tts``.

``gpt-4o-mini-tts`` takes free-text ``instructions`` about tone, pacing and
emotion (``tts-1`` and ``tts-1-hd`` refuse them). Each category has a mood and
a short brief written for a narrator reading one quote for a short video;
a category not in the table gets a brief made from its mood words.
"""

from __future__ import annotations

from oasis_core.domain.catalogue import Category

_COMMON = "You read one short quote aloud for a vertical video. Keep every word exactly as written."

TONES: dict[str, tuple[str, str]] = {
    "motivation": (
        "energetic",
        "Tone: energetic and determined, like a coach before the game. Build momentum through each "
        "sentence and land the last line with conviction. Pacing: brisk but clear.",
    ),
    "success": (
        "confident",
        "Tone: confident and triumphant, warm rather than boastful. Pacing: steady, with a proud lift "
        "on the key words.",
    ),
    "stoicism": (
        "calm",
        "Tone: calm, austere and grounded, like a philosopher speaking plainly. Pacing: measured and "
        "unhurried, with short pauses between sentences. No drama.",
    ),
    "mindfulness": (
        "serene",
        "Tone: serene, soft and present, like a meditation guide. Pacing: slow, with gentle breaths "
        "between phrases.",
    ),
    "wisdom": (
        "contemplative",
        "Tone: contemplative and deep, like an elder sharing something learnt over a lifetime. Pacing: "
        "slow and thoughtful, letting each idea settle.",
    ),
    "leadership": (
        "steady",
        "Tone: bold, steady and inspiring, a leader addressing a team. Pacing: firm and even, with "
        "clear emphasis on the call to act.",
    ),
    "perseverance": (
        "resilient",
        "Tone: resilient and earnest, quietly intense, like someone who has come through a storm. "
        "Pacing: deliberate, gaining strength towards the end.",
    ),
    "happiness": (
        "joyful",
        "Tone: bright, warm and joyful, with a smile you can hear. Pacing: light and lively.",
    ),
    "courage": (
        "heroic",
        "Tone: fearless and dramatic, stirring like a rallying speech. Pacing: strong, with a "
        "decisive rise on the final words.",
    ),
    "love": (
        "tender",
        "Tone: tender, warm and intimate, as if speaking to someone close. Pacing: gentle and unhurried.",
    ),
    "gratitude": (
        "thankful",
        "Tone: gentle, glowing and sincerely thankful. Pacing: relaxed and warm.",
    ),
    "hope": (
        "hopeful",
        "Tone: hopeful and luminous, like the first light after a long night. Pacing: calm at first, "
        "opening up towards the end.",
    ),
}
"""Category id → (mood, instructions) for the twelve built-in categories."""


def mood_of(category: Category) -> str:
    """The one word that names how ``category`` is read (its first mood word outside the table)."""
    known = TONES.get(category.id)
    return known[0] if known else (category.mood[0] if category.mood else "warm")


def instructions_for(category: Category | None) -> str:
    """The ``instructions`` for reading a quote of ``category`` (a neutral narrator for ``None``)."""
    if category is None:
        return f"{_COMMON} Tone: warm and natural, like a thoughtful narrator. Pacing: clear and unhurried."
    known = TONES.get(category.id)
    if known is not None:
        return f"{_COMMON} {known[1]}"
    mood = ", ".join(category.mood) or "warm"
    return f"{_COMMON} Tone: {mood}, suited to a quote about {category.name.lower()}. Pacing: clear."


__all__ = ["TONES", "instructions_for", "mood_of"]
