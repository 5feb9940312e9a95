"""Offline basemaps: reading real-world MBTiles, importing and clipping, rendering, and the demo pack."""

from __future__ import annotations

import io
import json
import math
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from content_sync.cli import main
from content_sync.device.layout import DataDir
from content_sync.maps.mbtiles import MBTiles, MBTilesError, import_mbtiles, lonlat_to_tile, mbtiles_summary
from content_sync.maps.render import PALETTE, render_spec
from content_sync.pack.source import load_source
from content_sync.store.content_store import ContentStore
from tests import support

# The real files from ../shared/realdata (see its SOURCES.md); KIOSK_REALDATA points elsewhere.
REALDATA = Path(os.environ.get("KIOSK_REALDATA", support.REALDATA))
WORLD = REALDATA / "world_countries_z0-4.mbtiles"
EUROPE = REALDATA / "europe_z4-8.mbtiles"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image(fmt: str, color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), color).save(buf, {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[fmt])
    return buf.getvalue()


def _make(
    path: Path,
    tiles: dict[tuple[int, int, int], bytes],
    *,
    metadata: dict[str, str] | None = None,
    as_view: bool = False,
) -> Path:
    """A synthetic MBTiles; ``tiles`` keys are (z, x, TMS row) as stored on disk."""
    conn = sqlite3.connect(path)
    if as_view:
        conn.executescript(
            "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);"
            "CREATE TABLE images (tile_data BLOB, tile_id TEXT);"
            "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,"
            " map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images USING (tile_id);"
        )
        for i, ((z, x, row), blob) in enumerate(sorted(tiles.items())):
            conn.execute("INSERT INTO map VALUES (?, ?, ?, ?)", (z, x, row, f"t{i}"))
            conn.execute("INSERT INTO images VALUES (?, ?)", (blob, f"t{i}"))
    else:
        conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(*k, v) for k, v in tiles.items()])
    if metadata is not None:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
    conn.commit()
    conn.close()
    return path


# -- the real files ----------------------------------------------------------------------------


def test_world_file_with_a_view_and_no_zoom_or_format_metadata() -> None:
    with MBTiles(WORLD) as mb:
        assert mb.tiles_kind == "view"
        assert "minzoom" not in mb.metadata and "format" not in mb.metadata and "center" not in mb.metadata
        assert (mb.minzoom, mb.maxzoom, mb.format, mb.mime) == (0, 4, "png", "image/png")
        assert mb.bounds == pytest.approx((-180, -70, 180, 85), abs=1e-6)
        lon, lat, zoom = mb.center
        assert (lon, lat) == pytest.approx((0, 7.5), abs=1e-6) and 0 <= zoom <= 4
        assert mb.tile_count() == 285
        # Lanzhou: TMS row 9 at z4 is XYZ y = 2^4 - 1 - 9 = 6.
        assert lonlat_to_tile(103.83, 36.06, 4)[1] // 1 == 6
        tile = mb.tile(4, 12, 6)
        assert tile is not None and tile.startswith(PNG_MAGIC)
        raw = sqlite3.connect(f"file:{WORLD}?mode=ro", uri=True)
        sql = "SELECT tile_data FROM tiles WHERE zoom_level = 4 AND tile_column = 12 AND tile_row = 9"
        stored = raw.execute(sql).fetchone()
        raw.close()
        assert tile == stored[0]
        assert mb.tile(4, 12, 9) != tile  # no accidental TMS passthrough
        assert mb.tile(5, 0, 0) is None and mb.tile(4, 16, 0) is None and mb.tile(-1, 0, 0) is None


def test_europe_file_with_utfgrid_tables() -> None:
    with MBTiles(EUROPE) as mb:
        assert (mb.minzoom, mb.maxzoom, mb.format) == (4, 8, "png")
        assert mb.zoom_counts() == {4: 12, 5: 42, 6: 143, 7: 504, 8: 1920}
        assert mb.bounds == pytest.approx((-12.48, 34.60, 42.54, 71.52), abs=0.01)
        x, y = (int(v) for v in lonlat_to_tile(2.35, 48.85, 6))  # Paris
        assert (mb.tile(6, x, y) or b"").startswith(PNG_MAGIC)


