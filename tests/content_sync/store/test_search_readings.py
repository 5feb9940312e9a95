"""Search finds places by their correct reading, by the names tourists use, and says "did you mean"."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from content_sync.pack.search_index import name_readings
from content_sync.pack.source import load_source
from content_sync.store import search
from tests.content_sync.store.test_search import _content_db
from tests.support import DEMO_SOURCE, MINI_SOURCE

# Real places whose characters have more than one reading; pypinyin's default reads
# 长治 as "zhangzhi" and 六合 as "liuhe". (六合区 is in shared/realdata/cn_divisions_areas.csv.)
HETERONYM_VENUES = """
- id: changzhi-shangdang-gate
  name: {zh-Hans: 长治上党门, en: Shangdang Gate of Changzhi}
  category: landmark
  themes: [history-people]
  city: lanzhou
  address: {zh-Hans: 山西省长治市潞州区, en: "Luzhou District, Changzhi, Shanxi"}
  location: {lat: 36.1955, lon: 113.1163}
  summary: {zh-Hans: 长治的古城门楼。, en: The old gate tower of Changzhi.}
  description: {zh-Hans: 上党门是长治的地标。, en: The gate is a landmark of the city.}
  hours: {always_open: true}
  getting_there: {zh-Hans: 在长治市中心。, en: In the centre of Changzhi.}
  narration: {zh-Hans: 这里是上党门。, en: This is the Shangdang Gate.}
