"""The declared content schema: every value a screen interprets is checked at install and at build.

A pack signed by a trusted key (a leaked key, a buggy tool) carries values of the wrong type in
plain SQL; each class is refused at install in one line naming table, row and field, and the
installed content is untouched. The builder refuses the same values in the same words.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from content_sync.core.errors import BuildError, PackError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack import content_schema, schema
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.content_sync.pack import test_sanitize as sanitize_tests
from tests.content_sync.pack.test_hostile_packs import Repack
from tests.support import BUILT_AT, MINI_SOURCE, ROOT, set_version, tree_digest

BRIDGE = "zhongshan-iron-bridge"
MUSEUM = "gansu-provincial-museum"
MAX_CONTENT_VERSION = content_schema.MAX_CONTENT_VERSION


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory, signing_key: SigningKey) -> dict[int, Path]:
    """Genuine packs of the mini source, versions 1 and 2 (version 1 is installed first)."""
    root = tmp_path_factory.mktemp("schema-packs")
    source = root / "src"
    shutil.copytree(MINI_SOURCE, source)
    out = {}
    for version in (1, 2):
        set_version(source, version)
        out[version] = root / f"v{version}.kpack"
        build_pack(source, out[version], keys=[signing_key], now=BUILT_AT)
    return out


@pytest.fixture
def installed(installer: Installer, data_dir: DataDir, packs: dict[int, Path]) -> dict[str, str]:
    installer.install(packs[1])
    return tree_digest(data_dir.root)


def repack(packs: dict[int, Path], tmp_path: Path) -> Repack:
    copy = Path(shutil.copyfile(packs[2], tmp_path / "v2-copy.kpack"))
    return Repack(copy)


def refuse(installer: Installer, path: Path) -> str:
    with pytest.raises(PackError) as info:
        installer.install(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message and "\x1b" not in message, message
    assert "Traceback" not in message and len(message) < 300, message
    return message


def media_sha(pack: Repack) -> str:
    return pack.query("SELECT sha256 FROM media LIMIT 1")[0][0]


# (id, SQL applied to content.db, expected one-line refusal)
Edit = Callable[[Repack], None]
CASES: list[tuple[str, Edit, str]] = [
    ("date-not-a-date",
     lambda p: p.edit_db("UPDATE event_weekly SET from_date = '2027-02-30'"),
     r"^refused: event_weekly row \('drum-show', 0\) field 'from_date': not a date \(YYYY-MM-DD\): '2027-02-30'$"),
    ("date-wrong-format",
     lambda p: p.edit_db("UPDATE event_weekly SET until_date = '20301231'"),
     r"^refused: event_weekly row \('drum-show', 0\) field 'until_date': not a date \(YYYY-MM-DD\): '20301231'$"),
    ("timestamp-not-a-timestamp",
     lambda p: p.edit_db("UPDATE event_sessions SET starts_at = 'soon'"),
     r"^refused: event_sessions row \('drum-show', 0\) field 'starts_at': not a date-time with a UTC offset"),
    ("timestamp-without-offset",
     lambda p: p.edit_db("UPDATE notices SET starts_at = '2026-11-01T00:00:00'"),
     r"^refused: notices row 'winter-hours' field 'starts_at': not a date-time with a UTC offset"),
    ("session-ends-before-it-starts",
     lambda p: p.edit_db("UPDATE event_sessions SET ends_at = '2027-01-01T18:00:00+08:00'"),
     r"^refused: event_sessions row \('drum-show', 0\) field 'ends_at': not after starts_at$"),
    ("time-not-hh-mm",
     lambda p: p.edit_db("UPDATE event_weekly SET start_time = '+9:00'"),
     r"^refused: event_weekly row \('drum-show', 0\) field 'start_time': not a time of day \(HH:MM\): '\+9:00'$"),
    ("tz-not-iana",
     lambda p: p.edit_db(f"UPDATE venues SET timezone = 'Mars/Olympus' WHERE id = '{MUSEUM}'"),
     rf"^refused: venues row '{MUSEUM}' field 'timezone': not an IANA time zone: 'Mars/Olympus'$"),
    ("tz-a-path",
     lambda p: p.edit_db(f"UPDATE venues SET timezone = '../../etc/passwd' WHERE id = '{BRIDGE}'"),
     rf"^refused: venues row '{BRIDGE}' field 'timezone': not an IANA time zone: '\.\./\.\./etc/passwd'$"),
    ("meta-tz-not-iana",
     lambda p: p.edit_db("UPDATE meta SET value = 'Asia/Lanzhou' WHERE key = 'timezone'"),
     r"^refused: meta row 'timezone' field 'value': not an IANA time zone: 'Asia/Lanzhou'$"),
    ("bounds-wrong-shape",
     lambda p: p.edit_db(f"INSERT INTO basemaps VALUES ('city', '{media_sha(p)}', 'png', 0, 10, '[1, 2, 3]')"),
     r"^refused: basemaps row 'city' field 'bounds': not \[west, south, east, north\]$"),
    ("bounds-west-east-swapped",
     lambda p: p.edit_db(
         f"INSERT INTO basemaps VALUES ('city', '{media_sha(p)}', 'png', 0, 10, '[104.0, 35.9, 103.6, 36.2]')"),
     r"^refused: basemaps row 'city' field 'bounds': not \[west, south, east, north\] with west < east"),
    ("bounds-outside-the-world",
     lambda p: p.edit_db(
         f"INSERT INTO basemaps VALUES ('city', '{media_sha(p)}', 'png', 0, 10, '[100, -95, 110, 40]')"),
     r"^refused: basemaps row 'city' field 'bounds': not \[west, south, east, north\] with west < east"),
    ("meta-languages-not-a-list",
     lambda p: p.edit_db("""UPDATE meta SET value = '"en"' WHERE key = 'languages'"""),
     r"^refused: meta row 'languages' field 'value': not a JSON object or list$"),
    ("meta-fallback-list-of-numbers",
     lambda p: p.edit_db("UPDATE meta SET value = '[1, 2]' WHERE key = 'fallback'"),
     r"^refused: meta row 'fallback' field 'value': not a list of language tags: \[1, 2\]$"),
    ("meta-title-a-list",
     lambda p: p.edit_db("""UPDATE meta SET value = '["Test"]' WHERE key = 'title'"""),
     r"^refused: meta row 'title' field 'value': not multilingual text"),
    ("meta-unknown-key",
     lambda p: p.edit_db("INSERT INTO meta VALUES ('theme_css', 'body{display:none}')"),
     r"^refused: meta row 'theme_css' field 'key': not a key this kiosk reads$"),
    ("meta-key-missing",
     lambda p: p.edit_db("DELETE FROM meta WHERE key = 'fallback'"),
     r"^refused: meta row 'fallback' field 'value': missing$"),
    ("hours-wrong-shape",
     lambda p: p.edit_db(f"""UPDATE venues SET hours = '{{"weekly": "daily"}}' WHERE id = '{MUSEUM}'"""),
     rf"^refused: venues row '{MUSEUM}' field 'hours': not weekly \(a list of rules\)$"),
    ("hours-closed-date-not-a-date",
     lambda p: p.edit_db(
         f"""UPDATE venues SET hours = '{{"always_open": true, "closed_dates": ["2027-13-01"]}}' """
         f"WHERE id = '{BRIDGE}'"),
     rf"^refused: venues row '{BRIDGE}' field 'hours': closed_dates\[0\]: not a date \(YYYY-MM-DD\)"),
    ("ticket-price-text",
     lambda p: p.edit_db(
         f"""UPDATE venues SET tickets = '[{{"label": {{"en": "Adult"}}, "price_cny": "free"}}]' """
         f"WHERE id = '{MUSEUM}'"),
     rf"^refused: venues row '{MUSEUM}' field 'tickets': \[0\]\.price_cny: not a number from 0 to 100000: 'free'$"),
    ("website-not-https",
     lambda p: p.edit_db(
         f"""UPDATE venues SET contact = '{{"website": "javascript:alert(1)"}}' WHERE id = '{MUSEUM}'"""),
     rf"^refused: venues row '{MUSEUM}' field 'contact': website: not an https:// address: 'javascript:alert\(1\)'$"),
    ("lat-out-of-range",
     lambda p: p.edit_db(f"UPDATE venues SET lat = 236.06 WHERE id = '{BRIDGE}'"),
     rf"^refused: venues row '{BRIDGE}' field 'lat': not a number from -90 to 90: 236\.06$"),
    ("featured-not-a-flag",
     lambda p: p.edit_db(f"UPDATE venues SET featured = 7 WHERE id = '{BRIDGE}'"),
     rf"^refused: venues row '{BRIDGE}' field 'featured': not a whole number from 0 to 1: 7$"),
    ("duration-beyond-64-bits-as-real",
     lambda p: p.edit_db("UPDATE routes SET duration_minutes = 1e300"),
     r"^refused: routes row 'river-walk' field 'duration_minutes': not a whole number from 1 to 10080: 1e\+300$"),
    ("category-icon-markup",
     lambda p: p.edit_db("UPDATE categories SET icon = 'museum\"><b>' WHERE id = 'museum'"),
     r"^refused: categories row 'museum' field 'icon': not a symbol name: "),
    ("name-too-long",
     lambda p: p.edit_db(lambda db: db.execute(
         "UPDATE venues SET name = ? WHERE id = ?", (json.dumps({"en": "Bridge " * 100}), BRIDGE))),
     rf"^refused: venues row '{BRIDGE}' field 'name': \[en\] text of 699 characters, more than 120$"),
    ("i18n-key-not-a-language",
     lambda p: p.edit_db(lambda db: db.execute(
         "UPDATE venues SET summary = ? WHERE id = ?", (json.dumps({"en\u202e": "x"}), BRIDGE))),
     rf"^refused: venues row '{BRIDGE}' field 'summary': not a language tag: 'en\\u202e'$"),
    ("kind-not-a-kind",
     lambda p: p.edit_db("UPDATE pages SET kind = 'popup'"),
     r"^refused: pages row 'hotel-room-guide' field 'kind': not one of hotel_room, station, practical, about: "
     r"'popup'$"),
    ("id-with-escape-sequence",
     lambda p: p.edit_db("UPDATE notices SET id = 'winter' || char(27) || '[2J'"),
     r"^refused: notices row 'winter\\x1b\[2J' field 'id': not an id \(lowercase letters, digits and '-', "
     r"up to 80\): 'winter\\x1b\[2J'$"),
    ("text-not-utf8",
     lambda p: p.edit_db(f"UPDATE images SET credit = CAST(x'fffe41' AS TEXT) WHERE owner_id = '{BRIDGE}'"),
     r"^refused: images row 'venue:zhongshan-iron-bridge:0' field 'credit': not text: b'\\xff\\xfeA'$"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_value_not_of_its_declared_type_is_refused_in_one_line(
    edit: Edit, expected: str, packs: dict[int, Path], tmp_path: Path, installer: Installer,
    data_dir: DataDir, installed: dict[str, str], signing_key: SigningKey,
) -> None:  # fmt: skip
    pack = repack(packs, tmp_path)
    edit(pack)
    message = refuse(installer, pack.write(tmp_path / "bad.kpack", signing_key))
    assert re.search(expected, message), message
    assert tree_digest(data_dir.root) == installed
    with ContentStore.open(data_dir) as store:
        assert store.content_version == 1


def test_content_version_beyond_64_bits_is_refused_before_the_switch(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, installed: dict[str, str],
    signing_key: SigningKey,
) -> None:  # fmt: skip
    """Manifest and meta agree on a version SQLite cannot store: refused, not switched and then crashed."""
    huge = 2**64 + 7
    pack = repack(packs, tmp_path)
    pack.manifest["content_version"] = huge
    pack.edit_db(f"UPDATE meta SET value = '{huge}' WHERE key = 'content_version'")
    message = refuse(installer, pack.write(tmp_path / "huge.kpack", signing_key))
    assert message == "refused: the manifest holds an integer beyond 64 bits"
    assert tree_digest(data_dir.root) == installed


def test_the_largest_content_version_installs(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, installed: dict[str, str],
    signing_key: SigningKey,
) -> None:  # fmt: skip
    pack = repack(packs, tmp_path)
    pack.manifest["content_version"] = MAX_CONTENT_VERSION
    pack.edit_db(f"UPDATE meta SET value = '{MAX_CONTENT_VERSION}' WHERE key = 'content_version'")
    result = installer.install(pack.write(tmp_path / "max.kpack", signing_key))
    assert result.content_version == MAX_CONTENT_VERSION


def test_meta_content_version_beyond_the_manifest_bound_is_refused(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, installed: dict[str, str],
    signing_key: SigningKey,
) -> None:  # fmt: skip
    """The database's own version is checked by the schema even where the manifest is not consulted."""
    pack = repack(packs, tmp_path)
    pack.edit_db(f"UPDATE meta SET value = '{MAX_CONTENT_VERSION + 1}' WHERE key = 'content_version'")
    message = refuse(installer, pack.write(tmp_path / "meta-huge.kpack", signing_key))
    assert message == (
        "refused: meta row 'content_version' field 'value': "
        f"not a whole number from 1 to {MAX_CONTENT_VERSION}: {MAX_CONTENT_VERSION + 1}"
    )
    assert tree_digest(data_dir.root) == installed


