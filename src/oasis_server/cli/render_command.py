"""``oasis render``: one finished video from the command line.

Progress goes to stderr (a bar on a terminal, plain lines otherwise, nothing
with ``--quiet``); the result goes to stdout, as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oasis_core.domain.media import ASPECT_IDS
from oasis_core.domain.video import RenderStage
from oasis_server.cli.caption_options import add_caption_options, caption_choice
from oasis_server.cli.output import add_json_option, print_json, progress

STAGE_LABELS = {
    RenderStage.QUEUED: "Writing",
    RenderStage.SPEECH: "Speaking",
    RenderStage.VISUALS: "Painting",
    RenderStage.COMPOSE: "Encoding",
    RenderStage.UPLOAD: "Storing",
    RenderStage.DONE: "Done",
}


def register(commands: Any) -> None:
    """Add the ``render`` sub-command."""
    parser = commands.add_parser(
        "render", help="render one video", description="Write, voice and render one video."
    )
    parser.add_argument(
        "--category",
        help="content category (see `oasis categories`; default: motivation, or the nearest to --topic)",
    )
    parser.add_argument("--style", default="cinematic", help="visual style (see `oasis styles`)")
    parser.add_argument(
        "--output", "-o", type=Path, help="MP4 file to write (default: ./oasis-<category>-<time>.mp4)"
    )
    parser.add_argument("--aspect", default="9:16", help=f"frame shape: {', '.join(ASPECT_IDS)}")
    parser.add_argument(
        "--voice", help="voice id or language tag, such as en-gb (see `oasis voices`; default: the engine's)"
    )
    parser.add_argument("--rate", type=float, default=1.0, help="speaking speed, 0.5 to 2.0")
    parser.add_argument("--quote", help="speak this text instead of a written quote")
    parser.add_argument(
        "--topic", help='write a narrated script about this topic ("why sleep matters"), told in scenes'
    )
    parser.add_argument(
        "--length", type=float, default=30, help="seconds of narration for --topic, 15 to 90 (default 30)"
    )
    parser.add_argument(
        "--language",
        help="the video's language, a tag such as fr, zh or pt-BR: the quote is written in it and, "
        "without --voice, the speech provider's first voice for it speaks",
    )
    parser.add_argument("--visual-prompt", help="describe the picture yourself")
    parser.add_argument("--music", type=Path, help="audio file to mix quietly under the voice")
    parser.add_argument("--llm", help="language model provider id")
    parser.add_argument("--speech", help="speech provider id")
    parser.add_argument("--visuals", help="visual source provider id")
    parser.add_argument(
        "--data-dir", type=Path, help="where caches live (default: OASIS_DATA_DIR or a per-user folder)"
    )
    add_caption_options(parser)
    add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Render and print where the video is."""
    from oasis_core.studio import Studio

    studio = Studio.from_plugins(data_dir=args.data_dir)
    providers = {
        kind: value
        for kind, value in (("llm", args.llm), ("speech", args.speech), ("visuals", args.visuals))
        if value
    }
    plan = studio.plan(
        category=args.category,
        style=args.style,
        quote=args.quote,
        visual_prompt=args.visual_prompt,
        aspect=args.aspect,
        voice=args.voice,
        rate=args.rate,
        music=args.music,
        output=args.output,
        providers=providers,
        language=args.language,
        captions=caption_choice(args),
        topic=args.topic,
        length=args.length,
    )
    with progress(args, STAGE_LABELS[RenderStage.QUEUED]) as report:
        result = studio.run(plan, lambda stage, percent: report(STAGE_LABELS[stage], percent))
    if args.json:
        print_json(_result_fields(result))
        return 0
    author = f" — {result.author}" if result.author else ""
    print(f"{result.text}{author}")
    print(
        f"Wrote {result.path} ({result.width}x{result.height}, {result.duration:.1f} s, "
        f"{result.size_bytes / 1_000_000:.1f} MB); thumbnail {result.thumbnail}"
    )
    return 0


def _result_fields(result: Any) -> dict[str, Any]:
    """A :class:`~oasis_core.studio_plan.RenderResult` as JSON-ready fields (paths absolute)."""
    import attrs

    fields = attrs.asdict(result, recurse=False)
    fields["scenes"] = [attrs.asdict(scene) for scene in result.scenes]
    return {
        name: str(value.resolve()) if isinstance(value, Path) else value for name, value in fields.items()
    }
