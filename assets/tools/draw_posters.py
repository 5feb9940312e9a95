#!/usr/bin/env python3
"""Draw the illustrated poster images of a kiosk content pack.

README
------
For every image entry whose ``file`` is ``media/posters/<name>.png`` in the
venues, routes, heritage and events collections of a pack source folder, this
script draws an original flat-colour travel poster (1200x800 PNG) and writes it
to ``SRC/media/posters/<name>.png``:

* a stepped "banded" sky in the record's first theme colour (themes.yaml
  ``color``), a sun or moon, distant loess hills;
* one simple motif chosen from the record's tags, id, English name, category
  or kind: iron bridge, water wheel, mountains, pagoda, temple hall, museum
  facade, grotto cliff with niches, drum, lanterns, painted pottery jar,
  theatre stage, old-town roofs, park trees, city gate, river waves, sand
  dunes, eight trigrams, blossom trees, tomb mound, carved gourds, beef
  noodles, opera figures on high stilts, carpet loom, carved lacquer screen,
  folk singers with a sanxian, or a winding route with stop markers for
  routes. Specific words win over the kind of a heritage item (``stilts``
  before ``drum``, ``xiaoqu``/``guzi`` folk songs before the ``鼓`` of drum);
  see SPECIFIC below;
* a cream caption panel with the Chinese name (large), the English name
  (wrapped and shrunk to fit), the theme name in a small tag in the top-left
  corner and the city in the bottom-right corner.

Everything is drawn with Pillow primitives: no photographs or third-party
artwork are used. The drawings are made for this project and the generated
PNG files are dedicated to the public domain under CC0-1.0, so image entries
can say ``credit: "Illustration made for this project"`` and
``licence: CC0-1.0``.

Output is deterministic: all variation is seeded from the record id, so
re-running produces byte-identical files. Existing files are skipped unless
``--force`` is given.

Usage::

    .venv/bin/python assets/tools/draw_posters.py assets/demo-pack [--force]

Needs Pillow, PyYAML and a Noto CJK font (fonts-noto-cjk), looked up in
/usr/share/fonts/opentype/noto/ and then with ``fc-list :lang=zh``.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import math
import os
import random
import re
import subprocess
import sys

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:  # pragma: no cover
    sys.exit("draw_posters: Pillow is required (pip install Pillow)")
try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("draw_posters: PyYAML is required (pip install PyYAML)")

# ---------------------------------------------------------------- geometry

W, H = 1200, 800  # final poster size
S = 2  # supersampling factor for the illustration
PANEL_H = 226  # caption panel height (final pixels)
ART_H = H - PANEL_H  # illustration height (final pixels)
AW, AH = W * S, ART_H * S  # illustration canvas (supersampled)
HORIZON = int(AH * 0.80)  # ground / water line on the supersampled canvas

POSTER_RE = re.compile(r"^media/posters/([A-Za-z0-9][A-Za-z0-9._-]*)\.png$")
COLLECTIONS = ("venues", "routes", "heritage", "events")

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
CREAM = (248, 242, 230)
INK = (38, 34, 40)
DEFAULT_COLOR = "#7A6A58"

CITY_NAMES = {
    "lanzhou": ("兰州", "LANZHOU"),
    "tianshui": ("天水", "TIANSHUI"),
}


# ----------------------------------------------------------------- colours


def hex_rgb(value, default=DEFAULT_COLOR):
    s = str(value or default).strip().lstrip("#")
    if len(s) == 3:
        s = "".join(c * 2 for c in s)
    try:
        return tuple(int(s[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return hex_rgb(default)


def mix(a, b, t):
    """Blend colour a towards b by t (0 = a, 1 = b)."""
    return tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))


def luminance(c):
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


class Palette:
    def __init__(self, base, accent, night=False):
        self.base = base
        self.accent = accent
        self.dark = mix(base, (20, 16, 24), 0.62)
        self.deep = mix(base, (20, 16, 24), 0.35)
        self.mid = base
        self.soft = mix(base, WHITE, 0.30)
        self.light = mix(base, WHITE, 0.55)
        self.pale = mix(base, WHITE, 0.78)
        self.cream = CREAM
        self.sun = (255, 236, 196)
        self.gold = (236, 182, 74)
        self.red = (196, 52, 42)
        self.night = night
        if night:
            self.sky_top = mix(base, (12, 14, 38), 0.80)
            self.sky_bottom = mix(base, (30, 24, 60), 0.45)
        else:
            self.sky_top = mix(base, WHITE, 0.40)
            self.sky_bottom = mix(base, WHITE, 0.86)
        self.water = mix(base, (70, 110, 140), 0.25)


# ------------------------------------------------------------------- fonts

FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
)


def _fc_list_zh():
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = []
    for line in out.splitlines():
        path = line.split(":")[0].strip()
        if path and path not in files:
            files.append(path)
    return files


def _load_face(path, size, want="SC"):
    """Open a font file; for a .ttc collection pick the Simplified Chinese face."""
    if path.lower().endswith(".ttc"):
        first = None
        for index in range(12):
            try:
                font = ImageFont.truetype(path, size, index=index)
            except OSError:
                break
            first = first or font
            family = font.getname()[0]
            if want in family.split() and "Mono" not in family:
                return font
        if first is not None:
            return first
        raise OSError(path)
    return ImageFont.truetype(path, size)


class Fonts:
    """Finds the CJK font files once; hands out sized fonts."""

    def __init__(self):
        candidates = []
        for d in FONT_DIRS:
            candidates += sorted(glob.glob(os.path.join(d, "Noto*CJK*.tt[cf]")))
            candidates += sorted(glob.glob(os.path.join(d, "Noto*CJK*.otf")))
        candidates += _fc_list_zh()

        def pick(*patterns):
            for pat in patterns:
                for path in candidates:
                    if re.search(pat, os.path.basename(path), re.I) and os.path.exists(path):
                        return path
            return None

        anything = pick(r".")
        self.title = (
            pick(
                r"NotoSerifCJK-Bold",
                r"NotoSerifCJK.*(Bold|Black|SemiBold)",
                r"NotoSansCJK-Bold",
                r"NotoSans.*CJK.*Bold",
            )
            or anything
        )
        self.body = pick(r"NotoSansCJK-Regular", r"NotoSans.*CJK.*Regular", r"NotoSansCJK-Medium") or anything
        self.bold = pick(r"NotoSansCJK-Bold", r"NotoSans.*CJK.*Bold", r"NotoSansCJK-Medium") or self.body
        if not anything:
            raise SystemExit(
                "draw_posters: no CJK font found. Install Noto CJK "
                "(apt-get install fonts-noto-cjk) so that `fc-list :lang=zh` lists it "
                "or it appears in /usr/share/fonts/opentype/noto/."
            )
        self._cache = {}

    def get(self, kind, size):
        key = (kind, size)
        if key not in self._cache:
            path = getattr(self, kind)
            try:
                self._cache[key] = _load_face(path, size)
            except OSError as exc:
                raise SystemExit(f"draw_posters: cannot open font {path}: {exc}") from exc
        return self._cache[key]


# --------------------------------------------------------- drawing helpers


def bands(d, box, top, bottom, n):
    """Stepped vertical gradient: n flat horizontal bands from top to bottom colour."""
    x0, y0, x1, y1 = box
    step = (y1 - y0) / n
    for i in range(n):
        c = mix(top, bottom, i / max(1, n - 1))
        d.rectangle([x0, int(y0 + i * step), x1, int(y0 + (i + 1) * step) + 1], fill=c)


def ridge(rng, x0, x1, base_y, amp, n, jitter=0.35):
    """A hill / mountain outline as a closed polygon down to the canvas bottom."""
    pts = [(x0, AH + 10)]
    xs = [x0 + (x1 - x0) * i / n for i in range(n + 1)]
    for i, x in enumerate(xs):
        y = base_y - amp * rng.uniform(0.0, 0.25) if i % 2 == 0 else base_y - amp * rng.uniform(1 - jitter, 1.0)
        pts.append((x + rng.uniform(-0.15, 0.15) * (x1 - x0) / n, y))
    pts.append((x1, AH + 10))
    return pts


def smooth_hills(rng, base_y, amp, waves, phase=None):
    phase = rng.uniform(0, math.tau) if phase is None else phase
    f2 = rng.uniform(1.6, 2.6)
    pts = [(0, AH + 10)]
    for i in range(0, 97):
        x = AW * i / 96
        t = i / 96 * math.tau * waves
        y = base_y - amp * (0.55 + 0.3 * math.sin(t + phase) + 0.15 * math.sin(f2 * t + 2 * phase))
        pts.append((x, y))
    pts.append((AW, AH + 10))
    return pts


def y_at(outline, x):
    """y of a left-to-right polyline at x (linear interpolation)."""
    pts = sorted(outline)
    if x <= pts[0][0]:
        return pts[0][1]
    for (xa, ya), (xb, yb) in itertools.pairwise(pts):
        if xa <= x <= xb:
            return ya if xb == xa else ya + (yb - ya) * (x - xa) / (xb - xa)
    return pts[-1][1]


def circle(d, cx, cy, r, **kw):
    d.ellipse([cx - r, cy - r, cx + r, cy + r], **kw)


def curved_roof(d, cx, y_eave, width, height, color, lift=None, ridge_frac=0.56):
    """Chinese hip roof with upturned eave tips; y_eave is the lowest eave line."""
    lift = height * 0.45 if lift is None else lift
    x0, x1 = cx - width / 2, cx + width / 2
    pts = []
    for i in range(25):  # bottom edge, left tip -> right tip
        t = i / 24
        u = abs(2 * t - 1)
        pts.append((x0 + t * width, y_eave - lift * u**5))
    rx0, rx1 = cx - width * ridge_frac / 2, cx + width * ridge_frac / 2
    ry = y_eave - height
    for i in range(1, 13):  # right slope, tip -> ridge (concave)
        t = i / 12
        x = x1 + (rx1 - x1) * t
        y = (y_eave - lift) + (ry - (y_eave - lift)) * t + height * 0.22 * math.sin(math.pi * t)
        pts.append((x, y))
    for i in range(0, 13):  # left slope, ridge -> tip
        t = i / 12
        x = rx0 + (x0 - rx0) * t
        y = ry + ((y_eave - lift) - ry) * t + height * 0.22 * math.sin(math.pi * t)
        pts.append((x, y))
    d.polygon(pts, fill=color)
    # ridge ornaments
    d.rectangle([rx0 - 6, ry - 14, rx1 + 6, ry + 4], fill=color)
    for sx in (rx0 - 4, rx1 + 4):
        d.polygon([(sx - 14, ry), (sx + 14, ry), (sx, ry - 34)], fill=color)


def birds(d, rng, color, n, region):
    x0, y0, x1, y1 = region
    for _ in range(n):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        s = rng.uniform(14, 26)
        d.line([(x - s, y - s * 0.45), (x, y), (x + s, y - s * 0.45)], fill=color, width=5, joint="curve")


def cloud(d, x, y, s, color):
    d.rounded_rectangle([x - 2.2 * s, y - 0.35 * s, x + 2.2 * s, y + 0.45 * s], radius=int(0.4 * s), fill=color)
    circle(d, x - 0.7 * s, y - 0.25 * s, 0.6 * s, fill=color)
    circle(d, x + 0.4 * s, y - 0.45 * s, 0.8 * s, fill=color)


def waves(d, rng, y0, y1, color, width=6, step=46, amp=10, wl=120):
    """Rows of short wavy strokes on a water surface."""
    y = y0 + step * 0.6
    row = 0
    while y < y1:
        x = rng.uniform(-wl, 0)
        while x < AW:
            seg = rng.uniform(1.5, 3.2) * wl
            if rng.random() < 0.7:
                pts = [(x + k * 8, y + amp * math.sin((k * 8) / wl * math.tau)) for k in range(int(seg / 8))]
                if len(pts) > 1:
                    d.line(pts, fill=color, width=width, joint="curve")
            x += seg + rng.uniform(0.5, 2) * wl
        row += 1
        y += step * (1 + row * 0.12)


def water(d, rng, pal, y_top):
    d.rectangle([0, y_top, AW, AH], fill=pal.water)
    d.rectangle([0, y_top, AW, y_top + 10], fill=mix(pal.water, WHITE, 0.35))
    waves(d, rng, y_top + 10, AH, mix(pal.water, WHITE, 0.30), width=6)


def ground(d, pal, y_top, color=None):
    d.rectangle([0, y_top, AW, AH], fill=color or pal.deep)


def tree(d, x, y_ground, h, color, kind="round"):
    d.rectangle([x - h * 0.04, y_ground - h * 0.45, x + h * 0.04, y_ground], fill=color)
    if kind == "pine":
        for k in range(3):
            w = h * (0.42 - k * 0.1)
            yb = y_ground - h * (0.3 + k * 0.22)
            d.polygon([(x - w, yb), (x + w, yb), (x, yb - h * 0.34)], fill=color)
    else:
        circle(d, x, y_ground - h * 0.62, h * 0.34, fill=color)
        circle(d, x - h * 0.2, y_ground - h * 0.5, h * 0.24, fill=color)
        circle(d, x + h * 0.2, y_ground - h * 0.5, h * 0.24, fill=color)


# ---------------------------------------------------------------- backdrop


def backdrop(d, rng, pal, hills=True, sun=True):
    bands(d, (0, 0, AW, HORIZON), pal.sky_top, pal.sky_bottom, rng.randint(6, 8))
    if pal.night:
        for _ in range(70):
            x, y = rng.uniform(0, AW), rng.uniform(0, HORIZON * 0.7)
            r = rng.choice((2, 3, 3, 4, 5))
            circle(d, x, y, r, fill=mix(pal.sun, pal.sky_top, rng.uniform(0, 0.5)))
        if sun:
            mx, my, mr = rng.uniform(0.12, 0.3) * AW, rng.uniform(0.16, 0.3) * AH, 70
            circle(d, mx, my, mr, fill=pal.sun)
            circle(d, mx + 30, my - 18, mr * 0.85, fill=pal.sky_top)
    else:
        if sun:
            side = rng.choice((0, 1))
            sx = rng.uniform(0.10, 0.26) * AW if side == 0 else rng.uniform(0.74, 0.90) * AW
            sy = rng.uniform(0.20, 0.34) * AH
            sr = rng.uniform(90, 130)
            circle(d, sx, sy, sr * 1.45, fill=mix(pal.sun, pal.sky_bottom, 0.55))
            circle(d, sx, sy, sr, fill=pal.sun)
        for _ in range(rng.randint(1, 3)):
            cloud(
                d,
                rng.uniform(0.05, 0.95) * AW,
                rng.uniform(0.12, 0.42) * AH,
                rng.uniform(36, 60),
                mix(pal.sky_bottom, WHITE, 0.5),
            )
    if hills:
        far = mix(pal.sky_bottom, pal.base, 0.35) if not pal.night else mix(pal.sky_bottom, pal.dark, 0.4)
        d.polygon(smooth_hills(rng, HORIZON + 10, 150, rng.uniform(1.2, 2.2)), fill=far)


# ------------------------------------------------------------------ motifs
# Every motif draws on the supersampled illustration canvas (AW x AH).


def motif_bridge(d, rng, pal):
    backdrop(d, rng, pal)
    deck_y = HORIZON - 40
    water(d, rng, pal, HORIZON + 30)
    # banks
    d.polygon([(0, HORIZON - 30), (260, HORIZON - 30), (360, AH), (0, AH)], fill=pal.deep)
    d.polygon([(AW, HORIZON - 30), (AW - 260, HORIZON - 30), (AW - 360, AH), (AW, AH)], fill=pal.deep)
    spans = rng.choice((4, 5, 5))
    x0, x1 = 220, AW - 220
    span = (x1 - x0) / spans
    arch_h = rng.uniform(0.95, 1.1) * span * 0.5
    col = pal.dark
    # piers
    for i in range(spans + 1):
        px = x0 + i * span
        d.rectangle([px - 22, deck_y, px + 22, AH], fill=col)
        d.rectangle([px - 34, HORIZON + 40, px + 34, AH], fill=mix(col, pal.water, 0.25))
    # arches with hangers
    for i in range(spans):
        ax0, ax1 = x0 + i * span, x0 + (i + 1) * span
        for w, off in ((20, 0), (10, 34)):
            d.arc([ax0 + 8, deck_y - arch_h + off, ax1 - 8, deck_y + arch_h - off], 180, 360, fill=col, width=w)
        for k in range(1, 8):
            hx = ax0 + (ax1 - ax0) * k / 8
            t = (hx - (ax0 + ax1) / 2) / ((ax1 - ax0) / 2 - 8)
            hy = deck_y - (arch_h) * math.sqrt(max(0.0, 1 - t * t))
            d.line([(hx, hy), (hx, deck_y)], fill=col, width=7)
            if k < 7:
                nx = ax0 + (ax1 - ax0) * (k + 1) / 8
                d.line([(hx, deck_y), (nx, hy + (arch_h * 0.05))], fill=mix(col, pal.sky_bottom, 0.25), width=4)
    # deck
    d.rectangle([x0 - 40, deck_y - 10, x1 + 40, deck_y + 34], fill=col)
    d.rectangle([x0 - 40, deck_y + 34, x1 + 40, deck_y + 44], fill=pal.deep)
    # reflections
    for i in range(spans):
        cx = x0 + (i + 0.5) * span
        for k in range(3):
            yy = HORIZON + 80 + k * 50
            d.line(
                [(cx - span * 0.3 + k * 30, yy), (cx + span * 0.3 - k * 30, yy)],
                fill=mix(pal.water, col, 0.35),
                width=8,
            )
    birds(d, rng, pal.dark, rng.randint(3, 5), (0.25 * AW, 0.1 * AH, 0.7 * AW, 0.3 * AH))


def _wheel(d, cx, cy, r, col, rim_w, n_spokes, bucket_col, rot):
    circle(d, cx, cy, r, outline=col, width=rim_w)
    circle(d, cx, cy, r * 0.78, outline=col, width=max(4, rim_w // 2))
    for k in range(n_spokes):
        a = rot + k * math.tau / n_spokes
        d.line([(cx, cy), (cx + r * math.cos(a), cy + r * math.sin(a))], fill=col, width=max(4, rim_w // 2))
        # paddle / bucket at the rim
        bx, by = cx + (r + rim_w * 0.6) * math.cos(a), cy + (r + rim_w * 0.6) * math.sin(a)
        ta, na = (-math.sin(a), math.cos(a)), (math.cos(a), math.sin(a))
        bw, bh = r * 0.09, r * 0.07
        pts = [
            (bx + ta[0] * sx * bw + na[0] * sy * bh, by + ta[1] * sx * bw + na[1] * sy * bh)
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
        ]
        d.polygon(pts, fill=bucket_col)
    circle(d, cx, cy, r * 0.12, fill=col)
    circle(d, cx, cy, r * 0.05, fill=bucket_col)


def motif_waterwheel(d, rng, pal):
    backdrop(d, rng, pal)
    water(d, rng, pal, HORIZON + 20)
    d.polygon([(0, HORIZON - 20), (AW * 0.2, HORIZON - 20), (AW * 0.26, AH), (0, AH)], fill=pal.deep)
    cx = AW * rng.uniform(0.56, 0.64)
    r = AH * 0.36
    cy = HORIZON - r * 0.55
    # a second, smaller wheel behind
    r2 = r * 0.62
    c2x = cx - r * 1.55
    _wheel(d, c2x, HORIZON - r2 * 0.6, r2, pal.soft, 14, 12, pal.soft, rng.uniform(0, 1))
    d.rectangle([c2x - 16, HORIZON - r2 * 0.6, c2x + 16, HORIZON + 40], fill=pal.soft)
    _wheel(d, cx, cy, r, pal.dark, 22, 16, pal.deep, rng.uniform(0, 1))
    # axle post and stone pier in front of the wheel
    d.rectangle([cx - 30, cy, cx + 30, HORIZON + 60], fill=pal.dark)
    d.rectangle([cx - 90, HORIZON + 30, cx + 90, HORIZON + 90], fill=mix(pal.dark, pal.cream, 0.25))
    circle(d, cx, cy, r * 0.12, fill=pal.dark)
    circle(d, cx, cy, r * 0.05, fill=pal.gold)
    # flume carrying water from the wheel
    fy = cy - r * 0.98
    d.polygon([(cx + r * 0.15, fy), (AW, fy + 60), (AW, fy + 100), (cx + r * 0.15, fy + 40)], fill=pal.dark)
    for k in range(4):
        px = cx + r * 0.5 + k * (AW - cx - r * 0.5) / 3.2
        d.rectangle([px - 10, fy + 50, px + 10, HORIZON + 40], fill=pal.dark)


def motif_mountains(d, rng, pal, emblem=None):
    backdrop(d, rng, pal, hills=False, sun=emblem is None)
    if emblem:
        emblem(d, rng, pal)
    layers = [
        (pal.light, HORIZON - 60, 420, 5),
        (pal.soft, HORIZON + 20, 360, 6),
        (pal.deep, HORIZON + 120, 260, 7),
        (pal.dark, AH - 60, 140, 9),
    ]
    for col, base_y, amp, n in layers:
        d.polygon(ridge(rng, -80, AW + 80, base_y, amp, n), fill=col)
    # a small pavilion on a near slope
    px = AW * rng.uniform(0.62, 0.8)
    py = HORIZON + 60
    d.rectangle([px - 80, py - 12, px + 80, py + 40], fill=pal.dark)
    for sx in (-56, -4, 48):
        d.rectangle([px + sx, py - 84, px + sx + 10, py], fill=pal.dark)
    d.rectangle([px - 66, py - 40, px + 66, py - 32], fill=pal.dark)
    curved_roof(d, px, py - 80, 210, 74, pal.dark)
    for _k in range(4):
        tree(
            d,
            AW * rng.uniform(0.05, 0.45),
            AH - rng.uniform(20, 70),
            rng.uniform(110, 170),
            mix(pal.dark, BLACK, 0.2),
            "pine",
        )
    if emblem is None:
        birds(d, rng, pal.dark, rng.randint(3, 5), (0.3 * AW, 0.1 * AH, 0.7 * AW, 0.3 * AH))


def _pagoda(d, cx, y_base, tiers, base_w, tier_h, body_col, roof_col):
    w = base_w
    y = y_base
    d.rectangle([cx - w * 0.55, y - tier_h * 0.35, cx + w * 0.55, y], fill=roof_col)  # plinth
    y -= tier_h * 0.35
    for i in range(tiers):
        bh = tier_h * (0.62 if i == 0 else 0.5)
        bw = w * 0.62
        d.rectangle([cx - bw / 2, y - bh, cx + bw / 2, y], fill=body_col)
        # door / window
        dw = bw * 0.22
        d.rounded_rectangle(
            [cx - dw / 2, y - bh * 0.8, cx + dw / 2, y - bh * 0.15 if i == 0 else y - bh * 0.3],
            radius=int(dw / 2),
            fill=roof_col,
        )
        y -= bh
        curved_roof(d, cx, y + tier_h * 0.08, w * 1.02, tier_h * 0.32, roof_col, lift=tier_h * 0.2, ridge_frac=0.7)
        y -= tier_h * 0.24
        w *= 0.86
    # spire
    d.rectangle([cx - 8, y - tier_h * 1.1, cx + 8, y], fill=roof_col)
    for k in range(4):
        circle(d, cx, y - tier_h * (0.2 + 0.2 * k), 24 - 3 * k, fill=roof_col)
    circle(d, cx, y - tier_h * 1.15, 14, fill=roof_col)


def motif_pagoda(d, rng, pal):
    backdrop(d, rng, pal)
    # hill the pagoda stands on
    cx = AW * rng.uniform(0.56, 0.66)
    hill = [(0, AH + 10)]
    for i in range(61):
        x = AW * i / 60
        t = (x - cx) / AW
        hill.append(
            (x, HORIZON + 40 - 150 * math.exp(-((t / 0.22) ** 2)) + 20 * math.sin(i / 60 * math.tau * 1.5 + cx))
        )
    hill.append((AW, AH + 10))
    d.polygon(hill, fill=pal.deep)
    d.rectangle([0, HORIZON + 60, AW, AH], fill=pal.deep)
    tiers = rng.choice((7, 7, 9))
    base_w = AH * 0.24
    tier_h = (AH * 0.74) / (tiers * 0.76 + 1.6)
    _pagoda(d, cx, HORIZON - 105, tiers, base_w, tier_h, pal.cream, pal.dark)
    # halls at the foot
    for sx in (-1, 1):
        hx = cx + sx * AH * 0.42
        hy = HORIZON + 10
        d.rectangle([hx - 110, hy - 90, hx + 110, hy], fill=mix(pal.cream, pal.base, 0.15))
        for k in range(5):
            d.rectangle([hx - 100 + k * 48, hy - 86, hx - 92 + k * 48, hy], fill=pal.dark)
        curved_roof(d, hx, hy - 84, 320, 90, pal.dark)
    for _ in range(5):
        x = rng.uniform(0.05, 0.95) * AW
        if abs(x - cx) > AH * 0.62:
            tree(d, x, HORIZON + 90, rng.uniform(150, 230), mix(pal.dark, BLACK, 0.15), "pine")
    birds(d, rng, pal.dark, 3, (0.1 * AW, 0.1 * AH, 0.35 * AW, 0.3 * AH))


def motif_temple(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON)
    cx = AW * rng.uniform(0.55, 0.62)
    hw = AW * 0.25  # hall half width
    base_y = HORIZON + 40
    # platform and stairs
    d.rectangle([cx - hw * 1.15, base_y - 70, cx + hw * 1.15, base_y + 30], fill=pal.cream)
    for k in range(5):
        sw = hw * 0.34 - k * 10
        d.rectangle(
            [cx - sw, base_y + 30 - k * 20, cx + sw, base_y + 30 - (k - 1) * 20],
            fill=mix(pal.cream, pal.base, 0.12 + 0.04 * k),
        )
    wall_top = base_y - 70 - AH * 0.20
    d.rectangle([cx - hw * 0.92, wall_top, cx + hw * 0.92, base_y - 70], fill=pal.red)
    cols = 8
    for k in range(cols):
        x = cx - hw * 0.92 + (hw * 1.84) * k / (cols - 1)
        d.rectangle([x - 12, wall_top, x + 12, base_y - 70], fill=pal.dark)
    # lattice doors
    for k in range(3):
        x = cx - hw * 0.46 + k * hw * 0.46
        d.rectangle([x - hw * 0.14, wall_top + 50, x + hw * 0.14, base_y - 70], fill=mix(pal.red, BLACK, 0.3))
        for j in range(5):
            yy = wall_top + 70 + j * 34
            d.line([(x - hw * 0.12, yy), (x + hw * 0.12, yy)], fill=pal.gold, width=4)
    # double-eave roof
    curved_roof(d, cx, wall_top + 20, hw * 2.55, AH * 0.10, pal.dark, lift=AH * 0.05)
    d.rectangle([cx - hw * 0.7, wall_top - AH * 0.14, cx + hw * 0.7, wall_top - AH * 0.07], fill=pal.red)
    curved_roof(d, cx, wall_top - AH * 0.12, hw * 1.9, AH * 0.15, pal.dark, lift=AH * 0.06)
    # plaque
    d.rectangle([cx - 70, wall_top - AH * 0.115, cx + 70, wall_top - AH * 0.085], fill=pal.gold)
    for sx in (-1, 1):
        tree(d, cx + sx * hw * 1.45, base_y + 60, rng.uniform(340, 420), mix(pal.dark, BLACK, 0.2), "pine")


def motif_museum(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 30, pal.deep)
    cx = AW * rng.uniform(0.55, 0.62)
    hw = AW * 0.29
    base = HORIZON + 30
    col = pal.cream
    shade = mix(pal.cream, pal.base, 0.30)
    # steps
    for k in range(5):
        d.rectangle(
            [cx - hw - 70 + k * 14, base - k * 18 - 18, cx + hw + 70 - k * 14, base - k * 18],
            fill=mix(col, pal.base, 0.06 * (k % 2 + 1)),
        )
    stylo = base - 90
    d.rectangle([cx - hw, stylo - 24, cx + hw, stylo], fill=col)
    col_top = stylo - AH * 0.30
    n = rng.choice((6, 8))
    cw = hw * 2 / (n * 2 - 1) * 0.7
    d.rectangle([cx - hw * 0.94, col_top, cx + hw * 0.94, stylo - 24], fill=shade)
    for k in range(n):
        x = cx - hw * 0.86 + (hw * 1.72) * k / (n - 1)
        d.rectangle([x - cw / 2, col_top + 20, x + cw / 2, stylo - 24], fill=col)
        for f in (-0.22, 0.22):
            d.line([(x + f * cw, col_top + 30), (x + f * cw, stylo - 34)], fill=shade, width=5)
        d.rectangle([x - cw * 0.7, col_top, x + cw * 0.7, col_top + 22], fill=col)
        d.rectangle([x - cw * 0.7, stylo - 44, x + cw * 0.7, stylo - 24], fill=col)
    # entablature and pediment
    d.rectangle([cx - hw - 20, col_top - 70, cx + hw + 20, col_top], fill=col)
    d.rectangle([cx - hw - 20, col_top - 40, cx + hw + 20, col_top - 30], fill=shade)
    for k in range(24):
        x = cx - hw + (2 * hw) * k / 23
        d.rectangle([x - 6, col_top - 66, x + 6, col_top - 46], fill=shade)
    ped_top = col_top - 70 - AH * 0.16
    d.polygon([(cx - hw - 40, col_top - 70), (cx + hw + 40, col_top - 70), (cx, ped_top)], fill=col)
    d.polygon([(cx - hw + 40, col_top - 86), (cx + hw - 40, col_top - 86), (cx, ped_top + 30)], fill=shade)
    circle(d, cx, col_top - 70 - AH * 0.06, 34, fill=pal.base)
    # banners
    for sx in (-1, 1):
        bx = cx + sx * (hw + 150)
        d.rectangle([bx - 6, base - 330, bx + 6, base], fill=pal.dark)
        d.rectangle([bx - (60 if sx > 0 else 0), base - 320, bx + (0 if sx > 0 else 60), base - 150], fill=pal.accent)
    for _ in range(2):
        tree(
            d,
            rng.choice((0.06, 0.94)) * AW + rng.uniform(-60, 60),
            base + 40,
            rng.uniform(260, 320),
            mix(pal.dark, BLACK, 0.1),
        )


def _niche(d, x, y, w, h, fill):
    d.rectangle([x - w / 2, y - h + w / 2, x + w / 2, y], fill=fill)
    d.pieslice([x - w / 2, y - h, x + w / 2, y - h + w], 180, 360, fill=fill)


def motif_grotto(d, rng, pal):
    backdrop(d, rng, pal, hills=False)
    d.polygon(smooth_hills(rng, HORIZON + 40, 240, 1.3), fill=pal.light)
    cx = AW * rng.uniform(0.52, 0.6)
    # haystack-like cliff (Maijishan-style dome)
    rw, top = AW * 0.34, AH * 0.10
    cliff = [(cx - rw * 1.15, AH + 10)]
    for i in range(61):
        t = i / 60
        a = math.pi * t
        x = cx - rw * math.cos(a) * (1.0 + 0.15 * (1 - math.sin(a)))
        y = HORIZON - (HORIZON - top) * (math.sin(a) ** 0.6) + 40
        cliff.append((x, y))
    cliff.append((cx + rw * 1.15, AH + 10))
    d.polygon(cliff, fill=pal.soft)
    # striations, starting just below the cliff outline
    for k in range(14):
        x = cx - rw * 0.9 + rw * 1.8 * k / 13 + rng.uniform(-20, 20)
        y_top = y_at(cliff[1:-1], x) + rng.uniform(50, 160)
        d.line([(x, y_top), (x + rng.uniform(-20, 20), HORIZON)], fill=mix(pal.soft, pal.deep, 0.25), width=6)
    niche_col = pal.dark
    # big central niche with seated figure
    bw, bh = rw * 0.42, AH * 0.38
    by = HORIZON - AH * 0.13
    _niche(d, cx, by, bw, bh, niche_col)
    fig = pal.pale
    circle(d, cx, by - bh * 0.66, bw * 0.11, fill=fig)
    circle(d, cx, by - bh * 0.66, bw * 0.2, outline=mix(fig, niche_col, 0.4), width=6)
    d.polygon(
        [
            (cx - bw * 0.12, by - bh * 0.55),
            (cx + bw * 0.12, by - bh * 0.55),
            (cx + bw * 0.22, by - bh * 0.18),
            (cx - bw * 0.22, by - bh * 0.18),
        ],
        fill=fig,
    )
    d.rounded_rectangle([cx - bw * 0.36, by - bh * 0.22, cx + bw * 0.36, by - bh * 0.06], radius=30, fill=fig)
    d.rectangle([cx - bw * 0.4, by - bh * 0.06, cx + bw * 0.4, by], fill=mix(fig, niche_col, 0.3))
    # rows of small niches and plank walkways
    rows = [(top + 300, 5, 0.52), (top + 430, 7, 0.70), (HORIZON - 60, 9, 0.86)]
    for ry, n, spread in rows:
        for k in range(n):
            x = cx - rw * spread + 2 * rw * spread * k / (n - 1)
            if abs(x - cx) < bw * 0.7 and ry > by - bh:
                continue
            _niche(d, x, ry, 58, 90, niche_col)
        d.rectangle([cx - rw * spread - 20, ry + 8, cx + rw * spread + 20, ry + 20], fill=pal.dark)
        for k in range(n * 2):
            x = cx - rw * spread + 2 * rw * spread * k / (n * 2 - 1)
            d.line([(x, ry + 20), (x, ry + 60)], fill=pal.dark, width=5)
    # zigzag stair
    sy = HORIZON - 40
    pts = [(cx + rw * 0.72, sy)]
    for k in range(4):
        sy -= 95
        pts.append((cx + rw * (0.5 if k % 2 == 0 else 0.7), sy))
    d.line(pts, fill=pal.dark, width=10)
    d.rectangle([0, HORIZON + 40, AW, AH], fill=pal.deep)
    for _ in range(6):
        x = rng.uniform(0.03, 0.97) * AW
        if abs(x - cx) > rw * 1.05:
            tree(d, x, HORIZON + 70, rng.uniform(150, 240), pal.dark, "pine")


def motif_drum(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 20)
    cx = AW * rng.uniform(0.55, 0.62)
    rw, bh = AH * 0.28, AH * 0.36
    ry = rw * 0.34
    top_y = HORIZON + 10 - bh - ry
    body = pal.red if luminance(pal.base) > 60 else mix(pal.red, WHITE, 0.1)
    shade = mix(body, BLACK, 0.28)
    # shadow
    d.ellipse(
        [cx - rw * 1.2, HORIZON + 20 - ry * 0.6, cx + rw * 1.2, HORIZON + 20 + ry * 0.6], fill=mix(pal.deep, BLACK, 0.2)
    )
    # body (barrel bulge)
    pts = []
    for i in range(25):
        t = i / 24
        pts.append((cx - rw - 18 * math.sin(math.pi * t), top_y + bh * t))
    for i in range(24, -1, -1):
        t = i / 24
        pts.append((cx + rw + 18 * math.sin(math.pi * t), top_y + bh * t))
    d.polygon(pts, fill=body)
    d.pieslice([cx - rw, top_y + bh - ry, cx + rw, top_y + bh + ry], 0, 180, fill=body)
    sh = [(cx + rw * 0.58 + 12 * math.sin(math.pi * i / 20), top_y + bh * i / 20) for i in range(21)]
    for i in range(13):
        xx = cx + rw * 0.58 + rw * 0.42 * i / 12
        sh.append((xx, top_y + bh + ry * math.sqrt(max(0.0, 1 - ((xx - cx) / rw) ** 2))))
    sh += [(cx + rw + 18 * math.sin(math.pi * i / 20), top_y + bh * i / 20) for i in range(20, -1, -1)]
    d.polygon(sh, fill=shade)
    # gold bands and studs
    for yy in (top_y + 40, top_y + bh - 30):
        d.line([(cx - rw - 10, yy), (cx + rw + 10, yy)], fill=pal.gold, width=12)
        for k in range(13):
            x = cx - rw + 2 * rw * k / 12
            circle(d, x, yy + 26, 9, fill=pal.gold)
    # painted cloud motifs on body
    for k in range(3):
        x = cx - rw * 0.5 + rw * 0.5 * k
        y = top_y + bh * 0.52
        d.arc([x - 40, y - 40, x + 40, y + 40], 200, 520, fill=pal.gold, width=8)
    # drum head
    d.ellipse([cx - rw, top_y - ry, cx + rw, top_y + ry], fill=pal.cream)
    d.ellipse(
        [cx - rw * 0.55, top_y - ry * 0.55, cx + rw * 0.55, top_y + ry * 0.55],
        outline=mix(pal.cream, pal.base, 0.35),
        width=6,
    )
    d.ellipse([cx - rw, top_y - ry, cx + rw, top_y + ry], outline=pal.gold, width=10)
    # drumsticks with ribbons
    for sx in (-1, 1):
        x0, y0 = cx + sx * rw * 0.2, top_y - 10
        x1, y1 = cx + sx * rw * 1.2, top_y - bh * 0.5
        d.line([(x0, y0), (x1, y1)], fill=pal.dark, width=20)
        circle(d, x0, y0, 16, fill=pal.dark)
        rib = [(x1, y1)]
        for k in range(1, 9):
            rib.append((x1 + sx * k * 28, y1 - 40 * math.sin(k * 0.9) + k * 12))
        d.line(rib, fill=pal.gold, width=14, joint="curve")
        d.line([(p[0], p[1] + 26) for p in rib], fill=pal.red, width=10, joint="curve")


def _lantern(d, x, y, s, body, cap, tassel):
    d.line([(x, y - s * 1.2), (x, y - s * 0.6)], fill=cap, width=5)
    d.rectangle([x - s * 0.45, y - s * 0.72, x + s * 0.45, y - s * 0.55], fill=cap)
    d.ellipse([x - s, y - s * 0.65, x + s, y + s * 0.65], fill=body)
    d.ellipse([x - s * 0.55, y - s * 0.65, x + s * 0.55, y + s * 0.65], outline=mix(body, BLACK, 0.25), width=5)
    d.line([(x, y - s * 0.65), (x, y + s * 0.65)], fill=mix(body, BLACK, 0.25), width=5)
    d.rectangle([x - s * 0.45, y + s * 0.55, x + s * 0.45, y + s * 0.72], fill=cap)
    for k in (-1, 0, 1):
        d.line([(x + k * s * 0.14, y + s * 0.72), (x + k * s * 0.18, y + s * 1.35)], fill=tassel, width=6)


def motif_lantern(d, rng, pal):
    pal.night = True
    pal.sky_top = mix(pal.base, (12, 14, 38), 0.78)
    pal.sky_bottom = mix(pal.base, (40, 28, 60), 0.42)
    backdrop(d, rng, pal, hills=False)
    # rooftop skyline
    sky = mix(pal.dark, BLACK, 0.35)
    x = -100
    while x < AW + 100:
        w = rng.uniform(240, 380)
        h = rng.uniform(140, 260)
        d.rectangle([x + 20, HORIZON - h, x + w - 20, AH], fill=sky)
        curved_roof(d, x + w / 2, HORIZON - h + 10, w + 40, rng.uniform(60, 90), sky)
        for k in range(int(w // 90)):
            wx = x + 60 + k * 90
            d.rectangle([wx, HORIZON - h + 60, wx + 34, HORIZON - h + 110], fill=pal.gold)
        x += w + rng.uniform(-10, 40)
    d.rectangle([0, HORIZON - 2, AW, AH], fill=mix(sky, BLACK, 0.3))
    # strings of lanterns
    for row in range(2):
        y0 = AH * (0.12 + 0.16 * row)
        sag = AH * 0.06
        n = 5 + row
        d.line(
            [(AW * (i / 40), y0 + sag * math.sin(math.pi * i / 40)) for i in range(41)],
            fill=mix(sky, WHITE, 0.2),
            width=5,
            joint="curve",
        )
        for k in range(n):
            t = (k + 0.5) / n
            lx = AW * t
            ly = y0 + sag * math.sin(math.pi * t) + AH * 0.08
            s = rng.uniform(62, 80) * (1.0 if row == 1 else 0.8)
            circle(d, lx, ly, s * 1.45, fill=mix(pal.sky_bottom, (240, 160, 70), 0.42))
            _lantern(d, lx, ly, s, pal.red, pal.gold, pal.gold)


def motif_pottery(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 20)
    # plinth
    cx = AW * rng.uniform(0.56, 0.62)
    d.rectangle([cx - 380, HORIZON - 30, cx + 380, HORIZON + 60], fill=pal.cream)
    d.rectangle([cx - 380, HORIZON + 40, cx + 380, HORIZON + 60], fill=mix(pal.cream, pal.base, 0.3))
    clay = (214, 140, 82)
    paint = (52, 36, 34)

    def jar(x, base_y, h, w, seed):
        pts_l, pts_r = [], []
        for i in range(41):
            t = i / 40
            # profile: narrow foot, wide belly, short neck, flared lip
            prof = 0.42 + 0.58 * math.sin(math.pi * min(1, t * 1.15)) ** 0.8
            if t > 0.86:
                prof = 0.36 + (t - 0.86) * 1.6
            yy = base_y - h * t
            pts_l.append((x - w / 2 * prof, yy))
            pts_r.append((x + w / 2 * prof, yy))
        belly_y = base_y - h * 0.5
        for sx in (-1, 1):  # loop handles, drawn first so the body hides their inner half
            hx = x + sx * w * 0.5
            d.ellipse([hx - 46, belly_y - 40, hx + 46, belly_y + 40], outline=mix(clay, BLACK, 0.25), width=14)
        d.polygon(pts_l + pts_r[::-1], fill=clay)
        # painted bands: spirals and waves (Majiayao-style)
        belly_y = base_y - h * 0.5
        for k in range(3):
            sx = x - w * 0.3 + k * w * 0.3
            for rr in (58, 36, 16):
                d.arc([sx - rr, belly_y - rr, sx + rr, belly_y + rr], 0 + k * 40, 300 + k * 40, fill=paint, width=9)
        for yy, amp in ((base_y - h * 0.74, 14), (base_y - h * 0.28, 12)):
            half = w / 2 * (0.9 if yy > base_y - h * 0.6 else 0.8)
            pts = [(x - half + j * 10, yy + amp * math.sin(j * 0.5)) for j in range(int(half * 2 / 10) + 1)]
            d.line(pts, fill=paint, width=8, joint="curve")
        d.line([(x - w * 0.2, base_y - h * 0.86), (x + w * 0.2, base_y - h * 0.86)], fill=paint, width=10)
        # highlight
        d.line(
            [(x - w * 0.28, base_y - h * 0.6), (x - w * 0.3, base_y - h * 0.35)], fill=mix(clay, WHITE, 0.3), width=12
        )

    jar(cx - 230, HORIZON - 30, AH * 0.38, AH * 0.30, 1)
    jar(cx + 80, HORIZON - 30, AH * 0.56, AH * 0.46, 2)


def motif_gourd(d, rng, pal):
    """Carved gourds (Lanzhou keyhua) on a display plinth."""
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 20)
    cx = AW * rng.uniform(0.56, 0.62)
    d.rectangle([cx - 520, HORIZON - 30, cx + 520, HORIZON + 60], fill=pal.cream)
    d.rectangle([cx - 520, HORIZON + 40, cx + 520, HORIZON + 60], fill=mix(pal.cream, pal.base, 0.3))
    skin, carve = (226, 184, 112), (92, 58, 34)

    def gourd(x, base_y, s, tilt):
        rb, rt = s, s * 0.62
        yb = base_y - rb
        yt = yb - rb * 0.72 - rt
        xt = x + tilt * s * 0.2
        d.line([(xt, yt - rt * 0.8), (xt + tilt * 18 + 14, yt - rt - 40)], fill=carve, width=14)
        circle(d, xt, yt, rt, fill=skin)
        d.polygon(
            [
                (x - rb * 0.45, yb - rb * 0.6),
                (x + rb * 0.45, yb - rb * 0.6),
                (xt + rt * 0.4, yt + rt * 0.5),
                (xt - rt * 0.4, yt + rt * 0.5),
            ],
            fill=skin,
        )
        circle(d, x, yb, rb, fill=skin)
        # carved scenes: fine line bands, cloud scrolls and a tiny pavilion
        for yy, rr in ((yb - rb * 0.55, rb * 0.8), (yb + rb * 0.55, rb * 0.8), (yt + rt * 0.45, rt * 0.85)):
            d.line(
                [(x - rr, yy), (x + rr, yy)] if yy > yt + rt else [(xt - rr, yy), (xt + rr, yy)], fill=carve, width=5
            )
        for k in range(3):
            ax = x - rb * 0.45 + k * rb * 0.45
            d.arc([ax - 34, yb - 34, ax + 34, yb + 34], 180 + k * 30, 470 + k * 30, fill=carve, width=6)
        curved_roof(d, x, yb + rb * 0.3, rb * 0.5, rb * 0.16, carve)
        d.line([(x - rb * 0.15, yb + rb * 0.3), (x - rb * 0.15, yb + rb * 0.48)], fill=carve, width=5)
        d.line([(x + rb * 0.15, yb + rb * 0.3), (x + rb * 0.15, yb + rb * 0.48)], fill=carve, width=5)
        for k in range(4):
            d.line(
                [(xt - rt * 0.5, yt - rt * 0.3 + k * 18), (xt + rt * 0.5, yt - rt * 0.3 + k * 18)],
                fill=mix(skin, carve, 0.45),
                width=3,
            )
        d.arc(
            [x - rb * 0.8, yb - rb * 0.8, x - rb * 0.2, yb + rb * 0.2], 190, 250, fill=mix(skin, WHITE, 0.5), width=10
        )

    gourd(cx - 360, HORIZON - 30, AH * 0.12, -1)
    gourd(cx + 20, HORIZON - 30, AH * 0.17, 1)
    gourd(cx + 340, HORIZON - 30, AH * 0.10, 0)
    # carving knife
    d.line([(cx - 250, HORIZON - 44), (cx - 170, HORIZON - 50)], fill=pal.dark, width=12)
    d.line([(cx - 170, HORIZON - 50), (cx - 130, HORIZON - 52)], fill=(200, 200, 205), width=8)


def motif_noodles(d, rng, pal):
    """A bowl of Lanzhou beef noodles: clear soup, white radish, red chilli oil, green herbs, yellow noodles."""
    backdrop(d, rng, pal)
    table = mix(pal.deep, (120, 72, 40), 0.35)
    d.rectangle([0, HORIZON - 20, AW, AH], fill=table)
    for k in range(5):
        y = HORIZON + k * 50
        d.line([(0, y), (AW, y)], fill=mix(table, BLACK, 0.12), width=4)
    cx = AW * rng.uniform(0.56, 0.6)
    bw, by = AH * 0.46, HORIZON - 60  # bowl half width, rim line
    bh = AH * 0.34
    # steam
    steam = mix(pal.sky_bottom, WHITE, 0.55)
    for k in range(3):
        x0 = cx - bw * 0.4 + k * bw * 0.4
        pts = [(x0 + 26 * math.sin(i * 0.6 + k), by - 150 - i * 22) for i in range(14)]
        d.line(pts, fill=steam, width=14, joint="curve")
    # shadow and bowl body
    d.ellipse([cx - bw * 0.8, by + bh - 30, cx + bw * 0.8, by + bh + 40], fill=mix(table, BLACK, 0.3))
    d.chord([cx - bw, by - bh, cx + bw, by + bh], 0, 180, fill=pal.cream)
    d.rectangle([cx - bw * 0.3, by + bh * 0.92, cx + bw * 0.3, by + bh * 1.05], fill=pal.cream)
    for j in range(2):
        yy = by + bh * (0.28 + 0.16 * j)
        half = bw * math.sqrt(max(0.0, 1 - ((yy - by) / bh) ** 2))
        d.line([(cx - half + 10, yy), (cx + half - 10, yy)], fill=pal.base, width=12 - 4 * j)
    for k in range(7):
        x = cx - bw * 0.6 + k * bw * 0.2
        yy = by + bh * 0.36
        circle(d, x, yy, 16, outline=pal.base, width=5)
    # broth surface
    ry = bh * 0.26
    d.ellipse([cx - bw, by - ry, cx + bw, by + ry], fill=mix(pal.cream, pal.base, 0.25))
    d.ellipse([cx - bw * 0.93, by - ry * 0.85, cx + bw * 0.93, by + ry * 0.85], fill=(216, 160, 86))
    for k in range(7):  # chilli oil floating on the clear broth
        a = math.pi * (0.75 + 0.22 * k)
        ox, oy = cx - bw * 0.2 + bw * 0.5 * math.cos(a), by + ry * 0.55 * math.sin(a)
        d.ellipse([ox - 70, oy - 20, ox + 70, oy + 20], fill=(220, 66, 38))
    yellow, green, white = (246, 214, 120), (86, 150, 70), (250, 248, 240)
    for k in range(9):
        x0 = cx - bw * 0.6 + k * bw * 0.14
        pts = [(x0 + t * 10 + 16 * math.sin(t * 0.9 + k), by - ry * 0.55 + t * 12) for t in range(8)]
        d.line(pts, fill=yellow, width=9, joint="curve")
    for k in range(4):  # beef slices
        x = cx + bw * (0.15 + 0.15 * k)
        d.rounded_rectangle(
            [x - 44, by - 30 + (k % 2) * 24, x + 44, by + 4 + (k % 2) * 24], radius=14, fill=(120, 62, 48)
        )
    for k in range(5):  # radish
        x = cx - bw * 0.2 + k * 40
        d.rectangle([x - 14, by + ry * 0.3 - 10, x + 14, by + ry * 0.3 + 10], fill=white)
    for _ in range(40):  # herbs
        a, rr = rng.uniform(0, math.tau), rng.uniform(0.1, 0.8)
        circle(d, cx + bw * 0.8 * rr * math.cos(a), by + ry * 0.7 * rr * math.sin(a), 9, fill=green)
    # chopsticks lifting noodles
    x1, y1 = cx + bw * 0.35, by - bh * 0.95
    d.line([(x1, y1), (cx + bw * 1.25, y1 - 220)], fill=pal.dark, width=16)
    d.line([(x1 + 30, y1 + 20), (cx + bw * 1.3, y1 - 180)], fill=pal.dark, width=16)
    for k in range(5):
        xs = x1 - 20 + k * 12
        pts = [(xs + 10 * math.sin(t * 0.8 + k), y1 + 10 + t * ((by - 20 - y1) / 12)) for t in range(13)]
        d.line(pts, fill=yellow, width=9, joint="curve")


def motif_theatre(d, rng, pal, words=""):
    pal.sky_top = mix(pal.base, (15, 10, 25), 0.7)
    pal.sky_bottom = mix(pal.base, (15, 10, 25), 0.45)
    bands(d, (0, 0, AW, AH), pal.sky_top, pal.sky_bottom, 7)
    # spotlight cones
    for sx in (0.3, 0.7):
        d.polygon(
            [(AW * sx, 0), (AW * sx - 120, 0), (AW * 0.5 - 380, HORIZON), (AW * 0.5 + 380, HORIZON)],
            fill=mix(pal.sky_bottom, pal.sun, 0.12),
        )
    # stage floor
    d.polygon([(0, AH), (AW, AH), (AW * 0.88, HORIZON), (AW * 0.12, HORIZON)], fill=mix(pal.deep, (90, 50, 30), 0.4))
    for k in range(1, 7):
        y = HORIZON + (AH - HORIZON) * k / 7
        d.line([(0, y), (AW, y)], fill=mix(pal.deep, BLACK, 0.3), width=4)
    d.ellipse([AW * 0.5 - 420, HORIZON + 30, AW * 0.5 + 420, HORIZON + 150], fill=mix(pal.deep, pal.sun, 0.35))
    # curtains
    cur = pal.red
    fold = mix(pal.red, BLACK, 0.3)
    for side in (-1, 1):
        edge = AW / 2 + side * AW * 0.36
        outer = 0 if side < 0 else AW
        pts = [(outer, 0), (AW / 2 + side * AW * 0.18, 0)]
        for i in range(21):
            t = i / 20
            pts.append((AW / 2 + side * AW * (0.18 + 0.18 * t**0.6), AH * 0.1 + (AH - AH * 0.1) * t))
        pts.append((outer, AH))
        d.polygon(pts, fill=cur)
        for k in range(6):
            fx = outer + (edge - outer) * (k + 0.5) / 6
            d.line([(fx, 0), (fx + side * 10, AH)], fill=fold, width=12)
    # valance with scallops
    d.rectangle([0, 0, AW, AH * 0.14], fill=cur)
    for k in range(13):
        x = AW * k / 12
        d.pieslice([x - 100, AH * 0.14 - 60, x + 100, AH * 0.14 + 60], 0, 180, fill=cur)
        d.arc([x - 100, AH * 0.14 - 60, x + 100, AH * 0.14 + 60], 0, 180, fill=pal.gold, width=8)
    d.rectangle([0, AH * 0.03, AW, AH * 0.05], fill=pal.gold)
    mx, my = AW / 2, HORIZON - AH * 0.28
    if re.search(r"danc|舞", words):
        _dancer(d, rng, mx, HORIZON + 70, AH * 0.62, pal)
        return
    # opera face mask (Qinqiang / Peking opera style), colours vary per id
    face, paint, mark = rng.choice(
        (
            (pal.cream, pal.dark, pal.red),
            ((196, 52, 42), pal.dark, pal.cream),
            ((40, 40, 58), pal.cream, pal.red),
            (pal.gold, pal.dark, (196, 52, 42)),
        )
    )
    d.ellipse([mx - 150, my - 190, mx + 150, my + 190], fill=face)
    d.polygon([(mx - 150, my - 40), (mx + 150, my - 40), (mx, my - 200)], fill=face)
    for sx in (-1, 1):
        d.polygon([(mx + sx * 20, my - 40), (mx + sx * 140, my - 90), (mx + sx * 130, my + 10)], fill=paint)
        d.ellipse([mx + sx * 70 - 34, my - 62, mx + sx * 70 + 34, my - 22], fill=face)
        circle(d, mx + sx * 70, my - 42, 12, fill=paint)
        d.arc([mx + sx * 70 - 70, my - 130, mx + sx * 70 + 70, my - 30], 200, 340, fill=paint, width=16)
    d.polygon([(mx - 40, my - 190), (mx + 40, my - 190), (mx, my - 70)], fill=mark)
    d.polygon([(mx - 22, my - 10), (mx + 22, my - 10), (mx + 34, my + 55), (mx - 34, my + 55)], fill=paint)
    d.chord([mx - 80, my + 70, mx + 80, my + 150], 0, 180, fill=mark)
    d.ellipse([mx - 150, my - 190, mx + 150, my + 190], outline=mix(face, BLACK, 0.3), width=6)


def _dancer(d, rng, x, y_floor, h, pal):
    """A dancer in a flowing skirt with long silk ribbons (Dunhuang dance style)."""
    body = pal.cream
    waist = y_floor - h * 0.52
    shoulder = y_floor - h * 0.74
    # ribbons first, behind the body
    for k, col in enumerate((pal.gold, pal.accent)):
        sgn = 1 if k == 0 else -1
        pts = []
        for i in range(60):
            t = i / 59
            ang = t * math.tau * 1.1 + k * 2.2
            rx = h * (0.18 + 0.38 * t)
            pts.append((x + sgn * rx * math.cos(ang), shoulder - h * 0.08 + h * 0.5 * t + h * 0.16 * math.sin(ang)))
        d.line(pts, fill=col, width=int(h * 0.028), joint="curve")
    # skirt (flared, swirling)
    skirt = [(x - h * 0.05, waist), (x + h * 0.05, waist)]
    for i in range(13):
        t = i / 12
        skirt.append((x + h * (0.26 - 0.5 * t), y_floor - h * 0.02 * math.sin(t * math.pi * 5)))
    d.polygon(skirt, fill=body)
    # torso, head and bun
    d.polygon(
        [(x - h * 0.05, waist), (x + h * 0.05, waist), (x + h * 0.07, shoulder), (x - h * 0.07, shoulder)], fill=body
    )
    circle(d, x + h * 0.01, shoulder - h * 0.07, h * 0.055, fill=body)
    circle(d, x + h * 0.03, shoulder - h * 0.14, h * 0.03, fill=body)
    # arms: one raised overhead, one sweeping out
    d.line(
        [(x + h * 0.06, shoulder + 8), (x + h * 0.16, shoulder - h * 0.1), (x + h * 0.1, shoulder - h * 0.24)],
        fill=body,
        width=int(h * 0.028),
        joint="curve",
    )
    d.line(
        [(x - h * 0.06, shoulder + 8), (x - h * 0.18, shoulder + h * 0.04), (x - h * 0.3, shoulder - h * 0.02)],
        fill=body,
        width=int(h * 0.028),
        joint="curve",
    )


def motif_oldtown(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 20, pal.deep)
    # street perspective: two rows of houses
    for row, (scale, yb, col) in enumerate(((0.95, HORIZON - 40, pal.soft), (1.45, HORIZON + 60, pal.dark))):
        x = -rng.uniform(0, 200)
        while x < AW + 100:
            w = rng.uniform(260, 380) * scale
            h = rng.uniform(180, 260) * scale
            wall = mix(pal.cream, pal.base, 0.15) if row else mix(pal.cream, pal.base, 0.35)
            d.rectangle([x + 20 * scale, yb - h, x + w - 20 * scale, yb], fill=wall)
            d.rectangle([x + w / 2 - 34 * scale, yb - h * 0.55, x + w / 2 + 34 * scale, yb], fill=col)
            for sx in (-1, 1):
                d.rectangle(
                    [
                        x + w / 2 + sx * w * 0.28 - 24 * scale,
                        yb - h * 0.75,
                        x + w / 2 + sx * w * 0.28 + 24 * scale,
                        yb - h * 0.45,
                    ],
                    fill=col,
                )
            curved_roof(d, x + w / 2, yb - h + 12, w + 50 * scale, 90 * scale, col)
            if row == 1 and rng.random() < 0.5:
                _lantern(d, x + w - 30, yb - h + 90, 30, pal.red, pal.gold, pal.gold)
            x += w + rng.uniform(0, 30)
    d.rectangle([0, HORIZON + 60, AW, AH], fill=mix(pal.deep, pal.cream, 0.15))
    for k in range(20):
        y = HORIZON + 70 + k * 12
        d.line([(0, y), (AW, y)], fill=mix(pal.deep, pal.cream, 0.22 + 0.02 * (k % 2)), width=3)


def motif_park(d, rng, pal):
    backdrop(d, rng, pal)
    d.polygon(smooth_hills(rng, HORIZON + 60, 120, 1.1), fill=pal.soft)
    ground(d, pal, HORIZON + 60, mix(pal.soft, pal.deep, 0.35))
    # winding path
    pts_l, pts_r = [], []
    for i in range(21):
        t = i / 20
        x = AW * 0.5 + 260 * math.sin(t * 3 + 1) * t
        y = HORIZON + 60 + (AH - HORIZON - 60) * t
        wdt = 10 + 180 * t
        pts_l.append((x - wdt, y))
        pts_r.append((x + wdt, y))
    d.polygon(pts_l + pts_r[::-1], fill=pal.cream)
    for _k in range(9):
        x = rng.uniform(0.02, 0.98) * AW
        if abs(x - AW * 0.5) < 200:
            continue
        tree(
            d,
            x,
            HORIZON + 60 + rng.uniform(0, 80),
            rng.uniform(240, 380),
            rng.choice((pal.dark, pal.deep)),
            rng.choice(("round", "round", "pine")),
        )
    # pavilion
    px = AW * rng.uniform(0.62, 0.75)
    d.rectangle([px - 90, HORIZON - 40, px - 74, HORIZON + 60], fill=pal.dark)
    d.rectangle([px + 74, HORIZON - 40, px + 90, HORIZON + 60], fill=pal.dark)
    curved_roof(d, px, HORIZON - 30, 300, 110, pal.dark)


def motif_gate(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 30, pal.deep)
    cx = AW * rng.uniform(0.55, 0.62)
    wall = mix(pal.cream, pal.base, 0.25)
    wall_d = mix(pal.cream, pal.base, 0.45)
    # city wall with battlements
    wt = HORIZON - AH * 0.20
    d.rectangle([0, wt, AW, HORIZON + 30], fill=wall_d)
    for k in range(0, int(AW / 60) + 1):
        if k % 2 == 0:
            d.rectangle([k * 60, wt - 30, k * 60 + 36, wt], fill=wall_d)
    for k in range(1, 6):
        y = wt + (HORIZON + 30 - wt) * k / 6
        d.line([(0, y), (AW, y)], fill=mix(wall_d, BLACK, 0.1), width=3)
    # central gate block
    gw = AW * 0.24
    gt = wt - 40
    d.rectangle([cx - gw, gt, cx + gw, HORIZON + 30], fill=wall)
    _niche(d, cx, HORIZON + 30, 200, 290, pal.dark)
    # two-storey gate tower
    tw = gw * 0.8
    th = AH * 0.13
    d.rectangle([cx - tw, gt - th, cx + tw, gt], fill=pal.red)
    for k in range(9):
        x = cx - tw + 2 * tw * k / 8
        d.rectangle([x - 9, gt - th, x + 9, gt], fill=pal.dark)
    curved_roof(d, cx, gt - th + 20, tw * 2.6, AH * 0.09, pal.dark, lift=AH * 0.04)
    t2 = gt - th - AH * 0.06
    d.rectangle([cx - tw * 0.7, t2 - th * 0.7, cx + tw * 0.7, t2], fill=pal.red)
    curved_roof(d, cx, t2 - th * 0.7 + 16, tw * 2.0, AH * 0.12, pal.dark, lift=AH * 0.05)
    d.rectangle([cx - 60, t2 - th * 0.55, cx + 60, t2 - th * 0.25], fill=pal.gold)
    # flags on the wall
    for _ in range(4):
        fx = rng.uniform(0.05, 0.95) * AW
        if abs(fx - cx) < gw * 1.1:
            continue
        d.line([(fx, wt - 30), (fx, wt - 170)], fill=pal.dark, width=8)
        d.polygon([(fx, wt - 170), (fx + 80, wt - 150), (fx, wt - 120)], fill=pal.accent)


def motif_river(d, rng, pal):
    backdrop(d, rng, pal)
    d.polygon(smooth_hills(rng, HORIZON - 20, 180, 1.6), fill=pal.soft)
    y_w = HORIZON - 20
    d.rectangle([0, y_w, AW, AH], fill=pal.water)
    for k in range(6):
        y = y_w + 40 + k * (AH - y_w) / 6
        amp = 10 + k * 5
        wl = 160 + k * 40
        pts = [(x, y + amp * math.sin(x / wl * math.tau + k)) for x in range(0, AW + 20, 20)]
        d.line(pts, fill=mix(pal.water, WHITE, 0.35 - k * 0.03), width=8 + k * 2, joint="curve")
    # sheepskin raft with a boatman
    rx, ry = AW * rng.uniform(0.5, 0.62), y_w + (AH - y_w) * 0.45
    d.rectangle([rx - 200, ry - 24, rx + 200, ry], fill=pal.dark)
    for k in range(7):
        circle(d, rx - 180 + k * 60, ry + 8, 30, fill=mix(pal.cream, pal.base, 0.3))
    d.rectangle([rx - 20, ry - 150, rx + 20, ry - 24], fill=pal.dark)
    circle(d, rx, ry - 175, 28, fill=pal.dark)
    d.line([(rx - 160, ry - 200), (rx + 220, ry + 70)], fill=pal.dark, width=10)
    birds(d, rng, pal.dark, rng.randint(3, 6), (0.2 * AW, 0.1 * AH, 0.8 * AW, 0.35 * AH))


def _rot(cx, cy, pts, a):
    ca, sa = math.cos(a), math.sin(a)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts]


def _bagua(d, rng, pal):
    """Fuxi's eight trigrams around a yin-yang disc, rising behind the mountains."""
    cx, cy, r = AW * rng.uniform(0.62, 0.7), AH * 0.42, AH * 0.34
    circle(d, cx, cy, r * 1.08, fill=mix(pal.sun, pal.sky_bottom, 0.5))
    circle(d, cx, cy, r, fill=pal.sun)
    bar_col = pal.deep
    trigrams = ("111", "011", "101", "001", "110", "010", "100", "000")
    for k, tri in enumerate(trigrams):
        a = -math.pi / 2 + k * math.tau / 8
        for j, bit in enumerate(tri):
            rr = r * (0.62 + 0.11 * j)
            half, th = r * (0.2 + 0.045 * j), r * 0.035
            parts = [(-half, half)] if bit == "1" else [(-half, -half * 0.18), (half * 0.18, half)]
            for x0, x1 in parts:
                poly = [(x0, -th), (x1, -th), (x1, th), (x0, th)]
                # local x runs along the tangent, local y along the radius
                pts = _rot(0, 0, poly, a + math.pi / 2)
                d.polygon([(cx + rr * math.cos(a) + x, cy + rr * math.sin(a) + y) for x, y in pts], fill=bar_col)
    ry = r * 0.4
    circle(d, cx, cy, ry, fill=pal.cream)
    d.pieslice([cx - ry, cy - ry, cx + ry, cy + ry], 90, 270, fill=bar_col)
    circle(d, cx, cy - ry / 2, ry / 2, fill=bar_col)
    circle(d, cx, cy + ry / 2, ry / 2, fill=pal.cream)
    circle(d, cx, cy - ry / 2, ry / 7, fill=pal.cream)
    circle(d, cx, cy + ry / 2, ry / 7, fill=bar_col)
    circle(d, cx, cy, ry, outline=bar_col, width=5)