def test_pack_id_with_newlines_and_escape_sequences_is_refused_escaped(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, installed: dict[str, str],
    signing_key: SigningKey,
) -> None:  # fmt: skip
    hostile = "mini-test\n\x1b[31mkiosk: content ready\x1b]0;owned\x07"
    pack = repack(packs, tmp_path)
    pack.manifest["pack_id"] = hostile
    pack.edit_db(lambda db: db.execute("UPDATE meta SET value = ? WHERE key = 'pack_id'", (hostile,)))
    message = refuse(installer, pack.write(tmp_path / "pack-id.kpack", signing_key))
    assert message == "refused: the manifest's pack id or channel is not a name (lowercase letters, digits, '-')"
    assert tree_digest(data_dir.root) == installed


def test_pack_id_with_escape_sequences_in_the_database_alone_is_refused_escaped(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, installed: dict[str, str],
    signing_key: SigningKey,
) -> None:  # fmt: skip
    """The manifest is clean, the database's meta row is not: vetting refuses it, escaped."""
    hostile = "mini-test\n\x1b[31mkiosk: content ready\x1b]0;owned\x07"
    pack = repack(packs, tmp_path)
    pack.edit_db(lambda db: db.execute("UPDATE meta SET value = ? WHERE key = 'pack_id'", (hostile,)))
    message = refuse(installer, pack.write(tmp_path / "meta-pack-id.kpack", signing_key))
    assert message.startswith(
        "refused: meta row 'pack_id' field 'value': not an id (lowercase letters, digits and '-', up to 80): "
        "'mini-test\\n\\x1b[31m"
    )
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in message), message
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in message), message
    assert tree_digest(data_dir.root) == installed


