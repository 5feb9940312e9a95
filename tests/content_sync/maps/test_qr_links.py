"""Map hand-off links: Amap opens a place at its WGS-84 point, a route with every stop."""

from __future__ import annotations

import math
import urllib.parse

import prcoords

from content_sync.maps.links import AMAP_MAX_MARKERS, ROUTE_LINK_BUDGET, Stop, amap_place, amap_route, geo_uri

MAIJISHAN = (34.352, 106.003)  # the demo pack's WGS-84 point


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return 6_371_000 * math.hypot(math.radians(a[0] - b[0]), math.radians(a[1] - b[1]) * math.cos(lat))


def query(url: str) -> dict[str, str]:
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/marker")
    return dict(urllib.parse.parse_qsl(parts.query, strict_parsing=True))


def test_a_place_is_marked_at_its_wgs84_point_and_says_so() -> None:
    q = query(amap_place(*MAIJISHAN, "麦积山石窟"))
    assert q["coordinate"] == "wgs84"  # without it Amap reads GCJ-02 and the pin lands ~0.5 km off
    assert q["position"] == "106.003000,34.352000"  # lon,lat
    assert q["name"] == "麦积山石窟" and q["src"]


def test_separators_in_a_name_cannot_move_the_point() -> None:
    q = query(amap_place(*MAIJISHAN, "A,B|C&position=0,0"))
    assert q["position"] == "106.003000,34.352000" and "," not in q["name"] and "|" not in q["name"]


def test_a_route_carries_every_stop_in_order_converted_to_gcj02() -> None:
    stops = [Stop(34.5786, 105.7187, "伏羲庙"), Stop(34.58, 105.73, "天水市博物馆"), Stop(*MAIJISHAN, "麦积山石窟")]
    url, carried = amap_route(stops)
    assert carried == 3
    marks = query(url)["markers"].split("|")
    assert len(marks) == 3
    for n, (mark, stop) in enumerate(zip(marks, stops, strict=True), start=1):
        lon, lat, name = mark.split(",")
        assert name.startswith(str(n))
        # ``markers`` has no coordinate parameter: the points are GCJ-02, which in Gansu lies a few
        # hundred metres from WGS-84, and converts back to the stop within a metre.
        assert 100 < metres((float(lat), float(lon)), (stop.lat, stop.lon)) < 1000
        back = prcoords.gcj_wgs_bored(prcoords.Coords(float(lat), float(lon)))
        assert metres((back.lat, back.lon), (stop.lat, stop.lon)) < 1


def test_a_long_route_keeps_its_points_and_shortens_names() -> None:
    stops = [Stop(36.06 + i / 100, 103.82, "兰州黄河桥梁博物馆与中山铁桥") for i in range(12)]
    url, carried = amap_route(stops)
    assert carried == AMAP_MAX_MARKERS  # the documented limit of ``markers``
    assert len(url) <= ROUTE_LINK_BUDGET
    assert len(query(url)["markers"].split("|")) == AMAP_MAX_MARKERS
    assert amap_route([]) == ("", 0)


def test_geo_link_stays_for_every_other_app() -> None:
    assert geo_uri(*MAIJISHAN, "Maijishan").startswith("geo:34.352000,106.003000?q=")
