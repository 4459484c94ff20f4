"""The SDK's front door: ``Studio.from_plugins().render(category="motivation")``."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.caption_style import CaptionStyle, caption_style_from
from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.language import optional_language_tag
from oasis_core.domain.media import Quote, get_aspect, validate_text
from oasis_core.domain.script import (
    DEFAULT_SCRIPT_SECONDS,
    Script,
    ScriptScene,
    script_length,
    validate_topic,
)
from oasis_core.domain.video import RenderStage, overall_progress
from oasis_core.errors import InvalidInput
from oasis_core.paths import default_data_dir
from oasis_core.plugins import load_catalog
from oasis_core.ports.compositor import CaptionPreviews
from oasis_core.ports.language_model import ScriptWriter, check_language
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import find_voice
from oasis_core.services.content import generate_quote, generate_visual_prompt
from oasis_core.services.render import (
    RenderProviders,
    RenderRequest,
    check_choices,
    check_output_path,
    render_video,
)
from oasis_core.services.scripts import generate_script
from oasis_core.studio_plan import ProgressCallback, RenderPlan, RenderResult

RECENT_QUOTES = 20
DEFAULT_CATEGORY = "motivation"


class Studio:
    """Renders videos with the installed providers; the composition root of the SDK.

    Keys come from the environment (each provider's ``key_env_var``) unless
    given in ``keys``; ``settings`` maps a provider id to its settings.
    """

    def __init__(
        self,
        catalog: ProviderCatalog,
        *,
        data_dir: Path | None = None,
        keys: Mapping[str, str] | None = None,
        settings: Mapping[str, Mapping[str, str]] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.catalog = catalog
        self._environ = dict(os.environ if environ is None else environ)
        self.data_dir = data_dir or default_data_dir(self._environ)
        self._keys = dict(keys or {})
        self._settings = {name: dict(values) for name, values in (settings or {}).items()}

    @classmethod
    def from_plugins(
        cls,
        *,
        data_dir: Path | None = None,
        keys: Mapping[str, str] | None = None,
        settings: Mapping[str, Mapping[str, str]] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Studio:
        """A studio with every installed plugin loaded (honours ``OASIS_LOAD_PLUGINS``).

        Args:
            data_dir: where caches and recent quotes live (default: ``OASIS_DATA_DIR`` or a
                per-user folder).
            keys: API keys by the name a provider asks for (``{"openai": "sk-..."}``); a key not
                given here comes from the provider's environment variable.
            settings: provider id → its settings (``{"espeak": {"voice": "en-gb"}}``).
            environ: the environment to read keys and settings from (default: ``os.environ``).
        """
        return cls(
            load_catalog(environ=environ), data_dir=data_dir, keys=keys, settings=settings, environ=environ
        )

    def config_for(self, kind: PortKind, provider_id: str) -> ProviderConfig:
        """The key, settings and cache folder for one provider."""
        info = self.catalog.info(kind, provider_id)
        key = None
        if info.needs_key:
            key = self._keys.get(info.needs_key) or (self._environ.get(info.key_env_var or "") or None)
        settings = {
            **info.data_settings(self.data_dir),
            **info.settings_from(self._environ),
            **self._settings.get(provider_id, {}),
        }
        if kind is PortKind.STORAGE:
            settings.setdefault("root", str(self.data_dir / "media"))
        return ProviderConfig(key=key, settings=settings, cache_dir=self.data_dir / "cache" / provider_id)

    def provider(self, kind: PortKind, provider_id: str | None = None) -> Any:
        """Build provider ``provider_id`` of ``kind`` (the default one when ``None``)."""
        provider_id = provider_id or self.default_id(kind)
        return self.catalog.create(kind, provider_id, self.config_for(kind, provider_id))

    def default_id(self, kind: PortKind) -> str:
        """The provider of ``kind`` used when none is named: the catalog's default for this studio's config."""
        return self.catalog.default_id(kind, lambda info: self.config_for(info.kind, info.id))

    def quote(self, category: str, *, llm: str | None = None, language: str | None = None) -> Quote:
        """Write a quote for ``category``, avoiding the ones this data folder saw recently.

        ``language`` (a BCP 47 tag such as ``fr`` or ``zh``) asks for one in that
        language; a language model that does not write it raises :class:`InvalidInput`.
        """
        recent = self._recent()
        quote = generate_quote(
            self.provider(PortKind.LLM, llm), category, avoid=recent.get(category, []), language=language
        )
        recent[category] = [*recent.get(category, []), quote.text][-RECENT_QUOTES:]
        self._save_recent(recent)
        return quote

    def script(
        self,
        topic: str,
        *,
        category: str | None = None,
        length: float = DEFAULT_SCRIPT_SECONDS,
        language: str | None = None,
        llm: str | None = None,
    ) -> Script:
        """Write a narrated script about ``topic``, about ``length`` seconds (15–90) long, in scenes.

        ``category`` sets the mood (``None``: the language model's choice);
        ``language`` as for :meth:`quote`. A language model that cannot write
        scripts raises :class:`InvalidInput`.
        """
        return generate_script(
            self.provider(PortKind.LLM, llm), topic, category_id=category, length=length, language=language
        )

    def visual_prompt(self, text: str, category: str, style: str, *, llm: str | None = None) -> str:
        """Write a visual prompt for ``text``."""
        return generate_visual_prompt(self.provider(PortKind.LLM, llm), text, category, style)

    def plan(
        self,
        *,
        category: str | None = None,
        style: str = "cinematic",
        quote: str | None = None,
        visual_prompt: str | None = None,
        aspect: str = "9:16",
        voice: str | None = None,
        rate: float = 1.0,
        music: str | os.PathLike[str] | None = None,
        output: str | os.PathLike[str] | None = None,
        providers: Mapping[str, str] | None = None,
        language: str | None = None,
        captions: CaptionStyle | str | None = None,
        topic: str | None = None,
        length: float = DEFAULT_SCRIPT_SECONDS,
    ) -> RenderPlan:
        """Check every choice and build the providers, without doing any work yet.

        Args:
            category: content category id (``oasis_core.domain.catalogue.CATEGORIES``); ``None``:
                ``motivation`` for a quote, the language model's choice for a ``topic``.
            style: visual style id (``oasis_core.domain.catalogue.STYLES``).
            quote: your own text to speak; ``None`` has the language model write one.
            visual_prompt: the picture to paint; ``None`` has the language model describe one.
            aspect: frame shape, ``"9:16"`` (vertical), ``"1:1"`` or ``"16:9"``.
            voice: a voice id of the speech provider (see its ``voices()``); ``None``: its default.
            rate: speaking speed, 0.5 to 2.0.
            music: an audio file to mix quietly under the voice.
            output: the MP4 to write (default: ``./oasis-<category>-<time>.mp4``); the thumbnail
                goes next to it as ``.jpg``.
            providers: provider id by port (``{"llm": "openai", "speech": "espeak"}``); a port
                left out uses its default provider.
            language: the video's language, a BCP 47 tag (``"fr"``, ``"zh"``, ``"pt-BR"``): the
                language model writes in it, the speech provider's first voice for it speaks when
                ``voice`` is ``None``, and the captions use fonts for its script.
            captions: how the captions look: a preset name (``"classic"``, ``"boxed"``, ``"bold"``,
                ``"minimal"``) or a :class:`~oasis_core.domain.caption_style.CaptionStyle` made with
                :func:`~oasis_core.domain.caption_style.caption_style` (font, size, colours, position,
                capitals, words per phrase); ``None``: the classic look.
            topic: a topic (``"why sleep matters"``) to write a narrated script about, told in
                scenes, each with its own picture and captions (instead of ``quote``).
            length: how long the script of a ``topic`` runs, 15 to 90 seconds.

        Raises :class:`~oasis_core.errors.InvalidInput` (or a subclass) naming
        the first bad choice and listing the valid ones.
        """
        chosen = dict(providers or {})
        unknown = set(chosen) - {k.value for k in PortKind}
        if unknown:
            raise InvalidInput(
                f"Unknown provider kind {sorted(unknown)[0]!r}",
                field="providers",
                choices=[k.value for k in PortKind],
            )
        script_category = category
        category = category or DEFAULT_CATEGORY
        get_category(category)
        get_style(style)
        if topic is not None:
            if quote is not None:
                raise InvalidInput("Give a topic or a quote, not both", field="topic")
            topic = validate_topic(topic)
            length = script_length(length)
        get_aspect(aspect)
        text = validate_text(quote) if quote is not None else None
        language = optional_language_tag(language)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        output_path = Path(output) if output else Path.cwd() / f"oasis-{category}-{stamp}.mp4"
        check_output_path(output_path)
        render_providers = RenderProviders(
            speech=self.provider(PortKind.SPEECH, chosen.get("speech")),
            visuals=self.provider(PortKind.VISUALS, chosen.get("visuals")),
            compositor=self.provider(PortKind.COMPOSITOR, chosen.get("compositor")),
        )
        self._check_voice(render_providers, voice)
        look = caption_style_from(captions)
        if isinstance(render_providers.compositor, CaptionPreviews):
            render_providers.compositor.check_caption_style(look)
        music_path = Path(music) if music else None
        if text is None or (not visual_prompt and topic is None):
            llm = self.provider(PortKind.LLM, chosen.get("llm"))  # fail now if it cannot be built
            if text is None and language is not None:
                check_language(llm, language)  # or if it cannot write in the language
            if topic is not None and not isinstance(llm, ScriptWriter):
                raise InvalidInput(f"The {llm.id} language model cannot write scripts", field="llm")
        check_choices(style, aspect, rate, music_path)
        return RenderPlan(
            category,
            style,
            aspect,
            text,
            visual_prompt or None,
            voice,
            rate,
            music_path,
            render_providers,
            output_path,
            chosen.get("llm"),
            language,
            look,
            topic,
            round(length),
            script_category,
        )

    def run(self, plan: RenderPlan, on_progress: ProgressCallback | None = None) -> RenderResult:
        """Carry out a :meth:`plan`: write the quote and prompt if needed, then render."""
        report = on_progress or (lambda stage, percent: None)
        report(RenderStage.QUEUED, 0)
        scenes: tuple[ScriptScene, ...] = ()
        if plan.topic is not None:
            script = self.script(
                plan.topic,
                category=plan.script_category,
                length=plan.length,
                language=plan.language,
                llm=plan.llm,
            )
            scenes, written = script.scenes, Quote(script.content)
            prompt = plan.visual_prompt or scenes[0].visual_prompt or plan.topic
        else:
            written = (
                Quote(plan.text)
                if plan.text is not None
                else self.quote(plan.category, llm=plan.llm, language=plan.language)
            )
            prompt = plan.visual_prompt or self.visual_prompt(
                written.text, plan.category, plan.style, llm=plan.llm
            )
        request = RenderRequest(
            scenes=scenes,
            text=written.text,
            visual_prompt=prompt,
            style=plan.style,
            aspect=plan.aspect,
            voice=plan.voice,
            rate=plan.rate,
            music_path=plan.music_path,
            category=plan.category,
            language=plan.language,
            attribution=written.author,
            captions=plan.captions,
        )
        with tempfile.TemporaryDirectory(prefix="oasis-render-") as workdir:
            outcome = render_video(
                request,
                plan.providers,
                output_path=plan.output_path,
                workdir=Path(workdir),
                on_progress=lambda stage, fraction: report(stage, overall_progress(stage, fraction)),
            )
        report(RenderStage.DONE, 100)
        video = outcome.video
        return RenderResult(
            video.path,
            video.thumbnail_path,
            video.duration,
            video.size_bytes,
            video.width,
            video.height,
            request.text,
            written.author,
            request.visual_prompt,
            outcome.usage,
            scenes,
        )

    def render(
        self,
        *,
        category: str | None = None,
        style: str = "cinematic",
        quote: str | None = None,
        visual_prompt: str | None = None,
        aspect: str = "9:16",
        voice: str | None = None,
        rate: float = 1.0,
        music: str | os.PathLike[str] | None = None,
        output: str | os.PathLike[str] | None = None,
        providers: Mapping[str, str] | None = None,
        on_progress: ProgressCallback | None = None,
        language: str | None = None,
        captions: CaptionStyle | str | None = None,
        topic: str | None = None,
        length: float = DEFAULT_SCRIPT_SECONDS,
    ) -> RenderResult:
        """Write, voice and render one video; return where it is and what it holds.

        Takes the same choices as :meth:`plan` (see there for each one), and
        ``on_progress``, called with the stage and the overall percentage.
        Everything is validated before any work starts.
        """
        plan = self.plan(
            category=category,
            style=style,
            quote=quote,
            visual_prompt=visual_prompt,
            aspect=aspect,
            voice=voice,
            rate=rate,
            music=music,
            output=output,
            providers=providers,
            language=language,
            captions=captions,
            topic=topic,
            length=length,
        )
        return self.run(plan, on_progress)

    @staticmethod
    def _check_voice(providers: RenderProviders, voice: str | None) -> None:
        if voice is None:
            return
        voices = providers.speech.voices()
        ids = [v.id for v in voices]
        if find_voice(voices, voice) is None:
            raise InvalidInput(
                f"Unknown voice {voice!r}", field="voice", choices=ids[:20] + (["…"] if len(ids) > 20 else [])
            )

    def _recent_path(self) -> Path:
        return self.data_dir / "recent-quotes.json"

    def _recent(self) -> dict[str, list[str]]:
        try:
            data = json.loads(self._recent_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): [str(t) for t in v] for k, v in data.items() if isinstance(v, list)}

    def _save_recent(self, recent: dict[str, list[str]]) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = self._recent_path().with_suffix(".tmp")
            tmp.write_text(json.dumps(recent), encoding="utf-8")
            tmp.replace(self._recent_path())
        except OSError:
            pass  # remembering recent quotes is a nicety; a read-only data folder must not stop a render