def test_many_threads_read_the_same_tiles_as_one() -> None:
    with MBTiles(EUROPE, immutable=True) as mb:
        keys = [(z, x, (1 << z) - 1 - row) for z, x, row in sqlite3.connect(f"file:{EUROPE}?mode=ro", uri=True)
                .execute("SELECT zoom_level, tile_column, tile_row FROM tiles WHERE zoom_level <= 7")]  # fmt: skip
        serial = {k: mb.tile(*k) for k in keys}
        results: list[dict[tuple[int, int, int], bytes | None]] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append({k: mb.tile(*k) for k in reversed(keys)})
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(results) == 8 and all(r == serial for r in results)
        assert all(v is not None for v in serial.values())


# -- import and clip -------------------------------------------------------------------------------


def _expected_clip(
    src: Path, bbox: tuple[float, float, float, float], zooms: tuple[int, int]
) -> set[tuple[int, int, int]]:
    """Tiles whose area overlaps the bbox, computed straight from the tile edges (independent of the code)."""
    w, s, e, n = bbox
    out = set()
    conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    for z, x, row in conn.execute("SELECT zoom_level, tile_column, tile_row FROM tiles"):
        if not zooms[0] <= z <= zooms[1]:
            continue
        y = (1 << z) - 1 - row
        west, east = x / 2**z * 360 - 180, (x + 1) / 2**z * 360 - 180
        north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))
        south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / 2**z))))
        if west < e and east > w and south < n and north > s:
            out.add((z, x, y))
    conn.close()
    return out


def test_import_clips_to_exactly_the_tiles_in_the_box(tmp_path: Path) -> None:
    bbox, zooms = (5.0, 45.0, 12.0, 48.0), (5, 7)
    dest = tmp_path / "alps.mbtiles"
    result = import_mbtiles(EUROPE, dest, bbox=bbox, zooms=zooms, attribution="BSD-3-Clause test")
    expected = _expected_clip(EUROPE, bbox, zooms)
    assert len(expected) == 20
    with MBTiles(dest) as mb:
        got = {(z, x, y) for z, x, y, _ in mb.iter_tiles()}
        assert got == expected
        assert mb.tiles_kind == "table"
        assert (mb.minzoom, mb.maxzoom) == zooms
        assert mb.bounds == pytest.approx(bbox, abs=1e-6)
        for key in ("name", "format", "minzoom", "maxzoom", "bounds", "center", "attribution", "type", "version"):
            assert mb.metadata.get(key), key
        assert mb.metadata["attribution"] == "BSD-3-Clause test"
        with MBTiles(EUROPE) as src:
            assert all(mb.tile(*k) == src.tile(*k) for k in expected)
    conn = sqlite3.connect(dest)
    indexes = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tiles'").fetchall()
    conn.close()
    assert any("UNIQUE" in (sql or "") for (sql,) in indexes)
    assert result["zoom_counts"] == {5: 2, 6: 6, 7: 12}
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_import_and_info(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    runner = CliRunner()
    res = runner.invoke(main, ["map", "import", str(WORLD), "--into", str(pack), "--id", "world", "--zoom", "0-2"])
    assert res.exit_code == 0, res.output
    assert "z2 " in res.output and "21 tiles" in res.output
    res = runner.invoke(main, ["map", "info", str(pack / "maps" / "world.mbtiles"), "--json"])
    info = json.loads(res.output)
    assert (info["minzoom"], info["maxzoom"], info["format"], info["tiles_is"]) == (0, 2, "png", "table")
    res = runner.invoke(main, ["map", "import", str(WORLD), "--into", str(pack), "--id", "world"])
    assert res.exit_code == 1 and "already exists" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["map", "import", str(WORLD), "--into", str(pack), "--bbox", "120,10,100,20"])
    assert res.exit_code == 1 and "west < east" in res.output
    res = runner.invoke(main, ["map", "import", str(WORLD), "--into", str(pack), "--zoom", "3-30"])
    assert res.exit_code == 1 and "0-22" in res.output
    res = runner.invoke(main, ["map", "import", str(WORLD), "--into", str(pack), "--zoom", "0-0"])
    assert res.exit_code == 0 and (pack / "maps" / "world-countries-z0-4.mbtiles").is_file()