HOSTILE_TEXT = {
    "bidi-override": ("Zhongshan \u202eegdirB\u202c Iron", "Zhongshan egdirB Iron"),
    "bidi-isolate": ("\u2067Iron\u2069 Bridge", "Iron Bridge"),
    "zero-width": ("Iron\u200b Bri\u2060dge\ufeff", "Iron Bridge"),
    "terminal-escape": ("Iron \x1b[2J\x1b[31mBridge\x07", "Iron [2J[31mBridge"),
    "c1-control": ("Iron\x9b31m Bridge", "Iron31m Bridge"),
    "tag-characters": ("Iron Bridge\U000e0069\U000e0067\U000e006e", "Iron Bridge"),
    "non-characters": ("Iron\ufdd0 Bridge\U0010ffff", "Iron Bridge"),
    "newline-in-a-name": ("Iron\nBridge", "Iron Bridge"),
    "stray-joiner": ("\u200dIron Bridge\u200c", "Iron Bridge"),
}


@pytest.mark.parametrize(("raw", "clean"), HOSTILE_TEXT.values(), ids=HOSTILE_TEXT.keys())
def test_invisible_and_control_characters_are_sanitised_at_install(
    raw: str, clean: str, packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir,
    signing_key: SigningKey,
) -> None:  # fmt: skip
    persian = "کتاب\u200cخانه"  # ZWNJ between Persian letters: the script needs it
    pack = repack(packs, tmp_path)
    name = json.dumps({"en": raw, "zh-Hans": "中山铁桥", "fa": persian}, ensure_ascii=False)
    pack.edit_db(
        lambda db: db.execute("UPDATE venues SET name = ? WHERE id = ?", (name, BRIDGE)),
        lambda db: db.execute("UPDATE images SET credit = ? WHERE owner_id = ?", (raw, BRIDGE)),
    )
    result = installer.install(pack.write(tmp_path / "text.kpack", signing_key))
    assert result.texts_sanitised == 2
    with ContentStore.open(data_dir) as store:
        venue = store.venue(BRIDGE)
        assert venue is not None
        assert venue.name == {"en": clean, "zh-Hans": "中山铁桥", "fa": persian}
        assert venue.images[0].credit == {"und": clean}


