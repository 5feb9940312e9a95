"""Delta updates end to end: packs published with publish.py (deltas and media made there), served
by a real nginx, synced by ``agent.run_cycle`` into real data directories; the result is proven
by its content digest, vetted and switched by the installer. A full pack is the fallback."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from content_sync.device.layout import DataDir
from content_sync.pack import delta_format
from content_sync.pack.delta import make_delta
from content_sync.pack.digest import file_digest
from content_sync.pack.manifest import signatures_bytes
from content_sync.pack.signing import SigningKey
from content_sync.store import search
from content_sync.sync.agent import plan_deltas, run_cycle
from content_sync.sync.layout import Entry, delta_target_name
from content_sync.sync.publish import extract_content_db, group_entries, publish_pack
from content_sync.sync.trust import OfferedTarget

from .agent_harness import (
    GONE,
    LANZHOU,
    NEW_TEXT,
    VENUE,
    change_venue_text,
    delete_venue,
    fetcher,
    make_channel,
    sync_state,
)
from .agent_harness import installed as installed_venues
from .faulty_proxy import FaultyProxy
from .nginx_server import NginxServer

NEW_IMAGE = "media/harbour.png"


def add_image(source: Path) -> None:
    """v2 also adds one picture (12 KB of noise, so it does not compress away) to the bridge."""
    rng = random.Random(7)
    Image.frombytes("RGB", (64, 64), bytes(rng.randrange(256) for _ in range(64 * 64 * 3))).save(source / NEW_IMAGE)
    venues = source / "venues.yaml"
    text = venues.read_text(encoding="utf-8")
    anchor = "      licence: CC0-1.0\n"
    first = text.index(anchor) + len(anchor)
    extra = (
        f"    - file: {NEW_IMAGE}\n"
        "      caption: {zh-Hans: 港口, en: The harbour}\n"
        "      credit: Test fixture\n"
        "      licence: CC0-1.0\n"
    )
    venues.write_text(text[:first] + extra + text[first:], encoding="utf-8")


def current_db(data: DataDir) -> Path:
    pointer = data.read_pointer()
    assert pointer is not None
    return data.version_db(pointer.current)


def release_digest(pack: Path, tmp: Path) -> str:
    db = tmp / f"{pack.stem}-digest.db"
    extract_content_db(pack, db)
    try:
        return file_digest(db).value
    finally:
        db.unlink()


def media_complete(data: DataDir) -> bool:
    """Every media file the current database names is in the store at its size."""
    conn = sqlite3.connect(f"file:{current_db(data)}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT path, size FROM media").fetchall()
    finally:
        conn.close()
    return all(data.media_path(p).is_file() and data.media_path(p).stat().st_size == s for p, s in rows)


def finds(data: DataDir, query: str) -> list[str]:
    conn = sqlite3.connect(f"file:{current_db(data)}?mode=ro", uri=True)
    try:
        return [hit.ref_id for hit in search.search(conn, query)]
    finally:
        conn.close()


def test_v2_and_v3_arrive_as_deltas_proven_equal_to_the_published_versions(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    add_image(mini_source)
    v2 = make_pack(mini_source, version=2)
    delete_venue(mini_source)
    v3 = make_pack(mini_source, version=3)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        first = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert first.outcome == "installed" and first.path == "full", first.message

        published = publish_pack(channel.repo, LANZHOU, v2, trusted)
        assert [d["from_version"] for d in published.deltas] == [1]
        assert len(published.media) == 1 and published.media[0].startswith(f"{LANZHOU}/media/")
        channel.clock.advance(minutes=20)
        second = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert second.outcome == "installed" and second.path == "delta", second.message
        assert second.installed_version == 2 and second.previous_version == 1
        # the delta and the one new picture, plus metadata: a small fraction of the pack
        picture = (mini_source / NEW_IMAGE).stat().st_size
        assert second.bytes_moved < v2.stat().st_size * 0.1, (second.bytes_moved, v2.stat().st_size)
        delta_length = published.deltas[0]["length"]
        [statement] = [g.target for g in group_entries(channel.repo, LANZHOU) if g.target.custom["kind"] == "release"]
        assert statement.path == f"{LANZHOU}/releases/mini-test-2.release"
        # the delta, the one picture and the pack's signed manifest (its release statement), nothing else
        assert second.delta_bytes == delta_length + picture + statement.length
        assert second.bytes_moved - second.delta_bytes < 10_000  # plus the metadata
        assert file_digest(current_db(kiosk)).value == published.digest == release_digest(v2, tmp_path)
        assert media_complete(kiosk)
        version, venues = installed_venues(kiosk)
        assert version == 2 and NEW_TEXT in venues[VENUE]
        assert VENUE in finds(kiosk, "repainted")  # the search index was rebuilt for the changed venue
        staged = list(kiosk.root.joinpath("sync", "staging").iterdir())
        assert staged == []  # the deltas and the picture leave staging once installed

        third_pub = publish_pack(channel.repo, LANZHOU, v3, trusted)
        assert sorted(d["from_version"] for d in third_pub.deltas) == [1, 2]
        channel.clock.advance(minutes=20)
        third = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert third.outcome == "installed" and third.path == "delta", third.message
        assert file_digest(current_db(kiosk)).value == third_pub.digest
        version, venues = installed_venues(kiosk)
        assert version == 3 and GONE not in venues and NEW_TEXT in venues[VENUE]
        assert GONE not in finds(kiosk, "museum")

    state = sync_state(kiosk)
    assert state["last_path"] == "delta" and state["installed_version"] == 3
    assert state["bytes_last"] == third.bytes_moved and state["delta_bytes"] == third.delta_bytes
    assert state["delta_refused"] is None and state["last_error"] is None


def test_a_kiosk_beyond_the_last_three_versions_takes_the_full_pack(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    packs = [make_pack(mini_source, version=1)]
    with NginxServer(channel.dir) as nginx:
        behind = channel.kiosk("kiosk-behind", nginx.url, LANZHOU, signing_key)
        near = channel.kiosk("kiosk-near", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, packs[0], trusted)
        assert run_cycle(behind, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        summary = "The first steel bridge across the Yellow River, completed in 1909."
        for version in (2, 3, 4, 5):
            venues = mini_source / "venues.yaml"
            text = venues.read_text(encoding="utf-8")
            venues.write_text(text.replace(summary, f"{summary[:-1]} (edition {version})."), encoding="utf-8")
            summary = f"{summary[:-1]} (edition {version})."
            packs.append(make_pack(mini_source, version=version))
            publish_pack(channel.repo, LANZHOU, packs[-1], trusted)
            if version == 2:
                channel.clock.advance(minutes=20)
                near_first = run_cycle(near, clock=channel.clock, fetcher=fetcher(channel.clock))
                assert near_first.outcome == "installed" and near_first.path == "full"
        # only deltas from the last three versions (2, 3, 4) remain offered
        offered = sorted(
            (e.entry.from_version, e.entry.content_version)
            for e in group_entries(channel.repo, LANZHOU)
            if e.entry and e.entry.kind == "delta"
        )
        assert offered == [(2, 3), (2, 4), (2, 5), (3, 4), (3, 5), (4, 5)]
        channel.clock.advance(minutes=20)
        far = run_cycle(behind, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert far.outcome == "installed" and far.path == "full", far.message
        assert far.bytes_moved >= packs[-1].stat().st_size
        close = run_cycle(near, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert close.outcome == "installed" and close.path == "delta", close.message
        assert close.bytes_moved < packs[-1].stat().st_size * 0.5
    for kiosk in (behind, near):
        version, venues = installed_venues(kiosk)
        assert version == 5 and summary in venues[VENUE]
        assert file_digest(current_db(kiosk)).value == release_digest(packs[-1], tmp_path)


def test_a_forged_delta_is_refused_and_the_full_pack_installed_never_a_mix(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """The group key signs a delta whose rows lead elsewhere though its header claims v2's digest."""
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        published = publish_pack(channel.repo, LANZHOU, v2, trusted)
        [real] = [g for g in group_entries(channel.repo, LANZHOU) if g.entry and g.entry.kind == "delta"]
        old_db, new_db = tmp_path / "old.db", tmp_path / "new.db"
        extract_content_db(v1, old_db)
        extract_content_db(v2, new_db)
        with sqlite3.connect(old_db) as a, sqlite3.connect(new_db) as b:
            forged = make_delta(a, b)
        key, changed = forged.tables["venues"].updates[0]
        forged.tables["venues"].updates[0] = (key, {**changed, "summary": "FORGED by a leaked key"})
        file = tmp_path / "forged.kdelta"
        file.write_bytes(delta_format.dumps(forged))
        channel.repo.add_target(LANZHOU, file, delta_target_name("mini-test", 1, 2), dict(real.target.custom))
        channel.clock.advance(minutes=20)
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "installed" and result.path == "delta-then-full", result.message
    assert result.delta_refused is not None and "digest" in result.delta_refused
    version, venues = installed_venues(kiosk)
    assert version == 2 and NEW_TEXT in venues[VENUE]
    assert not any("FORGED" in text for text in venues.values())
    assert file_digest(current_db(kiosk)).value == published.digest
    assert not list(kiosk.content.glob(".staging-*"))  # nothing of the refused build is left
    state = sync_state(kiosk)
    assert state["last_path"] == "delta-then-full" and "digest" in str(state["delta_refused"])


