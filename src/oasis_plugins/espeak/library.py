"""ctypes bindings to the espeak-ng library shipped in the ``espeakng-loader`` wheel.

espeak-ng keeps its state in process-wide globals, so this module initialises
it once per process, lazily, and serialises every call with one module-level
lock: any number of threads may call :func:`list_voices` and :func:`synthesize`
at once, and they simply take turns.

The library is used in synchronous mode: :func:`synthesize` returns when the
whole text has been spoken, with the 16-bit mono PCM and the word events that
espeak-ng passed to the synthesis callback on the calling thread.

Facts checked against espeak-ng 1.52 from ``espeakng-loader`` 0.2.4:

* ``text_position`` in a word event is a 1-based offset in *characters* (code
  points, the same as Python string indices), not in UTF-8 bytes.
* ``sample`` in an event counts samples from the start of the synthesis call.
* The voice list holds 141 voices (no MBROLA ones), three of which (``fo``,
  ``kaa``, ``xex``) lack their dictionary in the wheel; the sample rate is 22050 Hz.
* Output is not bit-for-bit repeatable: the waveform generator carries its
  phase from one call to the next, so the same text varies by a few samples.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from pathlib import Path

import espeakng_loader
import numpy as np
from attrs import field, frozen

from oasis_core.errors import ProviderError

PROVIDER_ID = "espeak"
"""The provider id used in the errors this module raises."""

# Constants from espeak-ng's speak_lib.h and espeak_ng.h.
_ENS_OK = 0
_ENOUTPUT_MODE_SYNCHRONOUS = 0x0001
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_BUFFER_MS = 200

MIN_WORDS_PER_MINUTE = 80
"""The slowest speaking rate espeak-ng accepts."""
MAX_WORDS_PER_MINUTE = 450
"""The fastest speaking rate espeak-ng accepts."""


class _Event(ctypes.Structure):
    """``espeak_EVENT``; ``id`` is a union of an int, a pointer and ``char[8]``."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    )


class _Voice(ctypes.Structure):
    """``espeak_VOICE``; ``languages`` is read by hand (see :func:`_parse_languages`)."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@frozen
class VoiceInfo:
    """One voice as espeak-ng lists it.

    ``name`` is what :func:`synthesize` selects it by, ``identifier`` its file
    (``"gmw/en-US"``) and ``languages`` its language tags, most fitting first.
    """

    name: str
    identifier: str
    languages: tuple[str, ...]
    gender: int


@frozen
class WordEvent:
    """A word espeak-ng started to speak: where it is in the text and when it is heard.

    ``position`` is a 0-based character index into the text, ``length`` the
    number of characters espeak-ng took as the word, ``sample`` the index of
    the first audio sample of the word.
    """

    position: int
    length: int
    sample: int


@frozen
class Synthesis:
    """The result of one synthesis: mono 16-bit samples, their rate and the word events."""

    samples: np.ndarray = field(eq=False)
    sample_rate: int
    words: tuple[WordEvent, ...]


class _Sink:
    """Collects what the callback receives during one synthesis call."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.words: list[WordEvent] = []
        self.error: BaseException | None = None


_lock = threading.Lock()
_data_path: Path | None = None
_lib: ctypes.CDLL | None = None
_sample_rate = 0
_voices: tuple[VoiceInfo, ...] | None = None
_sink: _Sink | None = None


def _on_synth(wav: ctypes._Pointer[ctypes.c_short], numsamples: int, events: ctypes._Pointer[_Event]) -> int:
    """The synthesis callback: store samples and word events in the current sink."""
    sink = _sink
    if sink is None:
        return 0
    try:
        if wav and numsamples > 0:
            sink.chunks.append(ctypes.string_at(wav, numsamples * ctypes.sizeof(ctypes.c_short)))
        if events:
            index = 0
            while events[index].type != _EVENT_LIST_TERMINATED:
                event = events[index]
                if event.type == _EVENT_WORD:
                    sink.words.append(WordEvent(max(event.text_position - 1, 0), event.length, event.sample))
                index += 1
    except BaseException as exc:  # an exception cannot cross into C: keep it and stop
        sink.error = exc
        return 1
    return 0


_callback = _SynthCallback(_on_synth)


def _status_message(lib: ctypes.CDLL, status: int) -> str:
    buffer = ctypes.create_string_buffer(512)
    lib.espeak_ng_GetStatusCodeMessage(status, buffer, len(buffer))
    return buffer.value.decode("utf-8", "replace") or f"status {status:#x}"


def _check(lib: ctypes.CDLL, status: int, what: str) -> None:
    if status != _ENS_OK:
        raise ProviderError(
            f"eSpeak NG could not {what}: {_status_message(lib, status)}", provider=PROVIDER_ID
        )


