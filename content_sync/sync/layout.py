"""How a group's targets are named and described in a channel (see docs/sync.md, "Publishing").

Every file a kiosk may fetch is a TUF target of its group's delegated role. The name says
what it is to a person; the signed ``custom`` metadata says what it is to a kiosk, so a
kiosk never parses names:

- a full pack: ``GROUP/packs/<pack_id>-<version>.kpack`` with
  ``{"kind": "pack", "pack_id": ..., "content_version": N, "channel": ...}``;
  plus ``"digest"``, the release's content digest (:mod:`content_sync.pack.digest`), when the
  publisher states it;
- a row delta: ``GROUP/deltas/<pack_id>-<from>-to-<to>.kdelta`` with
  ``{"kind": "delta", "pack_id": ..., "from_version": F, "to_version": T, "from_digest": ...,
  "to_digest": ..., "channel": ...}``;
- the full pack's signed manifest, for kiosks that build that version from deltas (a release
  statement, :mod:`content_sync.pack.release`): ``GROUP/releases/<pack_id>-<version>.release``
  with ``{"kind": "release", "pack_id": ..., "content_version": N}``;
- a media blob a delta needs: ``GROUP/media/<sha256>.<ext>`` (the very name the file has inside
  a pack) with ``{"kind": "media"}``; its TUF length and hash are what a kiosk checks.

A kiosk ignores a kind it does not know, so a channel can offer deltas (or anything new)
before every kiosk understands them. ``pinned`` (set by ``repository.pin``) rides in the
same ``custom`` object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from content_sync.sync.repository import PIN_FIELD

PACK_KIND: Literal["pack"] = "pack"
DELTA_KIND: Literal["delta"] = "delta"
MEDIA_KIND: Literal["media"] = "media"
RELEASE_KIND: Literal["release"] = "release"
PACKS_FOLDER = "packs"
DELTAS_FOLDER = "deltas"
MEDIA_FOLDER = "media"
RELEASES_FOLDER = "releases"
RELEASE_SUFFIX = ".release"
PACK_SUFFIX = ".kpack"
DELTA_SUFFIX = ".kdelta"


def pack_target_name(pack_id: str, content_version: int) -> str:
    """The name (inside the group) of a full pack: ``packs/<pack_id>-<version>.kpack``."""
    return f"{PACKS_FOLDER}/{pack_id}-{int(content_version)}{PACK_SUFFIX}"


def delta_target_name(pack_id: str, from_version: int, to_version: int) -> str:
    """The name (inside the group) of a delta: ``deltas/<pack_id>-<from>-to-<to>.kdelta``."""
    return f"{DELTAS_FOLDER}/{pack_id}-{int(from_version)}-to-{int(to_version)}{DELTA_SUFFIX}"


def release_target_name(pack_id: str, content_version: int) -> str:
    """The name (inside the group) of a release statement: ``releases/<pack_id>-<version>.release``."""
    return f"{RELEASES_FOLDER}/{pack_id}-{int(content_version)}{RELEASE_SUFFIX}"


def describe_release(pack_id: str, content_version: int) -> dict[str, Any]:
    """The signed ``custom`` metadata of a release statement (kiosks find it by its name)."""
    return {"kind": RELEASE_KIND, "pack_id": pack_id, "content_version": int(content_version)}


def media_target_name(pack_path: str) -> str:
    """The name (inside the group) of a media blob: its name in a pack, ``media/<sha256>.<ext>``."""
    return pack_path


def describe_pack(pack_id: str, content_version: int, channel: str, digest: str | None = None) -> dict[str, Any]:
    """The signed ``custom`` metadata of a full pack target (``digest``: the release's content digest)."""
    out: dict[str, Any] = {
        "kind": PACK_KIND,
        "pack_id": pack_id,
        "content_version": int(content_version),
        "channel": channel,
    }
    if digest is not None:
        out["digest"] = digest
    return out


def describe_delta(
    pack_id: str,
    from_version: int,
    to_version: int,
    *,
    from_digest: str | None = None,
    to_digest: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """The signed ``custom`` metadata of a delta target: both versions and both content digests."""
    out: dict[str, Any] = {
        "kind": DELTA_KIND,
        "pack_id": pack_id,
        "from_version": int(from_version),
        "to_version": int(to_version),
    }
    if from_digest is not None:
        out["from_digest"] = from_digest
    if to_digest is not None:
        out["to_digest"] = to_digest
    if channel is not None:
        out["channel"] = channel
    return out


def describe_media() -> dict[str, Any]:
    """The signed ``custom`` metadata of a media blob."""
    return {"kind": MEDIA_KIND}


@dataclass(frozen=True)
class Entry:
    """A target read back from its signed ``custom`` metadata: what it is and which version it brings."""

    path: str  # the full target path, ``GROUP/packs/...``
    kind: Literal["pack", "delta"]
    pack_id: str
    content_version: int  # the version a kiosk has after applying it (``to_version`` of a delta)
    from_version: int | None = None  # deltas only
    channel: str | None = None
    pinned: bool = False
    digest: str | None = None  # packs: the release's content digest; deltas: the result's
    from_digest: str | None = None  # deltas only: the content digest the delta starts from


def _hex(value: object) -> str | None:
    ok = isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    return value if ok and isinstance(value, str) else None


def _int(value: object) -> int | None:
    # bool is an int in Python; a signed ``true`` must not read as version 1
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def read_entry(path: str, custom: dict[str, Any]) -> Entry | None:
    """The entry a target describes, or None for a target this kiosk does not understand.

    Unknown kinds and malformed fields are skipped rather than refused: the metadata is
    signed by the channel, so this is a newer publisher, not an attacker.
    """
    kind = custom.get("kind")
    pack_id = custom.get("pack_id")
    if not isinstance(pack_id, str) or not pack_id:
        return None
    pinned = bool(custom.get(PIN_FIELD))
    if kind == PACK_KIND:
        version = _int(custom.get("content_version"))
        if version is None:
            return None
        channel = custom.get("channel")
        return Entry(
            path,
            PACK_KIND,
            pack_id,
            version,
            channel=channel if isinstance(channel, str) else None,
            pinned=pinned,
            digest=_hex(custom.get("digest")),
        )
    if kind == DELTA_KIND:
        start, end = _int(custom.get("from_version")), _int(custom.get("to_version"))
        if start is None or end is None or end <= start:
            return None
        channel = custom.get("channel")
        return Entry(
            path,
            DELTA_KIND,
            pack_id,
            end,
            from_version=start,
            channel=channel if isinstance(channel, str) else None,
            pinned=pinned,
            digest=_hex(custom.get("to_digest")),
            from_digest=_hex(custom.get("from_digest")),
        )
    return None