def test_arabic_and_emoji_text_is_installed_unchanged(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, signing_key: SigningKey
) -> None:
    texts = {
        "ar": "جسر تشونغشان الحديدي\u200f (١٩٠٩)",  # with a right-to-left mark, kept
        "hi": "लोहे का पुल क्\u200dष",  # ZWJ inside Devanagari
        "en": "Family photo spot 👨\u200d👩\u200d👧 & night view",
        "zh-Hans": "中山铁桥",
    }
    pack = repack(packs, tmp_path)
    pack.edit_db(lambda db: db.execute("UPDATE venues SET summary = ? WHERE id = ?", (json.dumps(texts), BRIDGE)))
    result = installer.install(pack.write(tmp_path / "scripts.kpack", signing_key))
    assert result.texts_sanitised == 0
    with ContentStore.open(data_dir) as store:
        assert store.venue(BRIDGE).summary == texts


def test_paragraph_fields_keep_their_paragraphs(
    packs: dict[int, Path], tmp_path: Path, installer: Installer, data_dir: DataDir, signing_key: SigningKey
) -> None:
    body = {"en": "First paragraph.\r\n\r\n\r\n\u2029- a list item\t\n", "zh-Hans": "第一段。\n\n第二段。"}
    pack = repack(packs, tmp_path)
    pack.edit_db(lambda db: db.execute("UPDATE venues SET description = ? WHERE id = ?", (json.dumps(body), BRIDGE)))
    installer.install(pack.write(tmp_path / "paragraphs.kpack", signing_key))
    with ContentStore.open(data_dir) as store:
        assert store.venue(BRIDGE).description == {
            "en": "First paragraph.\n\n- a list item",
            "zh-Hans": "第一段。\n\n第二段。",
        }


