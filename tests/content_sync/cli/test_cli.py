"""The operator CLI as the README shows it: keygen, build, sign, verify, install, info, search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from content_sync.cli import main
from tests.support import set_version


def kp(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "content_sync.cli", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def test_operator_workflow(mini_source: Path, tmp_path: Path) -> None:
    key, pack, data = tmp_path / "ops", tmp_path / "mini.kpack", tmp_path / "kiosk"
    assert kp("keygen", "-o", key, "--label", "city-ops").returncode == 0
    assert (tmp_path / "ops.key").stat().st_mode & 0o077 == 0, "private key must not be readable by others"
    built = kp("build", mini_source, "-o", pack)
    assert built.returncode == 0 and "unsigned" in built.stdout
    assert kp("sign", pack, "--key", tmp_path / "ops.key").returncode == 0

    refused = kp("install", pack, "--data-dir", data)
    assert refused.returncode == 1 and "trusts no signing keys" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert kp("trust", "add", tmp_path / "ops.pub", "--data-dir", data).returncode == 0
    verified = kp("verify", pack, "--data-dir", data, "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True
    installed = kp("install", pack, "--data-dir", data)
    assert installed.returncode == 0, installed.stderr

    info = json.loads(kp("info", "--data-dir", data, "--json").stdout)
    assert info["content_version"] == 1 and info["counts"]["venues"] == 3 and info["media_missing"] == []
    assert info["recent_installs"][0]["ok"] is True

    found = json.loads(kp("search", "--data-dir", data, "zstq", "--json", "--lang", "zh-Hans").stdout)
    assert found["results"][0]["id"] == "zhongshan-iron-bridge" and found["results"][0]["title"] == "中山铁桥"
    plain = kp("search", "--data-dir", data, "铁桥")
    assert "Zhongshan Iron Bridge" in plain.stdout

    set_version(mini_source, 2)
    assert kp("build", mini_source, "-o", tmp_path / "v2.kpack", "--key", tmp_path / "ops.key").returncode == 0
    assert kp("install", tmp_path / "v2.kpack", "--data-dir", data).returncode == 0
    older = kp("install", pack, "--data-dir", data)
    assert older.returncode == 1 and "older than the installed version 2" in older.stderr
    back = kp("rollback", "--data-dir", data)
    assert back.returncode == 0 and "version 1" in back.stdout


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    missing = kp("install", tmp_path / "nope.kpack", "--data-dir", tmp_path / "kiosk")
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "Traceback" not in missing.stderr
    no_content = kp("info", "--data-dir", tmp_path / "empty")
    assert no_content.returncode == 1 and "no content is installed" in no_content.stderr


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out += _commands(command, prefix + name + " ")
    return out


@pytest.mark.parametrize(("name", "command"), _commands(main))
def test_every_command_and_option_has_help(name: str, command: click.Command) -> None:
    assert command.help, f"kiosk-pack {name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"kiosk-pack {name} {param.opts[0]} has no help text"


def test_every_command_answers_as_a_module_and_as_kiosk_pack() -> None:
    """``python -m content_sync.cli map --help`` once said "No such command": commands registered
    after the module's own ``main()`` call were missing when it ran as a module."""
    names = [name.split() for name, _ in _commands(main)]
    tool = Path(sys.executable).with_name("kiosk-pack")
    for words in names:
        as_module = kp(*words, "--help")
        assert as_module.returncode == 0 and f"kiosk-pack {' '.join(words)}" in as_module.stdout, as_module.stderr
        as_tool = subprocess.run([tool, *words, "--help"], capture_output=True, text=True, timeout=60)
        assert as_tool.returncode == 0 and as_tool.stdout == as_module.stdout, as_tool.stderr
