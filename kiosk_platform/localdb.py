"""A PostgreSQL cluster of the platform's own, in a folder, from Debian's server binaries.

``./scripts/run-platform`` keeps one under ``var/platform/pg``; the test suite makes one in a
temporary folder. The cluster listens only on a Unix socket inside its folder (no TCP port, so
nothing else on the machine reaches it) and trusts local connections: it is a single-machine
cluster whose folder is the access control. PostgreSQL refuses to run as root: when we are root,
the folder belongs to the ``postgres`` user the Debian package made, and the server runs as it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from content_sync.core.errors import KioskError


class LocalDatabaseError(KioskError):
    """The local PostgreSQL cluster could not be made, started or reached."""


def server_bin_dir() -> Path:
    """Debian's PostgreSQL server binaries (the highest installed major version)."""
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*") if (p / "bin" / "pg_ctl").exists()),
        key=lambda p: int(p.name) if p.name.isdigit() else 0,
    )
    if not versions:
        raise LocalDatabaseError(
            "PostgreSQL's server is not installed (Debian package postgresql): run ./scripts/setup.sh --platform"
        )
    return versions[-1] / "bin"


@dataclass(frozen=True)
class LocalCluster:
    """A cluster in ``folder`` (data in ``folder/data``, socket in ``folder/run``)."""

    folder: Path

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "run"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _run_as(self) -> list[str]:
        """The prefix that runs a server binary as the folder's owner when we are root."""
        if os.geteuid() != 0:
            return []
        return ["runuser", "-u", "postgres", "--"]

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(path, user.pw_uid, user.pw_gid)

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """Make the cluster (UTF-8, C collation: sorting is done by the pages, in the visitor's terms)."""
        if self.initialised():
            return
        for path in (self.folder, self.data, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            self._own(path)
        if os.geteuid() == 0:
            # The postgres user must be able to walk down to its folder.
            for parent in self.folder.resolve().parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        self.data.chmod(0o700)
        self._call(
            [
                str(server_bin_dir() / "initdb"),
                "-D",
                str(self.data),
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--auth-local=trust",
                "--auth-host=reject",
                "--username=kiosk_platform",
            ],
            "make the database cluster",
        )
        conf = self.data / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as out:
            out.write(
                "\n# kiosk_platform: a Unix socket in the cluster's folder only\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir.resolve()}'\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "fsync = on\n"
                "synchronous_commit = on\n"
            )

    def running(self) -> bool:
        return (self.socket_dir / ".s.PGSQL.5432").exists() and (self.data / "postmaster.pid").exists()

    def start(self, timeout: float = 30.0) -> None:
        if not self.initialised():
            self.init()
        if self.running():
            return
        self.log.touch(exist_ok=True)
        self._own(self.log)
        self._call(
            [
                str(server_bin_dir() / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            "start the database server",
        )

    def stop(self) -> None:
        if not self.initialised() or not (self.data / "postmaster.pid").exists():
            return
        self._call(
            [str(server_bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            "stop the database server",
        )

    def _call(self, argv: list[str], what: str) -> None:
        result = subprocess.run([*self._run_as(), *argv], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            log_tail = self.log.read_text(errors="replace").strip().splitlines()[-5:] if self.log.exists() else []
            raise LocalDatabaseError(f"could not {what}: " + " / ".join(tail + log_tail))

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir.resolve()} user=kiosk_platform dbname={dbname}"

    def ensure_database(self, name: str) -> None:
        """Create database ``name`` if it does not exist."""
        deadline = time.monotonic() + 15
        while True:
            try:
                with psycopg.connect(self.conninfo(), autocommit=True) as conn:
                    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{name}"')
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise LocalDatabaseError(f"the database server does not answer: {exc}") from exc
                time.sleep(0.2)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def environment(self, dbname: str) -> dict[str, str]:
        """The settings (environment variables) that point the platform at this cluster."""
        return {"KIOSK_PLATFORM_DB_HOST": str(self.socket_dir.resolve()), "KIOSK_PLATFORM_DB_NAME": dbname}
