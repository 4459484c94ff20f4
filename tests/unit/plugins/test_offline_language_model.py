"""Tests for the ``offline`` language model: its bundled quotes, quote choice and visual prompts."""

from __future__ import annotations

import re

import pluggy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oasis_plugins.offline as offline_plugin
from oasis_core import hookspecs
from oasis_core.domain.catalogue import CATEGORIES, CATEGORY_IDS, STYLES, Category, Style, get_category
from oasis_core.domain.media import Quote
from oasis_core.errors import InvalidInput
from oasis_core.ports.language_model import LanguageModel
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.offline.language_model import (
    RECENT_MEMORY,
    OfflineLanguageModel,
    load_quotes,
    normalise,
)

ALL_QUOTES: list[tuple[str, Quote]] = [(cid, q) for cid, quotes in load_quotes().items() for q in quotes]

# Deliberately independent of the plugin's own stop-word list.
_FILLER = frozenset(
    re.split(
        r"\s+",
        "the and for are but not who you his her all was one has had its our thy art "
        "that this with what which have there their than then when will shall from they them those these "
        "every only thou thee thine doth hath were been being into upon your yours some such also ever never "
        "more most much many does make makes said",
    )
)


def make(seed: str | None = None) -> OfflineLanguageModel:
    return OfflineLanguageModel(ProviderConfig(settings={"seed": seed} if seed is not None else {}))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


# --- plugin and provider shape ------------------------------------------------------------------


def test_plugin_module_registers_the_offline_model() -> None:
    manager = pluggy.PluginManager("oasis")
    manager.add_hookspecs(hookspecs)
    manager.register(offline_plugin)
    registered: list[type] = []
    manager.hook.register_language_models(register=registered.append)
    assert registered == [OfflineLanguageModel]


def test_provider_attributes_and_protocol() -> None:
    assert OfflineLanguageModel.id == "offline"
    assert OfflineLanguageModel.name == "Offline quotes"
    assert OfflineLanguageModel.needs_key is None
    assert OfflineLanguageModel.key_env_var is None
    assert isinstance(make(), LanguageModel)


# --- the bundled data ------------------------------------------------------------------------------


def test_data_covers_exactly_the_catalogue_categories() -> None:
    assert set(load_quotes()) == set(CATEGORY_IDS)


@pytest.mark.parametrize("category_id", CATEGORY_IDS)
def test_each_category_has_at_least_20_unique_well_formed_quotes(category_id: str) -> None:
    quotes = load_quotes()[category_id]
    assert len(quotes) >= 20
    assert len({normalise(q.text) for q in quotes}) == len(quotes)
    for quote in quotes:
        assert isinstance(quote, Quote)
        assert quote.author and quote.author.strip() == quote.author
        assert quote.text.strip() == quote.text
        assert 0 < len(quote.text) <= 200
        assert "\n" not in quote.text
        assert quote.text[0] not in "\"“'‘" or quote.text.startswith("'Tis")
        assert not any(mark in quote.text for mark in ("*", "_", "#", "http"))
        assert quote.author not in quote.text


def test_no_quote_appears_twice_in_the_whole_collection() -> None:
    keys = [normalise(q.text) for _, q in ALL_QUOTES]
    assert len(keys) == len(set(keys))


def test_quotes_are_loaded_once() -> None:
    assert load_quotes() is load_quotes()


# --- write_quote ------------------------------------------------------------------------------------


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.id)
def test_write_quote_returns_a_quote_of_that_category(category: Category) -> None:
    quote = make().write_quote(category)
    assert quote in load_quotes()[category.id]


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.id)
def test_write_quote_honours_avoid_whatever_the_case_spacing_or_punctuation(category: Category) -> None:
    quotes = load_quotes()[category.id]
    keep = quotes[len(quotes) // 2]
    # Mangle the texts to avoid: upper case, doubled spaces, punctuation removed.
    avoid = [
        " ".join(re.sub(r"[^\w\s]", "", q.text).upper().split()).replace(" ", "  ")
        for q in quotes
        if q != keep
    ]
    model = make("1")
    for _ in range(5):
        assert model.write_quote(category, avoid=avoid) == keep


@pytest.mark.parametrize("seed", ["1", "2", "3", "oasis"])
@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.id)
def test_write_quote_does_not_repeat_recent_quotes(category: Category, seed: str) -> None:
    model = make(seed)
    given_texts = [model.write_quote(category).text for _ in range(RECENT_MEMORY + 1)]
    assert len(set(given_texts)) == len(given_texts)