# -- synthetic files as found in the wild ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "jpg", "webp"])
def test_no_metadata_table_format_from_the_bytes(tmp_path: Path, fmt: str) -> None:
    blob = _image(fmt)
    x10, y10 = (int(v) for v in lonlat_to_tile(103.83, 36.06, 10))
    x11, y11 = (int(v) for v in lonlat_to_tile(103.83, 36.06, 11))
    path = _make(tmp_path / f"bare-{fmt}.mbtiles", {(10, x10, 1023 - y10): blob, (11, x11, 2047 - y11): blob})
    with MBTiles(path) as mb:
        assert mb.metadata == {}
        assert (mb.format, mb.minzoom, mb.maxzoom) == (fmt, 10, 11)
        assert mb.mime == {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}[fmt]
        assert mb.tile(10, x10, y10) == blob and mb.tile(11, x11, y11) == blob
        w, s, e, n = mb.bounds  # the extent of the one z11 tile: 360/2048 degrees wide
        assert w < 103.83 < e and s < 36.06 < n and e - w == pytest.approx(360 / 2048)
        assert mb.center[2] in (10, 11)


def test_view_based_tiles_and_mime_style_format(tmp_path: Path) -> None:
    blob = _image("jpg")
    path = _make(
        tmp_path / "view.mbtiles", {(3, 6, 4): blob},
        metadata={"format": "image/jpeg", "center": "103.8,36.0,3", "name": "View"}, as_view=True,
    )  # fmt: skip
    with MBTiles(path) as mb:
        assert (mb.tiles_kind, mb.format, mb.center, mb.name) == ("view", "jpg", (103.8, 36.0, 3), "View")
        assert mb.tile(3, 6, 3) == blob and mb.tile(3, 6, 4) is None
    assert mbtiles_summary(path)["format"] == "jpg"


def test_wrong_format_label_loses_to_the_bytes(tmp_path: Path) -> None:
    path = _make(tmp_path / "label.mbtiles", {(2, 1, 1): _image("png")}, metadata={"format": "jpeg"})
    with MBTiles(path) as mb:
        assert mb.mime == "image/png"


# -- hostile input ---------------------------------------------------------------------------------


def _hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.mbtiles"
    if kind == "html":
        path.write_text("<html><body>not a map</body></html>")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "zoom30":
        _make(path, {(30, 0, 0): _image("png")})
    elif kind == "htmlblob":
        _make(path, {(3, 1, 1): b"<!DOCTYPE html><html>oops</html>"})
    elif kind == "notiles":
        _make(path, {})
    elif kind == "notable":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE other (x)")
        conn.commit()
        conn.close()
    elif kind == "vector":
        _make(path, {(3, 1, 1): b"\x1f\x8b\x08\x00gzip"}, metadata={"format": "pbf"})
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("html", "not an SQLite database"),
        ("empty", "file is empty"),
        ("zoom30", "zoom levels must be within 0..22"),
        ("htmlblob", "not PNG, JPEG or WebP images"),
        ("notiles", "holds no tiles"),
        ("notable", "no 'tiles' table or view"),
        ("vector", "vector tiles"),
    ],
)
def test_hostile_files_refused_in_one_clear_line(tmp_path: Path, kind: str, message: str) -> None:
    path = _hostile(tmp_path, kind)
    with pytest.raises(MBTilesError) as info:
        MBTiles(path)
    text = str(info.value)
    assert message in text and text.startswith(path.name) and "\n" not in text
    # the same reason reaches the operator through the pack source loader
    res = CliRunner().invoke(main, ["map", "info", str(path)])
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output


