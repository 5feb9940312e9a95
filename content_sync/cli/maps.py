"""``kiosk-pack map``: import, inspect and render raster MBTiles basemaps for a pack.

Only argument parsing lives here; the work is in :mod:`content_sync.maps.mbtiles` and
:mod:`content_sync.maps.render`. Errors are :class:`KioskError`, which the main
``kiosk-pack`` group turns into one plain line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from ..maps.mbtiles import MBTiles, MBTilesError, import_mbtiles, parse_bbox, parse_zoom_range
from ..pack.source import SLUG_RE
from .common import echo, echo_json


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.2f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _report(result: dict[str, Any]) -> None:
    for z, count in result["zoom_counts"].items():
        echo(f"  z{z:<2} {count:>6} tiles")
    echo(
        f"wrote {result['path']}: {result['tiles']} tiles ({result['unique_images']} distinct images), "
        f"{_size(result['bytes'])}"
    )


@click.group("map")
def map_group() -> None:
    """Offline basemaps: import, clip, inspect and render raster MBTiles for a pack."""


@map_group.command("import")
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into", "pack_src", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Pack source folder; the basemap goes to PACK_SRC/maps/<id>.mbtiles.",
)  # fmt: skip
@click.option("--id", "basemap_id", help="Basemap id (lowercase letters, digits, '-'); default: the file name.")
@click.option("--bbox", help="Keep only tiles touching W,S,E,N (degrees).")
@click.option("--zoom", help="Keep only zoom levels MIN-MAX, e.g. 9-15.")
@click.option("--name", help="Display name stored in the metadata.")
@click.option("--attribution", help="Source and licence shown on the map (replaces the file's own).")
@click.option("--force", is_flag=True, help="Replace an existing basemap with the same id.")
def import_command(
    src: Path, pack_src: Path, basemap_id: str | None, bbox: str | None, zoom: str | None,
    name: str | None, attribution: str | None, force: bool,
) -> None:  # fmt: skip
    """Validate SRC, clip it if asked, and write a clean standard MBTiles into the pack source."""
    # A file name like world_countries_z0-4 becomes the id world-countries-z0-4.
    bid = basemap_id.lower() if basemap_id else re.sub(r"[^a-z0-9-]+", "-", src.stem.lower()).strip("-")
    if not SLUG_RE.match(bid):
        raise MBTilesError(f"basemap id {bid!r} must be lowercase letters, digits and '-'; pass --id")
    if not pack_src.is_dir():
        raise MBTilesError(f"pack source folder {pack_src} not found")
    dest = pack_src / "maps" / f"{bid}.mbtiles"
    if dest.exists() and not force:
        raise MBTilesError(f"{dest} already exists; pass --force to replace it")
    result = import_mbtiles(
        src, dest,
        bbox=parse_bbox(bbox) if bbox else None,
        zooms=parse_zoom_range(zoom) if zoom else None,
        name=name, attribution=attribution,
    )  # fmt: skip
    _report(result)
    if not result["metadata"].get("attribution"):
        echo("warning: no attribution; pass --attribution with the source and licence", err=True)


@map_group.command("info")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def info_command(file: Path, as_json: bool) -> None:
    """Format, zoom range, bounds, centre, tile counts and metadata of an MBTiles file."""
    with MBTiles(file) as mb:
        info: dict[str, Any] = {
            "file": str(file),
            "bytes": file.stat().st_size,
            "tiles_is": mb.tiles_kind,
            "format": mb.format,
            "mime": mb.mime,
            "minzoom": mb.minzoom,
            "maxzoom": mb.maxzoom,
            "bounds": list(mb.bounds),
            "center": list(mb.center),
            "zoom_counts": mb.zoom_counts(),
            "metadata": mb.metadata,
        }
    if as_json:
        echo_json(info)
        return
    echo(f"{file}  ({_size(info['bytes'])}, tiles is a {info['tiles_is']})")
    echo(f"  format   {mb.format} ({mb.mime})")
    echo(f"  zoom     {mb.minzoom}-{mb.maxzoom}")
    echo(f"  bounds   {', '.join(f'{v:.4f}' for v in mb.bounds)}")
    echo(f"  center   {mb.center[0]:.4f}, {mb.center[1]:.4f} at z{mb.center[2]}")
    for z, count in info["zoom_counts"].items():
        echo(f"  z{z:<2}     {count} tiles")
    for key in ("name", "attribution", "description"):
        if mb.metadata.get(key):
            echo(f"  {key:<8} {mb.metadata[key]}")


@map_group.command("render")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="MBTiles file to write."
)
@click.option("--jobs", default=1, show_default=True, help="Render in this many processes (same bytes either way).")
def render_command(spec: Path, output: Path, jobs: int) -> None:
    """Render a clean PNG basemap from GeoJSON layers described in a YAML SPEC."""
    from ..maps.render import render_spec

    _report(render_spec(spec, output, jobs=jobs))
