"""Notices into the channel: each group's ``emergency`` feed rewritten from the notices not yet ended.

The channel is the one packs go to (``settings.CHANNEL_DIR``, keys in ``settings.CHANNEL_KEYS``),
made here if it does not exist yet the way ``kiosk-pack repo init`` makes one, and a group is
delegated to its county's key the first time a notice goes to it. Publishing goes through
``content_sync.sync.feeds.publish_feed_bytes``: the same format check and refusals as
``kiosk-pack feed publish``. Two gunicorn workers never write the channel at once (a lock file
next to it).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from content_sync.sync.feed_format import check_feed
from content_sync.sync.feeds import publish_feed_bytes
from content_sync.sync.repository import ChannelRepository, create, open_repository
from kiosk_platform import clock

from .models import Notice


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def notices_for(group: str, now: dt.datetime) -> list[Notice]:
    """The notices a group's feed carries: sent to it, not ended early, not past their end."""
    found = Notice.objects.filter(groups__contains=[group], ended_at__isnull=True, ends_at__gt=now)
    return list(found.order_by("starts_at", "pk"))


def feed_bytes(group: str, now: dt.datetime, notices: Iterable[Notice] | None = None) -> bytes:
    """The group's emergency feed as published (an empty list withdraws every notice), checked."""
    items = notices if notices is not None else notices_for(group, now)
    feed: dict[str, Any] = {
        "kind": "emergency",
        "format": 1,
        "issued_at": _iso(now),
        "notices": [
            {
                "id": n.feed_id,
                "severity": n.severity,
                "title": {"zh-Hans": n.title_zh, "en": n.title_en},
                "body": {"zh-Hans": n.body_zh, "en": n.body_en},
                "starts_at": _iso(n.starts_at),
                "ends_at": _iso(n.ends_at),
                "issued_at": _iso(n.created_at),
            }
            for n in items
        ],
    }
    raw = json.dumps(feed, ensure_ascii=False).encode("utf-8")
    check_feed("emergency", raw)  # FeedError with one line before anything is written
    return raw


@contextmanager
def _locked() -> Iterator[None]:
    lock_path = settings.CHANNEL_DIR.with_name(settings.CHANNEL_DIR.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_channel() -> ChannelRepository:
    """The platform's channel, made (with its keys) when there is none yet."""
    repo_dir, key_dir = settings.CHANNEL_DIR, settings.CHANNEL_KEYS
    if (repo_dir / "metadata" / "1.root.json").exists():
        return open_repository(repo_dir, key_dir, clock=clock.now)
    return create(repo_dir, key_dir, clock=clock.now)


def publish_groups(groups: Iterable[str]) -> int:
    """Rewrite each group's emergency feed from the notices here; the channel's timestamp version after it."""
    now = clock.now()
    wanted = sorted(set(groups))
    feeds = {group: feed_bytes(group, now) for group in wanted}  # every refusal before the first write
    with _locked():
        repo = open_channel()
        missing = [g for g in wanted if g not in repo.groups()]
        if missing:
            repo.add_groups(missing)
        for group, raw in feeds.items():
            publish_feed_bytes(repo, group, "emergency", raw, clock=clock.now)
        return repo.timestamp().version