def _declare(lib: ctypes.CDLL) -> None:
    c_int, c_uint, c_char_p, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_char_p, ctypes.c_void_p
    signatures: dict[str, tuple[object, list[object]]] = {
        "espeak_ng_InitializePath": (None, [c_char_p]),
        "espeak_ng_Initialize": (c_uint, [ctypes.POINTER(c_void_p)]),
        "espeak_ng_ClearErrorContext": (None, [ctypes.POINTER(c_void_p)]),
        "espeak_ng_InitializeOutput": (c_uint, [c_uint, c_int, c_char_p]),
        "espeak_ng_GetSampleRate": (c_int, []),
        "espeak_ng_GetStatusCodeMessage": (None, [c_uint, c_char_p, ctypes.c_size_t]),
        "espeak_ng_SetVoiceByName": (c_uint, [c_char_p]),
        "espeak_ng_SetParameter": (c_uint, [c_int, c_int, c_int]),
        "espeak_ng_Synthesize": (
            c_uint,
            [c_char_p, ctypes.c_size_t, c_uint, c_int, c_uint, c_uint, ctypes.POINTER(c_uint), c_void_p],
        ),
        "espeak_SetSynthCallback": (None, [_SynthCallback]),
        "espeak_ListVoices": (ctypes.POINTER(ctypes.POINTER(_Voice)), [c_void_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _library() -> ctypes.CDLL:
    """The initialised library; the caller holds ``_lock``."""
    global _lib, _sample_rate, _data_path
    if _lib is not None:
        return _lib
    try:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_path = Path(espeakng_loader.get_data_path())
    except (OSError, RuntimeError) as exc:
        raise ProviderError(
            f"eSpeak NG could not be loaded from the espeakng-loader package ({exc}); "
            "reinstall it with `pip install --force-reinstall espeakng-loader`",
            provider=PROVIDER_ID,
        ) from exc
    _declare(lib)
    # espeak-ng wants the folder that contains "espeak-ng-data".
    lib.espeak_ng_InitializePath(str(data_path.parent).encode(sys.getfilesystemencoding()))
    context = ctypes.c_void_p()
    status = lib.espeak_ng_Initialize(ctypes.byref(context))
    lib.espeak_ng_ClearErrorContext(ctypes.byref(context))
    _check(lib, status, f"load its data from {data_path}")
    _check(lib, lib.espeak_ng_InitializeOutput(_ENOUTPUT_MODE_SYNCHRONOUS, _BUFFER_MS, None), "start")
    rate = lib.espeak_ng_GetSampleRate()
    if rate <= 0:
        raise ProviderError(f"eSpeak NG reported a sample rate of {rate}", provider=PROVIDER_ID)
    lib.espeak_SetSynthCallback(_callback)
    _lib, _sample_rate, _data_path = lib, rate, data_path
    return lib


def _parse_languages(address: int | None) -> tuple[str, ...]:
    """Read ``espeak_VOICE.languages``: (priority byte, NUL-terminated tag) pairs ending with a 0 byte."""
    languages: list[str] = []
    while address:
        if ctypes.string_at(address, 1) == b"\0":
            break
        tag = ctypes.string_at(address + 1)
        languages.append(tag.decode("utf-8", "replace"))
        address += len(tag) + 2
    return tuple(languages)


def _dictionary(data_path: Path, identifier: str, languages: tuple[str, ...]) -> Path:
    """The dictionary file a voice needs: named by a ``dictionary`` line in its voice file, or its language."""
    name = languages[0].split("-")[0] if languages else identifier.rsplit("/", 1)[-1]
    try:
        lines = (data_path / "lang" / identifier).read_text("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "dictionary":
            name = parts[1]
    return data_path / f"{name}_dict"


def sample_rate() -> int:
    """The rate, in Hz, of the samples espeak-ng produces (22050)."""
    with _lock:
        _library()
        return _sample_rate


def list_voices() -> tuple[VoiceInfo, ...]:
    """Every voice espeak-ng offers, in its own order (by language name); read once, then cached.

    Voices whose dictionary is missing from the data folder (the wheel lacks a
    few, such as Faroese) are left out: espeak-ng would only say nothing.
    """
    global _voices
    with _lock:
        if _voices is None:
            lib = _library()
            array = lib.espeak_ListVoices(None)
            found: list[VoiceInfo] = []
            index = 0
            while array and array[index]:
                voice = array[index].contents
                index += 1
                info = VoiceInfo(
                    name=(voice.name or b"").decode("utf-8", "replace"),
                    identifier=(voice.identifier or b"").decode("utf-8", "replace"),
                    languages=_parse_languages(voice.languages),
                    gender=voice.gender,
                )
                if _data_path is None or _dictionary(_data_path, info.identifier, info.languages).is_file():
                    found.append(info)
            if not found:
                raise ProviderError(
                    "eSpeak NG lists no voices; its data folder is incomplete", provider=PROVIDER_ID
                )
            _voices = tuple(found)
        return _voices


def synthesize(text: str, *, voice_name: str, words_per_minute: int) -> Synthesis:
    """Speak ``text`` with the voice called ``voice_name`` and return its samples and word events.

    ``words_per_minute`` is clamped to what espeak-ng accepts (80–450). The
    text must not contain NUL characters or lone surrogates.
    Raises :class:`~oasis_core.errors.ProviderError` when espeak-ng fails.
    """
    global _sink
    encoded = text.encode("utf-8")
    wpm = min(max(int(words_per_minute), MIN_WORDS_PER_MINUTE), MAX_WORDS_PER_MINUTE)
    with _lock:
        lib = _library()
        _check(
            lib, lib.espeak_ng_SetVoiceByName(voice_name.encode("utf-8")), f"select the voice {voice_name!r}"
        )
        _check(lib, lib.espeak_ng_SetParameter(_ESPEAK_RATE, wpm, 0), f"set the rate to {wpm} words a minute")
        sink = _Sink()
        _sink = sink
        try:
            status = lib.espeak_ng_Synthesize(
                encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
        finally:
            _sink = None
        if sink.error is not None:
            raise ProviderError(
                f"eSpeak NG's audio could not be collected: {sink.error}", provider=PROVIDER_ID
            )
        _check(lib, status, "speak the text")
        rate = _sample_rate
    samples = np.frombuffer(b"".join(sink.chunks), dtype=np.int16)
    return Synthesis(samples=samples, sample_rate=rate, words=tuple(sink.words))
