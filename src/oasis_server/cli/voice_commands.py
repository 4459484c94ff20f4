"""``oasis voices``: list a speech engine's voices, its catalogue, and install a voice from it.

``oasis voices [--speech ID]`` lists the installed voices of a speech engine
(the default one unless named) with their language, speakers and licence.
Engines that install voices (Piper) also offer a catalogue:
``oasis voices --speech piper --available`` lists it and ``oasis voices install
NAME`` downloads one into the engine's voices folder. A catalogue that cannot
be reached, or a download that does not check out, is one line on stderr and
exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
EXIT_FAILURE = 1
INSTALLING_ENGINE = "piper"
"""The speech engine ``oasis voices install`` uses unless ``--speech`` names another."""
COMMERCIAL_OK = "commercial use allowed"
"""How a voice's licence says it may be used commercially (see ``oasis_plugins.piper.voices``)."""


def register(commands: Any) -> None:
    """Add ``voices`` and ``voices install``."""
    voices = commands.add_parser(
        "voices",
        help="list the voices of a speech provider, or install one",
        description="List the voices of a speech provider (with their licences), or install one.",
    )
    voices.add_argument("--speech", help="speech provider id (default: the default one)")
    voices.add_argument(
        "--available", action="store_true", help="list the voices the provider's catalogue offers"
    )
    voices.add_argument("--language", help="only the voices for this language tag, such as fr or zh")
    voices.add_argument("--json", action="store_true", help="print JSON instead of a table")
    voices.set_defaults(handler=list_voices)
    actions = voices.add_subparsers(dest="voices_action", metavar="ACTION")
    install = actions.add_parser("install", help="download a voice from the catalogue and install it")
    install.add_argument("name", help="voice name, such as en_US-lessac-medium")
    install.add_argument(
        "--speech", dest="install_speech", default=INSTALLING_ENGINE, help="speech provider id"
    )
    install.set_defaults(handler=install_voice)


def _engine(speech: str | None) -> Any:
    from oasis_core.catalog import PortKind
    from oasis_core.studio import Studio

    return Studio.from_plugins().provider(PortKind.SPEECH, speech)


def _attempt(args: argparse.Namespace, action: Callable[[], T]) -> T | int:
    """``action()``, or exit status 1 with one line on stderr when the provider fails (a download)."""
    from oasis_core.errors import ProviderError

    try:
        return action()
    except ProviderError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"oasis: error: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE


def _print_installed(engine: Any, voices: Sequence[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    if not any(voice.licence for voice in voices):
        for voice in voices:
            print(f"{voice.id:<24} {voice.name} [{voice.language}]")
        return
    # An engine that installs model files (Piper) also says each one's quality and where it was found.
    models = {model.id: model for model in getattr(engine, "voice_models", tuple)()}
    table = Table(title=f"{engine.name}: installed voices (the first is the default)")
    for column in ("voice", "language", "quality", "speakers", "licence", "from"):
        table.add_column(column, no_wrap=column in ("voice", "language"), overflow="fold")
    for voice in voices:
        model = models.get(voice.id)
        table.add_row(
            voice.id,
            voice.language,
            model.quality if model else "-",
            str(len(voice.speakers) or 1),
            voice.licence or "-",
            model.source if model else "-",
        )
    console = Console()
    console.print(table)
    permissive = [voice.id for voice in voices if COMMERCIAL_OK in (voice.licence or "")]
    if permissive:
        console.print(f"Recommended for commercial videos: {permissive[0]}")
    else:
        console.print(
            "None of these voices allows commercial use. Pick a voice trained on public-domain or CC0 data "
            "(en_US-ljspeech-medium is; read its model card) with `oasis voices install NAME`."
        )


def list_voices(args: argparse.Namespace) -> int:
    """Print the installed voices of one speech provider, or with ``--available`` its catalogue."""
    import attrs
    from rich.console import Console
    from rich.table import Table

    from oasis_core.errors import InvalidInput
    from oasis_server.cli.output import print_json

    engine = _engine(args.speech)
    if args.available:
        catalogue = getattr(engine, "catalogue_voices", None)
        if catalogue is None:
            raise InvalidInput(f"The {engine.id} speech provider has no catalogue of voices", field="speech")
        offered = _attempt(args, catalogue)
        if isinstance(offered, int):
            return offered
        if args.json:
            print_json([attrs.asdict(voice) for voice in offered])
            return 0
        table = Table(title=f"{engine.name}: voices to install with `oasis voices install NAME`")
        for column in ("voice", "language", "quality", "speakers", "size"):
            table.add_column(column, no_wrap=True)
        for voice in offered:
            table.add_row(
                voice.name, voice.language, voice.quality, str(voice.speakers), f"{voice.size / 1e6:.0f} MB"
            )
        Console().print(table)
        return 0
    voices = list(engine.voices())
    if getattr(args, "language", None):
        from oasis_core.domain.language import language_tag, voices_for_language

        tag = language_tag(args.language)
        voices = voices_for_language(voices, tag)
        if not voices:
            print(f"The {engine.id} speech provider has no voice for {tag}")
            return 0
    if args.json:
        print_json([{**attrs.asdict(voice), "speakers": list(voice.speakers)} for voice in voices])
        return 0
    if not voices:
        print(
            f"The {engine.id} speech provider has no voice installed; see `oasis voices --speech {engine.id} --available`"
        )
        return 0
    _print_installed(engine, voices)
    return 0


def install_voice(args: argparse.Namespace) -> int:
    """Download and install one voice; print where it went."""
    from oasis_core.errors import InvalidInput

    engine = _engine(args.install_speech)
    install = getattr(engine, "install_voice", None)
    if install is None:
        raise InvalidInput(f"The {engine.id} speech provider does not install voices", field="speech")
    voice = _attempt(args, lambda: install(args.name))
    if isinstance(voice, int):
        return voice
    print(f"Installed {voice.id} ({voice.language}); licence: {voice.licence or 'unknown'}")
    return 0
