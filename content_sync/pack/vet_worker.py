"""Vetting a pack's content database in a child process: ``python -m content_sync.pack.vet_worker``.

Why a process: vetting (:mod:`.vet`) is Python that holds the interpreter lock for its whole
run (0.2-0.4 s on the 5,000-venue city), while the installer's media threads need the lock
back between every piece they hash and write. In one process the two take turns, so the
vetting that should hide behind the media adds to the install; in its own process it runs on
another core with no lock to share.

The protocol is one JSON object each way. Request on stdin: ``{"db": PATH, "manifest":
BASE64}``, the manifest's raw bytes (the parent verified their signature; the child parses
them with the same strict parser). Answer on stdout, one line: ``{"ok": true, "sanitised": N}``
or ``{"ok": false, "kind": "pack" | "sqlite" | "os" | "other", "error": ONE LINE, "errno": N}``.
The child imports first and then waits for the request, so the installer starts it before it
unpacks the database and the imports overlap that work. In the frozen bundle ``sys.executable
-m`` lands in ``packaging/entry_common.py``, which runs :func:`main` as Python would.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..core.errors import InstallError, PackError
from .manifest import Manifest, parse_manifest
from .vet import vet_content_db

MODULE = "content_sync.pack.vet_worker"


def answer(request: Any) -> dict[str, Any]:
    """Vet the database the request names; the answer, never an exception."""
    try:
        if not isinstance(request, dict) or not isinstance(request.get("db"), str):
            return {"ok": False, "kind": "other", "error": "malformed request"}
        manifest = parse_manifest(base64.b64decode(str(request.get("manifest", "")), validate=True))
        return {"ok": True, "sanitised": vet_content_db(Path(request["db"]), manifest)}
    except PackError as exc:
        return {"ok": False, "kind": "pack", "error": str(exc)}
    except sqlite3.Error as exc:
        return {"ok": False, "kind": "sqlite", "error": str(exc), "errno": getattr(exc, "sqlite_errorcode", None)}
    except OSError as exc:
        return {"ok": False, "kind": "os", "error": exc.strerror or str(exc), "errno": exc.errno}
    except MemoryError:
        return {"ok": False, "kind": "other", "error": "out of memory"}
    except Exception as exc:  # a hostile database must never end as a traceback on this pipe
        return {"ok": False, "kind": "other", "error": type(exc).__name__}


def main(args: list[str] | None = None) -> int:
    del args  # no arguments: everything comes on stdin
    try:
        request = json.loads(sys.stdin.buffer.read())
    except ValueError:
        request = None
    sys.stdout.write(json.dumps(answer(request)) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())


class VetChild:
    """One install's vetting process: started early, handed the database once it is unpacked.

    Where no process can be started (a process limit, no memory), vetting runs in this
    process instead: slower beside the media, never skipped.
    """

    def __init__(self, timeout_s: float = 900.0) -> None:
        self.timeout_s = timeout_s
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # the folder holding content_sync
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self._proc: subprocess.Popen[bytes] | None
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            self._proc = None

    def vet(self, path: Path, manifest: Manifest) -> int:
        """What :func:`.vet.vet_content_db` returns or raises, computed in the child."""
        if self._proc is None:
            return vet_content_db(path, manifest)
        request = {"db": str(path), "manifest": base64.b64encode(manifest.raw).decode("ascii")}
        try:
            out, _ = self._proc.communicate(json.dumps(request).encode("utf-8"), timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self.close()
            raise PackError(f"refused: content.db could not be vetted within {self.timeout_s:.0f} s") from None
        except OSError:  # the child is gone before it read the request
            out = b""
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            result = json.loads(lines[-1]) if lines else None
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise InstallError(
                f"content.db could not be vetted: the checking process ended without an answer "
                f"(exit status {self._proc.returncode}); nothing was installed"
            )
        if result.get("ok") is True:
            return int(result.get("sanitised", 0))
        error = str(result.get("error", ""))[:300]
        kind = result.get("kind")
        if kind == "pack":
            raise PackError(error)
        if kind == "sqlite":  # the installer says "disk full" and the like from the message
            raise sqlite3.OperationalError(error)
        if kind == "os" and isinstance(result.get("errno"), int):
            raise OSError(result["errno"], error)
        raise InstallError(f"content.db could not be vetted ({error}); nothing was installed")

    def close(self) -> None:
        """End the child if it still runs (an install that failed before its vetting)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
