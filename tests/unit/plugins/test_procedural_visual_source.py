"""Tests for the ``procedural`` visual source: sizes, seeding, variety, distinct styles, texture, scenes."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import oasis_plugins.procedural as procedural_plugin
from oasis_core import hookspecs
from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.catalogue import STYLE_IDS, STYLES, Style, get_style
from oasis_core.domain.media import ASPECTS, Aspect, get_aspect
from oasis_core.errors import InvalidInput
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.visual_source import VisualSource
from oasis_plugins.procedural import ProceduralVisualSource
from oasis_plugins.procedural.render import RECIPES
from oasis_plugins.procedural.visual_source import plan_scenes

PROMPT = "A lone tree on a hill at dawn, mist in the valley, calm and hopeful"
OTHER_PROMPT = "A city skyline at night after rain, determined and bold"
PORTRAIT = get_aspect("9:16")
SQUARE = get_aspect("1:1")
LUMA = np.asarray([0.2126, 0.7152, 0.0722], np.float32)


def make() -> ProceduralVisualSource:
    return ProceduralVisualSource(ProviderConfig())


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32)


def thumbnail(path: Path, size: tuple[int, int] = (120, 120)) -> np.ndarray:
    """A box-filtered small copy: compares pictures, not their grain."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB").resize(size, Image.Resampling.BOX), dtype=np.float32)


