"""The manifest and the signature file cannot be abused: each hostile one is one plain line.

Every hostile manifest here is signed by the kiosk's trusted key (a leaked key or a buggy
publishing tool), so only the parsing stands between it and the kiosk; the manifest's
bytes are written by hand where a JSON library would not write them (duplicate keys, NaN,
deep nesting). ``kiosk-pack verify`` is driven through Click and, once, as a process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from content_sync.cli import main as cli
from content_sync.core.errors import PackError
from content_sync.device.install import Installer
from content_sync.pack.manifest import DEFAULT_LIMITS, PackLimits
from content_sync.pack.reader import verify_pack
from content_sync.pack.signing import SigningKey
from tests.content_sync.pack.test_hostile_packs import Entry, Repack, manifest_json, signatures_json, write_zip

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def good(make_pack: Callable[..., Path], mini_source: Path) -> Path:
    return make_pack(mini_source, version=1)


@pytest.fixture
def pub(tmp_path: Path, signing_key: SigningKey) -> Path:
    path = tmp_path / "trusted.pub"
    path.write_text(signing_key.public.to_line(), encoding="utf-8")
    return path


def signed(good: Path, out: Path, key: SigningKey, edit: Callable[[bytes], bytes]) -> Path:
    """The good pack with its manifest's bytes rewritten by ``edit`` and signed again by ``key``."""
    pack = Repack(good)
    raw = edit(manifest_json(pack.manifest))
    return pack.write(out, key, manifest=raw)


def refusal(pack: Path, key: SigningKey, limits: PackLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(PackError) as info:
        verify_pack(pack, [key.public], limits)
    return str(info.value)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- nesting, size, order ------------------------------------------------------------------


def test_a_deeply_nested_manifest_is_refused_in_one_line(good: Path, tmp_path: Path, signing_key: SigningKey) -> None:
    deep = b'"languages": ' + nested(100_000) + b", ["
    pack = signed(good, tmp_path / "deep.kpack", signing_key, lambda raw: raw.replace(b'"languages": [', deep, 1))
    assert refusal(pack, signing_key) == "refused: the manifest nests deeper than 8 levels"


def test_a_deeply_nested_signature_file_is_refused_in_one_line(
    good: Path, tmp_path: Path, signing_key: SigningKey
) -> None:
    pack = Repack(good)
    sigs = b'{"signatures": ' + nested(20_000) + b"}"
    out = pack.write(tmp_path / "deep-sig.kpack", None, signatures=sigs)
    assert refusal(out, signing_key) == "refused: the pack's signature file nests deeper than 8 levels"


def test_an_unsigned_manifest_is_not_parsed_before_its_signature_is_checked(
    good: Path, tmp_path: Path, signing_key: SigningKey, other_key: SigningKey
) -> None:
    """Signed by a stranger, a manifest that is not even JSON is refused for its signature."""
    pack = Repack(good)
    junk = b'{"files": ' * 10_000  # neither JSON nor shallow: parsing it is for signed bytes only
    out = pack.write(tmp_path / "stranger.kpack", other_key, manifest=junk)
    message = refusal(out, signing_key)
    assert message == f"refused: the pack is signed by a key this kiosk does not trust (key {other_key.public.key_id})"


def test_a_manifest_over_its_size_limit_is_refused_before_it_is_read(
    good: Path, tmp_path: Path, signing_key: SigningKey
) -> None:
    """The ZIP directory claims 65 MiB: refused from the directory alone (the limit is 64 MiB)."""
    pack = Repack(good)
    raw = manifest_json(pack.manifest)
    claimed = 65 * 2**20
    head = [Entry("manifest.json", raw, size=claimed), Entry("signatures.json", signatures_json(raw, signing_key))]
    out = write_zip(tmp_path / "big-manifest.kpack", [*head, *pack.entries])
    assert refusal(out, signing_key) == f"refused: manifest.json is {claimed} bytes, over the limit of {64 * 2**20}"


# --- one reading only ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda raw: raw.replace(b'"channel": "stable"', b'"channel": "beta", "channel": "stable"'),
            "refused: the manifest has the key 'channel' twice",
            id="duplicate-key",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"size": ', b'"size": 1, "size": ', 1),
            "refused: the manifest has the key 'size' twice",
            id="duplicate-key-in-a-file-entry",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"channel"', b'"note": NaN, "channel"'),
            "refused: the manifest holds NaN, which is not a number",
            id="nan",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"channel"', b'"note": -Infinity, "channel"'),
            "refused: the manifest holds -Infinity, which is not a number",
            id="infinity",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"content_version": 1', b'"content_version": 18446744073709551617'),
            "refused: the manifest holds an integer beyond 64 bits",
            id="content-version-beyond-64-bits",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"content_version": 1', b'"content_version": 4611686018427387904'),
            "the manifest has no valid content_version",
            id="content-version-beyond-2**53",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"channel"', b'"publisher": "x", "channel"'),
            "refused: the manifest has an unknown field 'publisher'",
            id="unknown-field",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"size": ', b'"mode": 493, "size": ', 1),
            r"refused: manifest entry for 'content.db' has an unknown field 'mode'",
            id="unknown-field-in-a-file-entry",
        ),
        pytest.param(
            lambda raw: raw.replace(b'"pack_id": "', b'"pack_id": "\\u001b[2J\\n', 1),
            "refused: the manifest's pack id or channel is not a name (lowercase letters, digits, '-')",
            id="pack-id-with-escapes",
        ),
    ],
)
def test_a_manifest_two_parsers_could_read_differently_is_refused(
    good: Path, tmp_path: Path, signing_key: SigningKey, edit: Callable[[bytes], bytes], expected: str
) -> None:
    pack = signed(good, tmp_path / "odd.kpack", signing_key, edit)
    with pytest.raises(PackError) as info:
        verify_pack(pack, [signing_key.public])
    assert str(info.value) == expected


