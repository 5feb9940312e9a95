"""Narration synthesis with the real espeak-ng through pyttsx3: audio, cache, CLI, packing.

Duration bounds come from measuring espeak-ng 1.51 at its default rate on demo venues:
Mandarin 0.34-0.35 s per Han character, English 0.057-0.063 s per letter. The bounds allow
roughly half to one and a half times that (and cover natural human speech, about 0.2-0.3 s
per Chinese syllable and 0.06-0.08 s per English letter), so a rate change or an engine
update passes while a truncated file, a wrong voice reading digits, or silence does not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from content_sync.cli import main as cli
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.source import load_source
from content_sync.speech import synthesis as narration
from content_sync.speech.cache import NarrationCache
from content_sync.speech.synthesis import NarrationError, find_voice, sentence_times, wav_info
from content_sync.store.content_store import ContentStore
from tests.support import DEMO_SOURCE

SILENCE_RMS = 0.01  # -40 dBFS; espeak-ng speech measures about 0.09
PER_UNIT = {"zh-Hans": (0.15, 0.5), "en": (0.03, 0.12)}  # seconds per Han character / per Latin letter
NO_VOICE_TAG = "zu"  # isiZulu: espeak-ng 1.51 ships no voice for it


def _units(text: str, lang: str) -> int:
    pattern = r"[\u4e00-\u9fff]" if lang == "zh-Hans" else r"[A-Za-z]"
    return len(re.findall(pattern, text))


@pytest.fixture(scope="module")
def demo_texts() -> dict[str, dict[str, str]]:
    """Narration of the two demo venues with the shortest English text (keeps the test quick)."""
    source, problems = load_source(DEMO_SOURCE)
    assert source is not None, problems
    venues = sorted(source.records["venues"], key=lambda v: len(v["narration"]["en"]))[:2]
    return {v["id"]: v["narration"] for v in venues}


def test_mandarin_and_english_voices_exist() -> None:
    zh, en = find_voice("zh-Hans"), find_voice("en")
    assert zh is not None and "cmn" in zh.languages
    assert find_voice("zh") == zh
    assert en is not None and all(x.startswith("en") for x in en.languages)
    us = find_voice("en-US")
    assert us is not None and "en-us" in us.languages


def test_voice_mapping_for_windows_locales() -> None:
    """SAPI5 voices report locales (zh-CN, zh-HK, en-US): Mandarin text must not get Cantonese."""
    sapi = (
        narration.Voice("hk", "Tracy", ("zh-hk",)),
        narration.Voice("cn", "Huihui", ("zh-cn",)),
        narration.Voice("us", "Zira", ("en-us",)),
    )
    assert find_voice("zh-Hans", sapi).id == "cn"  # type: ignore[union-attr]
    assert find_voice("zh-HK", sapi).id == "hk"  # type: ignore[union-attr]
    assert find_voice("en", sapi).id == "us"  # type: ignore[union-attr]
    assert find_voice("zh-Hans", sapi[:1]) is None and find_voice("ja", sapi) is None


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_demo_venues_are_spoken_then_cached(
    lang: str, demo_texts: dict[str, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = NarrationCache(tmp_path / "cache")
    for venue_id, texts in demo_texts.items():
        text = texts[lang]
        entry = cache.fetch(text, lang)
        assert not entry.hit
        assert narration.wav_problem(entry.path) is None
        info = wav_info(entry.path)
        lo, hi = PER_UNIT[lang]
        units = _units(text, lang)
        assert lo * units <= info.duration <= hi * units, (venue_id, info.duration, units)
        assert info.rms > SILENCE_RMS and info.peak > 0.1, (venue_id, info.rms)
        starts = [t for t, _ in entry.sentences]
        assert [s for _, s in entry.sentences] == narration.split_sentences(text)
        assert starts[0] == 0.0 and starts == sorted(starts) and starts[-1] < info.duration
    assert (cache.hits, cache.misses) == (0, 2)

    # Second request: served from disk. The worker is pointed at a module that does not exist,
    # so running the engine would raise; the file is not rewritten either.
    monkeypatch.setattr(narration, "WORKER_MODULE", "content_sync.no_such_worker")
    for texts in demo_texts.values():
        path = cache.get_or_make(texts[lang], lang)
        before = path.stat().st_mtime_ns
        again = cache.fetch(texts[lang], lang)
        assert again.hit and again.path == path and again.sentences
        assert path.stat().st_mtime_ns == before
    assert (cache.hits, cache.misses) == (4, 2)


def test_truncated_cache_file_is_detected_and_remade(tmp_path: Path) -> None:
    cache = NarrationCache(tmp_path / "cache")
    path = cache.get_or_make("你好，欢迎来到兰州。", "zh-Hans")
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # a power cut halfway through a write
    assert "incomplete" in (narration.wav_problem(path) or "")
    with pytest.raises(NarrationError, match="invalid file"):
        narration.wait_for_wav(path, timeout=0.2)
    again = cache.fetch("你好，欢迎来到兰州。", "zh-Hans")
    assert not again.hit and cache.repairs == 1
    assert again.path == path and path.read_bytes() == good  # espeak-ng is deterministic


def test_header_only_and_garbage_files_are_invalid(tmp_path: Path) -> None:
    cache = NarrationCache(tmp_path / "cache")
    path = cache.get_or_make("Hello.", "en")
    data = path.read_bytes()
    (tmp_path / "header.wav").write_bytes(data[:44])
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    assert narration.wav_problem(tmp_path / "header.wav")
    assert narration.wav_problem(tmp_path / "junk.wav")
    with pytest.raises(NarrationError):
        wav_info(tmp_path / "junk.wav")


def test_concurrent_callers_synthesise_once(tmp_path: Path) -> None:
    """Two kiosk threads (each with its own cache object, as two processes would) ask at once."""
    caches = [NarrationCache(tmp_path / "cache") for _ in range(2)]
    barrier = threading.Barrier(2)

    def ask(cache: NarrationCache) -> Path:
        barrier.wait()
        return cache.get_or_make("两个请求同时到达。", "zh-Hans")

    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(ask, caches))
    assert paths[0] == paths[1] and narration.wav_problem(paths[0]) is None
    assert sum(c.misses for c in caches) == 1 and sum(c.hits for c in caches) == 1
    assert [p.name for p in (tmp_path / "cache").glob("*.wav")] == [paths[0].name]  # no work files left


def test_cache_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = NarrationCache(tmp_path / "cache")
    first = cache.get_or_make("The first text, somewhat longer.", "en")
    second = cache.get_or_make("Second text.", "en")
    os.utime(first, (1_000_000, first.stat().st_mtime))  # first was used long ago
    cache.max_bytes = first.stat().st_size + second.stat().st_size + 1
    third = cache.get_or_make("Hi.", "en")  # shorter than first: dropping first alone makes room
    assert third.exists() and second.exists() and not first.exists()
    assert cache.size() <= cache.max_bytes


def test_no_voice_is_a_clear_error(tmp_path: Path) -> None:
    assert find_voice(NO_VOICE_TAG) is None
    out = tmp_path / "zu.wav"
    with pytest.raises(NarrationError, match=f"no voice for language {NO_VOICE_TAG}"):
        narration.synthesize("Sawubona.", NO_VOICE_TAG, out)
    with pytest.raises(NarrationError, match="no voice"):
        NarrationCache(tmp_path / "cache").get_or_make("Sawubona.", NO_VOICE_TAG)
    assert not out.exists()


def test_timeout_and_crash_leave_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "slow.wav"
    with pytest.raises(NarrationError, match="timed out"):
        narration.synthesize("This text will not finish in time.", "en", out, timeout=0.01)
    monkeypatch.setattr(narration, "WORKER_MODULE", "content_sync.no_such_worker")
    with pytest.raises(NarrationError, match="speech engine failed"):
        narration.synthesize("The worker cannot even start.", "en", out)
    assert list(tmp_path.iterdir()) == []


def test_sentence_times_follow_the_text() -> None:
    text = "兰州是黄河穿过的城市。中山铁桥建于一九零九年！你去过吗？"
    times = sentence_times(text, 12.0)
    assert [s for _, s in times] == ["兰州是黄河穿过的城市。", "中山铁桥建于一九零九年！", "你去过吗？"]
    starts = [t for t, _ in times]
    assert starts[0] == 0.0 and starts == sorted(starts) and starts[-1] < 12.0
    # weights: characters plus one for the pause after each sentence (10+1, 11+1, 4+1)
    assert starts[1] == pytest.approx(12.0 * 11 / 28, abs=0.01)
    assert starts[2] == pytest.approx(12.0 * 23 / 28, abs=0.01)
    english = sentence_times("The bridge is old. It was built in 1909! Walk across it.", 6.0)
    assert [s for _, s in english][1] == "It was built in 1909!"
    assert narration.split_sentences("Room No. 5 is open. Next one.") == ["Room No. 5 is open.", "Next one."]


# -- kiosk-pack narrate on a copy of the mini pack --------------------------------------------


def _edit_yaml(path: Path, edit: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _spoken(src: Path) -> Path:
    """Where the tests keep a source's synthesised narration: beside it, never inside it."""
    return src.parent / f"{src.name}-narration"