- id: luhe-jinniu-lake
  name: {zh-Hans: 六合金牛湖, en: Jinniu Lake}
  category: park
  themes: [yellow-river]
  city: lanzhou
  address: {zh-Hans: 江苏省南京市六合区, en: "Luhe District, Nanjing, Jiangsu"}
  location: {lat: 32.4597, lon: 118.9297}
  summary: {zh-Hans: 南京六合区的湖泊景区。, en: A lake park in Nanjing's Luhe District.}
  description: {zh-Hans: 湖边有步道。, en: A path runs along the lake.}
  hours: {always_open: true}
  getting_there: {zh-Hans: 在六合区北部。, en: In the north of Luhe District.}
  narration: {zh-Hans: 这里是金牛湖。, en: This is Jinniu Lake.}
"""


@pytest.fixture(scope="module")
def heteronym_db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    source = tmp_path_factory.mktemp("src") / "pack"
    shutil.copytree(MINI_SOURCE, source)
    with (source / "venues.yaml").open("a", encoding="utf-8") as f:
        f.write(HETERONYM_VENUES)
    return _content_db(source, tmp_path_factory.mktemp("db") / "content.db")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    return _content_db(DEMO_SOURCE, tmp_path_factory.mktemp("demo") / "content.db")


def ids(conn: sqlite3.Connection, query: str) -> list[str]:
    return [hit.ref_id for hit in search.search(conn, query, limit=30)]


# --- readings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "venue"),
    [
        ("changzhi", "changzhi-shangdang-gate"),
        ("changzhishangdangmen", "changzhi-shangdang-gate"),
        ("czsdm", "changzhi-shangdang-gate"),
        ("luhe", "luhe-jinniu-lake"),
        ("luhejinniuhu", "luhe-jinniu-lake"),
        ("lhjnh", "luhe-jinniu-lake"),
    ],
)
def test_places_are_found_by_their_correct_reading(heteronym_db: sqlite3.Connection, query: str, venue: str) -> None:
    assert ids(heteronym_db, query)[:1] == [venue]


def test_the_reading_in_context_comes_first() -> None:
    assert name_readings("长治市")[0] == ["chang", "zhi", "shi"]
    assert name_readings("南京市六合区")[0] == ["nan", "jing", "shi", "lu", "he", "qu"]
    assert name_readings("崆峒山")[0] == ["kong", "tong", "shan"]  # Kongtong Mountain, Pingliang
    # Other readings of each character stay findable, within a bound.
    assert ["zhang", "zhi", "shi"] in name_readings("长治市")
    assert len(name_readings("兰州黄河大水车制作技艺")) <= 12


def test_other_readings_do_not_disturb_the_demo(demo_db: sqlite3.Connection) -> None:
    assert ids(demo_db, "maijishan")[0] == "maijishan-grottoes"
    assert ids(demo_db, "zhongshan")[0] == "zhongshan-iron-bridge"
    assert ids(demo_db, "zstq")[0] == "zhongshan-iron-bridge"


# --- aliases ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["lamian", "beef noodles", "Lanzhou ramen", "兰州拉面", "牛大碗"])
def test_names_tourists_use_find_the_noodles(demo_db: sqlite3.Connection, query: str) -> None:
    hits = search.search(demo_db, query, limit=30)
    assert hits and (hits[0].kind, hits[0].ref_id) == ("heritage", "lanzhou-beef-noodle-craft"), hits[:3]
    assert hits[0].in_name


def test_venue_aliases_in_the_demo(demo_db: sqlite3.Connection) -> None:
    assert ids(demo_db, "bronze galloping horse")[0] == "gansu-provincial-museum"
    assert ids(demo_db, "tongbenma")[0] == "gansu-provincial-museum"  # pinyin of the Chinese alias 铜奔马


def test_heritage_aliases_are_checked_like_venue_aliases(tmp_path: Path) -> None:
    source = tmp_path / "pack"
    shutil.copytree(MINI_SOURCE, source)
    text = (source / "heritage.yaml").read_text(encoding="utf-8")
    (source / "heritage.yaml").write_text(
        text.replace("  kind: dance\n", "  aliases: {zh-Hans: 太平鼓}\n  kind: dance\n  aliases: [oops]\n", 1),
        encoding="utf-8",
    )
    loaded, problems = load_source(source)
    assert loaded is None or any("aliases" in str(p) for p in problems)
    assert any("aliases" in str(p) and not p.warning for p in problems), [str(p) for p in problems]


# --- did you mean ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "ref_id"),
    [
        ("maijshan", "venue", "maijishan-grottoes"),
        ("zhongshen tieqiao", "venue", "zhongshan-iron-bridge"),
        ("lamien", "heritage", "lanzhou-beef-noodle-craft"),
        ("beaf noodles", "heritage", "lanzhou-beef-noodle-craft"),
        ("fuxi tmple", "venue", "fuxi-temple"),
    ],
)
def test_did_you_mean_for_a_misspelling(demo_db: sqlite3.Connection, typed: str, kind: str, ref_id: str) -> None:
    assert search.search(demo_db, typed, limit=30) == [], "a misspelling that finds something needs no suggestion"
    found = search.suggest(demo_db, typed)
    assert found is not None and (found.kind, found.ref_id) == (kind, ref_id), found


def test_no_suggestion_for_noise(demo_db: sqlite3.Connection) -> None:
    assert search.suggest(demo_db, "qx") is None  # too short to resemble anything
    assert search.suggest(demo_db, "xkcdqwv") is None


def test_suggest_is_quick_enough_for_the_worker(demo_db: sqlite3.Connection) -> None:
    """Not a timing test (benchmarks/ measures): a guard against an accidental quadratic blow-up."""
    start = time.perf_counter()
    search.suggest(demo_db, "maijshan")
    assert time.perf_counter() - start < 5


# --- pinyin candidates from the pack's names -------------------------------------------------


def test_typed_pinyin_offers_the_packs_own_words(demo_db: sqlite3.Connection) -> None:
    lexicon = search.PinyinLexicon.from_index(demo_db)
    maiji = lexicon.candidates("maiji")
    assert maiji[0] == "麦积" and "麦积山石窟" in maiji  # the exact word first, then whole names
    assert "天水" in lexicon.candidates("tianshui")
    assert "兰州拉面" in lexicon.candidates("lanzhoula")  # aliases are words too
    assert lexicon.candidates("MAIJI") == maiji
    assert lexicon.candidates("") == [] and lexicon.candidates("xkcdq") == []
    assert len(lexicon.candidates("l")) <= search.MAX_LEXICON_CANDIDATES


def test_pinyin_words_use_the_correct_reading(heteronym_db: sqlite3.Connection) -> None:
    lexicon = search.PinyinLexicon.from_index(heteronym_db)
    assert "长治" in lexicon.candidates("changzhi")
    assert "六合金牛湖" in lexicon.candidates("luhe")
