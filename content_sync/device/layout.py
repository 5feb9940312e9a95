"""Where things live in a kiosk's data directory, in one place.

```
DATA_DIR/
  device.db                   device state (settings, keys, sync, outbox, install log)
  content/
    current.json              which version readers use; replaced atomically
    versions/<name>/content.db   one folder per installed content version (current, previous)
    media/<ab>/<sha256>.<ext>    media by hash, shared between versions
    .staging-*/               an install in progress (removed on recovery)
```
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..core.fsio import fsync_dir

POINTER_NAME = "current.json"


@dataclass(frozen=True)
class Pointer:
    current: str
    previous: str | None
    pack_id: str
    content_version: int
    installed_at: str

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=1, sort_keys=True).encode()


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def device_db(self) -> Path:
        return self.root / "device.db"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def pointer_path(self) -> Path:
        return self.content / POINTER_NAME

    @property
    def versions(self) -> Path:
        return self.content / "versions"

    @property
    def media(self) -> Path:
        return self.content / "media"

    @property
    def lock_path(self) -> Path:
        return self.content / ".install.lock"

    def version_db(self, name: str) -> Path:
        return self.versions / name / "content.db"

    def media_path(self, pack_path: str) -> Path:
        """``media/<sha>.<ext>`` (the name inside a pack) -> its file on this kiosk."""
        name = pack_path.rsplit("/", 1)[-1]
        return self.media / name[:2] / name

    def read_pointer(self) -> Pointer | None:
        try:
            data = json.loads(self.pointer_path.read_bytes())
            return Pointer(
                str(data["current"]), data.get("previous"), str(data["pack_id"]),
                int(data["content_version"]), str(data["installed_at"]),
            )  # fmt: skip
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_pointer(self, pointer: Pointer) -> None:
        """Atomic on POSIX and Windows: write a sibling, flush it to disk, rename over."""
        tmp = self.pointer_path.with_suffix(".json.tmp")
        with open(tmp, "wb") as fh:
            fh.write(pointer.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer_path)
        fsync_dir(self.content)
