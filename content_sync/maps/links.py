"""Links a visitor's phone opens at the right spot: Amap (Gaode) URI API links and ``geo:``.

Chinese map apps draw their maps in GCJ-02, the official offset of WGS-84, so a raw GPS
point lands some hundreds of metres off unless the link says which system it is in.

- A place: ``uri.amap.com/marker`` with ``coordinate=wgs84`` (documented for one point), so
  Amap converts the pack's WGS-84 position itself.
- A route: ``uri.amap.com/marker`` with ``markers=`` (up to 10 points, documented without a
  ``coordinate`` parameter, so the points are converted to GCJ-02 here, with ``prcoords``).
  Amap's route planning link (``uri.amap.com/navigation``) cannot carry a route: it takes a
  start, an end and at most one ``via``, and only for driving.
- Everything else: ``geo:`` (RFC 5870), which any phone's default maps app opens (WeChat
  shows it as text).

Plain Python, no Qt: the kiosk's pages and the tests both build links here.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import prcoords

AMAP_MARKER = "https://uri.amap.com/marker"
AMAP_MAX_MARKERS = 10  # documented limit of ``markers=``
SOURCE = "culture-kiosk"  # the ``src`` Amap asks callers to give
# A QR code of this many bytes (version 14 at error correction M) keeps modules 3 px wide on a
# 250 px code: longer route links shorten the stop names, then drop them for the stop numbers.
ROUTE_LINK_BUDGET = 360


@dataclass(frozen=True)
class Stop:
    lat: float  # WGS-84
    lon: float
    name: str


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 (lat, lon) of a WGS-84 point; outside China the point is returned unchanged."""
    converted = prcoords.wgs_gcj(prcoords.Coords(lat, lon), True)
    return converted.lat, converted.lon


def _clean(name: str) -> str:
    """A name safe inside ``markers=`` (``,`` and ``|`` separate fields and points)."""
    return " ".join(name.replace("|", " ").replace(",", " ").replace("，", " ").split())


def amap_place(lat: float, lon: float, name: str) -> str:
    """Amap's marker page (or app) at a WGS-84 point, named."""
    query = urllib.parse.urlencode(
        {"position": f"{lon:.6f},{lat:.6f}", "name": _clean(name) or "-", "src": SOURCE, "coordinate": "wgs84",
         "callnative": "1"}, quote_via=lambda v, *_: urllib.parse.quote(v, safe=","),
    )  # fmt: skip
    return f"{AMAP_MARKER}?{query}"


def amap_route(stops: Sequence[Stop]) -> tuple[str, int]:
    """Amap's marker page with the stops in order (numbered), and how many stops it carries.

    At most :data:`AMAP_MAX_MARKERS`; names are shortened (then left out) to keep the code
    scannable. Empty string and 0 when there is no stop.
    """
    carried = list(stops[:AMAP_MAX_MARKERS])
    if not carried:
        return "", 0
    points = [wgs84_to_gcj02(s.lat, s.lon) for s in carried]

    def link(name_chars: int | None) -> str:
        marks = []
        for n, ((lat, lon), stop) in enumerate(zip(points, carried, strict=True), start=1):
            name = str(n) if name_chars == 0 else f"{n} {_clean(stop.name)[:name_chars]}".strip()
            marks.append(f"{lon:.6f},{lat:.6f},{name}")
        query = urllib.parse.urlencode({"markers": "|".join(marks), "src": SOURCE, "callnative": "1"},
                                       quote_via=lambda v, *_: urllib.parse.quote(v, safe=",|"))  # fmt: skip
        return f"{AMAP_MARKER}?{query}"

    for chars in (None, 8, 4, 0):
        url = link(chars)
        if len(url) <= ROUTE_LINK_BUDGET or chars == 0:
            return url, len(carried)
    raise AssertionError("unreachable")


def geo_uri(lat: float, lon: float, label: str) -> str:
    """A ``geo:`` link (RFC 5870) any phone maps app opens; works with no server at all."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({urllib.parse.quote(label)})"