def _narrate(src: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(cli, ["narrate", str(src), "-o", str(_spoken(src)), "--json", *args])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_narrate_build_install(mini_source: Path, make_pack: Any, installer: Installer, data_dir: DataDir) -> None:
    def add_texts(venues: list[dict[str, Any]]) -> None:
        venues[0]["narration"][NO_VOICE_TAG] = "Sawubona."

    _edit_yaml(mini_source / "venues.yaml", add_texts)
    _edit_yaml(
        mini_source / "routes.yaml",
        lambda routes: routes[0].update(narration={"zh-Hans": "沿着黄河走。", "en": "Walk along the river."}),
    )
    code, report, err = _narrate(mini_source)
    assert code == 0, err
    assert report["made"] == 8 and report["by_lang"] == {"en": 4, "zh-Hans": 4}
    assert f"no voice for language {NO_VOICE_TAG}: 1 narration text(s)" in err
    assert report["audio_seconds"] > 5 and 0 < report["realtime_factor"] < 5
    spoken = _spoken(mini_source)
    assert not (mini_source / "narration").exists()  # generated files stay out of the source
    wavs = sorted(p.relative_to(spoken).as_posix() for p in spoken.rglob("*.wav"))
    assert "route/river-walk.zh-Hans.wav" in wavs and len(wavs) == 8
    index = json.loads((spoken / "index.json").read_text(encoding="utf-8"))["items"]
    assert index["venue/zhongshan-iron-bridge.en"]["voice"] == find_voice("en").id  # type: ignore[union-attr]

    code, report, _ = _narrate(mini_source)  # nothing changed: nothing is redone
    assert code == 0 and report["made"] == 0 and report["unchanged"] == 8

    without = make_pack(mini_source)  # no --narration: only recorded audio is packed
    installer.install(without)
    with ContentStore.open(data_dir) as store:
        assert store.venue("zhongshan-iron-bridge").audio == {}  # type: ignore[union-attr]
    pack = make_pack(mini_source, narration=spoken, version=2)
    installer.install(pack)
    with ContentStore.open(data_dir) as store:
        venue = store.venue("zhongshan-iron-bridge")
        route = store.route("river-walk")
        assert venue is not None and route is not None
        assert set(venue.audio) == {"zh-Hans", "en"}
        assert narration.wav_problem(venue.audio["zh-Hans"]) is None
        assert wav_info(venue.audio["en"]).rms > SILENCE_RMS
        assert set(route.audio) == {"zh-Hans", "en"}


def test_recorded_audio_wins_and_stale_files_are_skipped(mini_source: Path) -> None:
    code, _, err = _narrate(mini_source, "--lang", "en")
    assert code == 0, err
    recorded = mini_source / "media" / "recorded.en.wav"
    shutil.copy(_spoken(mini_source) / "venue" / "night-market.en.wav", recorded)

    def edit(venues: list[dict[str, Any]]) -> None:
        by_id = {v["id"]: v for v in venues}
        by_id["night-market"]["audio"] = {"en": "media/recorded.en.wav"}
        by_id["zhongshan-iron-bridge"]["narration"]["en"] = "A new text nobody has synthesised."

    _edit_yaml(mini_source / "venues.yaml", edit)
    source, problems = load_source(mini_source, narration=_spoken(mini_source))
    assert source is not None, problems
    venues = {v["id"]: v for v in source.records["venues"]}
    stale = [p for p in problems if "stale" in p.message]
    assert [p.field for p in stale] == ["venue/zhongshan-iron-bridge.en"] and stale[0].warning
    assert "en" not in venues["zhongshan-iron-bridge"]["audio"]
    assert ("venue", "night-market", "en") not in source.narration_audio
    assert source.media[venues["night-market"]["audio"]["en"]].source == recorded.resolve()
    assert ("venue", "gansu-provincial-museum", "en") in source.narration_audio

    code, report, _ = _narrate(mini_source, "--lang", "en")
    assert code == 0 and report["made"] == 1 and report["recorded"] == 1 and report["removed"] == 1
    assert not (_spoken(mini_source) / "venue" / "night-market.en.wav").exists()


def test_narrate_only_unvoiced_language_fails(mini_source: Path) -> None:
    code, report, err = _narrate(mini_source, "--lang", "zh-Hans", "--lang", NO_VOICE_TAG)
    assert code == 0 and report["made"] == 3  # Chinese done; no zu texts in the mini pack
    _edit_yaml(mini_source / "venues.yaml", lambda vs: [v["narration"].update({NO_VOICE_TAG: "Sawubona."}) for v in vs])
    code, report, err = _narrate(mini_source, "--lang", NO_VOICE_TAG)
    assert code == 1 and report["no_voice"] == {NO_VOICE_TAG: 3}
    assert f"no voice for language {NO_VOICE_TAG}" in err