def test_a_leaked_group_key_cannot_install_content_the_pack_key_did_not_sign(
    tmp_path: Path,
    mini_source: Path,
    make_pack: Callable[..., Path],
    signing_key: SigningKey,
    other_key: SigningKey,
) -> None:
    """The county key and the online snapshot/timestamp keys sign forged v2 deltas: refused, v1 stays.

    The attacker has every key of the channel but not the pack key: they build v2 with their
    own text, sign it with a key of their own and publish it through the ordinary publish
    path (deltas, media, release statement, full pack), all validly signed metadata.
    """
    channel = make_channel(tmp_path)
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    venues = mini_source / "venues.yaml"
    venues.write_text(venues.read_text(encoding="utf-8").replace(NEW_TEXT, "FORGED by a leaked key"), "utf-8")
    forged = make_pack(mini_source, version=2, keys=[other_key])
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        before = file_digest(current_db(kiosk)).value
        published = publish_pack(channel.repo, LANZHOU, forged, [other_key.public])  # the attacker's publish
        assert [d["from_version"] for d in published.deltas] == [1]
        channel.clock.advance(minutes=20)
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "failed" and result.path == "delta-then-full", result.message
    assert result.delta_refused == (
        "the deltas' release is not vouched for by a trusted pack key: refused: the pack is signed by a key"
        f" this kiosk does not trust (key {other_key.public.key_id})"
    )
    assert result.message == (  # and the full pack is refused for its own signature
        "content version 2 was not installed: refused: the pack is signed by a key this kiosk does not trust"
        f" (key {other_key.public.key_id})"
    )
    assert "\n" not in result.message and "\n" not in result.delta_refused
    version, venues_now = installed_venues(kiosk)
    assert version == 1 and not any("FORGED" in text for text in venues_now.values())
    assert file_digest(current_db(kiosk)).value == before
    assert not list(kiosk.content.glob(".staging-*"))


