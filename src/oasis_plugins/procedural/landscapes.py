"""Painters of landscapes under a sky: the ``cinematic``, ``nature`` and ``retro`` styles.

Each painter takes a :class:`Canvas`, a seeded generator and a
:class:`Palette` and returns a float image; the seed decides the layout
(horizon, sun, ridges) so every prompt gets its own view.
"""

from __future__ import annotations

import numpy as np

from oasis_plugins.procedural.palettes import Palette
from oasis_plugins.procedural.raster import (
    Canvas,
    Field,
    band,
    colour,
    disc,
    fbm,
    glow,
    mix,
    noise_line,
    periodic_noise,
    ramp,
    saturate,
    screen,
    smoothstep,
    split_tone,
    vignette,
)


def _ridge(canvas: Canvas, line: Field, soft: float = 1.0) -> Field:
    """1 below the ridgeline ``line`` (one ``y`` per column), 0 above, antialiased over ``soft`` pixels."""
    edge = np.float32(soft / canvas.height)
    return smoothstep(line[None, :] - edge, line[None, :] + edge, canvas.y)


def paint_cinematic(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """A graded teal-and-orange dusk: sun glow, light rays, clouds, hills or water, vignette."""
    p = palette
    y = canvas.y
    horizon = float(rng.uniform(0.47, 0.56))
    sun_x = float(rng.uniform(0.2, 0.8))
    sun_y = horizon - float(rng.uniform(0.04, 0.12))
    sky_stops = [
        (0.0, p["top"]),
        (horizon * 0.55, p["mid"]),
        (horizon * 0.92, p["haze"]),
        (horizon, p["horizon"]),
    ]
    image = canvas.full(ramp(y, [*sky_stops, (1.0, p["horizon"])]))

    near_sun = glow(canvas, sun_x, sun_y, 0.45)
    clouds = smoothstep(0.42, 0.85, fbm(rng, canvas, 2.5, octaves=5, stretch=4.0))
    clouds = clouds * smoothstep(horizon + 0.01, horizon - 0.12, y) * np.float32(rng.uniform(0.55, 0.85))
    cloud_colour = mix(canvas.full(colour(p["cloud"])), p["sun"], near_sun * 0.8)
    image = mix(image, cloud_colour, clouds)

    d = canvas.distance(sun_x, sun_y)
    image = screen(image, p["sun"], 0.55 * np.exp(-((d / 0.32) ** 2)) + 0.35 * np.exp(-d / 0.08))
    angle = np.arctan2((y - sun_y) * np.float32(canvas.sy), (canvas.x - sun_x) * np.float32(canvas.sx))
    rays = (
        periodic_noise(rng, angle, int(rng.integers(14, 24)), 2.0)
        * np.exp(-d / 0.7)
        * smoothstep(0.02, 0.25, d)
    )
    rays = rays * (1.0 - 0.5 * clouds) * smoothstep(horizon + 0.02, horizon - 0.05, y)
    image = screen(image, p["light"], rays * 0.85)
    image = mix(image, p["core"], disc(canvas, sun_x, sun_y, 0.028, 0.01))

    far = horizon - 0.01 - 0.07 * noise_line(rng, canvas, 2.0, octaves=5) ** 1.5
    far_colour = mix(
        canvas.full(colour(p["far"])), p["haze"], smoothstep(horizon + 0.1, horizon - 0.06, y) * 0.5
    )
    image = mix(image, far_colour, _ridge(canvas, far))
    if rng.random() < 0.5:
        image = _water(canvas, rng, p, image, horizon, sun_x, sky_stops)
    else:
        mid = horizon + 0.012 - 0.04 * noise_line(rng, canvas, 2.5, octaves=5)
        image = mix(image, mix(canvas.full(colour(p["far"])), p["near"], 0.35), _ridge(canvas, mid))
        image = mix(image, p["haze"], band(y, horizon + 0.02, 0.035) * 0.25)
        near = horizon + 0.05 - 0.07 * noise_line(rng, canvas, 1.2, octaves=5)
        ground = ramp(y, [(horizon, p["far"]), (horizon + 0.2, p["near"]), (1.0, p["near"])])
        ground = ground * (0.85 + 0.3 * fbm(rng, canvas, 4.0, octaves=4, stretch=3.0))[..., None]
        ground = screen(ground, p["light"], near_sun * 0.3)
        image = mix(image, ground, _ridge(canvas, near))

    streak = band(y * np.float32(canvas.sy), sun_y * canvas.sy, 0.004) * np.exp(
        -np.abs(canvas.x - sun_x) * np.float32(canvas.sx / 0.3)
    )
    image = screen(image, p["flare"], streak * 0.45)
    image = split_tone(image, p["shadow"], p["light"], 0.18)
    return image * vignette(canvas, 0.6, 0.25)[..., None]


def _water(
    canvas: Canvas,
    rng: np.random.Generator,
    p: Palette,
    image: Field,
    horizon: float,
    sun_x: float,
    sky_stops: list[tuple[float, tuple[float, float, float]]],
) -> Field:
    """A lake below the horizon reflecting the sky, with a glittering path under the sun."""
    y = canvas.y
    mirrored = np.clip(2 * horizon - y, 0.0, horizon)
    reflection = ramp(mirrored, [*sky_stops, (1.0, p["horizon"])]) * 0.55
    depth = np.clip((y - horizon) / (1.0 - horizon), 0.0, 1.0)
    water = mix(canvas.full(reflection), p["near"], smoothstep(0.0, 0.9, depth) * 0.85)
    ripples = fbm(rng, canvas, 3.0, octaves=4, stretch=14.0)
    water = water * (0.85 + 0.3 * ripples)[..., None]
    width = 0.03 + 0.3 * depth
    path = (
        np.exp(-(((canvas.x - sun_x) * np.float32(canvas.sx) / width) ** 2))
        * smoothstep(0.5, 0.85, ripples)
        * (1.0 - depth) ** 1.5
    )
    water = screen(water, p["sun"], path * 0.8)
    return mix(image, water, smoothstep(horizon - 0.001, horizon + 0.004, y))


def paint_nature(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """Layered misty hills fading into a soft daylight sky, mist pooling in the valleys."""
    p = palette
    y = canvas.y
    top = float(rng.uniform(0.3, 0.42))
    image = canvas.full(ramp(y, [(0.0, p["top"]), (top * 0.95, p["low"]), (1.0, p["low"])]))
    sun_x, sun_y = float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.08, top - 0.06))
    image = screen(
        image, p["sun"], 0.55 * glow(canvas, sun_x, sun_y, 0.35) + 0.4 * glow(canvas, sun_x, sun_y, 0.07)
    )
    clouds = smoothstep(0.5, 0.9, fbm(rng, canvas, 2.0, octaves=5, stretch=3.0)) * smoothstep(top, 0.0, y)
    image = mix(image, p["cloud"], clouds * 0.55)

    layers = int(rng.integers(5, 7))
    texture = (0.94 + 0.12 * fbm(rng, canvas, 12.0, octaves=3))[..., None]
    for i in range(layers):
        t = i / (layers - 1)
        base = top + (0.8 - top) * t**1.15
        shape = noise_line(rng, canvas, 1.0 + 1.2 * (1 - t), octaves=6, persistence=0.5 - 0.1 * t)
        line = base - (0.08 * (1 - t) + 0.035) * shape ** (1.6 - 0.6 * t)
        edge = line - (0.002 + 0.008 * t) * noise_line(rng, canvas, 80.0, octaves=2) if t > 0.3 else line
        weight = t**0.8
        shade = tuple(f + (n - f) * weight for f, n in zip(p["far"], p["near"], strict=True))
        depth = np.clip((y - line[None, :]) / np.float32(0.12 + 0.1 * t), 0.0, 1.0)
        haze = smoothstep(0.0, 1.0, depth) * np.float32(0.7 * (1 - 0.5 * t))
        tone = mix(canvas.full(colour(shade)), p["mist"], haze) * texture
        image = mix(image, tone, _ridge(canvas, edge))
    mist = smoothstep(0.45, 0.8, fbm(rng, canvas, 1.5, octaves=4, stretch=5.0)) * band(y, 0.6, 0.25)
    image = mix(image, p["mist"], mist * 0.35)
    return image * vignette(canvas, 0.3)[..., None]


