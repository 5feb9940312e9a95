"""Plain helpers the tests share (fixtures are in the conftest files)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINI_SOURCE = ROOT / "tests" / "data" / "mini-pack"
DEMO_SOURCE = ROOT / "assets" / "demo-pack"
REALDATA = ROOT / "tests" / "data" / "realdata"
# The shared fixtures build and install packs at these moments, never at the real time.
BUILT_AT = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
INSTALLED_AT = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # unchanged copies of shared/realdata (see its README)


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
