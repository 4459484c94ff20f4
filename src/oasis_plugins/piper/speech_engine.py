"""The ``piper`` speech engine: natural neural voices, offline, from Piper's ONNX models."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from oasis_core.domain.media import Speech
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice, find_voice, speaking_rate
from oasis_plugins.piper import catalogue, models
from oasis_plugins.piper.alignment import SpokenWord, align_words, spoken_words
from oasis_plugins.piper.voices import VoiceModel, folder_voices, has_folder_voice, installed_voices
from oasis_plugins.speech_files import write_wav

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

SENTENCE_PAUSE = 0.2
"""Seconds of silence between the sentences Piper speaks one by one (at rate 1.0)."""
_MAX_CHOICES = 20


def _counts(voice: PiperVoice, words: Sequence[str]) -> list[int] | None:
    """How many spoken words each written word becomes when phonemized on its own (``None``: unknown)."""
    counts = []
    try:
        for word in words:
            sentences = voice.phonemize(word)
            pairs = [(phoneme, 1) for sentence in sentences for phoneme in (*sentence, " ")]
            counts.append(len(spoken_words(pairs, offset=0.0, sample_rate=1)))
    except Exception:  # the counts only sharpen the timings: any phonemizer trouble falls back to sharing
        log.debug("Could not phonemize the words one by one", exc_info=True)
        return None
    return counts


class PiperSpeechEngine:
    """Natural neural voices from Piper, run offline on the CPU; voices installed per model.

    Settings (all optional): ``voices_dir``, the folder of installed voices
    (``<data folder>/voices``); ``catalogue_url``, where ``oasis voices
    install`` downloads from (a mirror of Piper's catalogue); ``voice``, the
    default voice id; ``threads``, the CPU threads one inference uses (the
    cores, up to four). Voices are found in the folder and in installed
    Python packages (see :mod:`oasis_plugins.piper.voices`); word timings come
    from the model's own phoneme durations.
    """

    id: ClassVar[str] = "piper"
    name: ClassVar[str] = "Piper (offline neural voices)"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None
    settings_env: ClassVar[dict[str, str]] = {
        "voices_dir": "OASIS_PIPER_VOICES_DIR",
        "catalogue_url": "OASIS_PIPER_VOICES_URL",
        "voice": "OASIS_PIPER_VOICE",
        "threads": "OASIS_PIPER_THREADS",
    }
    data_folders: ClassVar[dict[str, str]] = {"voices_dir": "voices"}

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        folder = config.setting("voices_dir")
        self.voices_dir = Path(folder).expanduser() if folder else None
        self._threads = config.whole("threads", models.default_threads(), minimum=1)

    @classmethod
    def available(cls, config: ProviderConfig) -> bool:
        """Whether a voice is in the voices folder: only then is Piper the default speech engine.

        Voices from Python packages do not count: a package can arrive as a
        dependency of something else, with terms nobody chose (the test voice
        has none of its own), so Piper becomes the default only by a deliberate
        install into the folder (``oasis voices install``).
        """
        folder = config.setting("voices_dir")
        return has_folder_voice(Path(folder).expanduser() if folder else None)

    def voice_models(self) -> tuple[VoiceModel, ...]:
        """The installed voices with their files, quality, speakers and licence; the first is the default."""
        found = installed_voices(self.voices_dir)
        wanted = self._config.setting("voice")
        if wanted:
            found = tuple(sorted(found, key=lambda voice: voice.id != wanted))
        return found

    def voices(self) -> Sequence[Voice]:
        """One voice per installed model (a model with several speakers lists them as ``speakers``)."""
        return tuple(self._voice(model) for model in self.voice_models())

    @staticmethod
    def _voice(model: VoiceModel) -> Voice:
        return Voice(model.id, model.name, model.language, model.licence.summary, model.speakers)

    @property
    def catalogue_url(self) -> str:
        """Where voices are installed from: the ``catalogue_url`` setting, else Piper's public catalogue."""
        return self._config.setting("catalogue_url") or catalogue.DEFAULT_CATALOGUE_URL

    def catalogue_voices(self) -> list[catalogue.CatalogueVoice]:
        """The voices the catalogue offers, by name.

        Raises :class:`~oasis_plugins.piper.catalogue.CatalogueUnreachable`
        when it cannot be reached.
        """
        offered = catalogue.fetch_catalogue(self.catalogue_url)
        return [offered[name] for name in sorted(offered)]

    def install_voice(self, name: str) -> Voice:
        """Download voice ``name`` from the catalogue into the voices folder, checked; the voice installed.

        Raises :class:`InvalidInput` for a bad or unknown name or when no
        voices folder is set, :class:`~oasis_plugins.piper.catalogue.CatalogueUnreachable`
        when the catalogue cannot be reached, and :class:`ProviderError` when a
        download does not match the catalogue (nothing is installed then).
        """
        if self.voices_dir is None:
            raise InvalidInput(
                "Piper has no voices folder to install into: set OASIS_PIPER_VOICES_DIR", field="voices_dir"
            )
        model_path = catalogue.install_voice(name, self.voices_dir, self.catalogue_url)
        installed = next(
            (model for model in folder_voices(self.voices_dir) if model.model_path == model_path), None
        )
        if installed is None:
            raise ProviderError(f"The voice {name} was downloaded but is not a Piper voice", provider=self.id)
        return self._voice(installed)

    def _resolve(self, requested: str | None) -> tuple[VoiceModel, int | None]:
        found = self.voice_models()
        if not found:
            raise InvalidInput(
                "No Piper voice is installed: install one with `oasis voices install NAME` "
                "(list them with `oasis voices --speech piper --available`)",
                field="voice",
            )
        wanted = (requested or "").strip() or self._config.setting("voice") or found[0].id
        listed = [Voice(m.id, m.name, m.language, None, m.speakers) for m in found]
        match = find_voice(listed, wanted)
        if match is None:
            ids = [model.id for model in found]
            raise InvalidInput(
                f"Piper has no voice {wanted!r}",
                field="voice",
                choices=ids[:_MAX_CHOICES] + (["…"] if len(ids) > _MAX_CHOICES else []),
            )
        voice, speaker = match
        return found[listed.index(voice)], speaker

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Speak ``text`` into a new WAV file in ``out_dir``, with a timing for every word.

        ``voice`` is a voice id, or ``"<id>:<speaker number>"`` / ``"<id>#<speaker
        name>"`` for a model with several speakers. Raises :class:`InvalidInput`
        for empty text, an unknown voice or a rate outside 0.5–2.0, and
        :class:`ProviderError` when the model cannot be loaded or speaks nothing.
        """
        from piper import SynthesisConfig

        if not text or text.isspace():
            raise InvalidInput("There is no text to speak", field="text")
        speed = speaking_rate(rate)
        model, speaker = self._resolve(voice)
        piper_voice = models.load_voice(model.model_path, model.config_path, threads=self._threads)
        length_scale = piper_voice.config.length_scale / speed
        settings = SynthesisConfig(speaker_id=speaker, length_scale=length_scale)
        sample_rate = piper_voice.config.sample_rate
        pause = np.zeros(round(SENTENCE_PAUSE * length_scale * sample_rate), dtype=np.int16)
        pieces: list[np.ndarray] = []
        spoken: list[SpokenWord] = []
        elapsed = 0
        try:
            for chunk in piper_voice.synthesize(text, syn_config=settings, include_alignments=True):
                if pieces:
                    pieces.append(pause)
                    elapsed += pause.size
                samples = chunk.audio_int16_array
                start = elapsed / sample_rate
                if chunk.phoneme_alignments:
                    alignments = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments]
                    spoken.extend(spoken_words(alignments, offset=start, sample_rate=sample_rate))
                elif chunk.phonemes and samples.size:
                    # No alignments (no onnx, or Piper could not align): its phonemes share the chunk evenly.
                    pace = len(chunk.phonemes) / (samples.size / sample_rate)  # phonemes per second
                    spoken.extend(
                        spoken_words([(ph, 1) for ph in chunk.phonemes], offset=start, sample_rate=pace)
                    )
                pieces.append(samples)
                elapsed += samples.size
        except Exception as exc:  # onnxruntime and the phonemizers raise their own Exception subclasses
            raise ProviderError(
                f"Piper could not speak this text ({type(exc).__name__}: {exc})", provider=self.id
            ) from exc
        if not elapsed:
            raise ProviderError("Piper produced no audio for this text", provider=self.id)
        duration = elapsed / sample_rate
        words = text.split()
        counts = _counts(piper_voice, words) if spoken else None
        timings = align_words(text, spoken, duration=duration, counts=counts)
        audio_path = write_wav(np.concatenate(pieces), sample_rate, Path(out_dir), engine=self.id)
        voice_id = model.id if speaker is None else f"{model.id}:{speaker}"
        return Speech(audio_path, duration, timings, voice=voice_id, usage={"characters": len(text)})
