"""SIGKILL while a delta is applied: the base is intact, the result is absent or complete, a retry succeeds."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from content_sync.pack import delta_format
from content_sync.pack.content_db import write_content_db
from content_sync.pack.delta import apply_delta, make_delta
from content_sync.pack.digest import file_digest
from content_sync.pack.search_index import rebuild_index
from content_sync.pack.source import load_source
from tests.support import BUILT_AT, DEMO_SOURCE, ROOT

CHILD = """
import sys
from pathlib import Path
from content_sync.pack import delta_format
from content_sync.pack.delta import apply_delta
delta = delta_format.loads(Path(sys.argv[2]).read_bytes())
print("ready", flush=True)
apply_delta(Path(sys.argv[1]), delta, Path(sys.argv[3]))
print("done", flush=True)
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Base A (the demo), B (every venue's English summary changed, one venue gone), and the delta file."""
    root = tmp_path_factory.mktemp("kill")
    source, problems = load_source(DEMO_SOURCE)
    assert source is not None, problems
    a = root / "a.db"
    write_content_db(source, a, BUILT_AT)
    b = root / "b.db"
    shutil.copyfile(a, b)
    conn = sqlite3.connect(b)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'content_version'")
    conn.execute("UPDATE venues SET summary = json_set(summary, '$.en', 'Revised: ' || id)")
    conn.execute("UPDATE routes SET description = json_set(description, '$.en', 'Revised route')")
    rebuild_index(conn)
    conn.commit()
    conn.close()
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    wire = root / "a-b.kdelta"
    wire.write_bytes(delta_format.dumps(make_delta(ca, cb)))
    ca.close()
    cb.close()
    return a, b, wire


def _child(base: Path, wire: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(base), str(wire), str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_sigkill_at_random_moments_leaves_base_intact(pair: tuple[Path, Path, Path], tmp_path: Path) -> None:
    a, b, wire = pair
    want = file_digest(b).value
    base = tmp_path / "base.db"
    shutil.copyfile(a, base)
    base_sha = _sha(base)

    # How long one apply takes here, from "ready" to exit.
    t0 = time.monotonic()
    calib = _child(base, wire, tmp_path / "calib.db")
    assert calib.wait(timeout=120) == 0
    span = time.monotonic() - t0
    assert file_digest(tmp_path / "calib.db").value == want

    rng = random.Random(20261204)
    outcomes = {"absent": 0, "complete": 0}
    for n in range(12):
        out = tmp_path / f"out-{n}.db"
        proc = _child(base, wire, out)
        time.sleep(rng.uniform(0, span))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert _sha(base) == base_sha, f"kill {n} changed the base"
        if out.exists():
            assert file_digest(out).value == want, f"kill {n} left a mixed database"
            outcomes["complete"] += 1
        else:
            outcomes["absent"] += 1
        for partial in tmp_path.glob(f"out-{n}.db.partial-*"):
            partial.unlink()  # what the kiosk's clean-up of its staging folder does
    assert outcomes["absent"] >= 1, outcomes  # at least some kills landed mid-apply

    retry = apply_delta(base, delta_format.loads(wire.read_bytes()), tmp_path / "retry.db")
    assert retry.digest.value == want
    assert _sha(base) == base_sha