def motif_bagua(d, rng, pal):
    motif_mountains(d, rng, pal, emblem=_bagua)


def _blossom_tree(d, rng, x, yg, h, trunk, petal, petal2):
    d.line([(x, yg), (x + h * 0.03, yg - h * 0.45)], fill=trunk, width=max(6, int(h * 0.07)))
    for sx in (-1, 1):
        d.line(
            [(x + h * 0.02, yg - h * 0.38), (x + sx * h * 0.25, yg - h * 0.62)], fill=trunk, width=max(4, int(h * 0.04))
        )
    blobs = [(0, -0.68, 0.3), (-0.24, -0.58, 0.22), (0.24, -0.58, 0.22), (-0.12, -0.82, 0.2), (0.14, -0.84, 0.2)]
    for bx, by, br in blobs:
        circle(d, x + bx * h, yg + by * h, br * h, fill=petal)
    for _ in range(int(h / 14)):
        a, rr = rng.uniform(0, math.tau), rng.uniform(0, 0.38) * h
        circle(d, x + rr * math.cos(a), yg - h * 0.7 + rr * math.sin(a) * 0.7, max(3, h * 0.018), fill=petal2)


def motif_blossom(d, rng, pal, words=""):
    backdrop(d, rng, pal)
    if re.search(r"pear|white|梨", words):
        petal, petal2 = (250, 248, 240), (226, 232, 214)
    elif re.search(r"rose|玫瑰", words):
        petal, petal2 = (214, 70, 96), (240, 150, 160)
    else:
        petal, petal2 = (244, 176, 190), (250, 222, 226)
    d.polygon(smooth_hills(rng, HORIZON - 10, 170, 1.3), fill=pal.soft)
    ground(d, pal, HORIZON + 10, mix(pal.soft, pal.deep, 0.35))
    trunk = pal.dark
    if re.search(r"rose|玫瑰", words):
        # rose fields: rows of low bushes in perspective
        leaf = mix(pal.deep, (60, 110, 60), 0.5)
        for row in range(6):
            yg = HORIZON + 20 + row * row * 9 + row * 30
            h = 50 + row * 34
            n = int(AW / (h * 1.4)) + 2
            off = rng.uniform(0, h)
            for k in range(n):
                x = k * h * 1.4 - off
                for bx, by, br in ((0, -0.45, 0.5), (-0.4, -0.3, 0.38), (0.4, -0.3, 0.38)):
                    circle(d, x + bx * h, yg + by * h, br * h, fill=leaf)
                for _ in range(4 + row):
                    a, rr = rng.uniform(math.pi, math.tau), rng.uniform(0.1, 0.55) * h
                    circle(
                        d, x + rr * math.cos(a), yg - h * 0.35 + rr * math.sin(a) * 0.8, max(4, h * 0.09), fill=petal
                    )
        return
    rows = ((HORIZON + 10, 210, 9), (HORIZON + 130, 340, 6), (AH + 70, 560, 3))
    for row, (yg, h, n) in enumerate(rows):
        for k in range(n):
            x = AW * (k + 0.5 + rng.uniform(-0.2, 0.2) + (0.5 if row == 1 else 0)) / n
            _blossom_tree(d, rng, x, yg, h * rng.uniform(0.9, 1.1), trunk, petal, petal2)
    for _ in range(14):  # falling petals
        x, y = rng.uniform(0, AW), rng.uniform(0.3 * AH, 0.7 * AH)
        d.ellipse([x - 8, y - 5, x + 8, y + 5], fill=petal)


