"""The demo pack's heritage items all have a picture, and the poster tool draws the right motif for them."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

from tests.support import DEMO_SOURCE, ROOT

TOOL = ROOT / "assets" / "tools" / "draw_posters.py"


def _heritage() -> dict[str, dict]:
    items: dict[str, dict] = {}
    for path in sorted((DEMO_SOURCE / "heritage").glob("*.yaml")):
        for rec in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items[rec["id"]] = rec
    return items


@pytest.fixture(scope="module")
def draw_posters():
    spec = importlib.util.spec_from_file_location("draw_posters", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_heritage_item_has_an_image_that_exists() -> None:
    items = _heritage()
    assert items
    for item_id, rec in items.items():
        files = [img.get("file") for img in rec.get("images") or [] if isinstance(img, dict)]
        assert files, f"{item_id} has no images"
        for f in files:
            assert (DEMO_SOURCE / f).is_file(), f"{item_id}: {f} is missing"


@pytest.mark.parametrize(
    ("item_id", "motif"),
    [
        ("kushui-stilts", "stilts"),
        ("tianshui-silk-carpet-weaving", "loom"),
        ("tianshui-carved-lacquer", "lacquer"),
        ("qinan-xiaoqu", "folksong"),
        ("lanzhou-guzi", "folksong"),
        ("lanzhou-taiping-drum", "drum"),
    ],
)
def test_heritage_posters_show_their_subject(draw_posters, item_id: str, motif: str) -> None:
    assert draw_posters.choose_motif("heritage", _heritage()[item_id]) == motif


def test_the_stilts_event_gets_stilts_and_rose_town_keeps_its_roses(draw_posters) -> None:
    events = yaml.safe_load((DEMO_SOURCE / "events" / "lanzhou.yaml").read_text(encoding="utf-8"))
    event = next(e for e in events if e["id"] == "kushui-stilts-erer-2027")
    assert draw_posters.choose_motif("events", event) == "stilts"
    venues = yaml.safe_load((DEMO_SOURCE / "venues" / "lanzhou.yaml").read_text(encoding="utf-8"))
    town = next(v for v in venues if v["id"] == "kushui-rose-town")
    assert draw_posters.choose_motif("venues", town) == "blossom"
