"""``kiosk-pack``: the operator's tool. It parses arguments and calls the library.

Every failure is one plain line on stderr and a non-zero exit; no tracebacks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from . import delta, i18n
from .device import DeviceState
from .errors import BuildError, KioskError
from .install import Installer, rollback
from .layout import DataDir
from .packfile import CONTENT_DB, PackReader, build_pack, sign_pack, verify_pack
from .signing import PublicKey, SigningKey
from .store import ContentStore

EXIT_REFUSED = 1

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("KIOSK_DATA_DIR"),
    required=True,
    help="The kiosk's data directory (default: $KIOSK_DATA_DIR).",
)


def _fail(message: str) -> None:
    click.echo(f"kiosk-pack: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class _Group(click.Group):
    """Turns any KioskError into one line and exit 1, anything else into a short report."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KioskError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")


@click.group(cls=_Group)
@click.version_option(package_name="culture-kiosk")
def main() -> None:
    """Build, sign, verify and install kiosk content packs, and inspect a kiosk's content."""


@main.command()
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the pack file.")  # fmt: skip
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Sign with this private key (repeatable).")  # fmt: skip
@click.option("--compress", is_flag=True,
              help="Deflate the content database: a smaller file to carry, a slower install.")  # fmt: skip
def build(src: Path, out: Path, keys: tuple[Path, ...], compress: bool) -> None:
    """Validate the pack source folder SRC and build a pack file from it.

    Every problem is reported with its file and field; nothing is written when there is one.
    """
    signing = [SigningKey.load(k) for k in keys]
    try:
        manifest, problems = build_pack(src, out, keys=signing, compress=compress)
    except BuildError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        _fail(str(exc))
        return
    for problem in problems:
        click.echo(str(problem), err=True)
    size = out.stat().st_size
    signed = (
        f", signed by {', '.join(k.public.key_id for k in signing)}"
        if signing
        else " (unsigned: run 'kiosk-pack sign')"
    )
    click.echo(
        f"built {out}: {manifest.pack_id} content version {manifest.content_version}, channel {manifest.channel}, "
        f"{len(manifest.files)} files, {size / 2**20:.1f} MB{signed}"
    )


