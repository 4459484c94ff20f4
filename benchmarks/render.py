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


def write_wav(path: Path, samples: Any, rate: int) -> None:
    """Write 16-bit mono ``samples`` (a numpy array) to ``path``."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())


def prepare(folder: Path, duration: float, preset: str, crf: int) -> Spec:
    """Speech (espeak, padded and tiled to ``duration``), background PNG and caption PNGs: one spec."""
    import numpy as np
    from PIL import Image

    from oasis_core.domain.media import ASPECTS, Scene, WordTiming
    from oasis_core.ports.provider import ProviderConfig
    from oasis_core.services.captions import caption_geometry, plan_captions
    from oasis_plugins.espeak import EspeakSpeechEngine
    from oasis_plugins.pyav.caption_painter import CaptionPainter
    from oasis_plugins.pyav.motion import plan_clips, scale_and_crop, source_size

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    speech = EspeakSpeechEngine(ProviderConfig()).synthesize(QUOTE, folder)
    if speech.duration > 15.0:
        raise SystemExit(f"The quote speaks for {speech.duration:.2f} s; it must fit in 15 s")
    with wave.open(str(speech.audio_path)) as wav:
        rate, raw = wav.getframerate(), wav.readframes(wav.getnframes())
    block = np.zeros(round(15.0 * rate), dtype="<i2")
    voice = np.frombuffer(raw, dtype="<i2")
    block[: voice.size] = voice
    repeats = round(duration / 15.0)
    write_wav(folder / "speech.wav", np.tile(block, repeats), rate)
    speech.audio_path.unlink()
    words = [[w.text, w.start + 15.0 * k, w.end + 15.0 * k] for k in range(repeats) for w in speech.words]

    rng = np.random.default_rng(7)  # background: diagonal two-colour gradient plus grain
    y, x = np.mgrid[0 : IMAGE_SIZE[1], 0 : IMAGE_SIZE[0]].astype(np.float32)
    mix = ((x / IMAGE_SIZE[0] + y / IMAGE_SIZE[1]) / 2)[..., None]
    pixels = (1 - mix) * np.array([24, 60, 110]) + mix * np.array([230, 150, 90])
    pixels += rng.normal(0, 12, pixels.shape)
    image = folder / "background.png"
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(image)

    timings = [WordTiming(*w) for w in words]
    aspect = ASPECTS[0]
    painter = CaptionPainter(caption_geometry(aspect))
    strip_height, cues = painter.cues(plan_captions(timings, duration), duration)
    cue_list = []
    for index, cue in enumerate(cues):
        png = folder / f"cue_{index:03d}.png"
        (cue.image or Image.new("RGBA", (WIDTH, strip_height), (0, 0, 0, 0))).save(png, compress_level=1)
        cue_list.append([str(png), cue.start, cue.image is None])
    lines = ["ffconcat version 1.0"]
    for (png, start, _), nxt in zip(cue_list, [*[c[1] for c in cue_list[1:]], duration], strict=True):
        lines += [f"file '{png}'", f"duration {max(nxt - start, 0.001):.6f}"]
    lines.append(f"file '{cue_list[-1][0]}'")  # the concat demuxer ignores the last duration
    (folder / "cues.ffconcat").write_text("\n".join(lines) + "\n")

    (clip,), _ = plan_clips((Scene(image, 0.0, duration),), duration, FPS)
    scale, crop = scale_and_crop(clip, WIDTH, HEIGHT, source_size(WIDTH, HEIGHT)[0])
    return {
        "folder": str(folder),
        "wav": str(folder / "speech.wav"),
        "image": str(image),
        "duration": duration,
        "frames": round(duration * FPS),
        "words": words,
        "cues": cue_list,
        "strip_top": painter.strip_top(strip_height),
        "source": list(source_size(WIDTH, HEIGHT)),
        "clip": {"frames": clip.frames, "zoom_in": clip.zoom_in, "pan": clip.pan},
        "scale": scale,
        "crop": crop,
        "preset": preset,
        "crf": crf,
    }


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


def child_ours(spec: Spec, output: Path) -> None:
    """Render with PyAVCompositor in this process (the timed part is compose() alone)."""
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
    PyAVCompositor(ProviderConfig(settings=settings)).compose(composition)


def child_moviepy(spec: Spec, output: Path) -> None:
    """Render with MoviePy 2 (run in its venv): resize-based zoom, caption ImageClips, same audio."""
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
    video.write_videofile(
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
    """Entry point of a child process: render, then print compose seconds and own/children peak RSS."""
    import resource

    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()
    (child_ours if method == "ours" else child_moviepy)(spec, Path(output))
    inner = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"inner_s": inner, "self_kb": own, "children_kb": kids}))


def measure(command: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``command``; wall seconds and peak RSS (MB) from ``os.wait4``, plus what a child reports."""
    with log.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({proc.returncode}):\n{text[-3000:]}")
    result = {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "inner_s": wall}
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=23)
    parser.add_argument("--quick", action="store_true", help="1 round, no MoviePy (smoke test)")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "SPEC", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return

    import av

    rounds = 1 if args.quick else args.rounds
    ffmpeg = ensure_ffmpeg()
    methods = ["ours", "ffmpeg"] if args.quick else ["ours", "ffmpeg", "moviepy"]
    moviepy_python = None if args.quick else ensure_moviepy_venv()
    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"ffmpeg CLI: {ffmpeg} ({version}); PyAV {av.__version__}; {os.cpu_count()} CPUs")
    print(f"x264 preset {args.preset}, crf {args.crf}; {rounds} round(s) of {', '.join(methods)}")

    spec = prepare(OUT / "assets-15s", 15.0, args.preset, args.crf)
    spec_path = OUT / "spec-15s.json"
    spec_path.write_text(json.dumps(spec))
    me = str(Path(__file__).resolve())
    env = {**os.environ, "FFMPEG_BINARY": ffmpeg}  # MoviePy drives the same ffmpeg binary
    sample_at = (30, 200, 420)
    reference: dict[int, Any] = {}
    results: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
    for index in range(1, rounds + 1):
        for method in methods:
            output = OUT / f"{method}-15s-r{index}.mp4"
            output.unlink(missing_ok=True)
            if method == "ffmpeg":
                command = ffmpeg_command(ffmpeg, spec, output)
            else:
                python = sys.executable if method == "ours" else str(moviepy_python)
                command = [python, me, "--child", method, str(spec_path), str(output)]
            run = measure(command, OUT / f"{method}-15s-r{index}.log", env)
            samples = validate(output, spec["frames"], sample_at)
            reference = reference or samples
            run["diff"] = statistics.fmean(float(abs(samples[i] - reference[i]).mean()) for i in sample_at)
            results[method].append(run)
            print(
                f"round {index} {method:8s} wall {run['wall_s']:6.2f} s  inner {run['inner_s']:6.2f} s  "
                f"peak {run['peak_mb']:6.1f} MB  mean|dY| vs ours {run['diff']:.2f}",
                flush=True,
            )

    long_spec = prepare(OUT / "assets-60s", 60.0, args.preset, args.crf)
    long_path = OUT / "spec-60s.json"
    long_path.write_text(json.dumps(long_spec))
    long_output = OUT / "ours-60s.mp4"
    command = [sys.executable, me, "--child", "ours", str(long_path), str(long_output)]
    long_run = measure(command, OUT / "ours-60s.log", env)
    validate(long_output, long_spec["frames"], ())
    print(f"memory run: ours 60 s, wall {long_run['wall_s']:.2f} s, peak {long_run['peak_mb']:.1f} MB")

    wall = {m: statistics.median(r["wall_s"] for r in runs) for m, runs in results.items()}
    inner = {m: statistics.median(r["inner_s"] for r in runs) for m, runs in results.items()}
    peak = {m: max(r["peak_mb"] for r in runs) for m, runs in results.items()}
    ratio = {"ours": 1.0, "ffmpeg": wall["ffmpeg"] / wall["ours"]}
    if "moviepy" in wall:
        ratio["moviepy"] = wall["moviepy"] / wall["ours"]
    print(f"\n{'method':10s} {'wall_s(median)':>15s} {'inner_s':>8s} {'peak_MB':>8s} {'vs_ours':>8s}")
    for method in methods:
        print(
            f"{method:10s} {wall[method]:15.2f} {inner[method]:8.2f} {peak[method]:8.1f} {ratio[method]:7.2f}x"
        )
    print(
        f"{'ours-60s':10s} {long_run['wall_s']:15.2f} {long_run['inner_s']:8.2f} {long_run['peak_mb']:8.1f}"
    )
    vs_ffmpeg = wall["ours"] / wall["ffmpeg"]
    print(
        f"\nours/ffmpeg = {vs_ffmpeg:.2f}x  (target <= {TARGET_VS_FFMPEG}x): "
        f"{'MET' if vs_ffmpeg <= TARGET_VS_FFMPEG else 'MISSED'}"
    )
    if "moviepy" in wall:
        speedup = wall["moviepy"] / wall["ours"]
        print(
            f"moviepy/ours = {speedup:.1f}x  (target >= {TARGET_VS_MOVIEPY}x): "
            f"{'MET' if speedup >= TARGET_VS_MOVIEPY else 'MISSED'}"
        )
    print(
        f"ours 60 s peak = {long_run['peak_mb']:.0f} MB  (target <= {MEMORY_TARGET_MB} MB): "
        f"{'MET' if long_run['peak_mb'] <= MEMORY_TARGET_MB else 'MISSED'}"
    )
    print("wall_s: whole process, start-up included; inner_s: in-process render (ours, moviepy).")


if __name__ == "__main__":
    main()