# --- the declaration itself ---------------------------------------------------------------------


def test_every_column_of_every_content_table_has_a_declared_type() -> None:
    conn = sqlite3.connect(":memory:")
    schema.create_content_schema(conn)
    for table in (*schema.CONTENT_TABLES, "search_docs"):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        if table == "meta":
            assert columns == ["key", "value"]
            continue
        declared = content_schema.TABLES[table]
        assert list(declared.columns) == columns, table
        assert list(declared.key) == schema.primary_key(conn, table), table
    assert set(content_schema.TABLES) == {*schema.CONTENT_TABLES, "search_docs"} - {"meta"}


def test_the_limits_table_in_the_docs_is_the_one_the_schema_generates() -> None:
    doc = (ROOT / "docs" / "pack-source-format.md").read_text(encoding="utf-8")
    start = doc.index(content_schema.DOC_BEGIN)
    end = doc.index(content_schema.DOC_END) + len(content_schema.DOC_END)
    assert doc[start:end] == content_schema.limits_table(), "regenerate it: python -m content_sync.pack.content_schema"


def test_every_declared_column_and_meta_key_says_what_it_accepts() -> None:
    """The docs' limits table has a description for every column (multilingual text had none)."""
    for table in content_schema.TABLES.values():
        for column, kind in table.columns.items():
            assert kind.describe().strip(), f"{table.name}.{column} has no description"
    for key, kind in content_schema.META.items():
        assert kind.describe().strip(), f"meta {key} has no description"


def test_time_zones_are_those_of_the_shipped_tzdata() -> None:
    assert content_schema.check_time_zone("Asia/Shanghai") == "Asia/Shanghai"
    assert content_schema.check_time_zone("UTC") == "UTC"
    for bad in ("Mars/Olympus", "localtime", "Factory", "/etc/localtime", "asia/shanghai", "", 8):
        with pytest.raises(content_schema.Invalid, match="not an IANA time zone"):
            content_schema.check_time_zone(bad)


# --- the same schema at build ------------------------------------------------------------------------