def test_a_pack_without_a_signed_content_digest_is_never_reached_by_deltas(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """A pack built before the manifest stated its content digest: no deltas to it, the full pack."""
    channel = make_channel(tmp_path)
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    old_style = tmp_path / "old-style-v2.kpack"
    with zipfile.ZipFile(v2) as src, zipfile.ZipFile(old_style, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
    with zipfile.ZipFile(old_style) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    del manifest["content_digest"]
    raw = json.dumps(manifest).encode()
    rewritten = tmp_path / "old-style-signed.kpack"
    with zipfile.ZipFile(old_style) as src, zipfile.ZipFile(rewritten, "w") as out:
        for info in src.infolist():
            if info.filename == "manifest.json":
                out.writestr(info, raw)
            elif info.filename == "signatures.json":
                out.writestr(info, signatures_bytes(raw, [signing_key]))
            else:
                out.writestr(info, src.read(info))
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        published = publish_pack(channel.repo, LANZHOU, rewritten, [signing_key.public])
        assert published.deltas == [] and published.media == []
        channel.clock.advance(minutes=20)
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "installed" and result.path == "full", result.message
    assert installed_venues(kiosk)[0] == 2


def test_a_picture_an_interrupted_install_left_in_the_store_is_fetched_again_not_counted_on(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """A killed install may have moved v2's picture into the store before its switch; the next
    install's tidy-up deletes such a file, so the delta must not skip downloading it (it did, and
    then fell back to the full pack: the SIGKILL test caught it now and then)."""
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    add_image(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        published = publish_pack(channel.repo, LANZHOU, v2, trusted)
        [picture] = [m.split("/media/", 1)[1] for m in published.media]
        with zipfile.ZipFile(v2) as zf:  # the leftover: v2's picture in the store, no version naming it
            leftover = kiosk.media_path(f"media/{picture}")
            leftover.parent.mkdir(parents=True, exist_ok=True)
            leftover.write_bytes(zf.read(f"media/{picture}"))
        channel.clock.advance(minutes=20)
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "installed" and result.path == "delta", (result.message, result.delta_refused)
    assert installed_venues(kiosk)[0] == 2 and media_complete(kiosk)


def _offer(path: str, length: int) -> OfferedTarget:
    return OfferedTarget(path, length, "0" * 64, {})


def test_the_plan_takes_the_cheapest_chain_and_only_to_the_stated_release() -> None:
    d = {v: f"{v:064x}" for v in range(1, 6)}
    goal = Entry("g/packs/p-4.kpack", "pack", "p", 4, digest=d[4])
    deltas = [
        Entry("g/deltas/p-1-to-2", "delta", "p", 2, from_version=1, digest=d[2], from_digest=d[1]),
        Entry("g/deltas/p-2-to-4", "delta", "p", 4, from_version=2, digest=d[4], from_digest=d[2]),
        Entry("g/deltas/p-1-to-4", "delta", "p", 4, from_version=1, digest=d[4], from_digest=d[1]),
        Entry("g/deltas/p-1-to-4x", "delta", "p", 4, from_version=1, digest=d[5], from_digest=d[1]),
    ]
    sizes = {"g/deltas/p-1-to-2": 100, "g/deltas/p-2-to-4": 100, "g/deltas/p-1-to-4": 500, "g/deltas/p-1-to-4x": 1}
    offers = {e.path: _offer(e.path, sizes[e.path]) for e in deltas}
    plan = plan_deltas(deltas, offers, 1, "p", goal, 10_000, "stable")
    assert plan is not None and [e.path for e, _ in plan.deltas] == ["g/deltas/p-1-to-2", "g/deltas/p-2-to-4"]
    assert plan.size == 200 and plan.budget == 5_000
    assert plan_deltas(deltas, offers, 1, "p", goal, 300, "stable") is None  # 200 bytes is not below 50% of 300
    assert plan_deltas(deltas, offers, 1, "other-pack", goal, 10_000, "stable") is None
    assert plan_deltas(deltas, offers, 3, "p", goal, 10_000, "stable") is None  # no delta starts at 3
    unstated = Entry(goal.path, "pack", "p", 4)
    assert plan_deltas(deltas, offers, 1, "p", unstated, 10_000, "stable") is None  # no release digest: full pack


CHILD = """
import datetime as dt, sys
from pathlib import Path
from content_sync.device.layout import DataDir
from content_sync.sync.agent import run_cycle
now = dt.datetime.fromisoformat(sys.argv[2])
print("ready", flush=True)
result = run_cycle(DataDir(Path(sys.argv[1])), clock=lambda: now)
print(result.outcome, result.path, flush=True)
"""


def test_sigkill_while_a_delta_is_applied_leaves_old_or_new_content_and_the_next_cycle_succeeds(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    add_image(mini_source)
    v2 = make_pack(mini_source, version=2)
    digests = {1: release_digest(v1, tmp_path), 2: release_digest(v2, tmp_path)}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    rng = random.Random(12)
    with NginxServer(channel.dir) as nginx:
        base = channel.kiosk("kiosk-base", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(base, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        publish_pack(channel.repo, LANZHOU, v2, trusted)
        channel.clock.advance(minutes=20)
        when = channel.clock().isoformat()

        def child(data: DataDir) -> subprocess.Popen[str]:
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(data.root), when], stdout=subprocess.PIPE, text=True, env=env
            )
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            return proc

        # how long an uninterrupted delta cycle takes in a child, after its imports
        timing = DataDir(tmp_path / "timing")
        shutil.copytree(base.root, timing.root)
        proc = child(timing)
        start = time.monotonic()
        out, _ = proc.communicate(timeout=120)
        span = time.monotonic() - start
        assert proc.returncode == 0 and out.split() == ["installed", "delta"], out
        outcomes = {1: 0, 2: 0}
        for trial in range(10):
            data = DataDir(tmp_path / f"trial-{trial}")
            shutil.copytree(base.root, data.root)
            proc = child(data)
            time.sleep(rng.uniform(0, span * 1.1))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            pointer = data.read_pointer()
            assert pointer is not None
            digest = file_digest(current_db(data)).value
            assert digest == digests[pointer.content_version], f"trial {trial}: a mix of versions"
            assert media_complete(data), f"trial {trial}: media missing for version {pointer.content_version}"
            outcomes[pointer.content_version] += 1
            after = run_cycle(data, clock=channel.clock, fetcher=fetcher(channel.clock))
            assert after.ok, f"trial {trial}: {after.message}"
            assert file_digest(current_db(data)).value == digests[2]
            assert not list(data.content.glob(".staging-*"))
            if pointer.content_version == 1:
                assert after.outcome == "installed" and after.path == "delta", (after.message, after.delta_refused)
    assert outcomes[1] > 0  # some kills landed before the switch
    print(json.dumps({"kills_before_switch": outcomes[1], "after": outcomes[2], "cycle_s": round(span, 3)}))


def test_a_chain_over_the_share_of_the_pack_takes_the_full_pack(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """With the share at 0 no delta is ever small enough: the full pack, and no delta byte moved."""
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        publish_pack(channel.repo, LANZHOU, v2, trusted)
        channel.clock.advance(minutes=20)
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock), delta_share=0.0)
    assert result.outcome == "installed" and result.path == "full" and result.delta_bytes == 0
    assert installed_venues(kiosk)[0] == 2


def test_a_cut_delta_download_resumes_next_cycle_without_falling_back(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """A link that drops mid-picture is not a refused delta: no full pack, the next cycle resumes."""
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    add_image(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        proxy = FaultyProxy(nginx.url)
        try:
            kiosk = channel.kiosk("kiosk", proxy.url, LANZHOU, signing_key)
            publish_pack(channel.repo, LANZHOU, v1, trusted)
            assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
            publish_pack(channel.repo, LANZHOU, v2, trusted)
            channel.clock.advance(minutes=20)
            proxy.cut_every = 9_000  # above every metadata file and the delta, below the 12 KB picture
            cut = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock, max_attempts=1))
            assert cut.outcome == "failed" and cut.path == "delta" and cut.delta_refused is None, cut.message
            assert cut.bytes_moved < v2.stat().st_size * 0.5  # the full pack was not fetched
            assert sync_state(kiosk)["installed_version"] == 1
            assert any(p.name.endswith(".part") for p in kiosk.root.joinpath("sync", "staging").iterdir())
            proxy.cut_every = None
            channel.clock.advance(minutes=5)
            resumed = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        finally:
            proxy.close()
    assert resumed.outcome == "installed" and resumed.path == "delta", resumed.message
    assert file_digest(current_db(kiosk)).value == release_digest(v2, tmp_path)
    assert cut.bytes_moved + resumed.bytes_moved < v2.stat().st_size * 0.5


def test_a_kiosk_whose_content_is_not_the_release_it_names_takes_the_full_pack_without_fetching_deltas(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        with sqlite3.connect(current_db(kiosk)) as conn:  # edited by hand on the kiosk
            conn.execute("UPDATE venues SET sort = sort + 1 WHERE id = ?", (GONE,))
        conn.close()
        published = publish_pack(channel.repo, LANZHOU, v2, trusted)
        channel.clock.advance(minutes=20)
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "installed" and result.path == "delta-then-full", result.message
    assert result.delta_bytes == 0 and "not the release" in str(result.delta_refused)
    assert file_digest(current_db(kiosk)).value == published.digest
