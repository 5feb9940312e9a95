"""``kiosk-pack repo | publish | sync-setup | sync | sync-status``: the operator's whole path, on a real nginx."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from content_sync.cli import main
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.signing import SigningKey

from ..sync.agent_harness import change_venue_text, installed
from ..sync.nginx_server import NginxServer

GROUP = "lanzhou/station"
OTHER = "tianshui/hotel-room"


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result: Result) -> str:
    """A refusal is exit 1 and exactly one line, no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kiosk-pack: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_operator_publishes_and_a_kiosk_syncs_with_the_cli(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    repo, keys = tmp_path / "channel", tmp_path / "keys"
    signing_key.save(tmp_path / "ops.key", tmp_path / "ops.pub")
    made = run(
        "repo",
        "init",
        repo,
        "--keys",
        keys,
        "--group",
        GROUP,
        "--group",
        OTHER,
        "--trust",
        tmp_path / "ops.pub",
        "--json",
    )
    assert made.exit_code == 0, made.output
    init = json.loads(made.output)
    assert init["groups"] == [GROUP, OTHER] and init["pack_keys"] == [signing_key.public.key_id]

    v1 = make_pack(mini_source, version=1)
    published = run("publish", v1, "--repo", repo, "--keys", keys, "--group", GROUP, "--json")
    assert published.exit_code == 0, published.output
    assert json.loads(published.output)["path"] == f"{GROUP}/packs/mini-test-1.kpack"
    again = run("publish", v1, "--repo", repo, "--keys", keys, "--group", GROUP)
    assert again.exit_code == 0 and "was already published" in again.output

    data = DataDir(tmp_path / "kiosk")
    data.root.mkdir()
    with DeviceState(data.device_db) as device:
        device.trust(signing_key.public)
    with NginxServer(repo) as nginx:
        setup = run(
            "sync-setup",
            "--data-dir",
            data.root,
            "--url",
            nginx.url,
            "--group",
            GROUP,
            "--root",
            repo / init["root_file"],
            "--device-id",
            "kiosk-7",
            "--json",
        )
        assert setup.exit_code == 0, setup.output
        assert json.loads(setup.output)["device_id"] == "kiosk-7"

        synced = run("sync", "--data-dir", data.root, "--once", "--json")
        assert synced.exit_code == 0, synced.output
        outcome = json.loads(synced.output)
        assert outcome["outcome"] == "installed" and outcome["installed_version"] == 1
        assert installed(data)[0] == 1

        change_venue_text(mini_source)
        v2 = make_pack(mini_source, version=2)
        assert run("publish", v2, "--repo", repo, "--keys", keys, "--group", GROUP).exit_code == 0
        pinned = run("repo", "pin", repo, "--keys", keys, "--group", GROUP, "--version", 1)
        assert pinned.exit_code == 0 and "pinned to lanzhou/station/packs/mini-test-1.kpack" in pinned.output
        held = run("sync", "--data-dir", data.root, "--once")
        assert held.exit_code == 0 and held.output.startswith("up-to-date:") and installed(data)[0] == 1

        assert run("repo", "pin", repo, "--keys", keys, "--group", GROUP, "--clear").exit_code == 0
        moved = run("sync", "--data-dir", data.root, "--once")
        assert moved.exit_code == 0 and moved.output.startswith("installed:"), moved.output
        assert installed(data)[0] == 2

    listed = json.loads(run("repo", "list", repo, "--json").output)
    assert [e["content_version"] for e in listed["groups"][GROUP] if e["kind"] == "pack"] == [1, 2]
    assert [(e["from_version"], e["content_version"]) for e in listed["groups"][GROUP] if e["kind"] == "delta"] == [
        (1, 2)
    ]
    assert listed["groups"][OTHER] == []
    plain = run("repo", "list", repo)
    assert plain.exit_code == 0 and "packs/mini-test-2.kpack  pack v2" in plain.output

    status = json.loads(run("sync-status", "--data-dir", data.root, "--json").output)
    assert status["group"] == GROUP and status["installed_version"] == 2 and status["last_error"] is None
    # v1 came as the full pack, v2 as a delta (docs/sync.md, "Delta updates")
    assert v1.stat().st_size < status["bytes_total"] < v1.stat().st_size + v2.stat().st_size / 2
    assert status["last_path"] == "delta"

    stamped = run("repo", "timestamp", repo, "--keys", keys, "--json")
    assert stamped.exit_code == 0 and json.loads(stamped.output)["timestamp_version"] > 1
    rotated = run("repo", "rotate-key", repo, "--keys", keys, "--key", "timestamp", "--json")
    assert rotated.exit_code == 0 and (keys / "retired").is_dir()


def test_sync_commands_refuse_in_one_plain_line(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey, other_key: SigningKey
) -> None:
    repo, keys = tmp_path / "channel", tmp_path / "keys"
    signing_key.save(tmp_path / "ops.key", tmp_path / "ops.pub")
    assert run("repo", "init", repo, "--keys", keys, "--group", GROUP, "--trust", tmp_path / "ops.pub").exit_code == 0
    stranger = make_pack(mini_source, version=1, keys=[other_key])

    refused = one_line_error(run("publish", stranger, "--repo", repo, "--keys", keys, "--group", GROUP))
    assert "not published" in refused
    assert not list((repo / "targets").rglob("*.kpack"))  # nothing reached the served folder

    good = make_pack(mini_source, version=1)
    assert "not in this channel" in one_line_error(
        run("publish", good, "--repo", repo, "--keys", keys, "--group", "nowhere/else")
    )
    assert "already holds a channel" in one_line_error(run("repo", "init", repo, "--keys", keys, "--group", GROUP))
    assert "--version N or --clear" in one_line_error(run("repo", "pin", repo, "--keys", keys, "--group", GROUP))
    assert "no published pack of content version 9" in one_line_error(
        run("repo", "pin", repo, "--keys", keys, "--group", GROUP, "--version", 9)
    )

    data = tmp_path / "kiosk"
    assert "sync-setup" in one_line_error(run("sync", "--data-dir", data, "--once"))
    assert "sync-setup" in one_line_error(run("sync-status", "--data-dir", data))
    bad_url = run(
        "sync-setup",
        "--data-dir",
        data,
        "--url",
        "ftp://x",
        "--group",
        GROUP,
        "--root",
        repo / "metadata" / "1.root.json",
    )
    assert "not an http:// or https://" in one_line_error(bad_url)
    root = repo / "metadata" / "1.root.json"
    assert (
        run("sync-setup", "--data-dir", data, "--url", "http://127.0.0.1:9", "--group", GROUP, "--root", root).exit_code
        == 0
    )
    again = one_line_error(
        run("sync-setup", "--data-dir", data, "--url", "http://127.0.0.1:9", "--group", GROUP, "--root", root)
    )
    assert "already trusts a channel root" in again and "--replace" in again
    replaced = run(
        "sync-setup", "--data-dir", data, "--url", "http://127.0.0.1:8", "--group", GROUP, "--root", root, "--replace"
    )
    assert replaced.exit_code == 0 and "127.0.0.1:8" in replaced.output
