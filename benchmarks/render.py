"""Render benchmark: the same 15 s 1080x1920 quote video by our compositor, the ffmpeg CLI and MoviePy 2.

Usage: ``python benchmarks/render.py [--rounds 3] [--preset veryfast] [--crf 23] [--quick]``

It installs what it needs (Debian's ``ffmpeg``; MoviePy in ``benchmarks/.venv-moviepy``),
prepares one speech WAV, one background still and the caption strip PNGs, then renders in
interleaved rounds, each render in its own process (wall time and peak RSS from ``os.wait4``),
validates every output with PyAV, and prints medians, peaks and ratios. A last run renders
60 s with our compositor to check peak memory. Outputs go to ``benchmarks/out/``.
Top-level imports are stdlib only: the MoviePy child runs this file in the MoviePy venv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
MOVIEPY_VENV = HERE / ".venv-moviepy"
WIDTH, HEIGHT, FPS = 1080, 1920, 30
IMAGE_SIZE = (1242, 2208)
QUOTE = (
    "The best time to plant a tree was twenty years ago. The second best time is now. "
    "Every journey begins with a single step, and every step you take today builds the road "
    "you will walk tomorrow. So keep going, one small step at a time."
)
SAMPLE_AT = (30, 200, 420)
"""Frames compared with our render's, to show every method made the same picture."""
TARGET_VS_FFMPEG, TARGET_VS_MOVIEPY, MEMORY_TARGET_MB = 1.25, 10.0, 500
Spec = dict[str, Any]


