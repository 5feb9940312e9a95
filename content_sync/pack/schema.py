"""The content database schema: one definition shared by the pack builder, the installer
(which refuses any database whose schema differs) and the store that reads it.

Every table has a stable text primary key so that a later sync can ship row-level
changes; the search index is derived data, rebuilt from rows on the kiosk.
"""

from __future__ import annotations

import functools
import sqlite3

# Bumped on any change to CONTENT_SCHEMA; a kiosk refuses packs and installed content of any other
# version, in plain words (2: heritage items have aliases).
CONTENT_SCHEMA_VERSION = 2

# Columns holding multilingual text: a JSON object of language tag -> text.
I18N_COLUMNS: dict[str, tuple[str, ...]] = {
    "themes": ("name", "description"),
    "categories": ("name",),
    "districts": ("name",),
    "venues": ("name", "address", "summary", "description", "tickets_note", "getting_there", "narration"),
    "images": ("caption",),
    "routes": ("name", "summary", "description", "narration"),
    "route_stops": ("note",),
    "events": ("title", "summary", "description", "price"),
    "heritage": ("name", "summary", "description", "narration"),
    "transport": ("name", "description", "to_city_centre"),
    "pages": ("title", "body"),
    "notices": ("title", "body"),
}

# Columns holding other JSON that may contain visitor-facing strings (sanitised too).
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "venues": ("aliases", "hours", "tickets", "contact", "accessibility", "tags"),
    "heritage": ("aliases",),
    "event_weekly": ("days",),
    "basemaps": ("bounds",),
}

