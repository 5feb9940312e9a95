"""``kiosk-pack`` on damaged stores and hostile input: one plain line, never a traceback, never a raw
control, escape or bidi character from a pack on the operator's terminal."""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from content_sync.cli.common import KioskGroup
from content_sync.device.layout import DataDir
from content_sync.pack.signing import SigningKey
from tests import damaging
from tests.content_sync.pack.test_hostile_packs import Repack
from tests.support import kiosk_pack_command

# No NUL, "<" or "&": those made the installer re-sanitise text before issue 11; this must be escaped anyway.
HOSTILE = "\x1b[2J\x1b]0;owned\x07\u202etxt.exe\u200b\u2066x\u2069\x9b1m"
# In JSON text control characters are written "\\u001b"; bidi and zero-width characters stay raw.
REORDERING = "\u202etxt.exe\u200b\u2066x\u2069\ufeff"


def kp(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(kiosk_pack_command(*args), capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})  # fmt: skip


def raw_hidden(text: str) -> list[str]:
    """Characters a terminal would act on or that hide or reorder text (newlines and tabs are ours)."""
    return [ch for ch in text if ch not in "\n\t" and unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}]


def plain(out: subprocess.CompletedProcess[str]) -> None:
    text = out.stdout + out.stderr
    assert "Traceback" not in text, text
    assert raw_hidden(text) == [], text


@pytest.fixture
def kiosk(tmp_path: Path, make_pack: Callable[..., Path], mini_source: Path, signing_key: SigningKey,
          data_dir: DataDir) -> tuple[DataDir, Path]:  # fmt: skip
    pack = make_pack(mini_source)
    assert kp("install", pack, "--data-dir", data_dir.root).returncode == 0
    return data_dir, pack


def current_db(data: DataDir) -> Path:
    pointer = data.read_pointer()
    assert pointer is not None
    return data.version_db(pointer.current)


# -- damaged stores ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["truncate", "zero-middle-page", "garbage", "folder"])
def test_damaged_content_info_says_so_and_install_repairs(kind: str, kiosk: tuple[DataDir, Path]) -> None:
    data, pack = kiosk
    damaging.DAMAGING[kind](current_db(data))
    info = kp("info", "--data-dir", data.root)
    plain(info)
    assert info.returncode == 1
    assert re.search(r"the content database \S+ is damaged: .+; install a good pack", info.stderr), info.stderr
    repaired = kp("install", pack, "--data-dir", data.root)  # the same version: no --reinstall needed
    plain(repaired)
    assert repaired.returncode == 0, repaired.stderr
    assert "moved aside to" in repaired.stderr and "installed mini-test content version 1" in repaired.stdout
    assert list(data.content.glob("content.db.damaged-*"))
    healthy = kp("info", "--data-dir", data.root, "--json")
    assert healthy.returncode == 0 and json.loads(healthy.stdout)["problems"] == []


@pytest.mark.parametrize("kind", ["truncate-pages", "zero-first-page", "garbage"])
def test_damaged_device_database_info_says_so_and_install_recreates_it(kind: str, kiosk: tuple[DataDir, Path],
                                                                        tmp_path: Path,
                                                                        signing_key: SigningKey) -> None:  # fmt: skip
    data, pack = kiosk
    damaging.DAMAGING[kind](data.device_db)
    info = kp("info", "--data-dir", data.root)
    plain(info)
    assert info.returncode == 1 and "the device database" in info.stderr and "is damaged" in info.stderr
    assert "mini-test" in info.stdout  # what can still be read is shown
    first = kp("install", pack, "--data-dir", data.root, "--reinstall")
    plain(first)
    assert "device database was damaged" in first.stderr and list(data.root.glob("device.db.damaged-*"))
    if first.returncode != 0:  # no key could be read back: the operator is told what to run, and does
        assert "kiosk-pack trust add" in first.stderr
        pub = tmp_path / "ops.pub"
        pub.write_text(signing_key.public.to_line())
        assert kp("trust", "add", pub, "--data-dir", data.root).returncode == 0
        again = kp("install", pack, "--data-dir", data.root, "--reinstall")
        assert again.returncode == 0, again.stderr
    assert kp("info", "--data-dir", data.root).returncode == 0


def test_disk_full_is_said_as_disk_full(kiosk: tuple[DataDir, Path], tmp_path: Path) -> None:
    pack = kiosk[1]
    small = tmp_path / "small"
    with damaging.mounted("tmpfs", small, "size=3m") as ok:
        if not ok:
            pytest.skip("no tmpfs here; the library test uses SQLite's max_page_count instead")
        target = DataDir(small / "kiosk")
        assert kp("trust", "add", *_pub(tmp_path), "--data-dir", target.root).returncode == 0
        damaging.fill(small)
        out = kp("install", pack, "--data-dir", target.root)
        plain(out)
        assert out.returncode == 1 and re.search("disk (is )?full", out.stderr) and "I/O" not in out.stderr
        again = kp("trust", "add", *_pub(tmp_path), "--data-dir", target.root)
        plain(again)
        assert again.returncode == 1 and "disk is full" in again.stderr and "I/O" not in again.stderr


def _pub(tmp_path: Path) -> list[Path]:
    key = tmp_path / "extra"
    if not key.with_suffix(".pub").exists():
        assert kp("keygen", "-o", key).returncode == 0
    return [key.with_suffix(".pub")]


