"""The worked example of docs/sync.md runs as shown: every command, every output line it shows.

The example is the ``console`` block after the marker comment ``sync-example`` in
docs/sync.md. This test takes its ``$`` commands, runs them in one bash session (the real
``kiosk-pack`` of this checkout, ``kiosk-pack serve`` on a free loopback port instead of the
doc's 8000, a temporary folder instead of ``/tmp/sync-demo``), and checks that every output
line the doc shows appears in that command's real output. Hashes, key ids, times and numbers
of three digits or more are compared by shape only (they change with every run); ``…`` stands
for trimmed or varying text, and a line of ``…`` alone for lines left out. On top, the sync results the doc
describes: version 1 from the full pack, version 2 from a delta.

Signed metadata expires relative to the clock both sides read, so the example runs under
``faketime`` as well (CI runs the suite in 2027 and 2031).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "sync.md"
MARKER = "<!-- sync-example"
DOC_DIR = "/tmp/sync-demo"
DOC_PORT = "8000"
SEPARATOR = "@@@kiosk-doc-step"


def example_block(text: str) -> list[str]:
    """The lines of the ``console`` block that follows the marker comment."""
    start = text.index(MARKER)
    lines = text[start:].splitlines()
    opening = next(i for i, line in enumerate(lines) if line.startswith("```console"))
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].startswith("```"))
    return lines[opening + 1 : closing]


def steps(block: list[str]) -> list[tuple[str, list[str]]]:
    """``(command, shown output lines)`` for every ``$`` line (``\\`` continues a command)."""
    out: list[tuple[str, list[str]]] = []
    continuing = False
    for line in block:
        if continuing:
            command, shown = out[-1]
            out[-1] = (command + "\n" + line, shown)
            continuing = line.endswith("\\")
        elif line.startswith("$ "):
            out.append((line[2:], []))
            continuing = line.endswith("\\")
        elif out:
            out[-1][1].append(line)
    return out


def shape(line: str) -> str:
    """A line with what changes from run to run replaced by placeholders."""
    line = re.sub(r"[0-9a-f]{64}", "<sha256>", line)
    line = re.sub(r"\b[0-9a-f]{16}\b", "<keyid>", line)
    line = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?Z?", "<time>", line)
    line = re.sub(r"\b[0-9a-f]{8}\b", "<hex>", line)  # a version folder's suffix
    line = re.sub(r"\d{3,}", "<n>", line)
    return line.rstrip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _script(commands: list[str], workdir: Path, port: int) -> str:
    """One bash script: each command after a separator line; a background server waited for."""
    body = ["set -euo pipefail", f"cd {REPO}"]
    for i, command in enumerate(commands):
        command = command.replace(DOC_DIR, str(workdir)).replace(DOC_PORT, str(port))
        body.append(f"echo '{SEPARATOR} {i}'")
        body.append(command)
        if command.rstrip().endswith("&"):
            probe = (
                "import socket,sys,time\n"
                "for _ in range(200):\n"
                "    try:\n"
                f"        socket.create_connection(('127.0.0.1', {port}), 0.2).close(); sys.exit(0)\n"
                "    except OSError: time.sleep(0.05)\n"
                "sys.exit(1)"
            )
            body.append(f'{sys.executable} -c "{probe}"')
    return "\n".join(body) + "\n"


def run_example(tmp_path: Path) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Run the doc's example; returns its steps and each step's real output lines."""
    example = steps(example_block(DOC.read_text(encoding="utf-8")))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "kiosk-pack"  # this checkout's CLI, whatever the environment installed
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m content_sync.cli "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO),
        "KIOSK_CHANNEL_KEYS": "",
        "KIOSK_DATA_DIR": "",
        "LC_ALL": "C.UTF-8",
    }
    workdir = tmp_path / "sync-demo"
    script = _script([command for command, _ in example], workdir, _free_port())
    proc = subprocess.Popen(
        ["bash", "-c", script],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the background server, whatever the script did
    assert proc.returncode == 0, f"the example failed:\n{output[-3000:]}"
    chunks = output.split(f"{SEPARATOR} ")
    real: list[list[str]] = [[] for _ in example]
    for chunk in chunks[1:]:
        index, _, rest = chunk.partition("\n")
        real[int(index)] = rest.splitlines()
    return example, ["\n".join(lines) for lines in real]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[str, list[str]]], list[str]]:
    return run_example(tmp_path_factory.mktemp("doc"))


def test_the_block_is_there_and_does_what_the_doc_says() -> None:
    example = steps(example_block(DOC.read_text(encoding="utf-8")))
    commands = [command for command, _ in example]
    assert any(c.startswith("kiosk-pack repo init") for c in commands)
    assert sum(c.startswith("kiosk-pack publish") for c in commands) == 2
    assert any(c.startswith("kiosk-pack serve") and c.endswith("&") for c in commands)
    assert sum(c.startswith("kiosk-pack sync --data-dir") for c in commands) >= 2


def test_every_line_the_doc_shows_is_real(ran: tuple[list[tuple[str, list[str]]], list[str]]) -> None:
    example, real = ran
    for (command, shown), output in zip(example, real, strict=True):
        have = [shape(line) for line in output.splitlines()]
        for line in shown:
            if line.strip() in ("", "…"):
                continue
            pattern = re.compile(".*".join(re.escape(part) for part in shape(line).split("…")))
            assert any(pattern.fullmatch(real_line) for real_line in have), (
                f"{command!r} shows {line!r}, but printed:\n{output}"
            )


def test_the_kiosk_takes_the_full_pack_then_a_delta(ran: tuple[list[tuple[str, list[str]]], list[str]]) -> None:
    example, real = ran
    syncs = [out for (command, _), out in zip(example, real, strict=True) if command.startswith("kiosk-pack sync --")]
    assert syncs[0].startswith("installed: installed content version 1 from packs/")  # no delta from nothing
    assert syncs[1].startswith("up-to-date: content version 1 is installed")
    delta = next(json.loads(out) for out in syncs if out.lstrip().startswith("{"))
    assert delta["outcome"] == "installed"
    assert (delta["installed_version"], delta["previous_version"]) == (2, 1)
    assert delta["path"] == "delta"
    assert delta["target"].endswith("/deltas/lanzhou-tianshui-demo-1-to-2.kdelta")
    assert 0 < delta["delta_bytes"] < delta["bytes_moved"] < 100_000  # not the 4.5 MB pack
