"""Checking installed media against their hashes, in the library and as ``kiosk-pack info --verify``."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from content_sync.cli import main as cli
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.media_check import MediaFile, check_media, installed_media
from tests.content_sync.device.test_install_io import _add_odd_sizes
from tests.content_sync.device.test_media_repair import damage


@pytest.fixture
def installed(installer: Installer, data_dir: DataDir, make_pack: Callable[..., Path], mini_source: Path) -> DataDir:
    _add_odd_sizes(mini_source)
    installer.install(make_pack(mini_source, version=1))
    return data_dir


def test_an_intact_store_passes(installed: DataDir) -> None:
    files = installed_media(installed)
    assert len(files) == 5
    report = check_media(installed)
    assert report.ok
    assert (report.total, report.checked, report.sampled) == (5, 5, False)


def test_damaged_and_missing_files_are_named(installed: DataDir) -> None:
    files = installed_media(installed)
    damaged, removed, truncated = (installed.media_path(f.path) for f in files[:3])
    damage(damaged)
    removed.unlink()
    truncated.write_bytes(truncated.read_bytes()[:-1])
    report = check_media(installed, workers=2)
    assert report.damaged == (files[0].path,)
    assert report.missing == tuple(sorted([files[1].path, files[2].path]))
    assert report.checked == 5 and not report.ok


def test_a_sample_is_drawn_with_the_random_source_given(installed: DataDir) -> None:
    files = installed_media(installed)
    damage(installed.media_path(files[0].path))
    chosen = random.Random(11).sample(files, 2)
    report = check_media(installed, sample=2, rng=random.Random(11))
    assert (report.checked, report.total, report.sampled) == (2, 5, True)
    assert report.damaged == ((files[0].path,) if files[0] in chosen else ())


def test_a_name_that_is_not_a_media_name_is_damaged(installed: DataDir) -> None:
    report = check_media(installed, [MediaFile("media/../../device.db", 10)])
    assert report.damaged == ("media/../../device.db",)


def test_info_verify_prints_counts_and_escaped_names(installed: DataDir) -> None:
    files = installed_media(installed)
    damage(installed.media_path(files[0].path))
    installed.media_path(files[1].path).unlink()
    result = CliRunner().invoke(cli, ["info", "--data-dir", str(installed.root), "--verify"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "media check: 5 of 5 files hashed, 1 DAMAGED, 1 MISSING" in lines
    assert f"  damaged: '{files[0].path}'" in lines
    assert f"  missing: '{files[1].path}'" in lines
    assert "Traceback" not in result.output


def test_info_verify_json(installed: DataDir) -> None:
    files = installed_media(installed)
    damage(installed.media_path(files[2].path))
    result = CliRunner().invoke(cli, ["info", "--data-dir", str(installed.root), "--verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)["media_verify"]
    assert report == {"total": 5, "checked": 5, "damaged": [files[2].path], "missing": []}


def test_info_verify_on_an_intact_store_exits_0(installed: DataDir) -> None:
    result = CliRunner().invoke(cli, ["info", "--data-dir", str(installed.root), "--verify"])
    assert result.exit_code == 0, result.output
    assert "media check: 5 of 5 files hashed, all match their hashes" in result.output.splitlines()