def test_read_only_data_folder(kiosk: tuple[DataDir, Path], tmp_path: Path) -> None:
    data, pack = kiosk
    view = tmp_path / "view"
    with damaging.read_only_view(data.root, view) as ok:
        if not ok:
            pytest.skip("cannot make a read-only folder here")
        out = kp("install", pack, "--data-dir", view, "--reinstall")
        plain(out)
        assert out.returncode == 1 and out.stderr.count("\n") == 1
        assert "read-only: installs are impossible" in out.stderr
        info = kp("info", "--data-dir", view)
        plain(info)
        assert "mini-test" in info.stdout and "read-only" in info.stderr
        trusted = kp("trust", "add", *_pub(tmp_path), "--data-dir", view)
        plain(trusted)
        assert trusted.returncode == 1 and "is read-only" in trusted.stderr and "damaged" not in trusted.stderr


# -- hostile input -------------------------------------------------------------------------------------------


def test_a_key_label_with_escapes_is_shown_escaped(tmp_path: Path, data_dir: DataDir) -> None:
    made = kp("keygen", "-o", tmp_path / "k", "--label", HOSTILE)
    added = kp("trust", "add", tmp_path / "k.pub", "--data-dir", data_dir.root)
    listed = kp("trust", "list", "--data-dir", data_dir.root)
    as_json = kp("trust", "list", "--data-dir", data_dir.root, "--json")
    for out in (made, added, listed, as_json):
        plain(out)
        assert out.returncode == 0
    assert "\\x1b[2J" in listed.stdout and "\\u202e" in listed.stdout
    assert HOSTILE in [k["label"] for k in json.loads(as_json.stdout)]  # JSON escapes, readers get the text


@pytest.mark.parametrize("where", ["pack_id", "channel", "title", "venue-name"])
def test_values_from_a_trusted_pack_never_reach_the_terminal_raw(
    where: str, kiosk: tuple[DataDir, Path], signing_key: SigningKey, tmp_path: Path
) -> None:
    data, pack = kiosk
    hostile = Repack(pack)
    hostile.manifest["content_version"] = 2
    hostile.edit_db("UPDATE meta SET value = '2' WHERE key = 'content_version'")
    if where in ("pack_id", "channel"):
        hostile.manifest[where] = f"mini{HOSTILE}"
        hostile.edit_db(lambda c: c.execute("UPDATE meta SET value = ? WHERE key = ?", (f"mini{HOSTILE}", where)))
    elif where == "title":  # raw characters in the JSON text (no "\\u" for the old probe to see)
        title = json.dumps({"en": f"Title{REORDERING}"}, ensure_ascii=False)
        hostile.edit_db(lambda c: c.execute("UPDATE meta SET value = ? WHERE key = 'title'", (title,)))
    else:
        name = json.dumps({"en": f"Zhongshan{REORDERING}", "zh-Hans": "中山铁桥"}, ensure_ascii=False)
        hostile.edit_db(lambda c: c.execute("UPDATE venues SET name = ? WHERE id = 'zhongshan-iron-bridge'", (name,)))
    bad = hostile.write(tmp_path / "hostile.kpack", signing_key)
    for args in (("verify", bad, "--data-dir", data.root), ("verify", bad, "--data-dir", data.root, "--json"),
                 ("install", bad, "--data-dir", data.root), ("install", bad, "--data-dir", data.root, "--json"),
                 ("info", "--data-dir", data.root), ("info", "--data-dir", data.root, "--json"),
                 ("search", "--data-dir", data.root, "zhongshan"),
                 ("search", "--data-dir", data.root, "zhongshan", "--json")):  # fmt: skip
        out = kp(*args)
        plain(out)
        if where in ("title", "venue-name") and args[0] == "install" and "--json" not in args:
            assert out.returncode == 0, out.stderr  # installed (sanitised, or shown escaped)


def test_escape_keeps_every_script_and_shows_the_rest() -> None:
    from content_sync.cli.common import escape

    assert escape("兰州 Ланчжоу لانتشو 🍜") == "兰州 Ланчжоу لانتشو 🍜"
    assert escape("a\x1b[31mb\u202ec\u200bd\n") == "a\\x1b[31mb\\u202ec\\u200bd\\x0a"
    assert escape("\U000e0041") == "\\U000e0041"  # a tag character


# -- the guard -----------------------------------------------------------------------------------------------


def _group() -> click.Group:
    @click.group(cls=KioskGroup)
    @click.option("--debug", is_flag=True)
    @click.pass_context
    def cli(ctx: click.Context, debug: bool) -> None:
        ctx.obj = {"debug": debug}

    @cli.command()
    def boom() -> None:
        {}["missing\x1b[2J"]  # an unexpected bug, with a hostile value in it

    return cli


def test_an_unexpected_error_is_one_line_naming_a_log_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(_group(), ["boom"], env={"KIOSK_PACK_LOG_DIR": str(tmp_path)})
    assert result.exit_code == 3
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line and "KeyError" in line
    logs = list(tmp_path.glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    assert "Traceback" in logs[0].read_text() and "boom" in logs[0].read_text()

    debug = CliRunner().invoke(_group(), ["--debug", "boom"], env={"KIOSK_PACK_LOG_DIR": str(tmp_path)})
    assert debug.exit_code == 3 and "Traceback" in debug.output and "\\x1b[2J" in debug.output
    assert raw_hidden(debug.output) == []


def test_the_real_group_has_the_guard_and_debug(tmp_path: Path) -> None:
    out = kp("--debug", "info", "--data-dir", tmp_path / "none")
    plain(out)
    assert out.returncode == 1 and "no content is installed" in out.stderr
