"""``kiosk-pack keygen | build | sign | verify | diff``: making and checking pack files."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import BuildError
from ..device.layout import DataDir
from ..device.state import DeviceState
from ..pack.build import build_pack, sign_pack
from ..pack.delta import diff_packs
from ..pack.reader import verify_pack
from ..pack.signing import PublicKey, SigningKey
from .common import echo, echo_json, fail


@click.command()
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the pack file.")  # fmt: skip
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Sign with this private key (repeatable).")  # fmt: skip
@click.option("--narration", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Pack the synthesised speech 'kiosk-pack narrate SRC -o DIR' made in DIR.")  # fmt: skip
@click.option("--compress", is_flag=True,
              help="Deflate the content database: a smaller file to carry, a slower install.")  # fmt: skip
def build(src: Path, out: Path, keys: tuple[Path, ...], narration: Path | None, compress: bool) -> None:
    """Validate the pack source folder SRC and build a pack file from it.

    Every problem is reported with its file and field; nothing is written when there is one.
    """
    signing = [SigningKey.load(k) for k in keys]
    try:
        manifest, problems = build_pack(src, out, keys=signing, narration=narration, compress=compress)
    except BuildError as exc:
        for problem in exc.problems:
            echo(str(problem), err=True)
        fail(str(exc))
        return
    for problem in problems:
        echo(str(problem), err=True)
    size = out.stat().st_size
    signed = (
        f", signed by {', '.join(k.public.key_id for k in signing)}"
        if signing
        else " (unsigned: run 'kiosk-pack sign')"
    )
    echo(
        f"built {out}: {manifest.pack_id} content version {manifest.content_version}, channel {manifest.channel}, "
        f"{len(manifest.files)} files, {size / 2**20:.1f} MB{signed}"
    )


@click.command()
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Base name: writes OUT.key (private, keep it secret) and OUT.pub.")  # fmt: skip
@click.option("--label", default="", help="A label stored with the public key (e.g. 'city-ops-2026').")
def keygen(out: Path, label: str) -> None:
    """Create an Ed25519 signing key pair."""
    private, public = out.with_suffix(".key"), out.with_suffix(".pub")
    if private.exists() or public.exists():
        fail(f"{private} or {public} already exists; refusing to overwrite a key")
    key = SigningKey.generate(label or out.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    key.save(private, public)
    echo(f"wrote {private} (secret) and {public}; key id {key.public.key_id}")


@click.command()
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Private key file.")
def sign(pack: Path, key: Path) -> None:
    """Add a signature to PACK."""
    signing = SigningKey.load(key)
    sign_pack(pack, signing)
    echo(f"signed {pack} with key {signing.public.key_id}")


@click.command()
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A public key to trust (repeatable).")  # fmt: skip
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Trust the keys this kiosk was provisioned with.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(pack: Path, trust: tuple[Path, ...], data_dir: Path | None, as_json: bool) -> None:
    """Check PACK's signature and every file's hash without installing it."""
    keys = [PublicKey.load(p) for p in trust]
    if data_dir:
        with DeviceState(DataDir(data_dir).device_db) as device:
            keys += device.trusted_keys()
    if not keys:
        fail("give --trust KEY.pub or --data-dir of a provisioned kiosk")
    manifest, key = verify_pack(pack, keys)
    result = {
        "ok": True, "pack_id": manifest.pack_id, "content_version": manifest.content_version,
        "channel": manifest.channel, "files": len(manifest.files), "bytes": manifest.total_size,
        "signed_by": key.key_id, "expires_at": manifest.expires_at,
    }  # fmt: skip
    if as_json:
        echo_json(result)
    else:
        echo(f"ok: {pack} is intact and signed by trusted key {key.key_id} "
                   f"({manifest.pack_id} v{manifest.content_version}, {len(manifest.files)} files)")  # fmt: skip


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def diff_command(old: Path, new: Path, as_json: bool) -> None:
    """What changes from pack OLD to pack NEW: rows per table, new media, update size as rows."""
    result = diff_packs(old, new)
    rows_bytes = result["row_delta_bytes"]
    if as_json:
        echo_json(result)
        return
    for table, counts in result["tables"].items():
        echo(f"{table:<16} {counts['upserts']:>7} changed or new  {counts['deletes']:>7} removed")
    echo(
        f"new media: {result['new_media']} files, {result['new_media_bytes'] / 2**20:.1f} MB; "
        f"rows as a delta: {rows_bytes / 1024:.1f} KB = {100 * result['row_delta_ratio']:.2f}% of the new database"
    )
