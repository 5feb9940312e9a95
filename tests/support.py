"""Plain helpers the tests share (fixtures are in the conftest files)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import stat
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from content_sync.device.layout import DataDir
from content_sync.pack.build import build_pack
from content_sync.pack.manifest import FileDigest, hash_file, manifest_bytes, signatures_bytes
from content_sync.pack.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
MINI_SOURCE = ROOT / "tests" / "data" / "mini-pack"
DEMO_SOURCE = ROOT / "assets" / "demo-pack"
REALDATA = ROOT / "tests" / "data" / "realdata"
# The shared fixtures build and install packs at these moments, never at the real time.
BUILT_AT = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
INSTALLED_AT = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # unchanged copies of shared/realdata (see its README)

# ``kiosk-pack`` as a process whose clock is INSTALLED_AT: a pack the fixtures built at BUILT_AT is
# judged (its expiry) at the same moment whatever year the tests run in (faketime runs them in others).
_KIOSK_PACK_AT = (
    "import datetime as dt, sys\nfrom content_sync.cli import main\n"
    "at = dt.datetime.fromisoformat(sys.argv.pop(1))\n"
    "main(sys.argv[1:], prog_name='kiosk-pack', obj={'clock': lambda: at})\n"
)


def kiosk_pack_command(*args: object, at: dt.datetime = INSTALLED_AT) -> list[str]:
    """The command line of ``kiosk-pack ARGS`` run with its clock at ``at`` (never the wall clock)."""
    return [sys.executable, "-c", _KIOSK_PACK_AT, at.isoformat(), *map(str, args)]


def kiosk_pack_clock(at: dt.datetime = INSTALLED_AT) -> dict[str, object]:
    """``obj`` for an in-process ``CliRunner().invoke(cli, args, obj=...)`` whose clock is ``at``."""
    return {"clock": lambda: at}


def set_version(source: Path, version: int) -> None:
    pack_yaml = source / "pack.yaml"
    lines = [
        f"content_version: {version}" if line.startswith("content_version:") else line
        for line in pack_yaml.read_text(encoding="utf-8").splitlines()
    ]
    pack_yaml.write_text("\n".join(lines) + "\n", encoding="utf-8")


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (except the device database) with its SHA-256."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("device.db") and path.name != ".install.lock":
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class HostilePacks:
    """Packs a trusted publisher could sign: a real pack's ``content.db`` with rows rewritten at will.

    A signature says who made a pack, not that its values make sense (a key can leak, a tool can
    have a bug), so these packs carry whatever values a test puts in and go through the real
    installer like any other. Each pack made is one content version newer than the last.
    """

    def __init__(self, base_pack: Path, key: SigningKey, work: Path) -> None:
        self.key = key
        self.work = work
        self.base = work / "base"
        self.base.mkdir(parents=True)
        with zipfile.ZipFile(base_pack) as zf:
            self.manifest = json.loads(zf.read("manifest.json"))
            zf.extractall(self.base, [n for n in zf.namelist() if n not in ("manifest.json", "signatures.json")])
        self.version = int(self.manifest["content_version"])

    @classmethod
    def from_source(cls, source: Path, key: SigningKey, work: Path) -> HostilePacks:
        work.mkdir(parents=True, exist_ok=True)
        build_pack(source, work / "base.kpack", keys=[key], now=BUILT_AT)
        return cls(work / "base.kpack", key, work)

    def make(
        self, *statements: tuple[str, Sequence[object]], edit: Callable[[sqlite3.Connection], object] | None = None
    ) -> Path:
        """A signed pack whose database had ``statements`` (SQL, parameters) and then ``edit`` applied."""
        self.version += 1
        db = self.work / f"content-{self.version}.db"
        shutil.copyfile(self.base / "content.db", db)
        conn = sqlite3.connect(db)
        try:
            for sql, params in statements:
                conn.execute(sql, params)
            if edit is not None:
                edit(conn)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'content_version'", (str(self.version),))
            conn.commit()
        finally:
            conn.close()
        files = {
            name: FileDigest(entry["sha256"], entry["size"], tuple(entry.get("chunks", ())))
            for name, entry in self.manifest["files"].items()
            if name != "content.db"
        }
        files["content.db"] = hash_file(db)
        pack = {key: self.manifest[key] for key in ("channel", "languages")}
        pack |= {"id": self.manifest["pack_id"], "content_version": self.version}
        expires = self.manifest.get("expires_at")
        raw = manifest_bytes(
            pack, files, dt.datetime.fromisoformat(self.manifest["created_at"]),
            dt.datetime.fromisoformat(expires) if expires else None,
        )  # fmt: skip
        out = self.work / f"hostile-{self.version}.kpack"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            for name, data in (("manifest.json", raw), ("signatures.json", signatures_bytes(raw, [self.key]))):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (stat.S_IFREG | 0o644) << 16  # a regular file, as the builder writes
                zf.writestr(info, data)
            zf.write(db, "content.db")
            for name in files:
                if name != "content.db":
                    zf.write(self.base / name, name)
        db.unlink()
        return out


def edit_installed(data: DataDir, *statements: tuple[str, Sequence[object]]) -> None:
    """Write values straight into the installed content database, as if a check at install had
    missed them: what the screens must then survive (the store opens the file afterwards)."""
    pointer = data.read_pointer()
    assert pointer is not None
    conn = sqlite3.connect(data.version_db(pointer.current))
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()
