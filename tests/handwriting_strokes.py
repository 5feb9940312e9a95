"""Stroke data for real characters, written in the usual stroke order in a 300 × 300 box.

Each stroke is the polyline a finger draws (the corners; :func:`densify` adds the points a
touch screen would report in between). Shared by the recogniser's tests and the kiosk's.
"""

from __future__ import annotations

import itertools

BOX = 300

Polyline = list[tuple[int, int]]

CHARACTERS: dict[str, list[Polyline]] = {
    "一": [[(40, 150), (260, 150)]],
    "十": [[(40, 140), (260, 140)], [(150, 30), (150, 270)]],
    "口": [[(60, 70), (60, 230)], [(60, 70), (240, 70), (240, 230)], [(60, 230), (240, 230)]],
    "人": [[(150, 40), (140, 140), (60, 250)], [(145, 130), (250, 250)]],
    "中": [[(80, 90), (80, 190)], [(80, 90), (220, 90), (220, 190)], [(80, 190), (220, 190)], [(150, 20), (150, 280)]],
    # 兰州, the provincial capital: both characters of a place name in the demo pack.
    "兰": [
        [(100, 30), (120, 70)], [(200, 30), (180, 70)],
        [(70, 100), (230, 100)], [(90, 170), (210, 170)], [(40, 250), (260, 250)],
    ],
    "州": [
        [(40, 110), (55, 140)], [(90, 40), (90, 170), (40, 270)], [(125, 110), (140, 140)],
        [(160, 40), (160, 240)], [(195, 110), (210, 140)], [(250, 30), (250, 270)],
    ],
}  # fmt: skip

# Written in the standard stroke order, which the Tegaki model learnt otherwise (see
# content_sync/store/handwriting.py): Zinnia alone puts 山 below its 5,000th answer and 水 904th.
OTHER_ORDER: dict[str, list[Polyline]] = {
    # 天水 and 麦积山: the city and the grottoes most visitors ask for.
    "山": [[(150, 40), (150, 240)], [(60, 110), (60, 240), (240, 240)], [(240, 110), (240, 240)]],
    "水": [
        [(150, 30), (150, 260), (125, 245)], [(50, 100), (120, 100), (50, 220)],
        [(240, 70), (165, 140)], [(165, 140), (250, 260)],
    ],
}  # fmt: skip


def densify(polyline: Polyline, step: float = 10) -> list[tuple[float, float]]:
    """The points a finger reports along ``polyline``, about ``step`` apart."""
    points: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in itertools.pairwise(polyline):
        n = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) / step))
        points += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n)]
    points.append((float(polyline[-1][0]), float(polyline[-1][1])))
    return points


def strokes(char: str) -> list[list[tuple[float, float]]]:
    return [densify(line) for line in {**CHARACTERS, **OTHER_ORDER}[char]]