def _edit_yaml(path: Path, change: Callable[[object], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _build_problems(source: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "out.kpack"
    with pytest.raises(BuildError) as info:
        build_pack(source, out, now=BUILT_AT)
    assert not out.exists()
    return [str(p) for p in info.value.problems if not p.warning]


def test_build_refuses_a_time_zone_in_the_installers_words(mini_source: Path, tmp_path: Path) -> None:
    _edit_yaml(mini_source / "venues.yaml", lambda venues: venues[1].update(timezone="Mars/Olympus"))
    problems = _build_problems(mini_source, tmp_path)
    assert problems == [f"error: venues.yaml: {MUSEUM}.timezone: not an IANA time zone: 'Mars/Olympus'"]


@pytest.mark.parametrize(
    ("collection", "change", "expected"),
    [
        pytest.param(
            "categories.yaml", lambda rows: rows[0].update(icon='museum"><b>'),
            "error: content schema: categories row 'museum' field 'icon': not a symbol name: 'museum\"><b>'",
            id="icon-markup",
        ),
        pytest.param(
            "venues.yaml", lambda rows: rows[0]["name"].update(en="Bridge " * 100),
            f"error: content schema: venues row '{BRIDGE}' field 'name': [en] text of 699 characters, more than 120",
            id="name-too-long",
        ),
        pytest.param(
            "venues.yaml", lambda rows: rows[0].update(contact={"website": "https://example.org/a b"}),
            f"error: venues.yaml: {BRIDGE}.contact.website: not an https:// address: 'https://example.org/a b'",
            id="website-with-space",
        ),
    ],
)  # fmt: skip
def test_build_refuses_what_the_installer_refuses_in_the_same_words(
    collection: str, change: Callable[[list[dict]], None], expected: str, mini_source: Path, tmp_path: Path
) -> None:
    _edit_yaml(mini_source / collection, change)
    assert _build_problems(mini_source, tmp_path) == [expected]


def test_build_stores_sanitised_one_line_names_so_install_changes_nothing(
    mini_source: Path, tmp_path: Path, installer: Installer, data_dir: DataDir, signing_key: SigningKey
) -> None:
    def change(rows: list[dict]) -> None:
        rows[0]["name"]["en"] = "Zhongshan\nIron \u2066Bridge\u2069\U000e0041"

    _edit_yaml(mini_source / "venues.yaml", change)
    out = tmp_path / "clean.kpack"
    build_pack(mini_source, out, keys=[signing_key], now=BUILT_AT)
    result = installer.install(out)
    assert result.texts_sanitised == 0
    with ContentStore.open(data_dir) as store:
        assert store.venue(BRIDGE).name["en"] == "Zhongshan Iron Bridge"


# --- the fast path for multilingual text -------------------------------------------------------------

_tags = st.sampled_from(["en", "zh-Hans", "fa", "ar", "x", "EN", "en-", "zh-Hant-TW", "e n"])
_texts = st.one_of(sanitize_tests.texts, sanitize_tests.layouts)


@settings(max_examples=1500, deadline=None)
@given(
    texts=st.dictionaries(_tags, _texts, max_size=3),
    max_len=st.sampled_from([5, 40, 400]),
    multiline=st.booleans(),
    required=st.booleans(),
    compact=st.booleans(),
)
def test_the_fast_path_for_multilingual_text_agrees_with_the_full_check(
    texts: dict[str, str], max_len: int, multiline: bool, required: bool, compact: bool
) -> None:
    """Whatever the fast path passes unchanged, the full check (decode, sanitise, measure) passes unchanged."""
    raw = content_schema.i18n.dumps(texts) if compact else json.dumps(texts, ensure_ascii=False)
    structure = content_schema._i18n_json_re(max_len, multiline, required)
    if content_schema._clean_i18n_json(raw, structure, max_len, multiline):
        data = json.loads(raw)
        assert content_schema.check_i18n_object(data, max_len, multiline, required) is data


def test_unquoted_closed_dates_in_yaml_build_and_install(
    mini_source: Path, tmp_path: Path, installer: Installer, data_dir: DataDir, signing_key: SigningKey
) -> None:
    """YAML reads an unquoted 2027-01-28 as a date object; the build used to crash on it with a traceback."""
    path = mini_source / "venues.yaml"
    venues = yaml.safe_load(path.read_text(encoding="utf-8"))
    venues[1]["hours"]["closed_dates"] = ["2027-01-28"]
    path.write_text(yaml.safe_dump(venues, allow_unicode=True).replace("'2027-01-28'", "2027-01-28"), "utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))[1]["hours"]["closed_dates"][0].year == 2027
    events = (mini_source / "events.yaml").read_text(encoding="utf-8")
    (mini_source / "events.yaml").write_text(events.replace('from: "2026-01-01"', "from: 2026-01-01"), "utf-8")
    out = tmp_path / "dates.kpack"
    build_pack(mini_source, out, keys=[signing_key], now=BUILT_AT)
    installer.install(out)
    with ContentStore.open(data_dir) as store:
        assert store.venue(MUSEUM).hours["closed_dates"] == ["2027-01-28"]
        assert store.conn.execute("SELECT from_date FROM event_weekly").fetchone() == ("2026-01-01",)


def test_build_refuses_a_pack_id_with_escape_sequences_in_the_installers_words(
    mini_source: Path, tmp_path: Path
) -> None:
    path = mini_source / "pack.yaml"
    pack = yaml.safe_load(path.read_text(encoding="utf-8"))
    pack["id"] = "mini-test\n\x1b[31mkiosk: content ready"
    path.write_text(yaml.safe_dump(pack, allow_unicode=True), encoding="utf-8")
    assert _build_problems(mini_source, tmp_path) == [
        "error: pack.yaml: pack.id: not an id (lowercase letters, digits and '-', up to 80): "
        "'mini-test\\n\\x1b[31mkiosk: content ready'"
    ]


# --- the column-wise check agrees with the per-row check ------------------------------------------

_cells = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.binary(max_size=8),
    _texts,
    st.sampled_from(["Asia/Shanghai", "Mars/Olympus", "venue:a-b:1", "image/png", "2027-06-22", "12:30", "#1F6FB2"]),
    st.dictionaries(_tags, _texts, max_size=2).map(content_schema.i18n.dumps),
)


@settings(max_examples=400, deadline=None)
@given(
    table=st.sampled_from(sorted(content_schema.TABLES)),
    column_seed=st.integers(min_value=0, max_value=10**6),
    values=st.lists(_cells, min_size=1, max_size=12),
)
def test_a_column_passed_whole_is_one_every_value_of_which_checks_unchanged(
    table: str, column_seed: int, values: list[object]
) -> None:
    """batch_ok is the installer's fast path: it may only pass values the per-value check keeps as they are."""
    kinds = list(content_schema.TABLES[table].columns.values())
    kind = kinds[column_seed % len(kinds)]
    present = [v for v in values if v is not None]
    if kind.batch_ok(present):
        for value in present:
            assert kind.check(value) is value


@pytest.fixture(scope="module")
def mini_content_rows(packs: dict[int, Path]) -> tuple[content_schema.Table, list[tuple[object, ...]]]:
    """The venues rows of a genuine pack's content database, as the installer's scan reads them."""
    table = content_schema.TABLES["venues"]
    with zipfile.ZipFile(packs[1]) as zf:
        data = zf.read("content.db")
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        return table, conn.execute(f"SELECT {', '.join(table.columns)} FROM venues").fetchall()
    finally:
        conn.close()


@settings(max_examples=150, deadline=None)
@given(column=st.integers(min_value=0, max_value=22), row=st.integers(min_value=0, max_value=50), value=_cells)
def test_the_column_wise_check_finds_what_the_row_check_finds(
    mini_content_rows: tuple[content_schema.Table, list[tuple[object, ...]]], column: int, row: int, value: object
) -> None:
    """One changed cell anywhere: check_batch refuses with the same line, or cleans the same cells, as row by row."""
    table, rows = mini_content_rows
    rows = list(rows)
    at, column = row % len(rows), column % len(table.columns)
    rows[at] = (*rows[at][:column], value, *rows[at][column + 1 :])

    def row_by_row() -> object:
        try:
            return [(i, c) for i, r in enumerate(rows) if (c := content_schema.check_values(table, r))]
        except content_schema.SchemaError as exc:
            return str(exc)

    def column_wise() -> object:
        try:
            return list(content_schema.check_batch(table, rows))
        except content_schema.SchemaError as exc:
            return str(exc)

    assert column_wise() == row_by_row()