def test_a_signature_file_with_a_duplicate_key_is_refused(good: Path, tmp_path: Path, signing_key: SigningKey) -> None:
    """Last-wins would read the empty list; first-wins the real signature: neither is taken."""
    pack = Repack(good)
    raw = manifest_json(pack.manifest)
    real = signatures_json(raw, signing_key)
    sigs = real[:-1] + b', "signatures": []}'
    out = pack.write(tmp_path / "dup-sig.kpack", None, manifest=raw, signatures=sigs)
    assert refusal(out, signing_key) == "refused: the pack's signature file has the key 'signatures' twice"


def test_a_signature_file_with_an_unknown_field_is_malformed(
    good: Path, tmp_path: Path, signing_key: SigningKey
) -> None:
    pack = Repack(good)
    raw = manifest_json(pack.manifest)
    sigs = json.loads(signatures_json(raw, signing_key))
    sigs["signatures"][0]["comment"] = "x"
    out = pack.write(tmp_path / "sig-field.kpack", None, manifest=raw, signatures=json.dumps(sigs).encode())
    assert refusal(out, signing_key) == "the pack's signature file is malformed"


def test_the_good_manifest_still_installs(good: Path, installer: Installer) -> None:
    assert installer.install(good).content_version == 1


def test_the_depth_check_ignores_brackets_inside_strings() -> None:
    from content_sync.pack.manifest import json_depth_exceeds, strict_json

    text = b'{"a": "[[[[[[[[[[[[\\"[[[[", "b": [[1]]}'
    assert not json_depth_exceeds(text, 3)
    assert json_depth_exceeds(b'{"a": [[[1]]]}', 3)
    assert strict_json(text, "x", 3) == {"a": '[[[[[[[[[[[["[[[[', "b": [[1]]}


# --- the operator's command -----------------------------------------------------------------


def _hostile_packs(good: Path, tmp_path: Path, key: SigningKey) -> dict[str, Path]:
    pack = Repack(good)
    raw = manifest_json(pack.manifest)
    huge = Repack(good)
    head = [Entry("manifest.json", raw, size=200 * 2**20), Entry("signatures.json", signatures_json(raw, key))]
    return {
        "deep-manifest": signed(good, tmp_path / "cli-deep.kpack", key,
                                lambda r: r.replace(b'"languages": [', b'"languages": ' + nested(50_000) + b", [", 1)),
        "deep-signatures": pack.write(tmp_path / "cli-deep-sig.kpack", None, manifest=raw,
                                      signatures=b'{"signatures": ' + nested(20_000) + b"}"),
        "duplicate-key": signed(good, tmp_path / "cli-dup.kpack", key,
                                lambda r: r.replace(b'"channel": "stable"', b'"channel": "x", "channel": "stable"')),
        "huge-manifest": write_zip(tmp_path / "cli-huge.kpack", [*head, *huge.entries]),
        "duplicate-key-signatures": pack.write(tmp_path / "cli-dup-sig.kpack", None, manifest=raw,
                                               signatures=signatures_json(raw, key)[:-1] + b', "signatures": []}'),
        "huge-signatures": pack.write(tmp_path / "cli-huge-sig.kpack", None, manifest=raw,
                                      signatures=b'{"signatures": [' + b" " * 10**6 + b"]}"),
    }  # fmt: skip


def test_kiosk_pack_verify_prints_one_plain_line_for_each_hostile_manifest(
    good: Path, tmp_path: Path, signing_key: SigningKey, pub: Path
) -> None:
    for name, pack in _hostile_packs(good, tmp_path, signing_key).items():
        result = CliRunner().invoke(cli, ["verify", str(pack), "--trust", str(pub)])
        assert result.exit_code == 1, (name, result.output, result.exception)
        assert isinstance(result.exception, SystemExit), (name, result.exception)
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith("kiosk-pack: ") and "refused" in lines[0], (name, lines)
        assert "Traceback" not in result.output


def test_kiosk_pack_verify_as_a_process_prints_one_line(
    good: Path, tmp_path: Path, signing_key: SigningKey, pub: Path
) -> None:
    pack = _hostile_packs(good, tmp_path, signing_key)["deep-signatures"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "content_sync.cli", "verify", str(pack), "--trust", str(pub)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "kiosk-pack: refused: the pack's signature file nests deeper than 8 levels\n"
