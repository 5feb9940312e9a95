"""``Installer.install_deltas`` on its own: a version built from deltas on a real data directory is
proven, vetted and switched like a pack, keeps the old version for a rollback, and every refusal
leaves the installed content and no staging behind."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from content_sync.core.errors import DiskFullError, PackError
from content_sync.device.install import Installer, Release, rollback
from content_sync.device.layout import DataDir
from content_sync.pack import digest as digest_mod
from content_sync.pack.delta import Delta, DeltaError, make_delta
from content_sync.pack.digest import file_digest
from content_sync.pack.manifest import MANIFEST, signatures_bytes
from content_sync.pack.release import write_statement, write_statement_of
from content_sync.pack.signing import SigningKey
from content_sync.sync.publish import extract_content_db, extract_pack_file

from .agent_harness import GONE, NEW_TEXT, VENUE, change_venue_text, delete_venue
from .agent_harness import installed as installed_venues
from .test_delta_sync import NEW_IMAGE, add_image

NOW = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


@dataclass
class Case:
    data: DataDir
    installer: Installer
    delta: Delta
    media: dict[str, Path]
    release: Release
    v1_digest: str
    v1_statement: Path | None = None
    stranger_statement: Path | None = None


@pytest.fixture
def case(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey, other_key: SigningKey
) -> Case:
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    add_image(mini_source)
    v2 = make_pack(mini_source, version=2)
    data = DataDir(tmp_path / "kiosk")
    installer = Installer(data, [signing_key.public], "stable", clock=lambda: NOW)
    installer.install(v1)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    extract_content_db(v1, a)
    manifest = extract_content_db(v2, b)
    with sqlite3.connect(a) as old, sqlite3.connect(b) as new:
        delta = make_delta(old, new)
    old.close()
    new.close()
    media: dict[str, Path] = {}
    for m in delta.media:
        name = str(m["path"])
        media[name] = tmp_path / name.rsplit("/", 1)[-1]
        extract_pack_file(v2, name, media[name])
    assert len(media) == 1 and NEW_IMAGE not in media  # the picture travels under its hash name
    release = Release(manifest.pack_id, 2, "stable", delta.to_digest, manifest.expires_at, statement(v2))
    stranger = statement(make_pack(mini_source, version=2, keys=[other_key]))
    return Case(data, installer, delta, media, release, file_digest(a).value, statement(v1), stranger)


def statement(pack: Path) -> Path:
    """The release statement publish.py makes of ``pack`` (its signed manifest), beside it."""
    out = pack.with_suffix(".release")
    write_statement(pack, out)
    return out


def unchanged(case: Case) -> bool:
    pointer = case.data.read_pointer()
    assert pointer is not None
    return (
        pointer.content_version == 1
        and file_digest(case.data.version_db(pointer.current)).value == case.v1_digest
        and not list(case.data.content.glob(".staging-*"))
    )


def test_a_version_built_from_a_delta_is_switched_in_and_rolls_back(case: Case) -> None:
    done = case.installer.install_deltas([case.delta], case.media, case.release)
    assert done.content_version == 2 and done.previous_version == 1 and done.files_written == 2
    pointer = case.data.read_pointer()
    assert pointer is not None and pointer.previous is not None
    assert file_digest(case.data.version_db(pointer.current)).value == case.release.digest
    [(name, _)] = case.media.items()
    assert case.data.media_path(name).read_bytes() == case.media[name].read_bytes()
    assert NEW_TEXT in installed_venues(case.data)[1][VENUE]
    back = rollback(case.data, clock=lambda: NOW)  # the operator's undo reaches the old version
    assert back.content_version == 1 and NEW_TEXT not in installed_venues(case.data)[1][VENUE]


@pytest.mark.parametrize(
    ("spoil", "error", "words"),
    [
        ("digest", DeltaError, "^the channel states other content than the pack key signed for this release$"),
        ("no statement", PackError, "^refused: no release statement signed by a pack key came with the deltas$"),
        ("tampered statement", PackError, r"does not match the pack \(tampered manifest\)$"),
        ("stranger's statement", PackError, "signed by a key this kiosk does not trust"),
        ("v1's statement", PackError, "is pack 'mini-test' version 1, not pack 'mini-test' version 2$"),
        ("channel", PackError, "for channel"),
        ("version", PackError, "not newer"),
        ("expired", PackError, "expired"),
        ("pack", DeltaError, "not the installed one"),
        ("no media", DeltaError, "was not downloaded"),
        ("bad media", PackError, "does not match its hash"),
        ("disk", DiskFullError, "disk full"),
    ],
)
def test_every_refusal_leaves_the_installed_content(
    case: Case, spoil: str, error: type[Exception], words: str, tmp_path: Path
) -> None:
    release, media, installer = case.release, dict(case.media), case.installer
    if spoil == "digest":
        release = replace(release, digest="0" * 64)
    elif spoil == "channel":
        release = replace(release, channel="beta")
    elif spoil == "version":
        release = replace(release, content_version=1)
    elif spoil == "expired":
        release = replace(release, expires_at=NOW - dt.timedelta(days=1))
    elif spoil == "pack":
        release = replace(release, pack_id="another-pack")
    elif spoil == "no statement":
        release = replace(release, statement=None)
    elif spoil == "tampered statement":  # a leaked channel key cannot restate what the pack key signed
        assert release.statement is not None
        with zipfile.ZipFile(release.statement) as zf:
            manifest, signatures = zf.read("manifest.json"), zf.read("signatures.json")
        tampered = tmp_path / "tampered.release"
        write_statement_of(manifest.replace(case.release.digest.encode(), b"0" * 64), signatures, tampered)
        release = replace(release, statement=tampered)
    elif spoil == "stranger's statement":
        release = replace(release, statement=case.stranger_statement)
    elif spoil == "v1's statement":
        release = replace(release, statement=case.v1_statement)
    elif spoil == "no media":
        media = {}
    elif spoil == "bad media":
        [(name, path)] = media.items()
        forged = tmp_path / "forged.png"
        forged.write_bytes(b"x" * path.stat().st_size)
        media[name] = forged
    elif spoil == "disk":
        installer = Installer(case.data, installer.trusted_keys, "stable", clock=lambda: NOW, reserve_bytes=10**15)
    with pytest.raises(error, match=words):
        installer.install_deltas([case.delta], media, release)
    assert unchanged(case)


def test_a_chain_of_two_deltas_is_applied_one_after_the_other(
    case: Case, tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path]
) -> None:
    delete_venue(mini_source)
    v3 = make_pack(mini_source, version=3)
    c = tmp_path / "c.db"
    extract_content_db(v3, c)
    with sqlite3.connect(tmp_path / "b.db") as v2_db, sqlite3.connect(c) as v3_db:
        second = make_delta(v2_db, v3_db)
    v2_db.close()
    v3_db.close()
    release = replace(case.release, content_version=3, digest=second.to_digest, statement=statement(v3))
    pointer = case.data.read_pointer()
    assert pointer is not None
    # a digest the caller computed of the current version is reused; one of another folder is not
    stale = ("v-gone", file_digest(c))
    done = case.installer.install_deltas([case.delta, second], case.media, release, base=stale)
    assert done.content_version == 3 and done.previous_version == 1
    version, venues = installed_venues(case.data)
    assert version == 3 and GONE not in venues and NEW_TEXT in venues[VENUE]
    now = case.data.read_pointer()
    assert now is not None and file_digest(case.data.version_db(now.current)).value == second.to_digest
    assert not list(case.data.content.glob(".staging-*"))


# --- incremental proof and vetting ---------------------------------------------------------------


def _hostile_delta(case: Case, tmp_path: Path, signing_key: SigningKey, *sql: str) -> tuple[Delta, Release]:
    """A delta from v1 to v1 edited by ``sql`` (as version 2) with its true digests: only vetting can refuse it."""
    a, b = tmp_path / "a.db", tmp_path / "hostile.db"
    b.write_bytes(a.read_bytes())
    with sqlite3.connect(b) as conn:
        for statement in (*sql, "UPDATE meta SET value = '2' WHERE key = 'content_version'"):
            conn.execute(statement)
    conn.close()
    with sqlite3.connect(a) as old, sqlite3.connect(b) as new:
        delta = make_delta(old, new)
    old.close()
    new.close()
    # The pack key itself vouches for the hostile content (a careless publisher, a leaked pack
    # key): the release statement is v2's manifest with this digest, signed by the trusted key.
    assert case.release.statement is not None
    with zipfile.ZipFile(case.release.statement) as zf:
        manifest = zf.read(MANIFEST).replace(case.release.digest.encode(), delta.to_digest.encode())
    vouched = tmp_path / "hostile.release"
    write_statement_of(manifest, signatures_bytes(manifest, [signing_key]), vouched)
    return delta, replace(case.release, digest=delta.to_digest, statement=vouched)


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ((f"UPDATE venues SET timezone = 'Mars/Olympus' WHERE id = '{VENUE}'",), "venues row .* 'timezone'"),
        ((f"UPDATE venues SET category = 'no-such-category' WHERE id = '{VENUE}'",), "refers to"),
        ((f"DELETE FROM venues WHERE id = '{VENUE}'",), "refers to|search index"),
        (("DELETE FROM themes WHERE id IN (SELECT theme_id FROM venue_themes LIMIT 1)",), "refers to"),
        ((f"UPDATE venues SET lat = 91.5 WHERE id = '{VENUE}'",), "venues row .* 'lat'"),
    ],
)
def test_a_delta_is_vetted_row_by_row_for_what_it_touches(
    case: Case, tmp_path: Path, signing_key: SigningKey, sql: tuple[str, ...], words: str
) -> None:
    """The digest proves what was published; vetting still refuses a published value the kiosk cannot show."""
    delta, release = _hostile_delta(case, tmp_path, signing_key, *sql)
    with pytest.raises(PackError, match=words):
        case.installer.install_deltas([delta], {}, release)
    assert unchanged(case)


def test_a_version_built_from_a_delta_keeps_row_hashes_the_next_delta_starts_from(
    case: Case, tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    case.installer.install_deltas([case.delta], case.media, case.release)
    pointer = case.data.read_pointer()
    assert pointer is not None
    side = case.data.version_db(pointer.current).with_name(digest_mod.ROW_HASHES_FILE)
    loaded = digest_mod.RowHashes.load(side)
    assert loaded is not None and loaded[1].value == case.release.digest
    with sqlite3.connect(case.data.version_db(pointer.current)) as conn:
        assert loaded[0].tables == digest_mod.RowHashes.of(conn).tables  # equal to the rows, hashed whole
    conn.close()
    delete_venue(mini_source)
    v3 = make_pack(mini_source, version=3)
    c = tmp_path / "c.db"
    extract_content_db(v3, c)
    with sqlite3.connect(tmp_path / "b.db") as v2_db, sqlite3.connect(c) as v3_db:
        second = make_delta(v2_db, v3_db)
    v2_db.close()
    v3_db.close()

    def no_full_hashing(conn: sqlite3.Connection) -> None:
        raise AssertionError("the whole database was hashed again")

    monkeypatch.setattr(digest_mod.RowHashes, "of", classmethod(lambda cls, conn: no_full_hashing(conn)))
    release = replace(case.release, content_version=3, digest=second.to_digest, statement=statement(v3))
    done = case.installer.install_deltas([second], {}, release)
    assert done.content_version == 3 and GONE not in installed_venues(case.data)[1]


@pytest.mark.parametrize("damage", ["garbage", "other rows"])
def test_saved_row_hashes_that_are_wrong_never_pass_a_delta(case: Case, tmp_path: Path, damage: str) -> None:
    """Row hashes beside the installed version that are not its rows: ignored, or the delta is refused."""
    pointer = case.data.read_pointer()
    assert pointer is not None
    db = case.data.version_db(pointer.current)
    side = db.with_name(digest_mod.ROW_HASHES_FILE)
    if damage == "garbage":
        side.write_bytes(b"kiosk-rowhashes 2\n{}\n" + b"\x00" * 64)
        done = case.installer.install_deltas([case.delta], case.media, case.release)  # worked out again
        assert done.content_version == 2
        return
    # self-consistent hashes of other rows (v1 with one venue's text changed): their digest is not v1's
    other = tmp_path / "other.db"
    other.write_bytes(db.read_bytes())
    with sqlite3.connect(other) as conn:
        conn.execute(f"UPDATE venues SET summary = '{{\"en\":\"Other\"}}' WHERE id = '{VENUE}'")
        hashes = digest_mod.RowHashes.of(conn)
    conn.close()
    hashes.save(side, hashes.digest())
    done = case.installer.install_deltas([case.delta], case.media, case.release)  # v1's hashes worked out again
    assert done.content_version == 2
    pointer = case.data.read_pointer()
    assert pointer is not None and file_digest(case.data.version_db(pointer.current)).value == case.release.digest


def test_an_installed_database_that_cannot_be_read_refuses_the_delta_in_plain_words(case: Case) -> None:
    pointer = case.data.read_pointer()
    assert pointer is not None
    db = case.data.version_db(pointer.current)
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    with pytest.raises(DeltaError, match="installed content cannot be read"):
        case.installer.install_deltas([case.delta], case.media, case.release)
    assert not list(case.data.content.glob(".staging-*"))
