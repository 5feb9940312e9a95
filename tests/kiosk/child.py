"""Run a piece of Python in a child process: for what may crash, hang or change the whole process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Child:
    returncode: int | None  # None: killed after the timeout
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def died_of(self, sig: int) -> bool:
        return self.returncode == -sig

    @property
    def segfaulted(self) -> bool:
        return self.died_of(signal.SIGSEGV)

    def describe(self) -> str:
        """For assertion messages: how it ended and the end of what it said."""
        how = "timed out" if self.timed_out else f"exit {self.returncode}"
        return f"{how}\n--- stdout\n{self.stdout[-1500:]}\n--- stderr\n{self.stderr[-3000:]}"


def run_child(code: str, *args: str, timeout: float = 30, env: dict[str, str] | None = None) -> Child:
    """``python -c code args...`` from the repository root, Qt offscreen; killed after ``timeout`` seconds."""
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                              env=environ, cwd=ROOT, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        out, err = (x.decode(errors="replace") if isinstance(x, bytes) else (x or "") for x in (exc.stdout, exc.stderr))
        return Child(None, out, err)
    return Child(done.returncode, done.stdout, done.stderr)