def motif_tomb(d, rng, pal):
    backdrop(d, rng, pal)
    ground(d, pal, HORIZON + 30, pal.deep)
    cx = AW * rng.uniform(0.56, 0.62)
    mw, mh = AW * 0.28, AH * 0.36
    # burial mound with a stone ring wall
    d.pieslice([cx - mw, HORIZON + 30 - mh, cx + mw, HORIZON + 30 + mh], 180, 360, fill=pal.soft)
    for _ in range(30):
        a = rng.uniform(math.pi * 1.08, math.pi * 1.92)
        x = cx + mw * 0.9 * math.cos(a) * rng.uniform(0.3, 1)
        y = HORIZON + 30 + mh * 0.9 * math.sin(a) * rng.uniform(0.3, 1)
        d.line([(x, y), (x - 6, y - 22)], fill=mix(pal.soft, pal.deep, 0.35), width=5)
        d.line([(x, y), (x + 8, y - 18)], fill=mix(pal.soft, pal.deep, 0.35), width=5)
    d.rectangle([cx - mw - 20, HORIZON - 10, cx + mw + 20, HORIZON + 30], fill=mix(pal.cream, pal.base, 0.3))
    for k in range(16):
        x = cx - mw - 20 + (2 * mw + 40) * k / 16
        d.line([(x, HORIZON - 10), (x, HORIZON + 30)], fill=mix(pal.cream, pal.base, 0.45), width=3)
    # stele on a tortoise base
    sw, sh = 110, AH * 0.36
    sy = HORIZON + 110
    d.ellipse([cx - 150, sy - 60, cx + 150, sy + 20], fill=pal.dark)
    circle(d, cx + 150, sy - 30, 34, fill=pal.dark)
    d.rounded_rectangle([cx - sw, sy - 40 - sh, cx + sw, sy - 30], radius=50, fill=pal.cream)
    d.rectangle([cx - sw + 24, sy - sh + 10, cx + sw - 24, sy - 60], outline=mix(pal.cream, pal.base, 0.4), width=4)
    for k in range(4):  # inscription columns
        x = cx - 48 + 32 * k
        y = sy - sh + 40
        while y < sy - 80:
            seg = rng.uniform(14, 26)
            d.rectangle([x - 5, y, x + 5, min(y + seg, sy - 80)], fill=pal.dark)
            y += seg + 10
    # stone guardian pillars and cypresses
    for sx in (-1, 1):
        for j in range(2):
            px, base = cx + sx * (mw * (0.62 + 0.3 * j)), HORIZON + 120 + j * 30
            d.rectangle([px - 26, base - 300 + j * 30, px + 26, base], fill=pal.cream)
            d.rectangle([px - 44, base - 20, px + 44, base + 10], fill=mix(pal.cream, pal.base, 0.3))
            d.ellipse([px - 44, base - 330 + j * 30, px + 44, base - 280 + j * 30], fill=pal.cream)
            d.line([(px - 70, base - 250 + j * 30), (px + 70, base - 260 + j * 30)], fill=pal.cream, width=14)
        for j in range(2):
            tx = cx + sx * (mw * 1.25 + j * 170)
            d.ellipse([tx - 45, HORIZON - 260 + j * 40, tx + 45, HORIZON + 40], fill=pal.dark)
            d.rectangle([tx - 8, HORIZON + 30, tx + 8, HORIZON + 70], fill=pal.dark)


