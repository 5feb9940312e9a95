"""Writing a pack's content database from a validated source (the builder's side only)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import i18n
from ..core.errors import BuildError, Problem
from . import content_schema, schema, search_index

# Where a build names rows that fail the declared schema (the same words as an installer's refusal).
SCHEMA_PROBLEM_FILE = "content schema"

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


def check_content_rows(tables: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    """Check rows about to be written against the declared content schema, as an installer will.

    Cleaned values (sanitised text) replace the originals in place, so a built pack needs no
    sanitising at install; each row that fails gives one problem in the installer's words.
    """
    problems: list[Problem] = []
    for name, rows in tables.items():
        try:
            if name == "meta":
                changes = content_schema.check_meta((r["key"], r["value"]) for r in rows)
                for r in rows:
                    r["value"] = changes.get(r["key"], r["value"])
                continue
            table = content_schema.TABLES[name]
            for row in rows:
                try:
                    row.update(content_schema.check_row(table, {c: row.get(c) for c in table.columns}))
                except content_schema.SchemaError as exc:
                    problems.append(Problem(SCHEMA_PROBLEM_FILE, "", str(exc)))
        except content_schema.SchemaError as exc:
            problems.append(Problem(SCHEMA_PROBLEM_FILE, "", str(exc)))
    return problems


def write_content_db(source: PackSource, path: Path, created_at: dt.datetime) -> None:
    """Write the content database for ``source`` into ``path`` (which must not exist).

    Raises BuildError, before anything is written, when a row is not of the declared schema.
    """
    import sqlite_utils

    tables = content_rows(source, created_at)
    problems = check_content_rows(tables)
    if problems:
        raise BuildError(problems)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA page_size = 4096")
        schema.create_content_schema(conn)
        db = sqlite_utils.Database(conn)
        for name, rows in tables.items():
            db.table(name).insert_all(rows)
        search_index.rebuild_index(conn)
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()


def content_rows(source: PackSource, created_at: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Every row of every content table for ``source``, as it will be stored, in insert order."""
    out: dict[str, list[dict[str, Any]]] = {}
    r = source.records
    pack = source.pack
    meta = {
        "pack_id": pack["id"], "title": i18n.dumps(pack["title"]),
        "content_version": str(pack["content_version"]), "channel": pack["channel"],
        "languages": json.dumps(pack["languages"]), "fallback": json.dumps(pack["fallback"]),
        "timezone": pack["timezone"], "created_at": created_at.isoformat(),
        "schema_version": str(schema.CONTENT_SCHEMA_VERSION),
    }  # fmt: skip
    out["meta"] = [{"key": k, "value": v} for k, v in meta.items()]
    out["media"] = [
        {
            "sha256": m.sha256,
            "path": m.pack_path,
            "mime": m.mime,
            "size": m.size,
            "width": m.width,
            "height": m.height,
        }
        for m in source.media.values()
    ]
    cols = schema.I18N_COLUMNS
    jcols = schema.JSON_COLUMNS
    out["themes"] = [_row(t, cols["themes"]) for t in r["themes"]]
    out["categories"] = [_row(c, cols["categories"]) for c in r["categories"]]
    out["districts"] = [_row(d, cols["districts"]) for d in r["districts"]]
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
    out["venues"] = venue_rows
    out["venue_themes"] = venue_themes
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
    out["routes"] = route_rows
    out["route_themes"] = route_themes
    out["route_stops"] = stops
    heritage_rows, heritage_themes, heritage_venues = [], [], []
    for h in r["heritage"]:
        h = dict(h)
        media_rows("heritage", h)
        heritage_themes += [{"heritage_id": h["id"], "theme_id": t} for t in h.pop("themes")]
        heritage_venues += [{"heritage_id": h["id"], "venue_id": v} for v in h.pop("venues")]
        heritage_rows.append(_row(h, cols["heritage"], jcols["heritage"]))
    out["heritage"] = heritage_rows
    out["heritage_themes"] = heritage_themes
    out["heritage_venues"] = heritage_venues
    event_rows, event_themes, sessions, weekly = [], [], [], []
    for e in r["events"]:
        e = dict(e)
        media_rows("event", e)
        event_themes += [{"event_id": e["id"], "theme_id": t} for t in e.pop("themes")]
        sessions += [{"event_id": e["id"], "seq": n, **s} for n, s in enumerate(e.pop("sessions"))]
        weekly += [
            {"event_id": e["id"], "seq": n, **_row(w, (), jcols["event_weekly"])} for n, w in enumerate(e.pop("weekly"))
        ]
        event_rows.append(_row(e, cols["events"]))
    out["events"] = event_rows
    out["event_themes"] = event_themes
    out["event_sessions"] = sessions
    out["event_weekly"] = weekly
    out["images"] = images
    out["audio"] = audio
    out["transport"] = [_row(t, cols["transport"]) for t in r["transport"]]
    out["pages"] = [_row(p, cols["pages"]) for p in r["pages"]]
    out["notices"] = [_row(n, cols["notices"]) for n in r["notices"]]
    out["basemaps"] = [_row(b, (), jcols["basemaps"]) for b in source.basemaps]
    return out
