"""``oasis render``: one finished video from the command line, with a progress bar."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from oasis_core.domain.media import ASPECT_IDS
from oasis_core.domain.video import RenderStage

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
    parser.add_argument("--category", default="motivation", help="content category (see `oasis categories`)")
    parser.add_argument("--style", default="cinematic", help="visual style (see `oasis styles`)")
    parser.add_argument(
        "--output", "-o", type=Path, help="MP4 file to write (default: ./oasis-<category>-<time>.mp4)"
    )
    parser.add_argument("--aspect", default="9:16", help=f"frame shape: {', '.join(ASPECT_IDS)}")
    parser.add_argument("--voice", help="voice id (see `oasis voices`)")
    parser.add_argument("--rate", type=float, default=1.0, help="speaking speed, 0.5 to 2.0")
    parser.add_argument("--quote", help="speak this text instead of a written quote")
    parser.add_argument("--visual-prompt", help="describe the picture yourself")
    parser.add_argument("--music", type=Path, help="audio file to mix quietly under the voice")
    parser.add_argument("--llm", help="language model provider id")
    parser.add_argument("--speech", help="speech provider id")
    parser.add_argument("--visuals", help="visual source provider id")
    parser.add_argument(
        "--data-dir", type=Path, help="where caches live (default: OASIS_DATA_DIR or a per-user folder)"
    )
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
    )
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(STAGE_LABELS[RenderStage.QUEUED], total=100)

        def on_progress(stage: RenderStage, percent: int) -> None:
            progress.update(task, completed=percent, description=STAGE_LABELS[stage])

        result = studio.run(plan, on_progress)
    out = Console()
    author = f" — {result.author}" if result.author else ""
    out.print(f"[bold]{result.text}[/bold]{author}", highlight=False)
    out.print(
        f"Wrote {result.path} ({result.width}x{result.height}, {result.duration:.1f} s, "
        f"{result.size_bytes / 1_000_000:.1f} MB); thumbnail {result.thumbnail}",
        highlight=False,
        soft_wrap=True,
    )
    return 0