def _camel(d, x, y, s, c, rider=None):
    """A walking camel facing right, feet at y, body about 2*s long."""
    lw = int(0.11 * s)
    for hip, knee, foot in ((-0.55, -0.62, -0.5), (-0.35, -0.22, -0.3), (0.35, 0.48, 0.42), (0.58, 0.52, 0.66)):
        d.line(
            [(x + hip * s, y - 1.1 * s), (x + knee * s, y - 0.55 * s), (x + foot * s, y)],
            fill=c,
            width=lw,
            joint="curve",
        )
    d.ellipse([x - 0.9 * s, y - 1.72 * s, x + 0.85 * s, y - 0.88 * s], fill=c)
    d.ellipse([x - 0.55 * s, y - 2.12 * s, x - 0.05 * s, y - 1.35 * s], fill=c)
    d.ellipse([x + 0.0 * s, y - 2.02 * s, x + 0.48 * s, y - 1.35 * s], fill=c)
    d.line(
        [(x + 0.6 * s, y - 1.2 * s), (x + 1.0 * s, y - 1.25 * s), (x + 1.2 * s, y - 1.9 * s)],
        fill=c,
        width=int(0.26 * s),
        joint="curve",
    )
    d.ellipse([x + 1.05 * s, y - 2.15 * s, x + 1.62 * s, y - 1.84 * s], fill=c)
    d.line([(x - 0.88 * s, y - 1.4 * s), (x - 1.02 * s, y - 0.95 * s)], fill=c, width=int(0.06 * s))
    if rider:
        d.polygon(
            [
                (x - 0.32 * s, y - 1.95 * s),
                (x + 0.02 * s, y - 1.95 * s),
                (x - 0.04 * s, y - 2.6 * s),
                (x - 0.26 * s, y - 2.6 * s),
            ],
            fill=c,
        )
        circle(d, x - 0.15 * s, y - 2.76 * s, 0.16 * s, fill=c)
        d.polygon(
            [(x - 0.45 * s, y - 2.84 * s), (x + 0.15 * s, y - 2.84 * s), (x - 0.15 * s, y - 3.02 * s)], fill=rider
        )