CONTENT_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE media (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER
);
CREATE TABLE themes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    color TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE categories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    icon TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE districts (
    code TEXT PRIMARY KEY,
    city TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE venues (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    category TEXT NOT NULL REFERENCES categories(id),
    city TEXT NOT NULL,
    district TEXT REFERENCES districts(code),
    address TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    timezone TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    hours TEXT,
    tickets TEXT NOT NULL,
    tickets_note TEXT NOT NULL,
    contact TEXT NOT NULL,
    accessibility TEXT NOT NULL,
    getting_there TEXT NOT NULL,
    tags TEXT NOT NULL,
    featured INTEGER NOT NULL,
    narration TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE INDEX venues_category ON venues(category);
CREATE INDEX venues_district ON venues(district);
CREATE TABLE venue_themes (
    venue_id TEXT NOT NULL REFERENCES venues(id),
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (venue_id, theme_id)
) WITHOUT ROWID;
CREATE INDEX venue_themes_theme ON venue_themes(theme_id);
CREATE TABLE images (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    media TEXT NOT NULL REFERENCES media(sha256),
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    licence TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE INDEX images_owner ON images(owner_kind, owner_id, sort);
CREATE TABLE audio (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    media TEXT NOT NULL REFERENCES media(sha256)
);
CREATE INDEX audio_owner ON audio(owner_kind, owner_id, lang);
CREATE TABLE routes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    city TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    distance_km REAL,
    mode TEXT NOT NULL,
    featured INTEGER NOT NULL,
    narration TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE route_themes (
    route_id TEXT NOT NULL REFERENCES routes(id),
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (route_id, theme_id)
) WITHOUT ROWID;
CREATE TABLE route_stops (
    route_id TEXT NOT NULL REFERENCES routes(id),
    seq INTEGER NOT NULL,
    venue_id TEXT NOT NULL REFERENCES venues(id),
    stay_minutes INTEGER NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (route_id, seq)
) WITHOUT ROWID;
CREATE TABLE heritage (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    inscribed INTEGER,
    city TEXT NOT NULL,
    narration TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE heritage_themes (
    heritage_id TEXT NOT NULL REFERENCES heritage(id),
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (heritage_id, theme_id)
) WITHOUT ROWID;
CREATE TABLE heritage_venues (
    heritage_id TEXT NOT NULL REFERENCES heritage(id),
    venue_id TEXT NOT NULL REFERENCES venues(id),
    PRIMARY KEY (heritage_id, venue_id)
) WITHOUT ROWID;
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    venue_id TEXT REFERENCES venues(id),
    heritage_id TEXT REFERENCES heritage(id),
    price TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE event_themes (
    event_id TEXT NOT NULL REFERENCES events(id),
    theme_id TEXT NOT NULL REFERENCES themes(id),
    PRIMARY KEY (event_id, theme_id)
) WITHOUT ROWID;
CREATE TABLE event_sessions (
    event_id TEXT NOT NULL REFERENCES events(id),
    seq INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;
CREATE INDEX event_sessions_start ON event_sessions(starts_at);
CREATE TABLE event_weekly (
    event_id TEXT NOT NULL REFERENCES events(id),
    seq INTEGER NOT NULL,
    days TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    from_date TEXT,
    until_date TEXT,
    PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;
CREATE TABLE transport (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    city TEXT NOT NULL,
    lat REAL,
    lon REAL,
    to_city_centre TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE pages (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    sort INTEGER NOT NULL
);
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    severity TEXT NOT NULL,
    starts_at TEXT,
    ends_at TEXT
);
CREATE TABLE basemaps (
    id TEXT PRIMARY KEY,
    media TEXT NOT NULL REFERENCES media(sha256),
    format TEXT NOT NULL,
    minzoom INTEGER NOT NULL,
    maxzoom INTEGER NOT NULL,
    bounds TEXT NOT NULL
);
CREATE TABLE search_docs (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    name_len INTEGER NOT NULL,
    boost INTEGER NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE VIRTUAL TABLE search_cjk USING fts5(
    name_bi, name_uni, body_bi, body_uni,
    tokenize = 'unicode61 remove_diacritics 2',
    columnsize = 0
);
CREATE VIRTUAL TABLE search_latin USING fts5(
    name_latin, name_py, name_ini, body_latin,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3',
    columnsize = 0
);
"""

# Tables whose rows come from the pack source (everything except the derived index).
CONTENT_TABLES = (
    "meta",
    "media",
    "themes",
    "categories",
    "districts",
    "venues",
    "venue_themes",
    "images",
    "audio",
    "routes",
    "route_themes",
    "route_stops",
    "heritage",
    "heritage_themes",
    "heritage_venues",
    "events",
    "event_themes",
    "event_sessions",
    "event_weekly",
    "transport",
    "pages",
    "notices",
    "basemaps",
)


def create_content_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(CONTENT_SCHEMA)
    conn.execute(f"PRAGMA user_version = {CONTENT_SCHEMA_VERSION}")


def schema_version_problem(version: object) -> str | None:
    """Why installed content of schema ``version`` cannot be read by this kiosk software, in plain words."""
    if version == CONTENT_SCHEMA_VERSION:
        return None
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version < CONTENT_SCHEMA_VERSION:
        return (
            f"the installed content was made for older kiosk software (content schema {version}; this kiosk reads "
            f"{CONTENT_SCHEMA_VERSION}): build the pack again with current tools"
        )
    shown = version if isinstance(version, int) and not isinstance(version, bool) else "?"
    return (
        f"the installed content needs newer kiosk software (content schema {shown}; "
        f"this kiosk reads {CONTENT_SCHEMA_VERSION})"
    )


def schema_signature(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """What the installer compares: every schema object with its normalised SQL."""
    # Every row counts, whatever its name: only SQLite's automatic indexes (no SQL) are skipped,
    # so a trigger or view cannot hide behind a name like "sqlite_x".
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE NOT (type = 'index' AND sql IS NULL) ORDER BY type, name"
    ).fetchall()
    return [(t, n, tb, " ".join((sql or "").split())) for t, n, tb, sql in rows]


@functools.cache
def expected_signature() -> tuple[tuple[str, str, str, str], ...]:
    conn = sqlite3.connect(":memory:")
    try:
        create_content_schema(conn)
        return tuple(schema_signature(conn))
    finally:
        conn.close()


def primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    """The key columns of ``table`` in key order (``rowid`` for a table without one)."""
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]] or ["rowid"]
