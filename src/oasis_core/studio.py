"""The SDK's front door: ``Studio.from_plugins().render(category="motivation")``."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.catalogue import get_category, get_style
from oasis_core.domain.media import Quote, get_aspect, validate_text
from oasis_core.domain.video import RenderStage, overall_progress
from oasis_core.errors import InvalidInput
from oasis_core.paths import default_data_dir
from oasis_core.plugins import load_catalog
from oasis_core.ports.provider import ProviderConfig
from oasis_core.services.content import generate_quote, generate_visual_prompt
from oasis_core.services.render import RenderProviders, RenderRequest, check_output_path, render_video

ProgressCallback = Callable[[RenderStage, int], None]
"""Called with the current stage and the overall progress, 0–100."""

RECENT_QUOTES = 20


@frozen
class RenderResult:
    """A finished video: its file, thumbnail, length, size and the words and picture it holds."""

    path: Path
    thumbnail: Path
    duration: float
    size_bytes: int
    width: int
    height: int
    text: str
    author: str | None
    visual_prompt: str
    usage: dict[str, dict[str, int]]


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
    def from_plugins(cls, **kwargs: Any) -> Studio:
        """A studio with every installed plugin loaded (honours ``OASIS_LOAD_PLUGINS``)."""
        return cls(load_catalog(environ=kwargs.get("environ")), **kwargs)

    def config_for(self, kind: PortKind, provider_id: str) -> ProviderConfig:
        """The key, settings and cache folder for one provider."""
        info = self.catalog.info(kind, provider_id)
        key = None
        if info.needs_key:
            key = self._keys.get(info.needs_key) or (self._environ.get(info.key_env_var or "") or None)
        settings = dict(self._settings.get(provider_id, {}))
        if kind is PortKind.STORAGE:
            settings.setdefault("root", str(self.data_dir / "media"))
        return ProviderConfig(key=key, settings=settings, cache_dir=self.data_dir / "cache" / provider_id)

    def provider(self, kind: PortKind, provider_id: str | None = None) -> Any:
        """Build provider ``provider_id`` of ``kind`` (the default one when ``None``)."""
        provider_id = provider_id or self.catalog.default_id(kind)
        return self.catalog.create(kind, provider_id, self.config_for(kind, provider_id))

    def quote(self, category: str, *, llm: str | None = None) -> Quote:
        """Write a quote for ``category``, avoiding the ones this data folder saw recently."""
        recent = self._recent()
        quote = generate_quote(self.provider(PortKind.LLM, llm), category, avoid=recent.get(category, []))
        recent[category] = [*recent.get(category, []), quote.text][-RECENT_QUOTES:]
        self._save_recent(recent)
        return quote

    def visual_prompt(self, text: str, category: str, style: str, *, llm: str | None = None) -> str:
        """Write a visual prompt for ``text``."""
        return generate_visual_prompt(self.provider(PortKind.LLM, llm), text, category, style)

    def render(
        self,
        *,
        category: str = "motivation",
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
    ) -> RenderResult:
        """Write, voice and render one video; return where it is and what it holds.

        ``quote`` replaces the written quote with your own text; ``providers``
        picks providers by port (``{"llm": "offline", "speech": "espeak"}``).
        Everything is validated before any work starts.
        """
        chosen = dict(providers or {})
        unknown = set(chosen) - {k.value for k in PortKind}
        if unknown:
            raise InvalidInput(
                f"Unknown provider kind {sorted(unknown)[0]!r}",
                field="providers",
                choices=[k.value for k in PortKind],
            )
        get_category(category)
        get_style(style)
        get_aspect(aspect)
        output_path = (
            Path(output) if output else Path.cwd() / f"oasis-{category}-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        )
        check_output_path(output_path)
        report = on_progress or (lambda stage, percent: None)
        render_providers = RenderProviders(
            speech=self.provider(PortKind.SPEECH, chosen.get("speech")),
            visuals=self.provider(PortKind.VISUALS, chosen.get("visuals")),
            compositor=self.provider(PortKind.COMPOSITOR, chosen.get("compositor")),
        )
        self._check_voice(render_providers, voice)
        report(RenderStage.QUEUED, 0)
        written = (
            Quote(validate_text(quote)) if quote is not None else self.quote(category, llm=chosen.get("llm"))
        )
        request = RenderRequest(
            text=written.text,
            visual_prompt=visual_prompt or "",
            style=style,
            aspect=aspect,
            voice=voice,
            rate=rate,
            music_path=Path(music) if music else None,
        )
        if not visual_prompt:
            prompt = self.visual_prompt(request.text, category, style, llm=chosen.get("llm"))
            request = RenderRequest(
                request.text, prompt, style, aspect, voice, rate, Path(music) if music else None
            )
        with tempfile.TemporaryDirectory(prefix="oasis-render-") as workdir:
            outcome = render_video(
                request,
                render_providers,
                output_path=output_path,
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
        )

    @staticmethod
    def _check_voice(providers: RenderProviders, voice: str | None) -> None:
        if voice is None:
            return
        ids = [v.id for v in providers.speech.voices()]
        if voice not in ids:
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
