"""Fakes for every port: they work, keep their state in memory and record what they were asked.

Assert on their state (``spoken``, ``objects``, ``published``) rather than on calls.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, ClassVar

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.catalogue import Category, Style
from oasis_core.domain.language import language_tag
from oasis_core.domain.media import (
    Aspect,
    Quote,
    RenderedVideo,
    Scene,
    Speech,
    Visuals,
    WordTiming,
    validate_text,
)
from oasis_core.domain.publishing import PublishRequest, PublishResult, SocialAccount
from oasis_core.domain.script import WORDS_PER_SECOND, Script, ScriptScene
from oasis_core.errors import InvalidInput, NotFound, ProviderError
from oasis_core.ports.blob_store import validate_key
from oasis_core.ports.compositor import Composition, ProgressCallback
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice
from oasis_core.testing.media_files import write_gradient_png, write_tone_wav

WORD_SECONDS = 0.3


class FakeLanguageModel:
    """Hands out numbered quotes per category and echoes texts into visual prompts."""

    id: ClassVar[str] = "fake-llm"
    name: ClassVar[str] = "Fake language model"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    languages: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.asked: list[tuple[str, tuple[str, ...]]] = []
        self.asked_languages: list[str | None] = []
        self.prompts: list[str] = []
        self.scripts: list[tuple[str, str | None, int, str | None]] = []

    def write_quote(
        self, category: Category, *, avoid: Sequence[str] = (), language: str | None = None
    ) -> Quote:
        """Return the first of ``Fake <category> quote number N.`` (``… N (fr).`` in a language) not in ``avoid``."""
        self.asked.append((category.id, tuple(avoid)))
        self.asked_languages.append(language)
        tag = f" ({language_tag(language)})" if language is not None else ""
        for number in itertools.count(1):
            text = f"Fake {category.id} quote number {number}{tag}."
            if text not in avoid:
                return Quote(text, "Fake Author")
        raise AssertionError("unreachable")

    def write_visual_prompt(self, text: str, category: Category, style: Style) -> str:
        """Return a prompt built from the text, the mood and the style's look."""
        prompt = f"{text} — {', '.join(category.mood)} — {style.look}"
        self.prompts.append(prompt)
        return prompt

    def write_script(
        self, topic: str, category: Category | None, *, length_seconds: int, language: str | None = None
    ) -> Script:
        """Return ``Fake scene N about <topic> word word ….`` scenes of about twelve words, as many as fit."""
        self.scripts.append((topic, category.id if category else None, length_seconds, language))
        total = round(length_seconds * WORDS_PER_SECOND)
        count = max(2 if length_seconds >= 15 else 1, round(total / 12))
        sizes = [total // count + (1 if k < total % count else 0) for k in range(count)]
        scenes = []
        for number, size in enumerate(sizes, start=1):
            words = ["Fake", "scene", str(number), "about", *topic.split()][:size]
            words += ["word"] * (size - len(words))
            scenes.append(ScriptScene(" ".join(words) + ".", f"Picture {number} of {topic}", (topic, "fake")))
        return Script(tuple(scenes), topic=topic, language=language)


class FakeSpeechEngine:
    """Writes a tone, 0.3 s per word, and times each word evenly."""

    id: ClassVar[str] = "fake-speech"
    name: ClassVar[str] = "Fake speech engine"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.spoken: list[tuple[str, str, float]] = []

    def voices(self) -> Sequence[Voice]:
        """Two voices."""
        return (Voice("fake-a", "Fake A"), Voice("fake-b", "Fake B"))

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Write ``speech-N.wav`` into ``out_dir`` and time every word."""
        text = validate_text(text, field_name="text")
        ids = [v.id for v in self.voices()]
        voice = voice or ids[0]
        if voice not in ids:
            raise InvalidInput(f"Unknown voice {voice!r}", field="voice", choices=ids)
        step = WORD_SECONDS / rate
        words = [WordTiming(w, i * step, (i + 1) * step) for i, w in enumerate(text.split())]
        duration = len(words) * step + 0.1
        path = out_dir / f"speech-{len(self.spoken)}.wav"
        write_tone_wav(path, duration, frequency=220.0 if voice == "fake-a" else 330.0)
        self.spoken.append((text, voice, rate))
        return Speech(path, duration, words, voice=voice, usage={"characters": len(text)})


class FakeVisualSource:
    """Writes one gradient PNG of the frame's size per call, seeded by the prompt's length."""

    id: ClassVar[str] = "fake-visuals"
    name: ClassVar[str] = "Fake visual source"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.prompts: list[tuple[str, str]] = []

    def create(
        self,
        prompt: str,
        style: Style,
        aspect: Aspect,
        duration: float,
        out_dir: Path,
        *,
        scene_texts: Sequence[str] = (),
    ) -> Visuals:
        """One scene covering the whole duration."""
        if duration <= 0:
            raise InvalidInput("The duration must be positive", field="duration")
        path = out_dir / f"visual-{len(self.prompts)}.png"
        write_gradient_png(path, aspect.width, aspect.height, seed=sum(prompt.encode()) + len(style.id))
        self.prompts.append((prompt, style.id))
        return Visuals((Scene(path, 0.0, duration),), style.id, usage={"images": 1})


class FakeCompositor:
    """Writes a JSON description of the composition instead of a real MP4."""

    id: ClassVar[str] = "fake-compositor"
    name: ClassVar[str] = "Fake compositor"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.compositions: list[Composition] = []

    def compose(self, composition: Composition, on_progress: ProgressCallback | None = None) -> RenderedVideo:
        """Record the composition and write a small description of it."""
        for scene in composition.visuals.scenes:
            if not scene.image_path.is_file():
                raise ProviderError(f"Missing image {scene.image_path}", provider=self.id)
        description = {
            "text": " ".join(w.text for w in composition.speech.words),
            "phrases": [list(p.texts) for p in composition.captions],
            "aspect": composition.aspect.id,
            "duration": composition.duration,
            "voice": composition.speech.voice,
            "language": composition.language,
            "scenes": [[scene.start, scene.end] for scene in composition.visuals.scenes],
        }
        composition.output_path.write_text(json.dumps(description), encoding="utf-8")
        composition.thumbnail_path.write_bytes(b"fake thumbnail")
        for step in range(1, 5):
            if on_progress:
                on_progress(step / 4)
        self.compositions.append(composition)
        return RenderedVideo(
            composition.output_path,
            composition.thumbnail_path,
            composition.duration,
            composition.aspect.width,
            composition.aspect.height,
            composition.output_path.stat().st_size,
        )


class FakeBlobStore:
    """Keeps objects in a dict (``objects``)."""

    id: ClassVar[str] = "fake-storage"
    name: ClassVar[str] = "Fake blob store"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, source: Path, *, content_type: str | None = None) -> None:
        """Copy the file's bytes into memory."""
        self.objects[validate_key(key)] = source.read_bytes()

    def open(self, key: str) -> BinaryIO:
        """A seekable in-memory reader."""
        return io.BytesIO(self._get(key))

    def size(self, key: str) -> int:
        """The stored length."""
        return len(self._get(key))

    def exists(self, key: str) -> bool:
        """Whether the key is stored."""
        return validate_key(key) in self.objects

    def url(self, key: str, *, expires_in: int) -> str | None:
        """No URLs: the server streams objects itself."""
        validate_key(key)
        return None

    def delete(self, key: str) -> None:
        """Forget the object."""
        self.objects.pop(validate_key(key), None)

    def _get(self, key: str) -> bytes:
        try:
            return self.objects[validate_key(key)]
        except KeyError:
            raise NotFound(f"No object {key!r}") from None


class FakePublisher:
    """Publishes into ``published`` (platform id → request); ``failures`` are raised first, in order."""

    id: ClassVar[str] = "fake-publisher"
    name: ClassVar[str] = "Fake publisher"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    platform: ClassVar[str] = "fake"

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.published: dict[str, PublishRequest] = {}
        self.failures: list[Exception] = []
        self._ids = itertools.count(1)

    def publish(
        self,
        request: PublishRequest,
        account: SocialAccount,
        *,
        on_platform_id: Callable[[str], None] | None = None,
    ) -> PublishResult:
        """Publish once; a request carrying an already published id returns that post."""
        if request.platform_id and request.platform_id in self.published:
            return self._result(request.platform_id)
        if self.failures:
            raise self.failures.pop(0)
        if not request.video_path.is_file():
            raise ProviderError(f"Missing video file {request.video_path}", provider=self.id)
        platform_id = f"fake-{next(self._ids)}"
        if on_platform_id:
            on_platform_id(platform_id)
        self.published[platform_id] = request
        return self._result(platform_id)

    def lookup(self, platform_id: str, account: SocialAccount) -> PublishResult | None:
        """The post, if it was published."""
        return self._result(platform_id) if platform_id in self.published else None

    def _result(self, platform_id: str) -> PublishResult:
        return PublishResult(platform_id, f"https://fake.invalid/{platform_id}")


FAKES: dict[PortKind, type] = {
    PortKind.LLM: FakeLanguageModel,
    PortKind.SPEECH: FakeSpeechEngine,
    PortKind.VISUALS: FakeVisualSource,
    PortKind.COMPOSITOR: FakeCompositor,
    PortKind.STORAGE: FakeBlobStore,
    PortKind.PUBLISHER: FakePublisher,
}


def fake_catalog() -> ProviderCatalog:
    """A catalog holding one fake per port, and nothing else."""
    catalog = ProviderCatalog()
    for kind, factory in FAKES.items():
        catalog.add(kind, factory, plugin="oasis_core.testing")
    return catalog