@main.command()
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Base name: writes OUT.key (private, keep it secret) and OUT.pub.")  # fmt: skip
@click.option("--label", default="", help="A label stored with the public key (e.g. 'city-ops-2026').")
def keygen(out: Path, label: str) -> None:
    """Create an Ed25519 signing key pair."""
    private, public = out.with_suffix(".key"), out.with_suffix(".pub")
    if private.exists() or public.exists():
        _fail(f"{private} or {public} already exists; refusing to overwrite a key")
    key = SigningKey.generate(label or out.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    key.save(private, public)
    click.echo(f"wrote {private} (secret) and {public}; key id {key.public.key_id}")


@main.command()
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Private key file.")
def sign(pack: Path, key: Path) -> None:
    """Add a signature to PACK."""
    signing = SigningKey.load(key)
    sign_pack(pack, signing)
    click.echo(f"signed {pack} with key {signing.public.key_id}")


@main.command()
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
        _fail("give --trust KEY.pub or --data-dir of a provisioned kiosk")
    manifest, key = verify_pack(pack, keys)
    result = {
        "ok": True, "pack_id": manifest.pack_id, "content_version": manifest.content_version,
        "channel": manifest.channel, "files": len(manifest.files), "bytes": manifest.total_size,
        "signed_by": key.key_id, "expires_at": manifest.expires_at,
    }  # fmt: skip
    if as_json:
        _echo_json(result)
    else:
        click.echo(f"ok: {pack} is intact and signed by trusted key {key.key_id} "
                   f"({manifest.pack_id} v{manifest.content_version}, {len(manifest.files)} files)")  # fmt: skip


@main.group()
def trust() -> None:
    """Manage the signing keys a kiosk trusts."""


@trust.command("add")
@click.argument("public_key", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
def trust_add(public_key: Path, data_dir: Path) -> None:
    """Trust packs signed by PUBLIC_KEY (a .pub file from 'kiosk-pack keygen')."""
    key = PublicKey.load(public_key)
    with DeviceState(DataDir(data_dir).device_db) as device:
        device.trust(key)
    click.echo(f"trusted key {key.key_id} ({key.label or 'no label'})")


@trust.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
def trust_list(data_dir: Path, as_json: bool) -> None:
    """List trusted keys."""
    with DeviceState(DataDir(data_dir).device_db) as device:
        keys = device.trusted_keys()
    if as_json:
        _echo_json([{"key_id": k.key_id, "label": k.label} for k in keys])
    else:
        for k in keys:
            click.echo(f"{k.key_id}  {k.label}")


@trust.command("remove")
@click.argument("key_id")
@data_dir_option
def trust_remove(key_id: str, data_dir: Path) -> None:
    """Stop trusting KEY_ID."""
    with DeviceState(DataDir(data_dir).device_db) as device:
        if not device.distrust(key_id):
            _fail(f"key {key_id} is not trusted here")
    click.echo(f"removed key {key_id}")


@main.command()
@data_dir_option
@click.argument("name", required=False)
def channel(data_dir: Path, name: str | None) -> None:
    """Show the channel this kiosk follows, or set it to NAME."""
    with DeviceState(DataDir(data_dir).device_db) as device:
        if name:
            device.set("channel", name)
        click.echo(device.get("channel", "stable"))


@main.command()
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
@click.option("--reinstall", is_flag=True, help="Install the same content version again (repairs damaged media).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def install(pack: Path, data_dir: Path, reinstall: bool, as_json: bool) -> None:
    """Verify PACK and switch this kiosk to it atomically (sideload from USB)."""
    data = DataDir(data_dir)
    data.root.mkdir(parents=True, exist_ok=True)
    with DeviceState(data.device_db) as device:
        installer = Installer(data, device.trusted_keys(), device.get("channel", "stable"))
        try:
            result = installer.install(pack, reinstall=reinstall)
        except KioskError as exc:
            device.log_install(str(pack), None, None, False, str(exc))
            raise
        device.log_install(str(pack), result.pack_id, result.content_version, True, "installed")
    if as_json:
        _echo_json(result.__dict__)
        return
    before = f" (was {result.previous_version})" if result.previous_version else ""
    click.echo(
        f"installed {result.pack_id} content version {result.content_version}{before}: "
        f"{result.files_written} files written, {result.media_reused} media reused"
        + (f", {result.texts_sanitised} texts had markup removed" if result.texts_sanitised else "")
    )


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def diff_command(old: Path, new: Path, as_json: bool) -> None:
    """What changes from pack OLD to pack NEW: rows per table, new media, update size as rows."""
    with tempfile.TemporaryDirectory(prefix="kiosk-diff-") as tmp:
        dbs = []
        new_media: set[str] = set()
        for n, pack in enumerate((old, new)):
            with PackReader(pack) as reader:
                manifest = reader.manifest()
                reader.check_structure(manifest)
                dest = Path(tmp) / f"{n}.db"
                with open(dest, "wb") as fh:
                    reader.copy_verified(manifest.files[CONTENT_DB], fh)
                dbs.append(sqlite3.connect(dest))
                media = {name for name in manifest.files if name != CONTENT_DB}
                new_media = media - new_media if n else media
                db_size = manifest.files[CONTENT_DB].size
                media_sizes = {name: e.size for name, e in manifest.files.items()}
        try:
            changes = delta.diff(dbs[0], dbs[1])
        finally:
            for conn in dbs:
                conn.close()
    rows_bytes = len(delta.encode(changes))
    result = {
        "tables": delta.summary(changes),
        "new_media": len(new_media),
        "new_media_bytes": sum(media_sizes[m] for m in new_media),
        "row_delta_bytes": rows_bytes,
        "new_content_db_bytes": db_size,
        "row_delta_ratio": round(rows_bytes / max(db_size, 1), 5),
    }
    if as_json:
        _echo_json(result)
        return
    for table, counts in result["tables"].items():
        click.echo(f"{table:<16} {counts['upserts']:>7} changed or new  {counts['deletes']:>7} removed")
    click.echo(
        f"new media: {result['new_media']} files, {result['new_media_bytes'] / 2**20:.1f} MB; "
        f"rows as a delta: {rows_bytes / 1024:.1f} KB = {100 * result['row_delta_ratio']:.2f}% of the new database"
    )


@main.command("rollback")
@data_dir_option
def rollback_command(data_dir: Path) -> None:
    """Switch back to the previously installed content version."""
    pointer = rollback(DataDir(data_dir))
    click.echo(f"now showing {pointer.pack_id} content version {pointer.content_version}")


@main.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def info(data_dir: Path, as_json: bool) -> None:
    """What content this kiosk has: version, counts, languages, health, recent installs."""
    data = DataDir(data_dir)
    with ContentStore.open(data) as store, DeviceState(data.device_db) as device:
        meta = store.meta()
        missing = store.check_media()
        result = {
            "pack_id": store.pointer.pack_id,
            "title": i18n.loads(meta.get("title")),
            "content_version": store.content_version,
            "channel": meta.get("channel"),
            "created_at": meta.get("created_at"),
            "installed_at": store.pointer.installed_at,
            "previous_version_available": bool(store.pointer.previous),
            "languages": store.languages(),
            "counts": store.counts(),
            "media_bytes": store.media_bytes(),
            "media_missing": missing,
            "kiosk_channel": device.get("channel", "stable"),
            "trusted_keys": [k.key_id for k in device.trusted_keys()],
            "outbox": device.outbox_count(),
            "recent_installs": [r.__dict__ for r in device.install_log(5)],
        }
    if as_json:
        _echo_json(result)
        return
    click.echo(f"{i18n.text(result['title'], 'en')}")
    click.echo(f"pack {result['pack_id']}, content version {result['content_version']}, channel {result['channel']}")
    click.echo(f"built {result['created_at']}, installed {result['installed_at']}")
    click.echo(f"languages: {', '.join(result['languages'])}")
    click.echo("counts: " + ", ".join(f"{k} {v}" for k, v in result["counts"].items()))
    click.echo(
        f"media: {result['media_bytes'] / 2**20:.1f} MB, " + (f"{len(missing)} MISSING" if missing else "all present")
    )
    for rec in result["recent_installs"]:
        click.echo(f"  {rec['at']}  {'ok     ' if rec['ok'] else 'REFUSED'}  {rec['message']}")


@main.command("search")
@data_dir_option
@click.argument("query")
@click.option("--lang", default="en", show_default=True, help="Language for titles.")
@click.option("--limit", default=20, show_default=True, help="Most results to show.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def search_command(data_dir: Path, query: str, lang: str, limit: int, as_json: bool) -> None:
    """Search the installed content as a visitor would (Chinese, pinyin, initials, English)."""
    with ContentStore.open(DataDir(data_dir)) as store:
        fallback = store.fallback()
        results = store.search(query, limit=limit)
        rows = [
            {"kind": r.kind, "id": r.id, "title": i18n.text(r.title, lang, fallback),
             "summary": i18n.text(r.subtitle, lang, fallback), "match": "name" if r.in_name else "text"}
            for r in results
        ]  # fmt: skip
    if as_json:
        _echo_json({"query": query, "results": rows})
        return
    if not rows:
        click.echo(f"no results for {query!r}")
    for r in rows:
        click.echo(f"{r['kind']:<9} {r['id']:<40} {r['title']}")


if __name__ == "__main__":
    main()

from .cli_maps import map_group  # noqa: E402  (kiosk-pack map ...)

main.add_command(map_group)

from .cli_narrate import narrate  # noqa: E402  (registered last, after every built-in command)

main.add_command(narrate)