def motif_dunes(d, rng, pal):
    backdrop(d, rng, pal, hills=False)
    layers = []
    for k in range(4):
        base_y = HORIZON - 100 + k * 110
        layers.append(smooth_hills(rng, base_y, 200 - k * 30, 0.9 + k * 0.3))
    for pts, col in zip(layers[:3], (pal.light, pal.soft, pal.base), strict=False):
        d.polygon(pts, fill=col)
    x0 = AW * rng.uniform(0.26, 0.36)
    s = 120
    for k in range(3):
        x = x0 + k * 2.9 * s
        _camel(d, x, y_at(layers[2][1:-1], x) + 12, s, pal.dark, rider=pal.accent if k == 0 else None)
    d.line(
        [
            (x0 + 1.5 * s, y_at(layers[2][1:-1], x0) - 1.9 * s),
            (x0 + 2.9 * s - 1.0 * s, y_at(layers[2][1:-1], x0 + 2.9 * s) - 1.5 * s),
        ],
        fill=pal.dark,
        width=5,
    )
    d.polygon(layers[3], fill=pal.deep)


def motif_route(d, rng, pal, stops=4):
    backdrop(d, rng, pal, hills=False)
    d.polygon(smooth_hills(rng, HORIZON - 120, 220, 1.2), fill=pal.light)
    d.polygon(smooth_hills(rng, HORIZON + 60, 200, 1.6), fill=pal.soft)
    d.polygon(smooth_hills(rng, AH - 40, 120, 2.0), fill=mix(pal.soft, pal.deep, 0.4))
    stops = max(2, min(stops, 8))
    pts = []
    for i in range(61):
        t = i / 60
        x = AW * (0.1 + 0.8 * t)
        y = AH * (0.78 - 0.38 * t) + AH * 0.1 * math.sin(t * math.tau * 1.3 + rng.uniform(0, 0.3))
        pts.append((x, y))
    # dashed path
    for i in range(0, 60, 2):
        d.line([pts[i], pts[i + 1]], fill=pal.cream, width=16)
    for k in range(stops):
        px, py = pts[round(k * 60 / (stops - 1))]
        circle(d, px, py - 70, 44, fill=pal.red)
        d.polygon([(px - 38, py - 50), (px + 38, py - 50), (px, py)], fill=pal.red)
        circle(d, px, py - 70, 18, fill=pal.cream)
    # compass rose
    cxr, cyr = AW * 0.9, AH * 0.2
    circle(d, cxr, cyr, 80, outline=pal.dark, width=6)
    d.polygon([(cxr, cyr - 110), (cxr + 20, cyr), (cxr, cyr + 110), (cxr - 20, cyr)], fill=pal.dark)
    d.polygon([(cxr - 110, cyr), (cxr, cyr + 20), (cxr + 110, cyr), (cxr, cyr - 20)], fill=pal.dark)
    d.polygon([(cxr, cyr - 110), (cxr + 20, cyr), (cxr - 20, cyr)], fill=pal.red)