def colour_histogram(image: np.ndarray) -> np.ndarray:
    """A 4x4x4-bin colour histogram, normalised to sum to 1."""
    bins = (image // 64).astype(np.int64).clip(0, 3)
    index = bins[..., 0] * 16 + bins[..., 1] * 4 + bins[..., 2]
    counts = np.bincount(index.ravel(), minlength=64).astype(np.float64)
    return counts / counts.sum()


def expected_size(aspect: Aspect) -> tuple[int, int]:
    """115 % of the frame, rounded up, then up to an even number (computed exactly)."""

    def grow(pixels: int) -> int:
        size = math.ceil(Fraction(pixels) * Fraction(115, 100))
        return size + size % 2

    return grow(aspect.width), grow(aspect.height)


@pytest.fixture(scope="module")
def portrait_images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 9:16 image per style for ``PROMPT``."""
    out = tmp_path_factory.mktemp("portrait")
    source = make()
    return {
        style.id: source.create(PROMPT, style, PORTRAIT, 8.0, out).scenes[0].image_path for style in STYLES
    }


@pytest.fixture(scope="module")
def square_images(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """One 1:1 image per style for each of two prompts."""
    out = tmp_path_factory.mktemp("square")
    source = make()
    return {
        (style.id, prompt): source.create(prompt, style, SQUARE, 8.0, out).scenes[0].image_path
        for style in STYLES
        for prompt in (PROMPT, OTHER_PROMPT)
    }


# --- plugin and provider shape ------------------------------------------------------------------


def test_the_plugin_registers_the_source() -> None:
    pm = pluggy.PluginManager("oasis")
    pm.add_hookspecs(hookspecs)
    pm.register(procedural_plugin)
    registered: list[type] = []
    pm.hook.register_visual_sources(register=registered.append)
    assert registered == [ProceduralVisualSource]
    catalog = ProviderCatalog()
    catalog.add(PortKind.VISUALS, ProceduralVisualSource, plugin="oasis_plugins.procedural")
    assert isinstance(catalog.create(PortKind.VISUALS, "procedural"), ProceduralVisualSource)


def test_declares_an_offline_provider() -> None:
    source = make()
    assert isinstance(source, VisualSource)
    assert source.id == "procedural"
    assert source.name == "Procedural backgrounds (offline)"
    assert source.needs_key is None and source.key_env_var is None


def test_has_a_recipe_for_every_catalogue_style() -> None:
    assert set(RECIPES) == set(STYLE_IDS)


# --- size and file --------------------------------------------------------------------------------


@pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
def test_images_are_115_percent_of_the_frame_rounded_up_to_even(aspect: Aspect, tmp_path: Path) -> None:
    visuals = make().create(PROMPT, get_style("minimal"), aspect, 6.0, tmp_path)
    with Image.open(visuals.scenes[0].image_path) as image:
        assert image.format == "PNG"
        assert image.mode == "RGB"
        assert image.size == expected_size(aspect)
    width, height = expected_size(aspect)
    assert width % 2 == 0 and height % 2 == 0
    assert width >= aspect.width * 1.15 and height >= aspect.height * 1.15


def test_known_sizes() -> None:
    assert [expected_size(a) for a in ASPECTS] == [(1242, 2208), (1242, 1242), (2208, 1242)]


def test_writes_only_finished_pngs_into_out_dir(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"
    visuals = make().create(PROMPT, get_style("retro"), PORTRAIT, 22.0, out, scene_texts=("a" * 40,) * 3)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(scene.image_path.name for scene in visuals.scenes)
    assert all(name.endswith(".png") and not name.startswith(".") for name in names)
    assert len(set(names)) == len(visuals.scenes) == 3


# --- seeding ------------------------------------------------------------------------------------


def test_the_same_prompt_and_style_give_byte_identical_images(tmp_path: Path) -> None:
    first = make().create(PROMPT, get_style("cinematic"), PORTRAIT, 6.0, tmp_path / "one")
    second = make().create(PROMPT, get_style("cinematic"), PORTRAIT, 6.0, tmp_path / "two")
    assert first.scenes[0].image_path.read_bytes() == second.scenes[0].image_path.read_bytes()


def test_the_seed_does_not_depend_on_python_hash_randomisation(tmp_path: Path) -> None:
    script = (
        "import hashlib, sys\n"
        "from pathlib import Path\n"
        "from oasis_core.domain.catalogue import get_style\n"
        "from oasis_core.domain.media import get_aspect\n"
        "from oasis_core.ports.provider import ProviderConfig\n"
        "from oasis_plugins.procedural import ProceduralVisualSource\n"
        "v = ProceduralVisualSource(ProviderConfig()).create(sys.argv[1], get_style('neon'), "
        "get_aspect('1:1'), 6.0, Path(sys.argv[2]))\n"
        "print(hashlib.sha256(v.scenes[0].image_path.read_bytes()).hexdigest())\n"
    )
    digests = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": os.pathsep.join(sys.path)}
        run = subprocess.run(
            [sys.executable, "-c", script, PROMPT, str(tmp_path / hash_seed)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        digests.append(run.stdout.strip())
    local = make().create(PROMPT, get_style("neon"), SQUARE, 6.0, tmp_path / "here")
    assert digests[0] == digests[1] == hashlib.sha256(local.scenes[0].image_path.read_bytes()).hexdigest()


@pytest.mark.parametrize("style_id", STYLE_IDS)
def test_different_prompts_give_visibly_different_pictures(
    style_id: str, square_images: dict[tuple[str, str], Path]
) -> None:
    first = thumbnail(square_images[style_id, PROMPT])
    second = thumbnail(square_images[style_id, OTHER_PROMPT])
    assert np.abs(first - second).mean() > 6.0


def test_whitespace_in_the_prompt_does_not_change_the_picture(tmp_path: Path) -> None:
    first = make().create(PROMPT, get_style("dreamy"), SQUARE, 6.0, tmp_path / "a")
    second = make().create(
        f"  {PROMPT.replace(' ', '   ')}\n", get_style("dreamy"), SQUARE, 6.0, tmp_path / "b"
    )
    assert first.scenes[0].image_path.read_bytes() == second.scenes[0].image_path.read_bytes()


# --- looks --------------------------------------------------------------------------------------


def _assert_styles_differ(images: dict[str, Path]) -> None:
    small = {style: thumbnail(path, (90, 160)) for style, path in images.items()}
    for a, b in itertools.combinations(small, 2):
        mean_gap = float(np.linalg.norm(small[a].mean((0, 1)) - small[b].mean((0, 1)))) / 255.0
        histogram_gap = float(np.abs(colour_histogram(small[a]) - colour_histogram(small[b])).sum())
        assert histogram_gap > 0.3, (a, b, histogram_gap)
        assert mean_gap + histogram_gap > 0.35, (a, b, mean_gap, histogram_gap)


def test_styles_are_mutually_distinct_in_portrait(portrait_images: dict[str, Path]) -> None:
    _assert_styles_differ(portrait_images)


def test_styles_are_mutually_distinct_for_another_prompt(square_images: dict[tuple[str, str], Path]) -> None:
    _assert_styles_differ({style: square_images[style, OTHER_PROMPT] for style in STYLE_IDS})


@pytest.mark.parametrize("style_id", STYLE_IDS)
def test_no_image_is_flat(style_id: str, portrait_images: dict[str, Path]) -> None:
    _assert_not_flat(portrait_images[style_id])


def _packed(image: np.ndarray) -> np.ndarray:
    """Every pixel's colour as one integer, so colours can be counted quickly."""
    rgb = image.astype(np.int32).reshape(-1, 3)
    return (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def _assert_not_flat(path: Path) -> None:
    image = pixels(path)
    assert image.reshape(-1, 3).std(axis=0).min() > 8.0
    small = thumbnail(path, (64, 64))
    assert (small @ LUMA).std() > 5.0
    _, counts = np.unique(_packed(image), return_counts=True)
    assert counts.max() / counts.sum() < 0.05
    height, width = (image.shape[0] // 32) * 32, (image.shape[1] // 32) * 32
    tiles = image[:height, :width].reshape(height // 32, 32, width // 32, 32, 3)
    assert tiles.std(axis=(1, 3)).max(axis=-1).min() > 0.0  # no 32x32 patch is one solid colour
    reduced = thumbnail(path, (image.shape[1] // 4, image.shape[0] // 4))
    assert len(np.unique(_packed(reduced))) > 150


def test_monochrome_is_grey_and_the_others_are_colourful(portrait_images: dict[str, Path]) -> None:
    for style_id, path in portrait_images.items():
        image = thumbnail(path)
        chroma = float((image.max(axis=2) - image.min(axis=2)).mean())
        if style_id == "monochrome":
            assert chroma < 1.0
        else:
            assert chroma > 8.0, style_id


@pytest.mark.parametrize("style_id", STYLE_IDS)
def test_the_caption_band_is_not_blinding(style_id: str, portrait_images: dict[str, Path]) -> None:
    image = pixels(portrait_images[style_id])
    height = image.shape[0]
    band = image[int(height * 0.55) : int(height * 0.85)] @ LUMA
    assert band.mean() < 0.7 * 255
    assert (band > 235).mean() < 0.005


# --- scenes -------------------------------------------------------------------------------------


def _assert_covers(scenes: list[tuple[float, float]], duration: float) -> None:
    assert scenes[0][0] == 0.0
    assert scenes[-1][1] == duration
    for (_, end), (start, _) in itertools.pairwise(scenes):
        assert end == start
    assert all(end > start for start, end in scenes)


def test_a_single_scene_covers_the_whole_video(tmp_path: Path) -> None:
    visuals = make().create(PROMPT, get_style("nature"), PORTRAIT, 7.25, tmp_path)
    assert [(s.start, s.end) for s in visuals.scenes] == [(0.0, 7.25)]
    assert visuals.style == "nature"
    assert visuals.usage == {"images": 1}


def test_one_image_per_scene_text_when_each_can_last_five_seconds(tmp_path: Path) -> None:
    texts = ("The obstacle is the way.", "What stands in the way becomes the way.", "Begin again.")
    visuals = make().create(PROMPT, get_style("abstract"), SQUARE, 17.5, tmp_path, scene_texts=texts)
    scenes = [(s.start, s.end) for s in visuals.scenes]
    assert len(scenes) == 3
    _assert_covers(scenes, 17.5)
    assert all(end - start >= 5.0 - 1e-9 for start, end in scenes)
    assert scenes[1][1] - scenes[1][0] > scenes[2][1] - scenes[2][0]  # the longest text lasts longest
    assert visuals.usage == {"images": 3}
    pictures = [thumbnail(s.image_path) for s in visuals.scenes]
    for a, b in itertools.combinations(pictures, 2):
        assert np.abs(a - b).mean() > 6.0


def test_too_short_for_two_five_second_scenes_gives_one(tmp_path: Path) -> None:
    visuals = make().create(PROMPT, get_style("neon"), SQUARE, 9.9, tmp_path, scene_texts=("one", "two"))
    assert len(visuals.scenes) == 1
    assert (visuals.scenes[0].start, visuals.scenes[0].end) == (0.0, 9.9)


def test_more_than_four_texts_are_grouped_into_four_scenes(tmp_path: Path) -> None:
    texts = tuple(f"Part {i} of a long script." for i in range(7))
    visuals = make().create(PROMPT, get_style("minimal"), SQUARE, 40.0, tmp_path, scene_texts=texts)
    assert len(visuals.scenes) == 4
    _assert_covers([(s.start, s.end) for s in visuals.scenes], 40.0)


def test_the_first_scene_matches_the_single_image(tmp_path: Path) -> None:
    single = make().create(PROMPT, get_style("retro"), SQUARE, 12.0, tmp_path / "single")
    multi = make().create(
        PROMPT, get_style("retro"), SQUARE, 12.0, tmp_path / "multi", scene_texts=("a", "b")
    )
    assert single.scenes[0].image_path.read_bytes() == multi.scenes[0].image_path.read_bytes()
    assert multi.scenes[0].image_path.read_bytes() != multi.scenes[1].image_path.read_bytes()


@given(
    duration=st.floats(min_value=0.01, max_value=300.0, allow_nan=False),
    texts=st.lists(st.text(max_size=60), max_size=9),
)
def test_scene_plans_always_cover_the_duration(duration: float, texts: list[str]) -> None:
    scenes = plan_scenes(duration, texts)
    _assert_covers(scenes, duration)
    assert 1 <= len(scenes) <= 4
    if len(scenes) > 1:
        assert len(scenes) <= len(texts)
        assert all(end - start >= 5.0 - 1e-6 for start, end in scenes)
    elif len(texts) >= 2:
        assert duration < 10.0


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [0.0, -3.0, float("nan"), float("inf")])
def test_a_duration_that_is_not_positive_is_refused(duration: float, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        make().create(PROMPT, get_style("minimal"), SQUARE, duration, tmp_path)
    assert caught.value.field == "duration"
    assert not any(tmp_path.iterdir())


def test_an_unknown_style_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        make().create(PROMPT, Style("sepia", "Sepia", "brownish"), SQUARE, 5.0, tmp_path)
    assert caught.value.field == "style"
    assert set(caught.value.choices) == set(STYLE_IDS)


# --- any prompt ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("hypothesis")


@settings(max_examples=8, deadline=None)
@given(
    prompt=st.text(max_size=120),
    style=st.sampled_from(STYLES),
    aspect=st.sampled_from(ASPECTS),
)
def test_any_prompt_gives_a_full_size_textured_image(
    prompt: str, style: Style, aspect: Aspect, scratch: Path
) -> None:
    visuals = make().create(prompt, style, aspect, 5.0, scratch)
    path = visuals.scenes[0].image_path
    with Image.open(path) as image:
        assert image.size == expected_size(aspect)
    _assert_not_flat(path)
