"""Painters made of light in the dark or in haze: the ``neon``, ``dreamy`` and ``monochrome`` styles."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from oasis_plugins.procedural.palettes import Palette
from oasis_plugins.procedural.raster import (
    RGB,
    Canvas,
    Field,
    band,
    blur,
    colour,
    disc,
    fbm,
    glow,
    mix,
    ramp,
    screen,
    smoothstep,
    soft_clip,
    vignette,
)


def _bloom(light: Field) -> Field:
    """Light plus its halo at three widths, as a lens and the eye smear bright lines.

    The halos are blurred by Pillow on an 8-bit copy at half size: fast, and
    their faint steps vanish under the grain.
    """
    height, width = light.shape[:2]
    source = Image.fromarray((np.clip(light, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    half = source.reduce(2)
    halo = np.zeros((half.height, half.width, 3), np.float32)
    for radius, weight in ((1.0, 1.2), (5.0, 0.9), (18.0, 0.7)):
        halo += np.asarray(half.filter(ImageFilter.GaussianBlur(radius)), np.float32) * np.float32(
            weight / 255.0
        )
    halo_image = Image.fromarray((np.clip(halo, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    full = np.asarray(halo_image.resize((width, height), Image.Resampling.BICUBIC), np.float32) / np.float32(
        255.0
    )
    return light + full


def _line(distance: Field, width_px: float, canvas: Canvas) -> Field:
    """A glowing line core where ``distance`` (in widths) is zero, ``width_px`` pixels thick."""
    return band(distance, 0.0, width_px * canvas.px)


def _floor_grid(canvas: Canvas, rng: np.random.Generator, horizon: float) -> Field:
    """A synthwave floor: lines receding to a vanishing point, fading before the horizon."""
    z = np.maximum(canvas.y - np.float32(horizon), np.float32(1e-4))
    depth = np.float32(rng.uniform(0.35, 0.5))
    rows = depth / z + np.float32(rng.random())
    row_step = depth / (z * z) / np.float32(canvas.height)
    row_distance = 0.5 - np.abs((rows % 1.0) - 0.5)
    across = np.float32(rng.uniform(2.2, 3.6))
    cols = (canvas.x - np.float32(rng.uniform(0.35, 0.65))) * np.float32(canvas.sx) / (z * canvas.sy) * across
    col_step = across / (z * canvas.sy) * np.float32(canvas.px)
    col_distance = np.abs(((cols + 0.5) % 1.0) - 0.5)
    horizontal = np.exp(-((row_distance / (row_step * 1.1)) ** 2)) * np.clip(0.2 / (row_step * 1.1), 0.0, 1.0)
    vertical = np.exp(-((col_distance / (col_step * 1.1)) ** 2)) * np.clip(0.2 / (col_step * 1.1), 0.0, 1.0)
    fade = smoothstep(0.0, 0.1, z) * (canvas.y > horizon)
    return np.maximum(horizontal, vertical) * fade


def _trails(canvas: Canvas, rng: np.random.Generator, top: float, bottom: float, count: int) -> list[Field]:
    """Wavy light trails between ``top`` and ``bottom``: one line mask per trail."""
    trails = []
    base = float(rng.uniform(top, bottom))
    frequency, phase = float(rng.uniform(0.4, 1.2)), float(rng.uniform(0, 2 * np.pi))
    for i in range(count):
        amplitude = float(rng.uniform(0.03, 0.09))
        offset = base + i * float(rng.uniform(0.012, 0.03))
        centre = offset + amplitude * np.sin(2 * np.pi * frequency * canvas.x + phase + i * 0.35)
        trails.append(_line((canvas.y - centre) * np.float32(canvas.sy), 1.3, canvas))
    return trails


def paint_neon(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """A synthwave night: dark gradient, stars, a glowing ring, light trails, a grid floor or a tunnel."""
    p = palette
    y = canvas.y
    horizon = float(rng.uniform(0.5, 0.6))
    with_floor = rng.random() < 0.6
    if with_floor:
        stops = [
            (0.0, p["space"]),
            (horizon * 0.6, p["night"]),
            (horizon, p["glowbg"]),
            (horizon + 0.002, p["floor"]),
        ]
        image = canvas.full(ramp(y, [*stops, (1.0, p["deep"])]))
    else:
        image = canvas.full(
            ramp(y, [(0.0, p["space"]), (0.45, p["night"]), (0.75, p["glowbg"]), (1.0, p["deep"])])
        )
    light = np.zeros_like(image)
    stars = int(rng.integers(70, 140))
    sx = rng.integers(0, canvas.width, stars)
    sy = (rng.random(stars) * (horizon if with_floor else 1.0) * 0.95 * canvas.height).astype(int)
    light[sy, sx] += (rng.random(stars).astype(np.float32) * 0.7)[:, None] * colour(p["star"])

    ring_x, radius = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.17, 0.3))
    if with_floor:
        ring_y = horizon - radius / canvas.sy * float(rng.uniform(0.2, 0.9))
        light += _floor_grid(canvas, rng, horizon)[..., None] * colour(p["grid"]) * 0.7
        light += _line((y - horizon) * np.float32(canvas.sy), 1.5, canvas)[..., None] * colour(p["accent"])
        above = (y < horizon).astype(np.float32)
    else:
        ring_y = float(rng.uniform(0.22, 0.4))
        above = np.ones_like(y)
    d = canvas.distance(ring_x, ring_y)
    rings = int(rng.integers(1, 4)) if with_floor else int(rng.integers(4, 7))
    for i in range(rings):
        r = radius * 0.78**i
        tint = p["accent"] if i % 2 == 0 else p["grid"]
        light += (_line(d - r, 1.4, canvas) * above * np.float32(0.8**i))[..., None] * colour(tint)
    light += (smoothstep(radius, radius * 0.2, d) * above * 0.05)[..., None] * colour(p["accent"])

    top, bottom = (0.08, horizon - 0.12) if with_floor else (0.55, 0.8)
    for i, trail in enumerate(_trails(canvas, rng, top, bottom, int(rng.integers(2, 5)))):
        tint = p["grid"] if i % 2 == 0 else p["accent"]
        light += (trail * 0.8)[..., None] * colour(tint)
    image = image + _bloom(light)
    return soft_clip(image, 0.7) * vignette(canvas, 0.5)[..., None]


def paint_dreamy(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """A lavender-to-peach haze with a soft light and out-of-focus bokeh, some strung along a curve."""
    p = palette
    along = canvas.along(np.pi / 2 + float(rng.uniform(-0.5, 0.5)) + (np.pi if rng.random() < 0.35 else 0.0))
    t = (along - along.min()) / max(float(along.max() - along.min()), 1e-6)
    image = canvas.full(ramp(t, [(0.0, p["top"]), (0.35, p["haze"]), (0.7, p["mid"]), (1.0, p["bottom"])]))
    clouds = fbm(rng, canvas, 1.5, octaves=4)
    image = mix(image, p["haze"], smoothstep(0.35, 0.85, clouds) * (0.55 - 0.35 * t))
    image = mix(image, p["top"], smoothstep(0.6, 0.15, clouds) * 0.3)
    light_x, light_y = float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.05, 0.45))
    light = 0.5 * glow(canvas, light_x, light_y, float(rng.uniform(0.35, 0.6)))
    image = screen(image, p["light"], light + 0.35 * glow(canvas, light_x, light_y, 0.12))
    tints = p.many("bokeh")
    start = (float(rng.uniform(-0.1, 0.4)), float(rng.uniform(0.0, 1.0)))
    end = (float(rng.uniform(0.6, 1.1)), float(rng.uniform(0.0, 1.0)))
    sag = float(rng.uniform(-0.25, 0.25))
    for i in range(int(rng.integers(36, 64))):
        radius = 0.01 + 0.1 * float(rng.random()) ** 2.2
        alpha = float(rng.uniform(0.1, 0.45)) * (1.0 - 2.5 * radius)
        if i % 2:
            k = float(rng.random())
            cx = start[0] + (end[0] - start[0]) * k + float(rng.normal(0.0, 0.03))
            cy = start[1] + (end[1] - start[1]) * k + sag * 4 * k * (1 - k) + float(rng.normal(0.0, 0.03))
        else:
            cx, cy = float(rng.random()), float(rng.random())
        _bokeh(canvas, image, (cx, cy), radius, tints[int(rng.integers(len(tints)))], alpha)
    return mix(image, p["haze"], 0.05)


def _bokeh(
    canvas: Canvas, image: Field, centre: tuple[float, float], radius: float, tint: RGB, alpha: float
) -> None:
    """Screen one soft disc with a faint bright rim onto ``image`` in place, touching only its box."""
    cx, cy = centre
    soft = radius * 0.25 + canvas.px
    reach = radius + soft * 2
    rx, ry = reach / canvas.sx, reach / canvas.sy
    x0, x1 = max(0, int((cx - rx) * canvas.width)), min(canvas.width, int((cx + rx) * canvas.width) + 1)
    y0, y1 = max(0, int((cy - ry) * canvas.height)), min(canvas.height, int((cy + ry) * canvas.height) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    dx = (canvas.x[:, x0:x1] - np.float32(cx)) * np.float32(canvas.sx)
    dy = (canvas.y[y0:y1] - np.float32(cy)) * np.float32(canvas.sy)
    d = np.sqrt(dx * dx + dy * dy)
    body = 1.0 - smoothstep(radius - soft, radius + soft, d)
    rim = band(d, radius - soft, soft * 0.8) * 0.25
    image[y0:y1, x0:x1] = screen(image[y0:y1, x0:x1], tint, (body + rim) * np.float32(alpha))


def _blinds(canvas: Canvas, rng: np.random.Generator, grey: Field) -> Field:
    """Hard window light through venetian blinds falling across a dark wall."""
    angle = float(rng.uniform(-0.65, -0.2)) + (np.pi if rng.random() < 0.5 else 0.0)
    cx, cy = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.22, 0.5))
    u = canvas.along(angle) - np.float32(cx * canvas.sx * np.cos(angle) + cy * canvas.sy * np.sin(angle))
    v = canvas.along(angle + np.pi / 2) - np.float32(
        -cx * canvas.sx * np.sin(angle) + cy * canvas.sy * np.cos(angle)
    )
    half_u, half_v = float(rng.uniform(0.3, 0.45)), float(rng.uniform(0.45, 0.75))
    patch = smoothstep(half_u, half_u - 0.05, np.abs(u)) * smoothstep(half_v, half_v - 0.05, np.abs(v))
    period, duty = float(rng.uniform(0.045, 0.075)), float(rng.uniform(0.5, 0.7))
    phase = (v / np.float32(period)) % 1.0
    slats = smoothstep(0.0, 0.08, phase) * smoothstep(duty, duty - 0.08, phase)
    frame = smoothstep(0.012, 0.022, np.abs(u))
    light = patch * slats * frame * (0.55 + 0.45 * glow(canvas, cx, cy, 0.7))
    grey = grey + 0.12 * glow(canvas, cx, cy, 0.6)
    return grey + (0.95 - grey) * light * 0.92


def _sphere(canvas: Canvas, rng: np.random.Generator, grey: Field) -> Field:
    """A lit sphere resting on a floor under a spotlight, casting a soft shadow."""
    y = canvas.y
    floor = float(rng.uniform(0.56, 0.66))
    radius = float(rng.uniform(0.2, 0.3))
    cx = float(rng.uniform(0.35, 0.65))
    cy = floor - radius / canvas.sy * 0.92
    side = -1.0 if rng.random() < 0.5 else 1.0
    grey = grey + 0.5 * glow(canvas, cx - side * 0.1, cy - 0.1, 0.45)
    ground = ramp(y, [(floor, (0.42,) * 3), (1.0, (0.05,) * 3)])[..., 0]
    grey = grey + (ground - grey) * smoothstep(floor - 0.002, floor + 0.004, y)
    shadow = np.exp(
        -((((canvas.x - cx) * canvas.sx - side * 0.22) / 0.3) ** 2)
        - (((y - floor - 0.015) * canvas.sy / 0.04) ** 2)
    )
    grey = grey * (1.0 - 0.75 * shadow)
    nx = (canvas.x - np.float32(cx)) * np.float32(canvas.sx / radius)
    ny = (y - np.float32(cy)) * np.float32(canvas.sy / radius)
    nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.0, 1.0))
    lx, ly, lz = -side * 0.62, -0.55, 0.56
    lit = np.clip(nx * lx + ny * ly + nz * lz, 0.0, 1.0)
    spec = np.clip(nx * (lx * 0.5) + ny * (ly * 0.5) + nz * (lz * 0.5 + 0.5), 0.0, 1.0) ** 60
    shade = 0.03 + 0.85 * lit**1.4 + 0.5 * spec + 0.2 * (1.0 - nz) ** 3 * smoothstep(0.0, 0.4, nx * side)
    return mix(grey[..., None], shade[..., None], disc(canvas, cx, cy, radius, 0.002))[..., 0]


def _beam(canvas: Canvas, rng: np.random.Generator, grey: Field) -> Field:
    """A shaft of light from a high arched window crossing a dark room, dust lit inside it."""
    wx, wy = float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.1, 0.22))
    w = float(rng.uniform(0.09, 0.14))
    opening = disc(canvas, wx, wy, w) + (np.abs(canvas.x - wx) * canvas.sx < w) * (canvas.y > wy) * (
        canvas.y < wy + 0.12
    )
    angle = np.pi / 2 + (0.35 if wx < 0.5 else -0.35) * float(rng.uniform(0.6, 1.2))
    ax, ay = np.cos(angle), np.sin(angle)
    dx = (canvas.x - np.float32(wx)) * np.float32(canvas.sx)
    dy = (canvas.y - np.float32(wy + 0.06)) * np.float32(canvas.sy)
    along = dx * np.float32(ax) + dy * np.float32(ay)
    across = np.abs(dx * np.float32(-ay) + dy * np.float32(ax))
    width = w + along * 0.28
    beam = smoothstep(width, width * 0.55, across) * smoothstep(0.0, 0.08, along) * np.exp(-along / 1.6)
    haze = fbm(rng, canvas, 5.0, octaves=3)
    grey = grey + beam * (0.35 + 0.25 * haze)
    dust = (rng.random((canvas.height, canvas.width)) > 0.997).astype(np.float32)
    grey = grey + blur(dust, 0.8) * beam * 2.5
    return np.maximum(grey, np.clip(opening, 0.0, 1.0) * 0.97)


def paint_monochrome(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """Black-and-white light: window blinds, a lit sphere or a beam through a window, in high contrast."""
    p = palette
    wall = ramp(canvas.y, [(0.0, p["dark"]), (0.55, p["wall"]), (1.0, p["dark"])])[..., 0]
    grey: Field = np.broadcast_to(wall, (canvas.height, canvas.width)).astype(np.float32)
    grey = grey * (0.85 + 0.3 * fbm(rng, canvas, 3.0, octaves=4))
    scene = (_blinds, _sphere, _beam)[int(rng.integers(3))]
    grey = scene(canvas, rng, grey) * vignette(canvas, 0.55, 0.3)
    grey = np.clip(grey, 0.0, 1.0)
    grey = grey + (smoothstep(0.0, 1.0, grey) - grey) * 0.6
    grey = 0.035 + 0.95 * grey
    return np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