def _opera_head(d, x, y, r, face, paint, crown, feather):
    """A head with a painted opera face, a gold crown and two long pheasant feathers."""
    for sx in (-1, 1):  # feathers arc up and back
        pts = [
            (x + sx * (r * 0.4 + r * 3.2 * t), y - r * 1.1 - r * 3.4 * math.sin(t * 2.2))
            for t in (i / 20 for i in range(21))
        ]
        d.line(pts, fill=feather, width=max(6, int(r * 0.16)), joint="curve")
    circle(d, x, y, r, fill=face)
    for sx in (-1, 1):
        d.polygon(
            [(x + sx * r * 0.12, y - r * 0.1), (x + sx * r * 0.8, y - r * 0.45), (x + sx * r * 0.7, y + r * 0.15)],
            fill=paint,
        )
    d.polygon([(x - r * 0.16, y - r * 0.95), (x + r * 0.16, y - r * 0.95), (x, y - r * 0.2)], fill=paint)
    d.chord([x - r * 0.45, y + r * 0.3, x + r * 0.45, y + r * 0.8], 0, 180, fill=paint)
    d.polygon(
        [
            (x - r * 1.05, y - r * 0.55),
            (x + r * 1.05, y - r * 0.55),
            (x + r * 0.8, y - r * 1.35),
            (x, y - r * 1.6),
            (x - r * 0.8, y - r * 1.35),
        ],
        fill=crown,
    )
    for sx in (-1, 0, 1):
        circle(d, x + sx * r * 0.55, y - r * 0.95, r * 0.13, fill=(196, 52, 42))


def _stilt_walker(d, rng, x, yg, leg, s, robe, trim, face, paint, pole, prop, flip=1):
    """An opera figure on very tall stilts hidden in long trousers; leg = stilt height, s = torso."""
    hip = yg - leg
    stride = s * rng.uniform(0.28, 0.38)
    for fx, hx in ((x - stride, x - s * 0.1), (x + stride, x + s * 0.1)):
        # wooden stilt, with the long trouser leg pulled over most of it
        d.line([(hx, hip), (fx, yg)], fill=pole, width=int(s * 0.07))
        d.rectangle([fx - s * 0.09, yg - s * 0.04, fx + s * 0.09, yg], fill=pole)
        t = 0.74
        kx, ky = hx + (fx - hx) * t, hip + (yg - hip) * t
        d.polygon([(hx - s * 0.13, hip), (hx + s * 0.13, hip), (kx + s * 0.075, ky), (kx - s * 0.075, ky)], fill=trim)
        d.rectangle([kx - s * 0.09, ky - s * 0.05, kx + s * 0.09, ky], fill=robe)
    sh = hip - s  # shoulder line
    # robe with a flared hem and a belt
    d.polygon(
        [(x - s * 0.26, sh), (x + s * 0.26, sh), (x + s * 0.42, hip + s * 0.32), (x - s * 0.42, hip + s * 0.32)],
        fill=robe,
    )
    d.rectangle([x - s * 0.42, hip + s * 0.24, x + s * 0.42, hip + s * 0.32], fill=trim)
    d.rectangle([x - s * 0.3, hip - s * 0.42, x + s * 0.3, hip - s * 0.34], fill=trim)
    d.polygon([(x - s * 0.12, sh), (x + s * 0.12, sh), (x, sh + s * 0.3)], fill=trim)
    # back flags (kaoqi) of an opera general
    for k in (-1, 1):
        fx = x + k * s * 0.22
        d.line([(fx, sh + s * 0.1), (fx + k * s * 0.35, sh - s * 0.75)], fill=pole, width=int(s * 0.03))
        d.polygon(
            [(fx + k * s * 0.35, sh - s * 0.75), (fx + k * s * 0.2, sh - s * 0.3), (fx + k * s * 0.6, sh - s * 0.45)],
            fill=trim,
        )
    # arms with wide sleeves: one raised holding the prop, one held out
    up = (x + flip * s * 0.62, sh - s * 0.42)
    out = (x - flip * s * 0.62, sh + s * 0.28)
    for hand in (up, out):
        sx0 = x + (1 if hand[0] > x else -1) * s * 0.22
        d.line([(sx0, sh + s * 0.06), hand], fill=robe, width=int(s * 0.16))
        d.polygon(
            [
                hand,
                (hand[0] + (s * 0.12 if hand[0] > x else -s * 0.12), hand[1] + s * 0.3),
                (hand[0] - (s * 0.1 if hand[0] > x else -s * 0.1), hand[1] + s * 0.26),
            ],
            fill=trim,
        )
        circle(d, hand[0], hand[1], s * 0.06, fill=face)
    if prop == "fan":
        r = s * 0.42
        fx, fy = up
        d.pieslice([fx - r, fy - r, fx + r, fy + r], 200, 340, fill=(196, 52, 42))
        d.pieslice([fx - r * 0.35, fy - r * 0.35, fx + r * 0.35, fy + r * 0.35], 200, 340, fill=face)
        for k in range(6):
            a = math.radians(200 + k * 28)
            d.line([(fx, fy), (fx + r * math.cos(a), fy + r * math.sin(a))], fill=(236, 182, 74), width=4)
    else:  # silk ribbon swirling from the raised hand
        fx, fy = up
        pts = [
            (fx + flip * s * 1.1 * t, fy - s * 0.5 * math.sin(t * 5.5) + s * 0.9 * t)
            for t in (i / 40 for i in range(41))
        ]
        d.line(pts, fill=(236, 182, 74), width=int(s * 0.05), joint="curve")
    _opera_head(d, x, sh - s * 0.22, s * 0.17, face, paint, (236, 182, 74), paint)


def motif_stilts(d, rng, pal):
    """Kushui high stilts: costumed opera figures towering over a street crowd on stilts."""
    backdrop(d, rng, pal)
    # a low street of houses: the performers' heads rise above the eaves
    house = mix(pal.cream, pal.base, 0.35)
    roof = pal.deep
    x = -rng.uniform(0, 200)
    while x < AW + 100:
        w = rng.uniform(300, 420)
        h = rng.uniform(170, 230)
        d.rectangle([x + 16, HORIZON - h, x + w - 16, HORIZON + 40], fill=house)
        d.rectangle([x + w / 2 - 40, HORIZON - h * 0.6, x + w / 2 + 40, HORIZON + 40], fill=roof)
        curved_roof(d, x + w / 2, HORIZON - h + 10, w + 40, 80, roof)
        x += w + rng.uniform(0, 20)
    ground(d, pal, HORIZON + 40, mix(pal.deep, pal.cream, 0.2))
    yg = HORIZON + 150
    s = AH * 0.2
    leg = AH * 0.44
    # the crowd lining the street behind, reaching barely to the performers' knees
    crowd = mix(pal.dark, pal.deep, 0.3)
    x = -40
    while x < AW + 60:
        hh = rng.uniform(0.34, 0.42) * leg
        by = HORIZON + 70 + rng.uniform(0, 20)
        circle(d, x, by - hh * 0.88, hh * 0.12, fill=crowd)
        d.rounded_rectangle([x - hh * 0.16, by - hh * 0.74, x + hh * 0.16, by], radius=int(hh * 0.1), fill=crowd)
        x += rng.uniform(70, 130)
    robes = [
        (pal.red, pal.gold, pal.cream, pal.dark),
        ((40, 74, 130), pal.gold, (196, 52, 42), BLACK),
        (pal.gold, pal.red, pal.cream, (196, 52, 42)),
    ]
    rng.shuffle(robes)
    props = ["fan", "ribbon", "fan"]
    xs = (AW * 0.28, AW * 0.54, AW * 0.8)
    for k, (px, (robe, trim, face, paint)) in enumerate(zip(xs, robes, strict=True)):
        _stilt_walker(
            d,
            rng,
            px + rng.uniform(-30, 30),
            yg - (30 if k == 1 else 0),
            leg,
            s,
            robe,
            trim,
            face,
            paint,
            (120, 80, 48),
            props[k],
            flip=1 if k < 2 else -1,
        )


def _interior(d, rng, pal):
    """A workshop or teahouse room: stepped wall bands, a lattice window and a wooden floor."""
    bands(d, (0, 0, AW, HORIZON), mix(pal.base, WHITE, 0.62), mix(pal.base, WHITE, 0.84), 6)
    wx = AW * rng.choice((0.1, 0.84))
    d.rectangle([wx - 170, AH * 0.12, wx + 170, AH * 0.56], fill=pal.dark)
    d.rectangle([wx - 150, AH * 0.12 + 20, wx + 150, AH * 0.56 - 20], fill=mix(pal.sun, pal.sky_bottom, 0.3))
    for k in range(1, 4):
        d.line([(wx - 150 + 75 * k, AH * 0.12), (wx - 150 + 75 * k, AH * 0.56)], fill=pal.dark, width=10)
        d.line([(wx - 150, AH * 0.12 + k * AH * 0.11), (wx + 150, AH * 0.12 + k * AH * 0.11)], fill=pal.dark, width=10)
    floor = mix(pal.deep, (120, 72, 40), 0.4)
    d.rectangle([0, HORIZON, AW, AH], fill=floor)
    for k in range(5):
        y = HORIZON + 20 + k * k * 12 + k * 20
        d.line([(0, y), (AW, y)], fill=mix(floor, BLACK, 0.15), width=4)


