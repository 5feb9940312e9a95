"""The platform's tests run against a real PostgreSQL server (Debian's, a cluster of the suite's
own in a temporary folder), and, where they say so, the real site: gunicorn behind nginx.

Settings come from the environment, so they are set here before Django loads. The platform's
clock is a file (``kiosk_platform.clock``) that every test starts at a fixed moment and moves
itself; the wall clock and the time zone of the machine never matter. Every test starts with
empty tables (truncated after each test), as the live server sees the same database.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(tempfile.mkdtemp(prefix="kiosk-platform-tests-"))
os.chmod(_ROOT, 0o755)
_CLUSTER_DIR = _ROOT / "pg"
CLOCK_FILE = _ROOT / "clock.txt"
# A Saturday morning in Lanzhou.
START = dt.datetime(2026, 5, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "kiosk_platform.settings",
        "KIOSK_PLATFORM_SECRET_KEY": "tests-only-" + "x" * 40,
        "KIOSK_PLATFORM_DB_HOST": str(_CLUSTER_DIR / "run"),
        "KIOSK_PLATFORM_DB_NAME": "kiosk_platform_tests",
        "KIOSK_PLATFORM_CLOCK_FILE": str(CLOCK_FILE),
        "KIOSK_PLATFORM_STATIC_ROOT": str(_ROOT / "static"),
        "KIOSK_PLATFORM_CHANNEL_DIR": str(_ROOT / "channel"),
        "KIOSK_PLATFORM_CHANNEL_KEYS": str(_ROOT / "channel-keys"),
        "KIOSK_PLATFORM_UPLOAD_DIR": str(_ROOT / "uploads"),
    }
)
from kiosk_platform.clock import set_clock_file  # noqa: E402

set_clock_file(CLOCK_FILE, START)

import django  # noqa: E402

django.setup()


@pytest.fixture(scope="session")
def platform_database() -> Iterator[Path]:
    """A started cluster with the platform's database migrated (once per session)."""
    from django.core.management import call_command

    from kiosk_platform.localdb import LocalCluster

    cluster = LocalCluster(_CLUSTER_DIR)
    cluster.start()
    cluster.ensure_database("kiosk_platform_tests")
    call_command("migrate", verbosity=0)
    yield _CLUSTER_DIR
    from django.db import connections

    connections.close_all()
    cluster.stop()
    shutil.rmtree(_ROOT, ignore_errors=True)


def _truncate_all() -> None:
    from django.apps import apps
    from django.db import connection

    tables = [m._meta.db_table for m in apps.get_models() if m._meta.managed]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def db(platform_database: Path) -> Iterator[None]:
    """Every test starts with empty tables and the clock at ``START``."""
    set_clock_file(CLOCK_FILE, START)
    yield
    _truncate_all()


class Clock:
    """Moves the platform's clock (the test process and the live server's workers read the file)."""

    def __init__(self) -> None:
        self.now = START

    def set(self, moment: dt.datetime) -> None:
        self.now = moment
        set_clock_file(CLOCK_FILE, moment)

    def advance(self, **delta: float) -> dt.datetime:
        self.set(self.now + dt.timedelta(**delta))
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def live_platform(platform_database: Path) -> Iterator[object]:
    """The real site: gunicorn (2 workers) behind nginx on loopback, static files collected."""
    from django.core.management import call_command

    from kiosk_platform.serve import PlatformServer

    call_command("collectstatic", interactive=False, verbosity=0)
    server = PlatformServer(_ROOT / "site", {k: v for k, v in os.environ.items() if k.startswith("KIOSK_PLATFORM_")})
    with server:
        yield server
