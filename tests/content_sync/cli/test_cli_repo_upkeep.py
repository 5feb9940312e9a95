"""``kiosk-pack repo renew`` and ``repo prune``: the monthly re-signing and the metadata clean-up, from the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tuf.api.metadata import Metadata

from .test_cli_sync import GROUP, OTHER, one_line_error, run


def make_channel(tmp_path: Path) -> tuple[Path, Path]:
    repo, keys = tmp_path / "channel", tmp_path / "keys"
    made = run("repo", "init", repo, "--keys", keys, "--group", GROUP, "--group", OTHER)
    assert made.exit_code == 0, made.output
    return repo, keys


def expiry(repo: Path, role: str) -> str:
    newest = max(repo.glob(f"metadata/*.{role}.json"), key=lambda p: int(p.name.split(".")[0]))
    return Metadata.from_bytes(newest.read_bytes()).signed.expires.isoformat()


def test_renew_re_signs_the_roles_that_expire_soon_and_names_those_without_keys(tmp_path: Path) -> None:
    repo, keys = make_channel(tmp_path)
    # Roles live a year from their signing (relative to whatever clock the machine has).
    nothing = run("repo", "renew", repo, "--keys", keys, "--within-days", "30", "--json")
    assert nothing.exit_code == 0, nothing.output
    assert json.loads(nothing.output) == {"renewed": [], "missing_keys": [], "within_days": 30}
    plain = run("repo", "renew", repo, "--keys", keys)
    assert plain.exit_code == 0 and plain.output == "no role with its keys here expires within 30 days\n"

    before = expiry(repo, "lanzhou.station")
    renewed = run("repo", "renew", repo, "--keys", keys, "--within-days", "400", "--json")
    assert renewed.exit_code == 0, renewed.output
    out = json.loads(renewed.output)
    assert out["renewed"] == ["root", "targets", "lanzhou.station", "tianshui.hotel-room"] and out["missing_keys"] == []
    assert expiry(repo, "lanzhou.station") >= before
    assert len(list(repo.glob("metadata/*.lanzhou.station.json"))) == 2  # a new signed version

    # Root's keys are offline: renewing is refused for root only, in one line, the rest is done.
    offline = tmp_path / "offline"
    offline.mkdir()
    for key in keys.glob("root-*.pem"):
        shutil.move(key, offline / key.name)
    refused = run("repo", "renew", repo, "--keys", keys, "--within-days", "400")
    line = one_line_error(refused)
    assert line == (
        "kiosk-pack: renewed targets, lanzhou.station, tianshui.hotel-room; root expire within 400 days"
        f" but their keys are not in {keys}: bring those keys and run it again"
    )


def test_prune_removes_old_metadata_but_keeps_roots_and_what_recent_snapshots_name(tmp_path: Path) -> None:
    repo, keys = make_channel(tmp_path)
    for _ in range(4):
        assert run("repo", "timestamp", repo, "--keys", keys).exit_code == 0
    assert run("repo", "renew", repo, "--keys", keys, "--within-days", "400").exit_code == 0
    before = sorted(p.name for p in (repo / "metadata").iterdir())
    pruned = run("repo", "prune", repo, "--keep", "1", "--json")
    assert pruned.exit_code == 0, pruned.output
    removed = json.loads(pruned.output)["removed"]
    after = sorted(p.name for p in (repo / "metadata").iterdir())
    assert removed and sorted(set(before) - set(after)) == sorted(removed)
    assert not [name for name in removed if name.endswith(".root.json")]
    assert "1.root.json" in after and "2.root.json" in after and "timestamp.json" in after
    again = run("repo", "prune", repo, "--keep", "1")
    assert again.exit_code == 0 and again.output.startswith("removed 0 old metadata file(s)")
    # the channel still lists (and serves) after pruning
    assert run("repo", "list", repo).exit_code == 0

    assert one_line_error(run("repo", "prune", repo, "--keep", "0")) == "kiosk-pack: keep at least one snapshot"
    missing = one_line_error(run("repo", "prune", tmp_path / "nowhere"))
    assert "nowhere" in missing