def motif_loom(d, rng, pal):
    """Carpet weaving: an upright loom with a half-knotted patterned carpet and hanging yarn."""
    _interior(d, rng, pal)
    wood = (120, 80, 48)
    cx = AW * rng.uniform(0.5, 0.56)
    hw = AW * 0.25
    top, bot = AH * 0.1, HORIZON + 50
    # posts and beams
    for sx in (-1, 1):
        d.rectangle([cx + sx * hw - 30, top - 30, cx + sx * hw + 30, bot + 60], fill=wood)
    d.rectangle([cx - hw - 60, top - 20, cx + hw + 60, top + 30], fill=wood)
    d.rectangle([cx - hw - 60, bot - 20, cx + hw + 60, bot + 30], fill=wood)
    # warp threads
    woven = bot - (bot - top) * 0.58
    for k in range(61):
        x = cx - hw + 40 + (2 * hw - 80) * k / 60
        d.line([(x, top + 30), (x, bot - 20)], fill=pal.cream, width=4)
    # the carpet woven so far: border, field and a medallion
    red, navy, gold, cream = (170, 44, 40), (40, 52, 92), pal.gold, (246, 232, 204)
    x0, x1 = cx - hw + 40, cx + hw - 40
    d.rectangle([x0, woven, x1, bot - 20], fill=navy)
    d.rectangle([x0 + 36, woven + 36, x1 - 36, bot - 56], fill=red)
    b = 36
    for k in range(int((x1 - x0) / 60)):  # zigzag border
        xa = x0 + k * 60
        d.polygon([(xa, bot - 20), (xa + 30, bot - 20 - b), (xa + 60, bot - 20)], fill=gold)
    for sx in (x0 + 18, x1 - 18):
        for y in range(int(woven + 30), int(bot - 40), 50):
            d.polygon([(sx, y - 16), (sx + 14, y), (sx, y + 16), (sx - 14, y)], fill=gold)
    my = woven + 36 + ((bot - 56) - (woven + 36)) * 0.58
    mr = (bot - 56 - woven - 36) * 0.5
    d.polygon([(cx - mr * 1.6, my), (cx, my - mr), (cx + mr * 1.6, my), (cx, my + mr)], fill=cream)
    d.polygon([(cx - mr * 1.1, my), (cx, my - mr * 0.68), (cx + mr * 1.1, my), (cx, my + mr * 0.68)], fill=navy)
    for k in range(8):  # rosette
        a = k * math.tau / 8
        circle(d, cx + mr * 0.34 * math.cos(a), my + mr * 0.34 * math.sin(a), mr * 0.16, fill=gold)
    circle(d, cx, my, mr * 0.18, fill=red)
    for sx in (-1, 1):  # flowers either side of the medallion
        fx = cx + sx * (hw - 150)
        for k in range(5):
            a = k * math.tau / 5
            circle(d, fx + 32 * math.cos(a), my + 32 * math.sin(a), 22, fill=cream)
        circle(d, fx, my, 18, fill=gold)
    # the weaving line: the bar and the row being knotted
    d.rectangle([x0 - 20, woven - 14, x1 + 20, woven + 6], fill=wood)
    # balls of dyed yarn hanging above, with threads running down
    colours = [red, navy, gold, cream, pal.accent, (70, 120, 90)]
    for k in range(11):
        x = x0 + 30 + (x1 - x0 - 60) * k / 10
        col = colours[k % len(colours)]
        yb = top + 90 + (k % 3) * 36
        d.line([(x, yb), (x + rng.uniform(-30, 30), woven)], fill=col, width=5)
        circle(d, x, yb, 34, fill=col)
        d.arc([x - 22, yb - 22, x + 22, yb + 22], 200, 320, fill=mix(col, WHITE, 0.35), width=5)
    d.rectangle([x0 - 20, top + 44, x1 + 20, top + 60], fill=wood)
    # a weaver seated on a bench, seen from behind, reaching up to knot
    wx, wy = cx - hw * 0.35, AH - 30
    body = pal.dark
    d.rectangle([wx - 160, wy - 60, wx + 160, wy - 30], fill=wood)
    d.rounded_rectangle([wx - 80, wy - 300, wx + 80, wy - 50], radius=60, fill=body)
    circle(d, wx, wy - 350, 62, fill=body)
    circle(d, wx, wy - 400, 30, fill=body)
    d.line([(wx + 60, wy - 270), (wx + 150, wy - 380), (wx + 140, woven + 20)], fill=body, width=34, joint="curve")
    d.line([(wx - 60, wy - 270), (wx - 110, wy - 380), (wx - 60, woven + 30)], fill=body, width=34, joint="curve")


def motif_lacquer(d, rng, pal):
    """Carved lacquerware: a black lacquer folding screen inlaid with a landscape, and a lacquer box."""
    _interior(d, rng, pal)
    black, red, rim = (34, 26, 30), (150, 36, 30), (92, 30, 26)
    pearl, jade, gold = (236, 232, 218), (132, 184, 160), pal.gold
    cx = AW * rng.uniform(0.46, 0.52)
    n, pw = 4, AW * 0.14
    top, bot = AH * 0.1, HORIZON + 40
    x_left = cx - n * pw / 2
    for k in range(n):
        x0 = x_left + k * pw
        d.rectangle([x0, top, x0 + pw - 8, bot], fill=rim)
        d.rectangle([x0 + 18, top + 18, x0 + pw - 26, bot - 18], fill=black if k % 2 == 0 else mix(black, rim, 0.15))
        # carved key-fret border
        for y in range(int(top + 40), int(bot - 40), 44):
            d.line([(x0 + 30, y), (x0 + 44, y), (x0 + 44, y + 22), (x0 + 36, y + 22)], fill=gold, width=4)
        d.rectangle([x0 + 56, top + 40, x0 + pw - 40, bot - 40], outline=gold, width=4)
        for fx in (x0 + 30, x0 + pw - 54):
            d.rectangle([fx, bot, fx + 24, bot + 40], fill=rim)
    # the inlaid landscape across the panels
    ix0, ix1 = x_left + 60, x_left + n * pw - 50
    ih0, ih1 = top + 44, bot - 44
    hills = [(ix0, ih1)]
    for i in range(41):
        t = i / 40
        x = ix0 + (ix1 - ix0) * t
        hills.append((x, ih1 - (ih1 - ih0) * (0.22 + 0.18 * math.sin(t * 9 + 1) ** 2 + 0.1 * math.sin(t * 23))))
    hills.append((ix1, ih1))
    d.polygon(hills, fill=jade)
    d.polygon([(x, y + 90) for x, y in hills[1:-1]] + [(ix1, ih1), (ix0, ih1)], fill=mix(jade, black, 0.35))
    for k in range(n):  # panel gaps over the inlay
        x0 = x_left + k * pw
        d.rectangle([x0 + pw - 26, top, x0 + pw + 18, bot], fill=rim)
        d.rectangle([x0 + pw - 8, top, x0 + pw, bot], fill=mix(rim, BLACK, 0.4))
    # moon, cranes and a pavilion in mother-of-pearl
    circle(d, x_left + pw * 2.7, ih0 + 110, 62, fill=pearl)
    for k in range(2):
        bx, by = x_left + pw * (0.7 + 0.5 * k), ih0 + 120 + 60 * k
        d.line([(bx - 60, by - 20), (bx, by), (bx + 60, by - 26)], fill=pearl, width=14, joint="curve")
        d.line([(bx, by), (bx + 40, by + 18)], fill=pearl, width=8)
    px, py = x_left + pw * 1.55, ih1 - (ih1 - ih0) * 0.42
    d.rectangle([px - 50, py - 70, px + 50, py], fill=pearl)
    curved_roof(d, px, py - 66, 170, 54, gold)
    branch = [(ix1 - 20, ih0 + 60), (ix1 - 120, ih0 + 150), (ix1 - 170, ih0 + 280)]
    d.line(branch, fill=gold, width=10, joint="curve")
    for bx, by in [*branch, (ix1 - 80, ih0 + 110), (ix1 - 150, ih0 + 220)]:
        circle(d, bx, by, 20, fill=(232, 130, 140))
    # a red carved lacquer box on a low stand in front
    bx, by = cx + pw * 2.35, AH - 40
    bw, bh = 200, 150
    d.rectangle([bx - bw - 30, by - 30, bx + bw + 30, by], fill=black)
    d.rectangle([bx - bw, by - 30 - bh, bx + bw, by - 30], fill=red)
    d.rounded_rectangle([bx - bw - 16, by - 60 - bh, bx + bw + 16, by - 20 - bh], radius=14, fill=red)
    for k in range(9):
        xx = bx - bw + 20 + k * (2 * bw - 40) / 8
        d.arc([xx - 22, by - bh + 10, xx + 22, by - bh + 54], 180, 360, fill=rim, width=6)
    d.rectangle([bx - bw, by - 30 - bh * 0.42, bx + bw, by - 30 - bh * 0.36], fill=gold)
    circle(d, bx, by - 30 - bh * 0.66, 26, fill=gold)


def _sanxian(d, x, y, length, angle, body_col, neck_col, skin_col):
    """A three-stringed lute: round snakeskin-faced body at (x, y), neck running out at angle."""
    ca, sa = math.cos(angle), math.sin(angle)
    ex, ey = x + length * ca, y + length * sa
    d.line([(x, y), (ex, ey)], fill=neck_col, width=int(length * 0.035))
    for k in range(3):  # pegs
        px, py = x + length * (0.86 + 0.05 * k) * ca, y + length * (0.86 + 0.05 * k) * sa
        d.line([(px - sa * 34, py + ca * 34), (px + sa * 34, py - ca * 34)], fill=neck_col, width=10)
    r = length * 0.14
    d.rounded_rectangle([x - r, y - r * 0.85, x + r, y + r * 0.85], radius=int(r * 0.6), fill=body_col)
    d.rounded_rectangle([x - r * 0.78, y - r * 0.64, x + r * 0.78, y + r * 0.64], radius=int(r * 0.45), fill=skin_col)
    for k in (-1, 0, 1):
        d.line([(x + k * 6, y), (ex + k * 3, ey)], fill=mix(skin_col, WHITE, 0.5), width=3)


def _seated(d, x, yseat, s, robe, skin, hair):
    """A seated figure facing the viewer; returns the shoulder height."""
    sh = yseat - s * 1.0
    d.rounded_rectangle([x - s * 0.5, yseat - s * 0.08, x + s * 0.5, yseat + s * 0.12], radius=int(s * 0.08), fill=robe)
    d.polygon([(x - s * 0.3, sh), (x + s * 0.3, sh), (x + s * 0.42, yseat), (x - s * 0.42, yseat)], fill=robe)
    for sx in (-1, 1):  # legs down to the floor
        d.rectangle([x + sx * s * 0.34 - s * 0.1, yseat, x + sx * s * 0.34 + s * 0.1, yseat + s * 0.78], fill=robe)
        d.rounded_rectangle(
            [x + sx * s * 0.34 - s * 0.13, yseat + s * 0.72, x + sx * s * 0.34 + s * 0.17, yseat + s * 0.84],
            radius=int(s * 0.04),
            fill=hair,
        )
    circle(d, x, sh - s * 0.26, s * 0.2, fill=skin)
    d.chord([x - s * 0.21, sh - s * 0.5, x + s * 0.21, sh - s * 0.1], 180, 360, fill=hair)
    return sh


def _note(d, x, y, s, col):
    d.ellipse([x - s * 0.5, y - s * 0.36, x + s * 0.5, y + s * 0.36], fill=col)
    d.line([(x + s * 0.42, y), (x + s * 0.42, y - s * 2.2)], fill=col, width=max(5, int(s * 0.16)))
    d.line([(x + s * 0.42, y - s * 2.2), (x + s * 1.1, y - s * 1.5)], fill=col, width=max(5, int(s * 0.16)))


def motif_folksong(d, rng, pal):
    """Folk ballad singing: a sanxian player and a singer seated at a teahouse table, notes rising."""
    _interior(d, rng, pal)
    skin, hair = (240, 206, 170), (40, 34, 38)
    cx = AW * rng.uniform(0.5, 0.56)
    s = AH * 0.3
    yseat = AH - s * 0.9
    # the sanxian player on the left: the lute across the lap, one hand on the neck
    px = cx - s * 1.1
    sh = _seated(d, px, yseat, s, pal.dark, skin, hair)
    bx, by = px + s * 0.18, yseat - s * 0.2
    ang, length = -math.radians(130), s * 1.9
    _sanxian(d, bx, by, length, ang, (92, 58, 34), (60, 38, 24), (236, 226, 200))
    hx, hy = bx + length * 0.58 * math.cos(ang), by + length * 0.58 * math.sin(ang)
    d.line(
        [(px - s * 0.26, sh + s * 0.1), (px - s * 0.5, sh + s * 0.3), (hx, hy)],
        fill=pal.dark,
        width=int(s * 0.16),
        joint="curve",
    )
    circle(d, hx, hy, s * 0.075, fill=skin)
    d.line(
        [(px + s * 0.26, sh + s * 0.1), (px + s * 0.44, sh + s * 0.5), (bx + s * 0.02, by + s * 0.02)],
        fill=pal.dark,
        width=int(s * 0.16),
        joint="curve",
    )
    circle(d, bx + s * 0.02, by + s * 0.02, s * 0.075, fill=skin)
    # the singer on the right, one hand raised, mouth open
    sx = cx + s * 1.05
    robe = rng.choice((pal.red, (40, 74, 130), (58, 112, 84), (150, 60, 110)))
    sh2 = _seated(d, sx, yseat, s, robe, skin, hair)
    d.chord([sx - s * 0.06, sh2 - s * 0.22, sx + s * 0.06, sh2 - s * 0.12], 0, 180, fill=(150, 40, 40))
    d.line(
        [(sx + s * 0.26, sh2 + s * 0.08), (sx + s * 0.62, sh2 + s * 0.1), (sx + s * 0.74, sh2 - s * 0.2)],
        fill=robe,
        width=int(s * 0.16),
        joint="curve",
    )
    circle(d, sx + s * 0.74, sh2 - s * 0.24, s * 0.075, fill=skin)
    d.line(
        [(sx - s * 0.26, sh2 + s * 0.08), (sx - s * 0.4, sh2 + s * 0.55), (sx - s * 0.1, sh2 + s * 0.75)],
        fill=robe,
        width=int(s * 0.16),
        joint="curve",
    )
    # a table with a teapot and cups between them
    tx, ty = cx, yseat - s * 0.02
    d.rectangle([tx - s * 0.42, ty, tx + s * 0.42, ty + s * 0.08], fill=(92, 58, 34))
    for sxx in (-1, 1):
        d.rectangle([tx + sxx * s * 0.34 - 10, ty, tx + sxx * s * 0.34 + 10, ty + s * 0.86], fill=(92, 58, 34))
    d.ellipse([tx - s * 0.14, ty - s * 0.2, tx + s * 0.14, ty + s * 0.02], fill=pal.cream)
    d.line([(tx + s * 0.12, ty - s * 0.1), (tx + s * 0.24, ty - s * 0.18)], fill=pal.cream, width=12)
    circle(d, tx, ty - s * 0.22, s * 0.03, fill=pal.cream)
    for sxx in (-1, 1):
        d.rectangle([tx + sxx * s * 0.3 - 18, ty - 36, tx + sxx * s * 0.3 + 18, ty], fill=pal.cream)
    # music notes drifting up from the singer
    for k in range(4):
        _note(d, sx - s * (0.55 + 0.3 * k), sh2 - s * (0.05 + 0.22 * k), 40 + 4 * k, pal.dark if k % 2 else pal.red)


MOTIFS = {
    "bridge": motif_bridge,
    "waterwheel": motif_waterwheel,
    "mountains": motif_mountains,
    "pagoda": motif_pagoda,
    "temple": motif_temple,
    "museum": motif_museum,
    "grotto": motif_grotto,
    "drum": motif_drum,
    "lantern": motif_lantern,
    "pottery": motif_pottery,
    "theatre": motif_theatre,
    "oldtown": motif_oldtown,
    "park": motif_park,
    "gate": motif_gate,
    "river": motif_river,
    "dunes": motif_dunes,
    "route": motif_route,
    "bagua": motif_bagua,
    "blossom": motif_blossom,
    "tomb": motif_tomb,
    "gourd": motif_gourd,
    "noodles": motif_noodles,
    "stilts": motif_stilts,
    "loom": motif_loom,
    "lacquer": motif_lacquer,
    "folksong": motif_folksong,
}

