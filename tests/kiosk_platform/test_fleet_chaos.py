"""Acceptance: 10,000 events from 20 kiosk processes through a proxy that resets 30 % of
connections (some after the platform committed, before the answer reached the kiosk), kiosks
SIGKILLed at random and started again: 0 lost, 0 duplicated at the platform.
"""

from __future__ import annotations

import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from kiosk_platform.clock import now
from kiosk_platform.fleet.provisioning import make_code
from kiosk_platform.ingest.models import ReceivedEvent
from kiosk_platform.orgs.models import Organisation
from kiosk_platform.stats.models import DailyCount

from .kiosk_process import read_ids

KIOSKS = 20
EVENTS_EACH = 500
REPO = Path(__file__).resolve().parents[2]


def _read_message(sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes] | None:
    """One HTTP message (headers and a Content-Length body) from ``sock``; (message, rest) or None."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the client sees 'connection reset'."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class ResettingProxy:
    """A TCP proxy for one request per connection: 15 % reset before forwarding, 15 % forwarded,
    answered by the platform (committed) and then reset instead of relayed, the rest relayed."""

    def __init__(self, upstream_port: int, rng: random.Random) -> None:
        self.upstream_port = upstream_port
        self.rng = rng
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.counts = {"relayed": 0, "reset_before": 0, "reset_after_commit": 0}
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                roll = self.rng.random()
            threading.Thread(target=self._handle, args=(client, roll), daemon=True).start()

    def _handle(self, client: socket.socket, roll: float) -> None:
        try:
            request = _read_message(client, b"")
            if request is None:
                client.close()
                return
            if roll < 0.15:
                self._count("reset_before")
                _reset(client)
                return
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as upstream:
                upstream.sendall(request[0])
                answer = _read_message(upstream, b"")
            if answer is None or roll < 0.30:
                self._count("reset_after_commit")
                _reset(client)
                return
            head, _, body = answer[0].partition(b"\r\n\r\n")
            lines = [h for h in head.split(b"\r\n") if not h.lower().startswith(b"connection:")]
            client.sendall(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body)
            self._count("relayed")
            client.close()
        except OSError:
            client.close()

    def _count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def close(self) -> None:
        self.server.close()


def _start(folder: Path, url: str, token: str, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kiosk_platform.kiosk_process",
            str(folder),
            url,
            token,
            str(EVENTS_EACH),
            str(seed),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "stderr.log").open("ab"),
    )


def test_ten_thousand_events_through_resets_and_kills_none_lost_none_twice(live_platform, tmp_path) -> None:
    from content_sync.device.outbox import Outbox

    from .kiosk_process import kiosk_clock

    rng = random.Random(13)
    org = Organisation.objects.create(slug="lanzhou", name="兰州", kind="city")
    proxy = ResettingProxy(live_platform.port, random.Random(1313))
    url = f"http://127.0.0.1:{proxy.port}/api/v1/ingest"
    kiosks: list[tuple[Path, str, int]] = []
    for i in range(KIOSKS):
        folder = tmp_path / f"kiosk-{i:02d}"
        folder.mkdir()
        with Outbox(folder / "device.db", kiosk_clock) as outbox:
            device_id = outbox.device_id
        code, _ = make_code(org, "lanzhou-station", f"Kiosk {i}", now=now())
        reg = requests.post(
            f"{live_platform.url}/api/v1/devices/register", json={"code": code, "device_id": device_id}, timeout=10
        )
        assert reg.status_code == 201, reg.text
        kiosks.append((folder, reg.json()["token"], 1000 + i))
    processes = [_start(folder, url, token, seed) for folder, token, seed in kiosks]
    kills = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < 40 and kills < 30:  # the chaos phase
            time.sleep(rng.uniform(0.05, 0.4))
            running = [i for i, p in enumerate(processes) if p.poll() is None]
            if not running:
                break
            index = rng.choice(running)
            processes[index].send_signal(signal.SIGKILL)
            processes[index].wait()
            kills += 1
            folder, token, seed = kiosks[index]
            processes[index] = _start(folder, url, token, seed)
        deadline = time.monotonic() + 150
        for index, process in enumerate(processes):
            while True:  # a kiosk killed after it finished is started again until it exits 0
                code = process.wait(timeout=max(1, deadline - time.monotonic()))
                if code == 0:
                    break
                folder, token, seed = kiosks[index]
                process = processes[index] = _start(folder, url, token, seed)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        proxy.close()
    recorded: set[str] = set()
    total = 0
    for folder, _, _ in kiosks:
        ids = read_ids(folder / "ids.txt")
        total += len(ids)
        recorded |= set(ids)
    assert total == len(recorded) == KIOSKS * EVENTS_EACH
    at_platform = set(ReceivedEvent.objects.values_list("event_id", flat=True))
    assert at_platform == recorded  # 0 lost, nothing the kiosks did not record
    assert sum(DailyCount.objects.values_list("count", flat=True)) == KIOSKS * EVENTS_EACH  # 0 counted twice
    print(f"kills: {kills}, proxy: {proxy.counts}")
    resets = proxy.counts["reset_before"] + proxy.counts["reset_after_commit"]
    assert resets / (resets + proxy.counts["relayed"]) >= 0.2  # about 30 %, drawn per connection
    assert kills >= 10 and proxy.counts["reset_after_commit"] > 0 and proxy.counts["reset_before"] > 0