def paint_retro(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """A seventies sunset poster: banded sky, striped sun, mountains, sea, halftone and fading."""
    p = palette
    y, x = canvas.y, canvas.x
    horizon = float(rng.uniform(0.5, 0.6))
    bands = int(rng.integers(6, 11))
    stepped = np.floor(y / np.float32(horizon) * bands) / np.float32(bands) * horizon
    stops = [
        (0.0, p["top"]),
        (horizon * 0.45, p["upper"]),
        (horizon * 0.8, p["lower"]),
        (horizon, p["horizon"]),
    ]
    smooth = ramp(y, [*stops, (1.0, p["horizon"])])
    image = canvas.full(mix(ramp(stepped, [*stops, (1.0, p["horizon"])]), smooth, 0.35))

    radius = float(rng.uniform(0.25, 0.36))
    sun_x = float(rng.uniform(0.32, 0.68))
    sun_y = horizon - radius / canvas.sy * float(rng.uniform(0.1, 0.6))
    reach = radius / canvas.sy
    sun_colour = ramp(
        y, [(sun_y - reach, p.many("sun")[0]), (sun_y, p.many("sun")[1]), (sun_y + reach, p.many("sun")[2])]
    )
    start = sun_y - reach * 0.15
    u = np.clip((y - start) / np.float32(max(horizon - start, 1e-3)), 0.0, 1.0)
    stripes = int(rng.integers(5, 9))
    phase = (u * stripes) % 1.0
    gap_width = 0.12 + 0.55 * u
    feather = np.float32(stripes * 1.2 / canvas.height / max(horizon - start, 1e-3))
    gaps = smoothstep(1.0 - gap_width - feather, 1.0 - gap_width, phase) * (y > start)
    sun = disc(canvas, sun_x, sun_y, radius) * (1.0 - gaps)
    image = screen(image, p.many("sun")[0], glow(canvas, sun_x, sun_y, radius * 2.2) * 0.35)
    image = mix(image, canvas.full(sun_colour), sun)

    if rng.random() < 0.6:
        heights = np.zeros(canvas.width, np.float32)
        for _ in range(int(rng.integers(2, 5))):
            px, half = float(rng.uniform(-0.1, 1.1)), float(rng.uniform(0.12, 0.3))
            peak = float(rng.uniform(0.03, 0.08))
            heights = np.maximum(
                heights, peak * np.clip(1.0 - np.abs(x[0] - px) * np.float32(canvas.sx) / half, 0.0, 1.0)
            )
        line = horizon + 0.002 - heights
        hills = mix(
            canvas.full(colour(p["mountain"])), p["horizon"], smoothstep(horizon, horizon - 0.08, y) * 0.35
        )
        image = mix(image, hills, _ridge(canvas, line))
    depth = np.clip((y - horizon) / np.float32(1.0 - horizon), 0.0, 1.0)
    sea = mix(canvas.full(colour(p["mountain"])), p["ground"], smoothstep(0.0, 0.5, depth))
    lines = ((np.sqrt(depth) * np.float32(rng.uniform(10.0, 18.0))) % 1.0) < (0.55 - 0.45 * depth)
    spread = radius * (1.3 - 0.8 * depth)
    glints = lines * (np.abs(x - sun_x) * np.float32(canvas.sx) < spread) * (1.0 - depth) ** 1.2
    sea = mix(sea, p.many("sun")[1], glints * 0.75)
    image = mix(image, sea, smoothstep(horizon - 0.0005, horizon + 0.0015, y))

    period = np.float32(7.0)
    px_x, px_y = x * np.float32(canvas.width), y * np.float32(canvas.height)
    dots = 0.5 + 0.25 * (
        np.cos((px_x + px_y) * np.float32(np.pi * 2) / period) + np.cos((px_x - px_y) * 2 * np.pi / period)
    )
    darkness = 1.0 - (image @ np.asarray([0.3, 0.6, 0.1], np.float32))
    ink = smoothstep(dots - 0.15, dots + 0.15, darkness * 0.9 + 0.1)
    image = image * (1.0 - 0.16 * ink)[..., None]
    paper = fbm(rng, canvas, 40.0, octaves=2)
    image = mix(image, p["paper"], 0.1 + 0.05 * paper)
    image = saturate(image, 0.85) * 0.9 + np.float32(0.05)
    return image * vignette(canvas, 0.35)[..., None]