# Keyword rules. Order: specific words (tags, id, English and Chinese name), then a
# distinctive category, then tag hints, then a broad category (landmark, heritage site,
# scenic area), then generic words, then a default for the first theme.
SPECIFIC = [
    ("waterwheel", r"water[- ]?wheels?|waterwheel|水车"),
    ("bridge", r"bridges?|桥"),
    ("grotto", r"grottoe?s?|caves?|cave-temple|石窟|buddhist-art|maijishan|麦积"),
    ("pagoda", r"pagodas?|stupa|塔"),
    ("bagua", r"eight-trigrams|bagua|trigrams?|八卦|卦台"),
    ("blossom", r"roses?|玫瑰"),  # before stilts: Kushui Rose Town is tagged stilts too
    ("stilts", r"stilts?|高跷"),
    ("folksong", r"xiaoqu|guzi|folk[- ]?songs?|ballads?|小曲|鼓子|民歌"),
    ("loom", r"carpets?|rugs?|weav(?:e|es|ing|ers?)|looms?|地毯|丝毯|织"),
    ("lacquer", r"lacquer(?:ware)?|漆"),
    ("drum", r"drums?|鼓"),
    ("noodles", r"noodles?|lamian|beef-noodles?|拉面|牛肉面"),
    ("gourd", r"gourds?|葫芦"),
    ("river", r"rafts?|sheepskin|羊皮筏"),
    ("lantern", r"lanterns?|night-market|夜市|灯"),
    ("theatre", r"theatre|theater|opera|drama|dance|剧"),
    ("dunes", r"desert|dunes?|sand|camels?|沙"),
]
CATEGORY = {
    "museum": "museum",
    "culture-centre": "museum",
    "temple": "temple",
    "park": "park",
    "theatre": "theatre",
    "old-town": "oldtown",
    "food-street": "lantern",
    # heritage kinds
    "performance": "drum",
    "music": "drum",
    "craft": "pottery",
    "ritual": "temple",
    "drama": "theatre",
    "dance": "theatre",
    "literature": "museum",
    "custom": "lantern",
}
HINTS = [
    ("pottery", r"pottery|painted-pottery|caitao|ceramics?|彩陶"),
    ("tomb", r"tombs?|mausoleums?|墓|陵"),
    ("blossom", r"blossoms?|orchards?|flowers?|roses?|梨园|花"),
    ("oldtown", r"old-town|ancient-town|old-street|courtyards?|courtyard-houses|residences?|古镇|民居|街区"),
    ("river", r"rivers?|riverside|promenade|confluence|wetlands?|河"),
]
BROAD_CATEGORY = {
    "scenic-area": "mountains",
    "landmark": "gate",
    "heritage-site": "gate",
    # event kinds
    "festival": "lantern",
    "market": "lantern",
    "exhibition": "museum",
    "ceremony": "temple",
    "tour": "route",
}
GENERIC = [
    ("museum", r"museums?|exhibitions?|galler(y|ies)|博物"),
    ("temple", r"temples?|monaster(y|ies)|mosque|shrine|寺|庙|宫|观"),
    ("lantern", r"food|snacks?|noodles?|美食"),
    ("park", r"parks?|gardens?|公园"),
    ("mountains", r"mountains?|mount|peaks?|canyons?|forest|geopark|danxia|scenic|山"),
    ("gate", r"gates?|towers?|walls?|landmark|门|楼"),
]
THEME_DEFAULT = {
    "yellow-river": "river",
    "silk-road": "dunes",
    "ethnic-culture": "lantern",
    "history-people": "gate",
    "natural-landscape": "mountains",
}


def _match(rules, text):
    for motif, pattern in rules:
        if re.search(rf"(?<![a-z])(?:{pattern})(?![a-z])", text):
            return motif
    return None


def motif_words(rec):
    """Lowercase searchable text of a record: tags, id, English name, then the Chinese name."""
    name = rec.get("name") or rec.get("title")
    tags = [str(t).lower() for t in (rec.get("tags") or []) if t]
    return " ".join([*tags, str(rec.get("id", "")).lower(), i18n(name, "en").lower()]), i18n(name, "zh-Hans")


def choose_motif(collection, rec):
    if collection == "routes":
        return "route"
    words, zh = motif_words(rec)
    cat = str(rec.get("category") or rec.get("kind") or "").lower()
    return (
        _match(SPECIFIC, words)
        or _match(SPECIFIC, zh)
        or CATEGORY.get(cat)
        or _match(HINTS, words)
        or _match(HINTS, zh)
        or BROAD_CATEGORY.get(cat)
        or _match(GENERIC, words)
        or _match(GENERIC, zh)
        or next((THEME_DEFAULT[t] for t in rec.get("themes") or [] if t in THEME_DEFAULT), None)
        or "mountains"
    )


# --------------------------------------------------------------------- text


def i18n(value, lang):
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    if value.get(lang):
        return str(value[lang])
    short = lang.split("-")[0]
    for k, v in value.items():
        if v and str(k).split("-")[0] == short:
            return str(v)
    return ""


def text_width(font, text):
    if not text:
        return 0
    left, _, right, _ = font.getbbox(text)
    return right - left


def wrap(font, text, max_w):
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = (cur + " " + w).strip()
        if text_width(font, trial) <= max_w or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    return lines


def fit_single(fonts, kind, text, max_w, start, minimum):
    size = start
    while size > minimum and text_width(fonts.get(kind, size), text) > max_w:
        size -= 2
    return fonts.get(kind, size)


def ellipsize(font, text, max_w):
    if text_width(font, text) <= max_w:
        return text
    while text and text_width(font, text + "…") > max_w:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_text(img, fonts, pal, zh, en, theme_zh, theme_en, city):
    d = ImageDraw.Draw(img)
    # caption panel
    top = ART_H
    d.rectangle([0, top, W, H], fill=CREAM)
    d.rectangle([0, top, W, top + 8], fill=pal.base)
    d.rectangle([0, top + 8, W, top + 11], fill=pal.gold)
    margin = 56
    right_block = 190 if city else 0
    max_w = W - 2 * margin - right_block

    # Chinese name (falls back to English when missing): one line, shrinking down to
    # 56 px; longer names wrap onto two lines (and the English name gets one line).
    title = zh or en
    zf = fit_single(fonts, "title", title, max_w, 88, 56)
    z_lines = [title]
    if text_width(zf, title) > max_w:
        zf = fonts.get("title", 50)
        if " " in title.strip():
            z_lines = wrap(zf, title, max_w)
        else:
            z_lines, cur = [], ""
            for ch in title:
                if cur and text_width(zf, cur + ch) > max_w:
                    z_lines.append(cur)
                    cur = ""
                cur += ch
            z_lines.append(cur)
        if len(z_lines) > 2:
            z_lines = [z_lines[0], ellipsize(zf, "".join(z_lines[1:]), max_w)]
        z_lines = [ellipsize(zf, ln, max_w) for ln in z_lines]
    max_en_lines = 2 if len(z_lines) == 1 else 1
    # English name: wrap, shrinking until it fits the allowed number of lines
    en_lines, ef = [], None
    if en and en != title:
        for size in range(34, 21, -2):
            ef = fonts.get("body", size)
            en_lines = wrap(ef, en, max_w)
            if len(en_lines) <= max_en_lines and all(text_width(ef, ln) <= max_w for ln in en_lines):
                break
        if len(en_lines) > max_en_lines:
            rest = " ".join(en_lines[max_en_lines - 1 :])
            en_lines = [*en_lines[: max_en_lines - 1], ellipsize(ef, rest, max_w)]
        en_lines = [ellipsize(ef, ln, max_w) for ln in en_lines]
    if len(z_lines) == 1 and len(en_lines) == 2 and zf.size > 74:
        zf = fit_single(fonts, "title", title, max_w, 74, 56)  # leave room for two lines

    z_line_h = int(zf.size * 1.18)
    z_h = z_line_h * (len(z_lines) - 1) + zf.size
    line_h = int(ef.size * 1.3) if ef else 0
    gap = int(zf.size * 0.2) if en_lines else 0
    block_h = z_h + gap + line_h * len(en_lines)
    panel_inner = H - top - 11
    y = top + 11 + (panel_inner - block_h) / 2
    for ln in z_lines:
        # place the em box (size px) at y: CJK glyphs fill it almost exactly
        d.text((margin, y + zf.size * 0.88), ln, font=zf, fill=INK, anchor="ls")
        y += z_line_h
    y += zf.size - z_line_h + gap
    for ln in en_lines:
        d.text((margin, y + ef.size * 0.98), ln, font=ef, fill=mix(INK, pal.base, 0.35), anchor="ls")
        y += line_h

    # city mark in the bottom-right corner
    if city:
        cz, ce = CITY_NAMES.get(city, (city, city.upper()))
        cf = fonts.get("title", 44)
        lf = fonts.get("bold", 18)
        cx = W - margin
        cy = top + 11 + panel_inner / 2
        bw = max(text_width(cf, cz), text_width(lf, ce)) + 40
        d.rounded_rectangle([cx - bw, cy - 62, cx, cy + 62], radius=10, outline=pal.base, width=3)
        zb2 = cf.getbbox(cz)
        d.text((cx - bw / 2 - (zb2[2] - zb2[0]) / 2 - zb2[0], cy - 46 - zb2[1]), cz, font=cf, fill=pal.base)
        lb = lf.getbbox(ce)
        d.text((cx - bw / 2 - (lb[2] - lb[0]) / 2 - lb[0], cy + 26 - lb[1]), ce, font=lf, fill=pal.base)

    # theme tag in the top-left corner
    label = " · ".join(x for x in (theme_zh, theme_en) if x)
    if label:
        tf = fonts.get("bold", 22)
        tb = tf.getbbox(label)
        pad_x, pad_y = 18, 10
        x0, y0 = 32, 30
        bw, bh = tb[2] - tb[0] + 2 * pad_x, tb[3] - tb[1] + 2 * pad_y
        d.rounded_rectangle([x0, y0, x0 + bw, y0 + bh], radius=bh // 2, fill=pal.dark)
        d.text((x0 + pad_x - tb[0], y0 + pad_y - tb[1]), label, font=tf, fill=CREAM)


# ------------------------------------------------------------------ poster


def render(collection, rec, themes, fonts):
    rid = str(rec.get("id"))
    rng = random.Random(rid)
    theme_ids = [t for t in (rec.get("themes") or []) if isinstance(t, str)]
    first = themes.get(theme_ids[0]) if theme_ids else None
    base = hex_rgb(first.get("color") if first else None)
    second = themes.get(theme_ids[1]) if len(theme_ids) > 1 else None
    accent = hex_rgb(second.get("color")) if second else mix(base, (230, 170, 60), 0.6)
    pal = Palette(base, accent)

    motif = choose_motif(collection, rec)
    art = Image.new("RGB", (AW, AH), pal.sky_bottom)
    d = ImageDraw.Draw(art)
    if motif == "route":
        motif_route(d, rng, pal, stops=len(rec.get("stops") or []) or 4)
    elif motif in ("blossom", "theatre"):
        MOTIFS[motif](d, rng, pal, " ".join(motif_words(rec)))
    else:
        MOTIFS[motif](d, rng, pal)
    art = art.resize((W, ART_H), Image.LANCZOS)

    img = Image.new("RGB", (W, H), CREAM)
    img.paste(art, (0, 0))
    name = rec.get("name") or rec.get("title")
    draw_text(
        img,
        fonts,
        pal,
        i18n(name, "zh-Hans"),
        i18n(name, "en"),
        i18n(first.get("name"), "zh-Hans") if first else "",
        i18n(first.get("name"), "en") if first else "",
        str(rec.get("city") or "").lower(),
    )
    return img, motif


def save_png(img, path, colors=96):
    q = img.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    tmp = path + ".tmp"
    q.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, path)
    return os.path.getsize(path)


# --------------------------------------------------------------- pack input


def load_file(path):
    with open(path, encoding="utf-8") as fh:
        if path.endswith(".json"):
            return json.load(fh)
        return yaml.safe_load(fh)


def collection_files(src, name):
    files = []
    for ext in ("yaml", "yml", "json"):
        single = os.path.join(src, f"{name}.{ext}")
        if os.path.isfile(single):
            files.append(single)
        files += sorted(glob.glob(os.path.join(src, name, f"*.{ext}")))
    return files


def load_themes(src, problems):
    for path in collection_files(src, "themes"):
        try:
            data = load_file(path) or []
            return {t["id"]: t for t in data if isinstance(t, dict) and "id" in t}
        except Exception as exc:
            problems.append(f"{path}: {exc}")
    return {}


def poster_jobs(src, problems):
    """Yield (collection, record, output name) for every media/posters/*.png image entry."""
    seen = set()
    for coll in COLLECTIONS:
        for path in collection_files(src, coll):
            try:
                data = load_file(path)
            except Exception as exc:
                problems.append(f"{os.path.relpath(path, src)}: cannot parse ({str(exc).splitlines()[0]})")
                continue
            if data is None:
                continue
            if not isinstance(data, list):
                problems.append(f"{os.path.relpath(path, src)}: expected a list of records")
                continue
            for rec in data:
                if not isinstance(rec, dict) or not rec.get("id"):
                    continue
                for img in rec.get("images") or []:
                    f = img.get("file") if isinstance(img, dict) else None
                    m = POSTER_RE.match(str(f or "").strip())
                    if not m or m.group(1) in seen:
                        continue
                    seen.add(m.group(1))
                    yield coll, rec, m.group(1)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Draw CC0 illustrated posters for a pack source folder.")
    ap.add_argument("src", help="pack source folder (e.g. assets/demo-pack)")
    ap.add_argument("--force", action="store_true", help="redraw posters that already exist")
    ap.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="draw only this poster name (repeatable)"
    )
    args = ap.parse_args(argv)

    src = args.src
    if not os.path.isdir(src):
        sys.exit(f"draw_posters: {src} is not a folder")
    problems = []
    themes = load_themes(src, problems)
    fonts = Fonts()
    out_dir = os.path.join(src, "media", "posters")
    os.makedirs(out_dir, exist_ok=True)

    drawn = skipped = 0
    for coll, rec, name in poster_jobs(src, problems):
        if args.only and name not in args.only:
            continue
        out = os.path.join(out_dir, name + ".png")
        if os.path.exists(out) and not args.force:
            skipped += 1
            continue
        try:
            img, motif = render(coll, rec, themes, fonts)
            size = save_png(img, out)
        except Exception as exc:
            problems.append(f"{coll}/{rec.get('id')}: drawing failed ({exc!r})")
            continue
        drawn += 1
        print(f"{os.path.relpath(out, src)}  {motif:<10} {size / 1024:6.1f} KB")
    print(f"draw_posters: {drawn} drawn, {skipped} already present (use --force to redraw)")
    for p in problems:
        print(f"draw_posters: warning: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
