"""The use cases: plain functions taking ports as arguments. The SDK's main surface."""

from oasis_core.services.captions import (
    CaptionGeometry,
    CaptionLayout,
    CaptionPhrase,
    CaptionSegment,
    caption_geometry,
    layout_caption,
    plan_captions,
)
from oasis_core.services.content import generate_quote, generate_visual_prompt
from oasis_core.services.render import (
    RenderOutcome,
    RenderProviders,
    RenderRequest,
    StoredVideo,
    render_video,
    split_sentences,
    store_video,
)

__all__ = [
    "CaptionGeometry",
    "CaptionLayout",
    "CaptionPhrase",
    "CaptionSegment",
    "RenderOutcome",
    "RenderProviders",
    "RenderRequest",
    "StoredVideo",
    "caption_geometry",
    "generate_quote",
    "generate_visual_prompt",
    "layout_caption",
    "plan_captions",
    "render_video",
    "split_sentences",
    "store_video",
]
