"""Run the platform as production does: gunicorn behind nginx, on loopback ports.

``./scripts/run-platform`` and the test suite use :class:`PlatformServer`. nginx's rules are the
shipped files ``packaging/nginx/kiosk-platform.conf`` (the site: static files, limits, the proxy
to gunicorn) and ``packaging/nginx/kiosk-channel.conf`` (the channel folder kiosks sync from, on
a second port), pulled in with ``include``, never copied: what runs here is what ships.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from content_sync.core.errors import KioskError

REPO = Path(__file__).resolve().parents[1]
PLATFORM_CONF = REPO / "packaging" / "nginx" / "kiosk-platform.conf"
CHANNEL_CONF = REPO / "packaging" / "nginx" / "kiosk-channel.conf"


class ServeError(KioskError):
    """gunicorn or nginx did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise ServeError("nginx is not installed (Debian package nginx): run ./scripts/setup.sh --platform")
    return found


class PlatformServer:
    """gunicorn (``workers`` processes) behind nginx; ``url`` is the site, ``channel_url`` the channel.

    ``env`` is the platform's settings (``KIOSK_PLATFORM_*``); ``folder`` holds nginx's prefix and
    the logs. ``port`` 0 picks free ports.
    """

    def __init__(
        self,
        folder: Path,
        env: Mapping[str, str],
        *,
        port: int = 0,
        channel_port: int = 0,
        workers: int = 2,
        threads: int = 4,
        host: str = "127.0.0.1",
    ) -> None:
        self.folder = Path(folder).resolve()
        self.env = {**os.environ, **env}
        self.host = host
        self.port = port or free_port()
        self.channel_port = channel_port or free_port()
        self.app_port = free_port()
        self.workers = workers
        self.threads = threads
        self._gunicorn: subprocess.Popen[bytes] | None = None
        self._nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def channel_url(self) -> str:
        return f"http://{self.host}:{self.channel_port}"

    @property
    def static_root(self) -> Path:
        return Path(self.env.get("KIOSK_PLATFORM_STATIC_ROOT", str(self.folder / "static")))

    @property
    def channel_dir(self) -> Path:
        return Path(self.env.get("KIOSK_PLATFORM_CHANNEL_DIR", str(self.folder / "channel")))

    @property
    def gunicorn_log(self) -> Path:
        return self.folder / "gunicorn.log"

    @property
    def nginx_prefix(self) -> Path:
        return self.folder / "nginx"

    def nginx_config(self) -> str:
        prefix = self.nginx_prefix
        user = ""
        if os.geteuid() == 0:  # workers would drop to "nobody" and lose the temp prefix
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
        temp = "\n".join(
            f"    {kind}_temp_path {prefix}/tmp/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/error.log warn;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            f"    access_log {prefix}/access.log;\n"
            f"{temp}\n"
            f"    upstream kiosk_platform {{ server 127.0.0.1:{self.app_port}; keepalive 16; }}\n"
            "    server {\n"
            f"        listen {self.host}:{self.port};\n"
            f"        set $kiosk_static {self.static_root};\n"
            f"        include {PLATFORM_CONF};\n"
            "    }\n"
            "    server {\n"
            f"        listen {self.host}:{self.channel_port};\n"
            f"        root {self.channel_dir};\n"
            f"        include {CHANNEL_CONF};\n"
            "    }\n"
            "}\n"
        )

    def start(self, timeout: float = 30.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.nginx_prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        self.channel_dir.mkdir(parents=True, exist_ok=True)
        conf = self.nginx_prefix / "nginx.conf"
        conf.write_text(self.nginx_config(), encoding="utf-8")
        log = self.gunicorn_log.open("ab")
        self._gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kiosk_platform.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.app_port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--graceful-timeout",
                "5",
                "--timeout",
                "120",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        self._nginx = subprocess.Popen(
            [nginx_binary(), "-p", str(self.nginx_prefix), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for name, child in (("gunicorn", self._gunicorn), ("nginx", self._nginx)):
                if child is not None and child.poll() is not None:
                    self.stop()
                    raise ServeError(f"{name} stopped at start: {self.tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.2)
        self.stop()
        raise ServeError(f"the platform did not answer within {timeout:.0f} s ({last}): {self.tail('gunicorn')}")

    def tail(self, name: str, lines: int = 8) -> str:
        path = self.gunicorn_log if name == "gunicorn" else self.nginx_prefix / "error.log"
        if not path.exists():
            return "(no log)"
        return " / ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])

    def stop(self) -> None:
        for child in (self._nginx, self._gunicorn):
            if child is not None and child.poll() is None:
                child.terminate()
        for child in (self._nginx, self._gunicorn):
            if child is not None:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        self._nginx = self._gunicorn = None

    def wait(self) -> int:
        """Block until gunicorn or nginx ends (``run-platform`` in the foreground)."""
        while True:
            for child in (self._gunicorn, self._nginx):
                if child is not None and child.poll() is not None:
                    code = child.returncode
                    self.stop()
                    return code
            time.sleep(0.5)

    def __enter__(self) -> PlatformServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