def test_when_everything_is_excluded_the_least_recently_used_is_given() -> None:
    category = get_category("stoicism")
    quotes = load_quotes()[category.id]
    model = make("42")
    first = [model.write_quote(category) for _ in range(RECENT_MEMORY)]
    others = [q.text for q in quotes if q not in first]
    # Every quote is now either recent or avoided: the oldest recent one comes back, then the next.
    assert model.write_quote(category, avoid=others) == first[0]
    assert model.write_quote(category, avoid=others) == first[1]


def test_when_every_quote_is_avoided_one_is_still_given() -> None:
    category = get_category("hope")
    quotes = load_quotes()[category.id]
    model = make("5")
    given_quotes = [model.write_quote(category, avoid=[q.text for q in quotes]) for _ in range(len(quotes))]
    # Least recently used first: every quote is given once before any comes back.
    assert len(set(given_quotes)) == len(quotes)


def test_memory_is_per_category_and_per_instance() -> None:
    motivation, hope = get_category("motivation"), get_category("hope")
    model = make("9")
    model.write_quote(motivation)
    assert model.write_quote(hope) in load_quotes()["hope"]
    assert make("9").write_quote(motivation) == make("9").write_quote(motivation)


def test_a_seed_makes_the_choices_reproducible() -> None:
    category = get_category("wisdom")
    sequence = [make("7").write_quote(category)]
    a, b, c = make("7"), make("7"), make("8")
    run_a = [a.write_quote(category) for _ in range(15)]
    run_b = [b.write_quote(category) for _ in range(15)]
    run_c = [c.write_quote(category) for _ in range(15)]
    assert run_a == run_b
    assert run_a[0] == sequence[0]
    assert run_a != run_c


def test_without_a_seed_choices_vary_between_instances() -> None:
    category = get_category("love")
    runs = {tuple(make().write_quote(category) for _ in range(5)) for _ in range(5)}
    assert len(runs) > 1


def test_unknown_category_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        make().write_quote(Category("astrology", "Astrology", ("mystic",)))
    assert caught.value.field == "category"
    assert set(caught.value.choices) == set(CATEGORY_IDS)
    assert "astrology" in caught.value.message


# --- write_visual_prompt -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_visual_prompt_is_built_from_the_quote_mood_and_look(style: Style) -> None:
    model = make()
    for category_id, quote in ALL_QUOTES:
        category = get_category(category_id)
        prompt = model.write_visual_prompt(quote.text, category, style)
        assert len(prompt) <= 400
        assert "\n" not in prompt
        assert style.look in prompt
        assert all(mood in prompt for mood in category.mood)
        head = set(words(prompt.split(";")[0]))
        salient = {w for w in words(quote.text) if len(w) >= 3 and w not in _FILLER}
        assert salient & head, (quote.text, prompt)


def test_visual_prompt_is_deterministic() -> None:
    category, style = get_category("courage"), STYLES[0]
    for _, quote in ALL_QUOTES:
        assert make("1").write_visual_prompt(quote.text, category, style) == make().write_visual_prompt(
            quote.text, category, style
        )


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.id)
def test_every_bundled_quote_gets_its_own_prompt(category: Category) -> None:
    model = make()
    for style in STYLES:
        prompts = {model.write_visual_prompt(q.text, category, style) for _, q in ALL_QUOTES}
        assert len(prompts) == len(ALL_QUOTES)


@given(
    pair=st.lists(st.sampled_from(ALL_QUOTES), min_size=2, max_size=2, unique=True),
    category=st.sampled_from(CATEGORIES),
    style=st.sampled_from(STYLES),
)
def test_different_quotes_give_different_prompts(
    pair: list[tuple[str, Quote]], category: Category, style: Style
) -> None:
    model = make()
    (_, first), (_, second) = pair
    first_prompt = model.write_visual_prompt(first.text, category, style)
    assert first_prompt != model.write_visual_prompt(second.text, category, style)


@given(text=st.text(max_size=1200), category=st.sampled_from(CATEGORIES), style=st.sampled_from(STYLES))
def test_any_text_gives_a_short_single_paragraph_prompt(text: str, category: Category, style: Style) -> None:
    prompt = make().write_visual_prompt(text, category, style)
    assert 0 < len(prompt) <= 400
    assert "\n" not in prompt and "\r" not in prompt
    assert style.look in prompt
    assert all(mood in prompt for mood in category.mood)


def test_concept_words_become_concrete_images() -> None:
    prompt = make().write_visual_prompt(
        "A journey of a thousand miles begins with a single step.", get_category("perseverance"), STYLES[0]
    )
    head = prompt.split(";")[0].lower()
    assert "road" in head or "path" in head
    assert "thousand miles" in head