def test_endless_view_gives_up_instead_of_hanging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "endless.mbtiles"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE VIEW tiles AS WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c) "
        "SELECT n % 5 AS zoom_level, 0 AS tile_column, 0 AS tile_row, x'00' AS tile_data FROM c"
    )
    conn.commit()
    conn.close()
    monkeypatch.setattr(MBTiles, "OPEN_TIMEOUT", 0.3)
    with pytest.raises(MBTilesError, match=r"took over 0.3 s"):
        MBTiles(path)


def test_hostile_basemap_in_a_pack_source_is_a_problem_not_a_crash(tmp_path: Path, mini_source: Path) -> None:
    (mini_source / "maps").mkdir(exist_ok=True)
    path = _hostile(tmp_path, "htmlblob")
    (mini_source / "maps" / "bad.mbtiles").write_bytes(path.read_bytes())
    source, problems = load_source(mini_source)
    assert source is None
    assert any(p.file == "maps/bad.mbtiles" and "not PNG, JPEG or WebP" in p.message for p in problems)


def test_oversized_or_broken_tile_is_not_served(tmp_path: Path) -> None:
    good = _image("png")
    huge = PNG_MAGIC + b"\0" * (5 << 20)
    path = _make(tmp_path / "mixed.mbtiles", {(3, 1, 1): good, (3, 2, 2): b"<html>", (3, 3, 3): huge})
    with MBTiles(path) as mb:
        assert mb.tile(3, 1, 6) == good
        assert mb.tile(3, 2, 5) is None and mb.tile(3, 3, 4) is None
    with pytest.raises(MBTilesError, match="not a PNG, JPEG or WebP image"):
        import_mbtiles(path, tmp_path / "out.mbtiles")
    assert not (tmp_path / "out.mbtiles").exists() and not list(tmp_path.glob(".*.tmp"))


# -- rendering -------------------------------------------------------------------------------------

TINY_SPEC = """
name: Tiny
attribution: test
areas:
  - {bbox: [103.80, 36.055, 103.85, 36.08], zoom: 13-14}
layers:
  - {file: river.geojson, kind: river, width: 12}
  - {file: roads.geojson, kind: road}
  - {file: places.geojson, kind: label}
"""


def _tiny_spec(tmp_path: Path) -> Path:
    def fc(features: list[dict[str, object]]) -> str:
        return json.dumps({"type": "FeatureCollection", "features": features})

    def feat(gtype: str, coords: object, **props: object) -> dict[str, object]:
        return {"type": "Feature", "properties": props, "geometry": {"type": gtype, "coordinates": coords}}

    (tmp_path / "river.geojson").write_text(fc([feat("LineString", [[103.70, 36.068], [103.95, 36.068]])]))
    (tmp_path / "roads.geojson").write_text(
        fc([feat("LineString", [[103.826, 36.04], [103.826, 36.09]], **{"class": "major"})])
    )
    (tmp_path / "places.geojson").write_text(
        fc([feat("Point", [103.815, 36.075], name_zh="白塔山", name_en="Baita Shan", **{"class": "park"})])
    )
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY_SPEC)
    return spec