def ensure_ffmpeg() -> str:
    """Debian's ffmpeg (installed with apt-get if missing), else the imageio-ffmpeg binary."""
    if found := shutil.which("ffmpeg"):
        return found
    if shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "ffmpeg"], check=False, capture_output=True)
        if found := shutil.which("ffmpeg"):
            return found
    python = ensure_moviepy_venv()
    code = "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"
    return subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def ensure_moviepy_venv() -> str:
    """The MoviePy 2 virtualenv's python (MoviePy 2.2 needs pillow<12, hence its own venv)."""
    python = MOVIEPY_VENV / "bin" / "python"
    check = [str(python), "-c", "import moviepy, numpy, PIL"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return str(python)
    print("Creating", MOVIEPY_VENV, "...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(MOVIEPY_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "moviepy>=2,<3", "pillow<12", "numpy"]
    subprocess.run(pip, check=True)
    return str(python)


def speech_track(folder: Path, duration: float) -> tuple[Path, list[list[Any]]]:
    """The quote spoken by espeak, padded to 15 s and tiled to ``duration``; the WAV and word timings."""
    import numpy as np

    from oasis_core.ports.provider import ProviderConfig
    from oasis_plugins.espeak import EspeakSpeechEngine

    speech = EspeakSpeechEngine(ProviderConfig()).synthesize(QUOTE, folder)
    if speech.duration > 15.0:
        raise SystemExit(f"The quote speaks for {speech.duration:.2f} s; it must fit in 15 s")
    with wave.open(str(speech.audio_path)) as wav:
        rate, voice = wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    speech.audio_path.unlink()
    block = np.zeros(round(15.0 * rate), dtype="<i2")
    block[: voice.size] = voice
    repeats = round(duration / 15.0)
    path = folder / "speech.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.tile(block, repeats).tobytes())
    return path, [
        [w.text, w.start + 15.0 * k, w.end + 15.0 * k] for k in range(repeats) for w in speech.words
    ]


def background(folder: Path) -> Path:
    """A deterministic 1242x2208 still: a diagonal two-colour gradient with grain."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0 : IMAGE_SIZE[1], 0 : IMAGE_SIZE[0]].astype(np.float32)
    mix = ((x / IMAGE_SIZE[0] + y / IMAGE_SIZE[1]) / 2)[..., None]
    pixels = (1 - mix) * np.array([24, 60, 110]) + mix * np.array([230, 150, 90])
    pixels += np.random.default_rng(7).normal(0, 12, pixels.shape)
    path = folder / "background.png"
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
    return path


def caption_cues(folder: Path, words: list[list[Any]], duration: float) -> tuple[list[list[Any]], int]:
    """Our caption strips as PNGs ([png, start, blank] each) plus an ffconcat list; and the strip's top."""
    from PIL import Image

    from oasis_core.domain.media import ASPECTS, WordTiming
    from oasis_core.services.captions import caption_geometry, plan_captions
    from oasis_plugins.pyav.caption_painter import CaptionPainter

    painter = CaptionPainter(caption_geometry(ASPECTS[0]))
    phrases = plan_captions([WordTiming(*w) for w in words], duration)
    strip_height, cues = painter.cues(phrases, duration)
    cue_list = []
    for index, cue in enumerate(cues):
        png = folder / f"cue_{index:03d}.png"
        (cue.image or Image.new("RGBA", (WIDTH, strip_height), (0, 0, 0, 0))).save(png, compress_level=1)
        cue_list.append([str(png), cue.start, cue.image is None])
    lines = ["ffconcat version 1.0"]
    for (png, start, _), end in zip(cue_list, [*[c[1] for c in cue_list[1:]], duration], strict=True):
        lines += [f"file '{png}'", f"duration {max(end - start, 0.001):.6f}"]
    lines.append(f"file '{cue_list[-1][0]}'")  # the concat demuxer ignores the last duration
    (folder / "cues.ffconcat").write_text("\n".join(lines) + "\n")
    return cue_list, painter.strip_top(strip_height)


def prepare(folder: Path, duration: float, preset: str, crf: int) -> Spec:
    """Speech, background and caption PNGs for a ``duration`` video, and how to render it: one spec."""
    from oasis_core.domain.media import Scene
    from oasis_plugins.pyav.motion import plan_clips, scale_and_crop, source_size

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    wav, words = speech_track(folder, duration)
    image = background(folder)
    cues, strip_top = caption_cues(folder, words, duration)
    (clip,), _ = plan_clips((Scene(image, 0.0, duration),), duration, FPS)
    source = list(source_size(WIDTH, HEIGHT))
    scale, crop = scale_and_crop(clip, WIDTH, HEIGHT, source[0])
    motion = {"frames": clip.frames, "zoom_in": clip.zoom_in, "pan": clip.pan}
    spec = {"folder": str(folder), "wav": str(wav), "image": str(image), "words": words, "cues": cues,
            "duration": duration, "frames": round(duration * FPS), "strip_top": strip_top, "source": source,
            "scale": scale, "crop": crop, "clip": motion, "preset": preset, "crf": crf,
            "path": str(folder / "spec.json")}  # fmt: skip
    Path(spec["path"]).write_text(json.dumps(spec))
    return spec


def ffmpeg_command(ffmpeg: str, spec: Spec, output: Path) -> list[str]:
    """The ffmpeg CLI doing our composition: still pushed once and looped, zoom, one caption stream."""
    sw, sh = spec["source"]
    graph = (
        f"[0:v]scale={sw}:{sh}:flags=lanczos,format=yuv420p,"
        f"loop=loop={spec['clip']['frames'] - 1}:size=1:start=0,settb=1/{FPS},setpts=N,"
        f"scale={spec['scale']},crop={spec['crop']},setsar=1[bg];"
        f"[bg][1:v]overlay=x=0:y={spec['strip_top']}:format=yuv420:eof_action=pass:repeatlast=1,"
        "format=yuv420p[v]"
    )
    return [
        *(ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", spec["image"]),
        *("-f", "concat", "-safe", "0", "-i", str(Path(spec["folder"]) / "cues.ffconcat")),
        *("-i", spec["wav"], "-filter_complex", graph, "-map", "[v]", "-map", "2:a"),
        *("-frames:v", str(spec["frames"]), "-r", str(FPS), "-c:v", "libx264", "-preset", spec["preset"]),
        *("-crf", str(spec["crf"]), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-ar", "48000"),
        *("-ac", "1", "-movflags", "+faststart", str(output)),
    ]


def child_ours(spec: Spec, output: Path) -> Callable[[], object]:
    """Set up our compositor and its Composition; return the render call (timed on its own)."""
    from oasis_core.domain.media import ASPECTS, Scene, Speech, Visuals, WordTiming
    from oasis_core.ports.compositor import Composition
    from oasis_core.ports.provider import ProviderConfig
    from oasis_core.services.captions import plan_captions
    from oasis_plugins.pyav.compositor import PyAVCompositor

    duration = spec["duration"]
    speech = Speech(Path(spec["wav"]), duration, [WordTiming(*w) for w in spec["words"]])
    composition = Composition(
        speech=speech,
        visuals=Visuals((Scene(Path(spec["image"]), 0.0, duration),), "minimal"),
        captions=plan_captions(speech.words, duration),
        aspect=ASPECTS[0],
        duration=duration,
        output_path=output,
        thumbnail_path=output.with_suffix(".jpg"),
    )
    settings = {"preset": spec["preset"], "crf": str(spec["crf"])}
    return partial(PyAVCompositor(ProviderConfig(settings=settings)).compose, composition)


def child_moviepy(spec: Spec, output: Path) -> Callable[[], object]:
    """Set up MoviePy 2 (in its venv): resize-based zoom, caption ImageClips, same audio; the render call."""
    import numpy as np
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip
    from PIL import Image, ImageOps

    duration, clip = spec["duration"], spec["clip"]
    last, pan = max(1, clip["frames"] - 1), clip["pan"]
    with Image.open(spec["image"]) as image:
        still = ImageOps.fit(image.convert("RGB"), tuple(spec["source"]), Image.Resampling.LANCZOS)

    def progress(t: float) -> float:
        n = round(t * FPS) / last
        return n if clip["zoom_in"] else 1 - n

    def size(t: float) -> tuple[int, int]:
        factor = 1 + 0.09 * progress(t)
        return 2 * int(WIDTH * factor / 2), 2 * int(HEIGHT * factor / 2)

    def position(t: float) -> tuple[int, int]:
        w, h = size(t)
        return -round((w - WIDTH) * (0.5 + pan * (round(t * FPS) / last - 0.5))), -((h - HEIGHT) // 2)

    layers = [ImageClip(np.asarray(still)).resized(size).with_position(position).with_duration(duration)]
    ends = [c[1] for c in spec["cues"][1:]] + [duration]
    for (png, start, blank), end in zip(spec["cues"], ends, strict=True):
        if not blank and end > start:
            strip = ImageClip(png).with_start(start).with_duration(end - start)
            layers.append(strip.with_position((0, spec["strip_top"])))
    video = CompositeVideoClip(layers, size=(WIDTH, HEIGHT)).with_duration(duration)
    video = video.with_audio(AudioFileClip(spec["wav"]))
    return partial(
        video.write_videofile,
        str(output),
        fps=FPS,
        codec="libx264",
        audio_codec="aac",
        audio_fps=48000,
        audio_bitrate="96k",
        preset=spec["preset"],
        ffmpeg_params=["-crf", str(spec["crf"]), "-movflags", "+faststart"],
        threads=2,
        logger=None,
    )


def child_main(method: str, spec_path: str, output: str) -> None:
    """Entry point of a child process: set up, time the render, print it and own/children peak RSS."""
    import resource

    spec = json.loads(Path(spec_path).read_text())
    render = (child_ours if method == "ours" else child_moviepy)(spec, Path(output))
    started = time.perf_counter()
    render()
    inner = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"inner_s": inner, "self_kb": own, "children_kb": kids}))


def busy_seconds() -> float:
    """CPU seconds all processes have spent busy since boot (``/proc/stat``; 0 where there is none)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except OSError:
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def settle(limit: float) -> None:
    """Wait, up to ``limit`` seconds, until other processes use under 0.15 CPUs for 2 s in a row."""
    deadline, quiet = time.monotonic() + limit, 0
    while quiet < 2 and time.monotonic() < deadline:
        before = busy_seconds()
        time.sleep(1.0)
        quiet = quiet + 1 if busy_seconds() - before < 0.15 else 0


def measure(command: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``command``: wall, CPU and peak RSS (``os.wait4``), CPUs others used meanwhile, child report."""
    with log.open("w") as out:
        busy, started = busy_seconds(), time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        busy = busy_seconds() - busy
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({proc.returncode}):\n{text[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    result = {"wall_s": wall, "cpu_s": cpu, "peak_mb": usage.ru_maxrss / 1024, "inner_s": wall}
    result["others"] = max(0.0, busy - cpu) / wall  # CPUs other processes kept busy: noise
    report = [line for line in text.splitlines() if line.startswith('{"inner_s"')]
    if report:
        child = json.loads(report[-1])
        result["inner_s"] = child["inner_s"]
        # Python and its ffmpeg child (MoviePy) run at once: their peaks add up.
        result["peak_mb"] = (child["self_kb"] + child["children_kb"]) / 1024
    return result


def validate(path: Path, frames: int, sample_at: tuple[int, ...]) -> dict[int, Any]:
    """Decode ``path`` fully: h264 1080x1920 with ``frames`` frames and 48 kHz AAC; return sampled Y planes."""
    import av

    samples: dict[int, Any] = {}
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        problems = []
        if (video.codec_context.name, video.width, video.height) != ("h264", WIDTH, HEIGHT):
            problems.append(f"video is {video.codec_context.name} {video.width}x{video.height}")
        if (audio.codec_context.name, audio.sample_rate) != ("aac", 48000):
            problems.append(f"audio is {audio.codec_context.name} at {audio.sample_rate} Hz")
        count = 0
        for frame in container.decode(video):
            if count in sample_at:
                samples[count] = frame.to_ndarray(format="gray").astype("int16")
            count += 1
    if count != frames:
        problems.append(f"{count} frames, expected {frames}")
    if problems:
        raise SystemExit(f"{path.name} is invalid: {'; '.join(problems)}")
    return samples


def main() -> None:
    """Parse flags, prepare, run the interleaved rounds and the 60 s memory run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--preset", default="veryfast", help="x264 preset for all methods")
    parser.add_argument("--crf", type=int, default=23, help="x264 crf for all methods")
    parser.add_argument("--quick", action="store_true", help="1 round, no MoviePy (smoke test)")
    parser.add_argument("--settle", type=float, default=60, help="max s to wait for idle CPUs per run")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "SPEC", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return

    import av

    rounds = 1 if args.quick else args.rounds
    methods = ["ours", "ffmpeg"] if args.quick else ["ours", "ffmpeg", "moviepy"]
    tools = {"ffmpeg": ensure_ffmpeg(), "ours": sys.executable}
    if not args.quick:
        tools["moviepy"] = ensure_moviepy_venv()
    version = subprocess.run([tools["ffmpeg"], "-version"], capture_output=True, text=True).stdout
    version = version.splitlines()[0].split(" Copyright")[0]
    print(f"ffmpeg CLI: {tools['ffmpeg']} ({version}); PyAV {av.__version__}; {os.cpu_count()} CPUs")
    print(f"x264 preset {args.preset}, crf {args.crf}; {rounds} round(s) of {', '.join(methods)}")

    spec = prepare(OUT / "assets-15s", 15.0, args.preset, args.crf)
    reference: dict[int, Any] = {}
    results: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
    for index in range(1, rounds + 1):
        for method in methods:
            run, samples = render_once(method, spec, f"15s-r{index}", tools, args.settle)
            reference = reference or samples
            run["diff"] = statistics.fmean(float(abs(samples[i] - reference[i]).mean()) for i in SAMPLE_AT)
            results[method].append(run)
            print(
                f"round {index} {method:8s} wall {run['wall_s']:6.2f} s  inner {run['inner_s']:6.2f} s  "
                f"cpu {run['cpu_s']:6.2f} s  peak {run['peak_mb']:6.1f} MB  |dY| vs ours {run['diff']:.2f}  "
                f"others busy {run['others']:.2f} CPUs",
                flush=True,
            )
    long_spec = prepare(OUT / "assets-60s", 60.0, args.preset, args.crf)
    results["ours-60s"] = [render_once("ours", long_spec, "60s", tools, args.settle)[0]]
    print_summary(results, methods)


def render_once(
    method: str, spec: Spec, tag: str, tools: dict[str, str], wait: float
) -> tuple[dict[str, float], dict[int, Any]]:
    """Render ``spec`` by ``method`` once the CPUs settle; its measurements and sampled frames."""
    output = OUT / f"{method}-{tag}.mp4"
    output.unlink(missing_ok=True)
    if method == "ffmpeg":
        command = ffmpeg_command(tools["ffmpeg"], spec, output)
    else:
        command = [tools[method], str(Path(__file__).resolve()), "--child", method, spec["path"], str(output)]
    settle(wait)
    env = {**os.environ, "FFMPEG_BINARY": tools["ffmpeg"]}  # MoviePy drives the same ffmpeg binary
    run = measure(command, output.with_suffix(".log"), env)
    return run, validate(output, spec["frames"], SAMPLE_AT)


def verdict(name: str, value: float, target: float, unit: str, higher_is_better: bool = False) -> str:
    """One line: ``value`` against ``target`` and whether it is met."""
    met = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    return f"{name} = {value:.2f}{unit}  (target {sign} {target}{unit}): {'MET' if met else 'MISSED'}"


def print_summary(results: dict[str, list[dict[str, float]]], methods: list[str]) -> None:
    """The table (medians of wall and CPU, max peak, mean noise) and the verdicts on the targets."""
    median = {k: {f: statistics.median(r[f] for r in runs) for f in runs[0]} for k, runs in results.items()}
    peak = {k: max(r["peak_mb"] for r in runs) for k, runs in results.items()}
    print(
        f"\n{'method':9s} {'wall_s(median)':>14s} {'inner_s':>8s} {'cpu_s':>7s} {'peak_MB':>8s} "
        f"{'wall/ours':>9s} {'others_CPUs':>11s}"
    )
    for key, row in median.items():
        ratio = f"{row['wall_s'] / median['ours']['wall_s']:8.2f}x" if key in methods else " " * 9
        print(
            f"{key:9s} {row['wall_s']:14.2f} {row['inner_s']:8.2f} {row['cpu_s']:7.2f} {peak[key]:8.1f} "
            f"{ratio} {row['others']:11.2f}"
        )
    print()
    print(
        verdict("ours/ffmpeg", median["ours"]["wall_s"] / median["ffmpeg"]["wall_s"], TARGET_VS_FFMPEG, "x")
    )
    if "moviepy" in median:
        speedup = median["moviepy"]["wall_s"] / median["ours"]["wall_s"]
        print(verdict("moviepy/ours", speedup, TARGET_VS_MOVIEPY, "x", higher_is_better=True))
    print(verdict("ours 60 s peak", peak["ours-60s"], MEMORY_TARGET_MB, " MB"))
    print("wall_s: whole process (start-up, imports, set-up); inner_s: the render call inside it;")
    print("others_CPUs: CPUs other processes kept busy meanwhile (noise; above ~0.2 trust ratios less).")


if __name__ == "__main__":
    main()
