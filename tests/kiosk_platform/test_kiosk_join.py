"""A kiosk joins the platform with one setting (``platform.join``), through the real site.

The library's ``join`` and the kiosk's ``Recorder`` both talk to gunicorn behind nginx on
PostgreSQL: the code is exchanged once for a token kept in ``device.db``, a used code is refused
in plain words, and the recorder's first heartbeat reaches the fleet's table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from content_sync.device.layout import DataDir
from content_sync.device.outbox import Outbox
from content_sync.sync.join import JoinError, join, parse_join_url, stored_credentials
from kiosk_platform.fleet.models import Device, Heartbeat
from kiosk_platform.fleet.provisioning import make_code
from kiosk_platform.orgs.models import Organisation

from .conftest import START


def _kiosk_clock() -> dt.datetime:
    return START


def _code(name: str = "Lanzhou Railway Station, hall 1") -> str:
    city = Organisation.objects.create(slug="lanzhou", name="兰州市", name_en="Lanzhou", kind="city")
    county = Organisation.objects.create(slug="chengguan", name="城关区", kind="county", parent=city)
    code, _ = make_code(county, "lanzhou/station", name, now=START)
    return code


def _data(tmp_path: Path) -> DataDir:
    data = DataDir(tmp_path / "kiosk")
    data.root.mkdir(parents=True, exist_ok=True)
    return data


def test_join_address_is_parsed_and_refused_when_it_is_not_one() -> None:
    assert parse_join_url("https://platform.example.org/join/AB12-CD34-EF56") == (
        "https://platform.example.org",
        "AB12-CD34-EF56",
    )
    assert parse_join_url("http://127.0.0.1:8700/prefix/join/AB12CD34EF56/")[0] == "http://127.0.0.1:8700/prefix"
    for bad in ("AB12-CD34", "ftp://host/join/AB12", "https://host/joins/AB12", "https://host/join/<script>"):
        with pytest.raises(JoinError):
            parse_join_url(bad)


def test_a_kiosk_joins_once_and_keeps_its_token(live_platform, tmp_path: Path) -> None:
    join_url = f"{live_platform.url}/join/{_code()}"
    data = _data(tmp_path)
    with Outbox(data.device_db, _kiosk_clock) as outbox:
        joined = join(data, outbox.state, join_url, software_version="0.1.0")
        assert joined.ingest_url == f"{live_platform.url}/api/v1/ingest"
        assert joined.group == "lanzhou/station"
        device = Device.objects.get()
        assert device.device_id == outbox.device_id and device.group == "lanzhou/station"
        assert device.token_hash and joined.token not in device.token_hash  # only its hash is kept
        # again (a restart with the same setting): what was stored, no second exchange
        assert join(data, outbox.state, join_url, software_version="0.1.0") == joined
        assert stored_credentials(outbox.state, join_url) == joined
    assert Device.objects.count() == 1


def test_a_used_code_is_refused_in_plain_words(live_platform, tmp_path: Path) -> None:
    join_url = f"{live_platform.url}/join/{_code()}"
    first, second = _data(tmp_path / "a"), _data(tmp_path / "b")
    with Outbox(first.device_db, _kiosk_clock) as outbox:
        join(data=first, state=outbox.state, join_url=join_url, software_version="0.1.0")
    with Outbox(second.device_db, _kiosk_clock) as outbox, pytest.raises(JoinError, match="unknown, already used"):
        join(second, outbox.state, join_url, software_version="0.1.0")
    with Outbox(second.device_db, _kiosk_clock) as outbox:
        assert stored_credentials(outbox.state) is None
    assert Device.objects.count() == 1


def test_no_platform_there_is_a_join_error_not_a_crash(tmp_path: Path) -> None:
    data = _data(tmp_path)
    with Outbox(data.device_db, _kiosk_clock) as outbox, pytest.raises(JoinError, match="could not be reached"):
        join(data, outbox.state, "http://127.0.0.1:9/join/AB12-CD34-EF56", software_version="0.1.0")


def test_the_kiosks_recorder_joins_and_its_heartbeat_reaches_the_fleet(live_platform, tmp_path: Path, qtbot) -> None:
    from kiosk_app.recorder import Recorder

    join_url = f"{live_platform.url}/join/{_code()}"
    data = _data(tmp_path)
    recorder = Recorder(data, _kiosk_clock, join_url=join_url, content_version=lambda: 7)
    try:
        recorder.usage("screen_shown", "home")
        recorder.beat()  # a heartbeat, then the upload: joins first
        assert recorder.wait(30_000)
    finally:
        recorder.close()
    device = Device.objects.get()
    assert device.content_version == 7
    assert Heartbeat.objects.filter(device=device).count() == 1
    assert recorder.last_error is None
