"""A release statement: a pack's signed manifest carried without the pack, for kiosks that take deltas.

A kiosk that builds a version from row deltas never holds the pack, so nothing the pack key
signed would reach it; a channel's group key alone would decide what it shows. The
statement closes that gap: it is the pack's very ``manifest.json`` and ``signatures.json``
bytes in a small deflated ZIP (3.6 KB for the demo pack's 11.5 KB manifest), published
beside the deltas. Before switching in a version built from deltas, the kiosk checks the
statement exactly as it checks a pack (a trusted pack key's signature, pack id, version,
channel, expiry) and requires the content it built to have the manifest's
``content_digest``. A manifest without one (built before it was recorded) is never reached
by deltas. See docs/deltas.md, "Who vouches for a delta".
"""

from __future__ import annotations

import datetime as dt
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import PackError
from .manifest import DEFAULT_LIMITS, MANIFEST, SIGNATURES, Manifest, parse_manifest, shown_text
from .reader import PackReader
from .signing import PublicKey


def write_statement(pack: Path, out: Path) -> None:
    """The release statement of a (verified) pack into ``out``: its manifest and signature file, byte for byte.

    A ZIP like the pack itself (so the same bounded, hostile-input reader opens it), deflated:
    a manifest is mostly hex hashes and JSON keys, which compress to about a third.
    """
    with PackReader(pack) as reader:
        manifest = reader.manifest_bytes()
        signatures = reader.read_small(SIGNATURES, DEFAULT_LIMITS.max_signatures_bytes)
    write_statement_of(manifest, signatures, out)


def write_statement_of(raw_manifest: bytes, raw_signatures: bytes, out: Path) -> None:
    """A statement of these exact bytes (fixed dates: the same pack makes the same statement)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in ((MANIFEST, raw_manifest), (SIGNATURES, raw_signatures)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16  # a regular file, as the reader requires
            zf.writestr(info, data, compresslevel=9)


def vouched_manifest(
    statement: Path | None,
    trusted: Sequence[PublicKey],
    *,
    pack_id: str,
    content_version: int,
    channel: str,
    now: dt.datetime,
) -> tuple[Manifest, PublicKey]:
    """The manifest a trusted pack key signed for this very release, and that key; else PackError.

    The same checks ``kiosk-pack install`` makes of a pack's manifest (signature first,
    nothing of an unsigned manifest parsed; channel; expiry), plus: it names the release the
    kiosk is building (pack id, version), and it states the content digest to reach.
    """
    if statement is None:
        raise PackError("refused: no release statement signed by a pack key came with the deltas")
    with PackReader(statement) as reader:
        if set(reader.infos) != {MANIFEST, SIGNATURES}:
            raise PackError("refused: the release statement holds other files than a manifest and its signatures")
        reader.check_entries()
        raw_manifest = reader.manifest_bytes()
        key = reader.verify_signature(raw_manifest, trusted)
    manifest = parse_manifest(raw_manifest, DEFAULT_LIMITS.max_json_depth)
    if manifest.pack_id != pack_id or manifest.content_version != content_version:
        raise PackError(
            f"refused: the signed release is pack {shown_text(manifest.pack_id)} version {manifest.content_version}, "
            f"not pack {shown_text(pack_id)} version {content_version}"
        )
    if manifest.channel != channel:
        raise PackError(
            f"refused: the release is for channel {shown_text(manifest.channel)} "
            f"but this kiosk follows {shown_text(channel)}"
        )
    if manifest.expires_at and manifest.expires_at <= now:
        raise PackError(f"refused: the pack expired on {manifest.expires_at:%Y-%m-%d %H:%M} UTC")
    if manifest.content_digest is None:
        raise PackError("the pack's signed manifest states no content digest (built before deltas were vouched for)")
    return manifest, key
