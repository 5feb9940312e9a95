"""Writing a pack's content database from a validated source (the builder's side only)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import i18n
from . import schema, search_index

if TYPE_CHECKING:
    from .source import PackSource


def _row(record: dict[str, Any], i18n_cols: Sequence[str], json_cols: Sequence[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in i18n_cols:
            out[key] = i18n.dumps(value or {})
        elif key in json_cols:
            out[key] = None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif isinstance(value, bool):
            out[key] = int(value)
        else:
            out[key] = value
    return out


def write_content_db(source: PackSource, path: Path, created_at: dt.datetime) -> None:
    """Write the content database for ``source`` into ``path`` (which must not exist)."""
    import sqlite_utils

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA page_size = 4096")
        schema.create_content_schema(conn)
        db = sqlite_utils.Database(conn)
        r = source.records
        pack = source.pack
        meta = {
            "pack_id": pack["id"], "title": i18n.dumps(pack["title"]),
            "content_version": str(pack["content_version"]), "channel": pack["channel"],
            "languages": json.dumps(pack["languages"]), "fallback": json.dumps(pack["fallback"]),
            "timezone": pack["timezone"], "created_at": created_at.isoformat(),
            "schema_version": str(schema.CONTENT_SCHEMA_VERSION),
        }  # fmt: skip
        db.table("meta").insert_all({"key": k, "value": v} for k, v in meta.items())
        db.table("media").insert_all(
            {
                "sha256": m.sha256,
                "path": m.pack_path,
                "mime": m.mime,
                "size": m.size,
                "width": m.width,
                "height": m.height,
            }
            for m in source.media.values()
        )
        cols = schema.I18N_COLUMNS
        jcols = schema.JSON_COLUMNS
        db.table("themes").insert_all(_row(t, cols["themes"]) for t in r["themes"])
        db.table("categories").insert_all(_row(c, cols["categories"]) for c in r["categories"])
        db.table("districts").insert_all(_row(d, cols["districts"]) for d in r["districts"])
        images: list[dict[str, Any]] = []
        audio: list[dict[str, Any]] = []

        def media_rows(kind: str, record: dict[str, Any]) -> None:
            for n, image in enumerate(record.pop("images", [])):
                images.append(
                    {
                        "id": f"{kind}:{record['id']}:{n}",
                        "owner_kind": kind,
                        "owner_id": record["id"],
                        "sort": n,
                        **_row(image, cols["images"]),
                    }
                )
            for lang, sha in record.pop("audio", {}).items():
                audio.append(
                    {
                        "id": f"{kind}:{record['id']}:{lang}",
                        "owner_kind": kind,
                        "owner_id": record["id"],
                        "lang": lang,
                        "media": sha,
                    }
                )

        venue_rows, venue_themes = [], []
        for v in r["venues"]:
            v = dict(v)
            media_rows("venue", v)
            venue_themes += [{"venue_id": v["id"], "theme_id": t} for t in v.pop("themes")]
            venue_rows.append(_row(v, cols["venues"], jcols["venues"]))
        db.table("venues").insert_all(venue_rows)
        db.table("venue_themes").insert_all(venue_themes)
        route_rows, route_themes, stops = [], [], []
        for route in r["routes"]:
            route = dict(route)
            media_rows("route", route)
            route_themes += [{"route_id": route["id"], "theme_id": t} for t in route.pop("themes")]
            stops += [
                {"route_id": route["id"], "seq": n, **_row(s, cols["route_stops"])}
                for n, s in enumerate(route.pop("stops"))
            ]
            route_rows.append(_row(route, cols["routes"]))
        db.table("routes").insert_all(route_rows)
        db.table("route_themes").insert_all(route_themes)
        db.table("route_stops").insert_all(stops)
        heritage_rows, heritage_themes, heritage_venues = [], [], []
        for h in r["heritage"]:
            h = dict(h)
            media_rows("heritage", h)
            heritage_themes += [{"heritage_id": h["id"], "theme_id": t} for t in h.pop("themes")]
            heritage_venues += [{"heritage_id": h["id"], "venue_id": v} for v in h.pop("venues")]
            heritage_rows.append(_row(h, cols["heritage"]))
        db.table("heritage").insert_all(heritage_rows)
        db.table("heritage_themes").insert_all(heritage_themes)
        db.table("heritage_venues").insert_all(heritage_venues)
        event_rows, event_themes, sessions, weekly = [], [], [], []
        for e in r["events"]:
            e = dict(e)
            media_rows("event", e)
            event_themes += [{"event_id": e["id"], "theme_id": t} for t in e.pop("themes")]
            sessions += [{"event_id": e["id"], "seq": n, **s} for n, s in enumerate(e.pop("sessions"))]
            weekly += [
                {"event_id": e["id"], "seq": n, **_row(w, (), jcols["event_weekly"])}
                for n, w in enumerate(e.pop("weekly"))
            ]
            event_rows.append(_row(e, cols["events"]))
        db.table("events").insert_all(event_rows)
        db.table("event_themes").insert_all(event_themes)
        db.table("event_sessions").insert_all(sessions)
        db.table("event_weekly").insert_all(weekly)
        db.table("images").insert_all(images)
        db.table("audio").insert_all(audio)
        db.table("transport").insert_all(_row(t, cols["transport"]) for t in r["transport"])
        db.table("pages").insert_all(_row(p, cols["pages"]) for p in r["pages"])
        db.table("notices").insert_all(_row(n, cols["notices"]) for n in r["notices"])
        db.table("basemaps").insert_all(_row(b, (), jcols["basemaps"]) for b in source.basemaps)
        search_index.rebuild_index(conn)
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
