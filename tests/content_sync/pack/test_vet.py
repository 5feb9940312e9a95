"""The database vetting that stands between a pack and the screen, including its parallel scans."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack import vet
from content_sync.pack.reader import PackReader
from content_sync.store.content_store import ContentStore


@pytest.mark.parametrize("batch", [1, 2000], ids=["read-row-by-row", "read-in-batches"])
def test_markup_in_any_part_of_a_large_table_is_sanitised(
    monkeypatch: pytest.MonkeyPatch, batch: int, make_pack, mini_source: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(vet, "_BATCH", batch)
    pack = make_pack(mini_source)
    with PackReader(pack) as reader:
        manifest = reader.manifest()
        db = tmp_path / "content.db"
        with open(db, "wb") as fh:
            reader.copy_verified(manifest.files["content.db"], fh)
    conn = sqlite3.connect(db)
    hostile = {"en": "Hi <img src=x onerror=alert(1)>", "zh-Hans": "你好 \\u003cscript\\u003e"}
    for venue in ("zhongshan-iron-bridge", "night-market"):  # first and last rows
        conn.execute("UPDATE venues SET summary = ? WHERE id = ?", (json.dumps(hostile), venue))
    conn.commit()
    conn.close()
    assert vet.vet_content_db(db, manifest) == 2
    conn = sqlite3.connect(db)
    for (summary,) in conn.execute("SELECT summary FROM venues"):
        assert "<" not in json.loads(summary).get("en", "") and "<" not in json.loads(summary).get("zh-Hans", "")


def test_a_clean_pack_needs_no_sanitising(
    installer: Installer, make_pack, mini_source: Path, data_dir: DataDir
) -> None:
    result = installer.install(make_pack(mini_source))
    assert result.texts_sanitised == 0
    with ContentStore.open(data_dir) as store:
        assert store.venue("zhongshan-iron-bridge").summary["en"].startswith("The first steel bridge")
