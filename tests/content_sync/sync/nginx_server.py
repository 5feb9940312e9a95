"""A real nginx (Debian's ``/usr/sbin/nginx``) on a free loopback port, serving a channel folder.

The server block is generated in a temporary prefix, but its rules are the shipped file
``packaging/nginx/kiosk-channel.conf``, pulled in with ``include`` (never copied), so the
configuration the tests exercise is the one production gets. The generated ``http`` block
switches ``gzip on`` for every type, as Debian's stock ``nginx.conf`` does for some, so the
tests show the shipped rules turn compression off by themselves. nginx runs as the current
user (``daemon off``, its own pid, logs and temp folders), and every request is written to an
access log the tests read (status, range asked, bytes sent).

``./scripts/setup.sh --tests`` installs nginx; without it :func:`nginx_binary` fails loudly
(never a silent skip).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SHIPPED_CONF = Path(__file__).resolve().parents[3] / "packaging" / "nginx" / "kiosk-channel.conf"
_LOG_FORMAT = "$request_method|$request_uri|$status|$http_range|$http_if_range|$body_bytes_sent"


class NginxMissing(RuntimeError):
    """nginx is not installed: the serving tests cannot run (and must not pass quietly)."""


def nginx_binary() -> str:
    """nginx from PATH or Debian's /usr/sbin (root's PATH has it, a user's often not)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise NginxMissing("nginx is not installed; run ./scripts/setup.sh --tests (Debian package nginx)")
    return found


@dataclass(frozen=True)
class LoggedRequest:
    """One line of the test server's access log."""

    method: str
    uri: str
    status: int
    range: str
    if_range: str
    body_bytes: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NginxServer:
    """``with NginxServer(folder) as server:`` serves ``folder`` at ``server.url`` until the block ends."""

    def __init__(self, root: Path, *, conf: Path = SHIPPED_CONF) -> None:
        self.root = Path(root).resolve()
        self.conf = conf.resolve()
        self.prefix = Path(tempfile.mkdtemp(prefix="kiosk-nginx-"))
        self.port = 0
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def requests(self) -> list[LoggedRequest]:
        """Every request nginx has logged so far (it writes each line when the answer ends)."""
        if not self.access_log.exists():
            return []
        out = []
        for line in self.access_log.read_text().splitlines():
            method, uri, status, ranged, if_range, sent = line.split("|")
            ranged, if_range = ("" if v == "-" else v for v in (ranged, if_range))
            out.append(LoggedRequest(method, uri, int(status), ranged, if_range, int(sent)))
        return out

    def _config(self) -> str:
        user = ""
        if os.geteuid() == 0:  # workers would drop to "nobody" and lose the temp prefix
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
        temp = "\n".join(
            f"    {kind}_temp_path {self.prefix}/tmp/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"{user}daemon off;\nworker_processes 1;\npid {self.prefix}/nginx.pid;\n"
            f"error_log {self.prefix}/error.log warn;\n"
            "events { worker_connections 2048; }\n"
            "http {\n"
            f"    log_format kiosk escape=none '{_LOG_FORMAT}';\n"
            f"    access_log {self.access_log} kiosk;\n"
            f"{temp}\n"
            "    gzip on; gzip_types *; gzip_min_length 1; gzip_proxied any;\n"
            "    server {\n"
            f"        listen 127.0.0.1:{self.port};\n"
            f"        root {self.root};\n"
            f"        include {self.conf};\n"
            "    }\n"
            "}\n"
        )

    def check(self) -> str:
        """``nginx -t`` on the generated configuration: the shipped rules parse (returns nginx's words)."""
        self.port = self.port or _free_port()
        path = self._write_config()
        done = subprocess.run(
            [nginx_binary(), "-t", "-p", str(self.prefix), "-c", str(path), "-e", str(self.prefix / "error.log")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration: {done.stderr.strip()}")
        return done.stderr

    def _write_config(self) -> Path:
        (self.prefix / "tmp").mkdir(exist_ok=True)
        path = self.prefix / "nginx.conf"
        path.write_text(self._config())
        return path

    def start(self) -> NginxServer:
        binary = nginx_binary()
        for _ in range(5):  # another process may take the free port between the probe and nginx
            self.port = _free_port()
            path = self._write_config()
            self._child = subprocess.Popen(
                [binary, "-p", str(self.prefix), "-c", str(path), "-e", str(self.prefix / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if self._wait_ready():
                return self
            self._reap()
        raise RuntimeError(f"nginx did not start: {(self.prefix / 'error.log').read_text(errors='replace')[-2000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self._child is not None
            if self._child.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def _reap(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            child.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if child.stderr is not None:
            child.stderr.close()

    def stop(self) -> None:
        self._reap()
        shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
