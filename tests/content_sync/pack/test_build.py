"""Building a pack: every problem reported with file and field, nothing half-written."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
import yaml

from content_sync.core.errors import BuildError
from content_sync.pack import delta
from content_sync.pack.build import build_pack
from content_sync.pack.content_db import write_content_db
from content_sync.pack.manifest import MANIFEST, parse_manifest
from content_sync.pack.signing import SigningKey
from content_sync.pack.source import load_source
from tests.support import BUILT_AT


def edit_yaml(path: Path, change) -> None:
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")


def test_every_problem_is_reported_with_file_and_field(mini_source: Path, tmp_path: Path) -> None:
    def break_venues(venues: list[dict]) -> None:
        del venues[0]["name"]["en"]  # missing translation
        venues[0]["location"] = {"lat": 136.0, "lon": 103.8}  # impossible latitude
        venues[1]["category"] = "spaceport"  # unknown reference
        venues[1]["hours"] = {"weekly": [{"days": ["mon"], "open": "9am", "close": "17:00"}]}
        venues[2]["images"] = [{"file": "../../etc/passwd", "caption": {"en": "x"}, "credit": "x", "licence": "x"}]
        venues[2]["colour"] = "red"  # unknown field
        venues.append(dict(venues[0]))  # duplicate id

    edit_yaml(mini_source / "venues.yaml", break_venues)
    edit_yaml(mini_source / "routes.yaml", lambda routes: routes[0]["stops"][0].update(venue="nowhere"))
    (mini_source / "notices.yaml").write_text("- id: x\n  title: {en: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out.kpack"
    with pytest.raises(BuildError) as caught:
        build_pack(mini_source, out, now=BUILT_AT)
    text = "\n".join(str(p) for p in caught.value.problems)
    expected = [
        "venues.yaml: zhongshan-iron-bridge.name.en: missing translation",
        "venues.yaml: zhongshan-iron-bridge.location.lat: expected a number from -90 to 90",
        "venues.yaml: gansu-provincial-museum.category: 'spaceport' is not a known categories id",
        "venues.yaml: gansu-provincial-museum.hours.weekly[0].open",
        "venues.yaml: night-market.images[0].file: '../../etc/passwd' must be a path inside",
        "venues.yaml: night-market.colour: unknown field",
        "duplicate venues id 'zhongshan-iron-bridge'",
        "routes.yaml: river-walk.stops[0].venue: 'nowhere' is not a known venues id",
        "notices.yaml: line 3, column 1: invalid YAML",
    ]
    for fragment in expected:
        assert fragment in text, f"missing {fragment!r} in:\n{text}"
    assert not out.exists()
    assert list(tmp_path.glob(".kpack-build-*")) == []


def test_media_must_be_what_its_name_says(mini_source: Path, tmp_path: Path) -> None:
    (mini_source / "media" / "bridge.png").write_bytes(b"#!/bin/sh\necho not an image\n")
    with pytest.raises(BuildError) as caught:
        build_pack(mini_source, tmp_path / "out.kpack", now=BUILT_AT)
    assert any("content is not a PNG file" in p.message for p in caught.value.problems)


def test_markup_is_stripped_at_build_with_a_warning(mini_source: Path, tmp_path: Path, signing_key: SigningKey) -> None:
    edit_yaml(
        mini_source / "venues.yaml",
        lambda v: v[0]["description"].update(en="Lovely <script>alert(1)</script><b>bridge</b>"),
    )
    out = tmp_path / "out.kpack"
    _manifest, problems = build_pack(mini_source, out, keys=[signing_key], now=BUILT_AT)
    assert any(p.warning and "markup removed" in p.message for p in problems)
    with zipfile.ZipFile(out) as zf:
        db_bytes = zf.read("content.db")
    assert b"<script>" not in db_bytes and b"Lovely bridge" in db_bytes


def test_manifest_lists_every_file_with_hash_and_size(mini_source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.kpack"
    build_pack(mini_source, out, now=BUILT_AT)
    with zipfile.ZipFile(out) as zf:
        manifest = parse_manifest(zf.read(MANIFEST))
        names = set(zf.namelist())
        data = json.loads(zf.read(MANIFEST))
    assert names == set(manifest.files) | {"manifest.json", "signatures.json"}
    assert data["content_version"] == 1 and data["channel"] == "stable" and data["expires_at"]
    assert all(name.startswith("media/") for name in manifest.files if name != "content.db")


def test_an_edit_travels_as_a_few_rows(mini_source: Path, tmp_path: Path) -> None:
    def db(name: str) -> sqlite3.Connection:
        source, _ = load_source(mini_source)
        path = tmp_path / name
        write_content_db(source, path, dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
        return sqlite3.connect(path)

    old = db("old.db")
    edit_yaml(mini_source / "venues.yaml", lambda v: v[2]["summary"].update(en="Street food until 1 am."))
    new = db("new.db")
    changes = delta.diff(old, new)
    assert delta.summary(changes) == {"venues": {"upserts": 1, "deletes": 0}}
    assert b"Street food until 1 am." in delta.encode(changes)
