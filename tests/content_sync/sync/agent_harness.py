"""Shared by the agent and sync CLI tests: a channel with two groups and kiosks provisioned for it.

Packs are the mini test pack built and signed with the suite's key (``make_pack``); the
channel is written with repository.py and published with publish.py, exactly as an operator
would; a kiosk is a real data directory provisioned with ``agent.setup``.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import setup
from content_sync.sync.fetch import Fetcher, FetchPolicy
from content_sync.sync.repository import ChannelRepository, create

from .test_fetch_faults import Waits
from .test_tuf_channel import LANZHOU, TIANSHUI, FakeClock

VENUE = "zhongshan-iron-bridge"
GONE = "gansu-provincial-museum"
NEW_TEXT = "The bridge was repainted in 2026."


@dataclass
class Channel:
    repo: ChannelRepository
    clock: FakeClock
    tmp: Path

    @property
    def dir(self) -> Path:
        return self.repo.dir

    @property
    def root_file(self) -> Path:
        return self.repo.dir / "metadata" / "1.root.json"

    def kiosk(self, name: str, url: str, group: str, signing_key: SigningKey) -> DataDir:
        """A provisioned kiosk data directory that trusts the suite's pack key."""
        data = DataDir(self.tmp / name)
        data.root.mkdir()
        with DeviceState(data.device_db) as device:
            device.trust(signing_key.public)
        setup(data, url, group, self.root_file, device_id=name, clock=self.clock)
        return data


def make_channel(tmp: Path) -> Channel:
    clock = FakeClock()
    repo = create(tmp / "channel", tmp / "channel-keys", clock=clock, groups=(LANZHOU, TIANSHUI))
    return Channel(repo, clock, tmp)


def fetcher(clock: FakeClock, waits: Waits | None = None, **policy: float) -> Fetcher:
    """The kiosk's downloader with recorded sleeps and seeded jitter (no test waits for real)."""
    settings: dict = {"stall_timeout": 5.0, "connect_timeout": 5.0, **policy}
    return Fetcher(
        FetchPolicy(**settings), sleep=waits if waits is not None else Waits(), rng=random.Random(3), now=clock
    )


def change_venue_text(source: Path) -> None:
    """v2: one venue's English summary changes."""
    venues = source / "venues.yaml"
    text = venues.read_text(encoding="utf-8")
    old = 'en: "The first steel bridge across the Yellow River, completed in 1909."'
    assert old in text
    venues.write_text(text.replace(old, f'en: "{NEW_TEXT}"'), encoding="utf-8")


def delete_venue(source: Path) -> None:
    """v3: one venue is removed (the museum: nothing else refers to it)."""
    venues = source / "venues.yaml"
    text = venues.read_text(encoding="utf-8")
    start = text.index(f"- id: {GONE}")
    end = text.index("\n- id:", start + 1)
    venues.write_text(text[:start] + text[end + 1 :], encoding="utf-8")


def installed(data: DataDir) -> tuple[int | None, dict[str, str]]:
    """The installed content version and every venue's English summary, read from the content database."""
    pointer = data.read_pointer()
    if pointer is None:
        return None, {}
    conn = sqlite3.connect(f"file:{data.version_db(pointer.current)}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, summary FROM venues").fetchall()
    finally:
        conn.close()
    return pointer.content_version, {vid: summary for vid, summary in rows}


def sync_state(data: DataDir) -> dict[str, object]:
    import json

    conn = sqlite3.connect(f"file:{data.device_db}?mode=ro", uri=True)
    try:
        return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM sync_state")}
    finally:
        conn.close()


__all__ = ["LANZHOU", "TIANSHUI"]