def test_render_tiny_spec_draws_the_river_where_it_is_and_is_deterministic(tmp_path: Path) -> None:
    spec = _tiny_spec(tmp_path)
    first = render_spec(spec, tmp_path / "a.mbtiles")
    render_spec(spec, tmp_path / "b.mbtiles", jobs=2)
    water = tuple(int(PALETTE["water"][i : i + 2], 16) for i in (1, 3, 5))
    background = tuple(int(PALETTE["background"][i : i + 2], 16) for i in (1, 3, 5))
    with MBTiles(tmp_path / "a.mbtiles") as a, MBTiles(tmp_path / "b.mbtiles") as b:
        assert a.metadata["attribution"] == "test" and a.format == "png"
        tiles_a = {(z, x, y): blob for z, x, y, blob in a.iter_tiles()}
        tiles_b = {(z, x, y): blob for z, x, y, blob in b.iter_tiles()}
        assert tiles_a == tiles_b and len(tiles_a) == first["tiles"] > 0
        z = 14
        fx, fy = lonlat_to_tile(103.835, 36.068, z)
        tile = Image.open(io.BytesIO(a.tile(z, int(fx), int(fy)) or b"")).convert("RGB")
        assert tile.size == (256, 256)
        px, py = int((fx % 1) * 256), int((fy % 1) * 256)
        assert _close(tile.getpixel((px, py)), water)  # on the river line
        assert _close(tile.getpixel((px, (py + 60) % 256)), background)  # well off it
        # anti-aliased: edge pixels between water and background exist
        colours = {c for _, c in tile.getcolors(1 << 16) or []}
        assert len(colours) > 4


def _close(a: object, b: tuple[int, ...], tol: int = 12) -> bool:
    return isinstance(a, tuple) and all(abs(int(x) - y) <= tol for x, y in zip(a, b, strict=True))


def test_render_rejects_a_bad_spec_plainly(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("areas: [{bbox: [1, 2], zoom: 3-4}]\nlayers: []\n")
    res = CliRunner().invoke(main, ["map", "render", str(spec), "-o", str(tmp_path / "x.mbtiles")])
    assert res.exit_code == 1 and "bbox" in res.output and "Traceback" not in res.output


def test_committed_demo_basemaps_match_their_specs(tmp_path: Path) -> None:
    """The committed tiles are what the spec renders today: nobody edited one without the other."""
    spec = support.ROOT / "assets" / "maps-src" / "tianshui" / "tianshui.yaml"
    out = tmp_path / "tianshui.mbtiles"
    render_spec(spec, out, jobs=2)
    committed_file = support.DEMO_SOURCE / "maps" / "tianshui.mbtiles"
    with MBTiles(out) as fresh, MBTiles(committed_file) as committed:
        assert {k[:3]: k[3] for k in fresh.iter_tiles()} == {k[:3]: k[3] for k in committed.iter_tiles()}


# -- the demo pack ---------------------------------------------------------------------------------


def test_demo_pack_installs_four_basemaps_that_serve_tiles(demo_data: DataDir) -> None:
    with ContentStore.open(demo_data) as store:
        basemaps = {b.id: b for b in store.basemaps()}
        venues = store.venues()
    assert set(basemaps) == {"lanzhou", "tianshui", "gansu", "world"}
    assert basemaps["world"].minzoom == 0 and basemaps["world"].maxzoom == 4
    assert basemaps["gansu"].minzoom == 5 and basemaps["gansu"].maxzoom == 8  # between world and cities
    for b in basemaps.values():
        assert b.path.is_file()
    for v in venues:
        assert any(b.covers(v.lon, v.lat) for k, b in basemaps.items() if k not in ("world", "gansu")), v.id
    lanzhou = basemaps["lanzhou"]
    assert lanzhou.minzoom <= 9 and lanzhou.maxzoom >= 15
    with lanzhou.open() as mb:
        x, y = (int(v) for v in lonlat_to_tile(103.8262, 36.0668, 13))  # Zhongshan Bridge
        tile = mb.tile(13, x, y)
        assert tile is not None and tile.startswith(PNG_MAGIC)
        assert "not for navigation" in mb.attribution
    with MBTiles(basemaps["world"].path) as world:
        assert (world.tile(4, 12, 6) or b"").startswith(PNG_MAGIC)
        assert "BSD-3-Clause" in world.attribution


def test_short_lived_threads_reuse_connections() -> None:
    """Qt's worker threads forget thread-locals after each task: connections must not pile up."""
    import threading

    with MBTiles(WORLD, immutable=True) as mb:
        for _ in range(50):
            worker = threading.Thread(target=mb.tile, args=(4, 12, 6))
            worker.start()
            worker.join()
        assert mb.tile(4, 12, 6) is not None
        assert len(mb._conns) == 1
