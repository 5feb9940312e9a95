"""A deterministic synthetic city: N venues with mixed Chinese/English text, plus M noise images.

The generator writes a real *pack source folder* (``pack.yaml``; themes, categories and
districts copied from ``tests/data/mini-pack``; venues as JSON files of 10,000 records; media
as PNGs of random noise, 50-200 KB each, which do not compress), so ``build_pack`` can be
benchmarked end to end. :func:`ensure_content_db` loads that folder with ``load_source`` and
writes the content database with ``packfile.write_content_db`` for the search benchmark.

Everything is cached under ``benchmarks/out/`` (gitignored):

* ``city-g<gen>-n<N>-s<seed>-m<M>/source/`` keyed by generator version, N, seed and M;
* ``.../content-<lib>.db`` additionally keyed by a fingerprint of the library modules that write
  it (search, schema, packfile, source, ...), so an index change in the library is never
  benchmarked against a stale database.

Usage: ``.venv/bin/python -m benchmarks.synthetic_city --venues 100000 [--seed 42] [--media 300] [--db]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_ROOT = BENCH_DIR / "out"
MINI_PACK = REPO / "tests" / "data" / "mini-pack"
LIBRARY = REPO / "content_sync"

GENERATOR_VERSION = 1  # bump whenever the generated text changes
VENUES_PER_FILE = 10_000
DEFAULT_VENUES = 100_000
DEFAULT_SEED = 42
DEFAULT_MEDIA = 300
CREATED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

Log = Callable[[str], None]


def _print(msg: str) -> None:
    print(msg, flush=True)


# --- text material ------------------------------------------------------------------------

# (Chinese, English) place-name parts around Lanzhou and Tianshui.
PLACES: tuple[tuple[str, str], ...] = (
    ("兰州", "Lanzhou"), ("天水", "Tianshui"), ("黄河", "Yellow River"), ("白塔", "White Pagoda"),
    ("五泉", "Wuquan"), ("金城", "Jincheng"), ("皋兰", "Gaolan"), ("榆中", "Yuzhong"), ("麦积", "Maiji"),
    ("伏羲", "Fuxi"), ("秦州", "Qinzhou"), ("安宁", "Anning"), ("七里河", "Qilihe"), ("西固", "Xigu"),
    ("城关", "Chengguan"), ("永登", "Yongdeng"), ("甘谷", "Gangu"), ("武山", "Wushan"), ("清水", "Qingshui"),
    ("秦安", "Qin'an"), ("南山", "Nanshan"), ("北山", "Beishan"), ("东岗", "Donggang"), ("西关", "Xiguan"),
    ("雁滩", "Yantan"), ("中山", "Zhongshan"), ("玉泉", "Yuquan"), ("南郭", "Nanguo"), ("仙人崖", "Xianrenya"),
    ("石门", "Shimen"), ("卦台", "Guatai"), ("大像山", "Daxiangshan"), ("水帘洞", "Shuiliandong"),
    ("街亭", "Jieting"), ("龙城", "Longcheng"), ("羲皇", "Xihuang"), ("兴隆", "Xinglong"), ("吐鲁沟", "Tulugou"),
    ("什川", "Shichuan"), ("青城", "Qingcheng"), ("马衔山", "Maxianshan"), ("徐家山", "Xujiashan"),
    ("仁寿山", "Renshoushan"), ("河口", "Hekou"), ("连城", "Liancheng"), ("红古", "Honggu"),
    ("张家川", "Zhangjiachuan"), ("关山", "Guanshan"), ("渭河", "Wei River"), ("藉河", "Ji River"),
    ("陇右", "Longyou"), ("金天", "Jintian"), ("敦煌", "Dunhuang"), ("凉州", "Liangzhou"), ("华林", "Hualin"),
)  # fmt: skip

# Optional modifiers; the empty one is drawn most often.
MODIFIERS: tuple[tuple[str, str], ...] = (
    ("古", "Old"), ("新", "New"), ("东", "East"), ("西", "West"), ("南", "South"), ("北", "North"),
    ("滨河", "Riverside"), ("文化", "Cultural"), ("民俗", "Folk"), ("丝路", "Silk Road"),
    ("彩陶", "Painted Pottery"), ("非遗", "Intangible Heritage"), ("湿地", "Wetland"), ("森林", "Forest"),
    ("梨花", "Pear Blossom"), ("牡丹", "Peony"), ("水车", "Water Wheel"), ("书法", "Calligraphy"),
    ("红色", "Revolutionary"), ("农耕", "Farming"),
)  # fmt: skip

# (Chinese suffix, English suffix, category id, theme ids, tags)
KINDS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("公园", "Park", "park", ("natural-landscape",), ("park", "family")),
    ("湿地公园", "Wetland Park", "park", ("natural-landscape", "yellow-river"), ("wetland", "birds")),
    ("植物园", "Botanical Garden", "park", ("natural-landscape",), ("garden", "flowers")),
    ("水车园", "Water Wheel Garden", "park", ("yellow-river",), ("water-wheel", "river")),
    ("博物馆", "Museum", "museum", ("history-people", "silk-road"), ("museum", "history")),
    ("纪念馆", "Memorial Hall", "museum", ("history-people",), ("memorial", "history")),
    ("美术馆", "Art Gallery", "culture-centre", ("history-people",), ("art", "exhibition")),
    ("文化馆", "Cultural Centre", "culture-centre", ("ethnic-culture",), ("culture", "workshop")),
    ("图书馆", "Library", "culture-centre", ("history-people",), ("library", "reading")),
    ("古镇", "Ancient Town", "old-town", ("history-people",), ("old-town", "architecture")),
    ("老街", "Old Street", "old-town", ("history-people",), ("old-street", "shopping")),
    ("步行街", "Pedestrian Street", "old-town", ("ethnic-culture",), ("shopping", "walking")),
    ("古城", "Old City", "old-town", ("history-people", "silk-road"), ("city-wall", "history")),
    ("街", "Street", "old-town", ("ethnic-culture",), ("street", "shopping")),
    ("寺", "Temple", "temple", ("history-people",), ("temple", "buddhism")),
    ("道观", "Taoist Temple", "temple", ("history-people",), ("temple", "taoism")),
    ("清真寺", "Mosque", "temple", ("ethnic-culture",), ("mosque", "architecture")),
    ("桥", "Bridge", "landmark", ("yellow-river",), ("bridge", "river", "night-view")),
    ("广场", "Square", "landmark", ("history-people",), ("square", "night-view")),
    ("塔", "Pagoda", "landmark", ("history-people",), ("pagoda", "viewpoint")),
    ("楼", "Tower", "landmark", ("history-people",), ("tower", "viewpoint")),
    ("山", "Mountain", "scenic-area", ("natural-landscape",), ("hiking", "viewpoint")),
    ("峡谷", "Canyon", "scenic-area", ("natural-landscape",), ("canyon", "hiking")),
    ("湖", "Lake", "scenic-area", ("natural-landscape",), ("lake", "boating")),
    ("景区", "Scenic Area", "scenic-area", ("natural-landscape",), ("scenery", "photography")),
    ("石窟", "Grottoes", "heritage-site", ("silk-road",), ("grottoes", "buddhism", "sculpture")),
    ("遗址", "Ruins", "heritage-site", ("history-people",), ("ruins", "archaeology")),
    ("故居", "Former Residence", "heritage-site", ("history-people",), ("residence", "history")),
    ("书院", "Academy", "heritage-site", ("history-people",), ("academy", "calligraphy")),
    ("美食街", "Food Street", "food-street", ("ethnic-culture",), ("food", "halal")),
    ("夜市", "Night Market", "food-street", ("ethnic-culture",), ("food", "night-market")),
    ("牛肉面馆", "Beef Noodle House", "food-street", ("ethnic-culture",), ("food", "beef-noodles")),
    ("剧院", "Theatre", "theatre", ("ethnic-culture",), ("theatre", "performance")),
    ("大剧院", "Grand Theatre", "theatre", ("silk-road",), ("theatre", "dance-drama")),
    ("戏楼", "Opera Stage", "theatre", ("ethnic-culture",), ("opera", "qinqiang")),
)  # fmt: skip

BRANCHES: tuple[tuple[str, str], ...] = (
    ("东门", "East Gate"), ("西门", "West Gate"), ("分馆", "Branch"), ("二期", "Phase II"),
    ("南区", "South Section"), ("北区", "North Section"), ("游客中心", "Visitor Centre"),
)  # fmt: skip

ROADS: tuple[tuple[str, str], ...] = (
    ("滨河路", "Binhe Road"), ("庆阳路", "Qingyang Road"), ("张掖路", "Zhangye Road"), ("西津西路", "Xijin West Road"),
    ("南昌路", "Nanchang Road"), ("民主西路", "Minzhu West Road"), ("东岗西路", "Donggang West Road"),
    ("北滨河路", "North Binhe Road"), ("天水路", "Tianshui Road"), ("武都路", "Wudu Road"), ("酒泉路", "Jiuquan Road"),
    ("平凉路", "Pingliang Road"), ("静宁路", "Jingning Road"), ("金昌路", "Jinchang Road"),
    ("安宁东路", "Anning East Road"), ("人民路", "Renmin Road"), ("解放路", "Jiefang Road"),
    ("中华西路", "Zhonghua West Road"), ("藉河南路", "Jihe South Road"), ("羲皇大道", "Xihuang Avenue"),
    ("岷山路", "Minshan Road"), ("正宁路", "Zhengning Road"), ("雁滩路", "Yantan Road"),
)  # fmt: skip

ZH_PHRASES: tuple[str, ...] = (
    "始建于明代洪武年间，历经多次修缮。", "清代乾隆年间重修，保存有完整的木构建筑。",
    "馆内收藏彩陶、青铜器和简牍等珍贵文物三千余件。", "这里是了解丝绸之路历史的重要窗口。",
    "登高远眺，可俯瞰兰州城区和黄河两岸的全景。", "园内古树参天，环境清幽，适合散步和休憩。",
    "夜晚灯光璀璨，是观赏黄河夜景的好去处。", "周边有牛肉面、酿皮、灰豆子等地方特色小吃。",
    "秦腔、太平鼓等非物质文化遗产在此定期展演。", "每逢节假日，游客络绎不绝，建议错峰参观。",
    "春季梨花盛开，吸引大量市民前来赏花拍照。", "景区内设有无障碍通道和休息座椅。",
    "建议游览时间为一至两小时。", "讲解服务需提前预约，团队游客可享受优惠。",
    "这里曾是古代商旅往来的驿站。", "伏羲文化源远流长，每年举办公祭伏羲大典。",
    "石窟开凿于后秦时期，现存洞窟二百余个。", "泥塑造像精美，被誉为东方雕塑陈列馆。",
    "黄河水车是兰州独特的灌溉工具，已有数百年历史。", "羊皮筏子是黄河上古老的渡河工具。",
    "白塔山上的白塔始建于元代，是兰州的标志性建筑。", "五泉山因五眼泉水而得名，山上庙宇众多。",
    "金城是兰州的古称，城市因此得名。", "街区保留了传统四合院和砖雕门楼。",
    "这里的砖雕、刻葫芦和洮砚工艺享有盛名。", "广场上每天傍晚都有市民跳舞、唱秦腔。",
    "博物馆免费开放，需携带身份证预约入馆。", "展厅分为历史、民俗和自然三个部分。",
    "铜奔马出土于武威雷台，是中国旅游标志。", "沿河步道绿树成荫，骑行和散步都很舒适。",
    "冬季游客较少，可以安静地欣赏古建筑。", "山顶的观景台是拍摄日出和日落的理想地点。",
    "附近有公交站和地铁站，交通十分便利。", "园区内有儿童游乐设施，适合家庭出游。",
    "戏楼每逢周末上演传统剧目。", "寺内供奉释迦牟尼佛像，香火旺盛。",
    "清真寺建筑融合了中国传统建筑风格。", "古城墙遗址见证了这座城市的沧桑变迁。",
    "这里曾是丝绸之路上重要的军事要塞。", "当地的浆水面和呱呱是必尝的美食。",
    "花牛苹果是天水的特产，秋季可以采摘。", "玉泉观依山而建，是陇上著名的道教宫观。",
    "南郭寺内有一棵两千多年的古柏。", "麦积山石窟是世界文化遗产的一部分。",
    "游客可以在这里体验剪纸和皮影戏制作。", "展览定期更新，介绍甘肃各民族的文化。",
    "黄河母亲雕塑是兰州的城市象征之一。", "中山铁桥建成于1909年，被称为天下黄河第一桥。",
    "园中亭台楼阁错落有致，颇具江南园林风格。", "每年举办的兰州国际马拉松赛从这里经过。",
    "这里的夜市从傍晚一直营业到深夜。", "馆藏书画作品涵盖宋元明清各个时期。",
)  # fmt: skip

EN_PHRASES: tuple[str, ...] = (
    "It was first built in the Ming dynasty and restored several times.",
    "The collection includes painted pottery, bronzes and bamboo slips.",
    "It is one of the best places to learn about the Silk Road.",
    "From the top you can see the whole city and both banks of the Yellow River.",
    "Old trees shade quiet paths that are good for a stroll.",
    "At night the lights make it a favourite spot for river views.",
    "Nearby streets sell beef noodles, cold noodles and other local snacks.",
    "Qinqiang opera and Taiping drum performances are held here regularly.",
    "It gets busy on public holidays, so visit early in the morning.",
    "Pear blossoms cover the hills in spring.",
    "Step-free paths and benches are available throughout the site.",
    "Allow one to two hours for a visit.",
    "Guided tours must be booked in advance.",
    "Caravans once rested here on their way west.",
    "The cave temples were carved over fifteen centuries.",
    "Clay sculptures here are among the finest in China.",
    "Water wheels like these irrigated the river valley for centuries.",
    "Sheepskin rafts still carry visitors across the river.",
    "The white pagoda on the hill dates from the Yuan dynasty.",
    "The museum is free; bring your passport to book a ticket.",
    "The galleries cover history, folk customs and nature.",
    "A riverside path makes cycling and walking easy.",
    "The viewing platform is ideal for sunrise and sunset photos.",
    "Buses and the metro stop nearby.",
    "There is a playground for children.",
    "Traditional operas are staged on weekends.",
    "The mosque blends Chinese and Islamic architecture.",
    "Parts of the old city wall can still be seen.",
    "Try the local noodles in sour broth.",
    "Visitors can try paper cutting and shadow puppet making.",
    "Temporary exhibitions introduce the cultures of Gansu's peoples.",
    "The bridge was completed in 1909 and was the first steel bridge over the river.",
)

EXTRA_TAGS = (
    "photography", "family", "history", "night-view", "river", "food", "heritage", "silk-road", "pottery",
    "calligraphy", "tea", "garden", "architecture", "free", "accessible", "hiking", "shopping", "opera",
)  # fmt: skip

CITIES = {
    "lanzhou": ("兰州", "Lanzhou", (36.0611, 103.8343), "931"),
    "tianshui": ("天水", "Tianshui", (34.5809, 105.7249), "938"),
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG_STRIP.sub("-", text.lower()).strip("-")


# --- configuration and cache layout ------------------------------------------------------


@dataclass(frozen=True)
class CityConfig:
    venues: int = DEFAULT_VENUES
    seed: int = DEFAULT_SEED
    media: int = DEFAULT_MEDIA

    @property
    def key(self) -> str:
        return f"city-g{GENERATOR_VERSION}-n{self.venues}-s{self.seed}-m{self.media}"

    @property
    def root(self) -> Path:
        return OUT_ROOT / self.key

    @property
    def source(self) -> Path:
        return self.root / "source"


# The library code that decides what write_content_db produces: the pack wing and the core values.
DB_MODULES = ("pack", "core")


def library_fingerprint() -> str:
    """Hash of the code that writes the content DB: a cached DB is only reused with that same code."""
    digest = hashlib.sha256()
    for path in sorted(p for wing in DB_MODULES for p in (LIBRARY / wing).rglob("*.py")):
        digest.update(path.relative_to(LIBRARY).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# --- generation ---------------------------------------------------------------------------


def _load_districts() -> dict[str, list[tuple[str, str, str]]]:
    import yaml

    by_city: dict[str, list[tuple[str, str, str]]] = {}
    for d in yaml.safe_load((MINI_PACK / "districts.yaml").read_text(encoding="utf-8")):
        by_city.setdefault(d["city"], []).append((d["code"], d["name"]["zh-Hans"], d["name"]["en"]))
    return by_city


def _compose(rng: random.Random, pool: tuple[str, ...], lo: int, hi: int, head: str = "", sep: str = "") -> str:
    """``head`` then phrases from ``pool`` until the text is at least a random target length in [lo, hi]."""
    target = rng.randint(lo, hi)
    parts = [head] if head else []
    length = len(head)
    for phrase in rng.sample(pool, len(pool)):
        if length >= target:
            break
        joint = ("\n\n" if rng.random() < 0.15 else sep) if parts else ""  # an occasional paragraph break
        if length + len(joint) + len(phrase) > hi:
            continue
        parts += (joint, phrase)
        length += len(joint) + len(phrase)
    return "".join(parts)


def _hours(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.4:
        return {"always_open": True}
    open_h = rng.choice((7, 8, 8, 9, 9, 10))
    close_h = rng.choice((17, 17, 18, 20, 22))
    days = list(DAYS[1:]) if rng.random() < 0.5 else list(DAYS)
    rule: dict[str, Any] = {"days": days, "open": f"{open_h:02d}:00", "close": f"{close_h:02d}:00"}
    if rng.random() < 0.5:
        rule["last_entry"] = f"{close_h - 1:02d}:00"
    hours: dict[str, Any] = {"weekly": [rule]}
    if len(days) == 6:
        hours["note"] = {"zh-Hans": "周一闭馆（法定节假日除外）", "en": "Closed on Mondays except public holidays"}
    if rng.random() < 0.1:
        hours["seasons"] = [{
            "name": {"zh-Hans": "夏季", "en": "Summer"}, "from": "05-01", "to": "10-31",
            "weekly": [{"days": list(DAYS), "open": f"{open_h - 1:02d}:00", "close": f"{close_h:02d}:30"}],
        }]  # fmt: skip
    return hours


def generate_venues(n: int, seed: int, media_files: list[str]) -> Iterator[dict[str, Any]]:
    """``n`` venue records in the pack source format; the same ``seed`` gives the same records."""
    rng = random.Random(f"venues-{seed}")
    districts = _load_districts()
    for i in range(n):
        city = "lanzhou" if rng.random() < 0.7 else "tianshui"
        city_zh, city_en, (lat0, lon0), area_code = CITIES[city]
        place_zh, place_en = rng.choice(PLACES)
        mod_zh, mod_en = rng.choice(MODIFIERS) if rng.random() < 0.55 else ("", "")
        kind_zh, kind_en, category, kind_themes, kind_tags = rng.choice(KINDS)
        branch_zh, branch_en = rng.choice(BRANCHES) if rng.random() < 0.2 else ("", "")
        name_zh = f"{place_zh}{mod_zh}{kind_zh}{branch_zh}"
        name_en = " ".join(p for p in (place_en, mod_en, kind_en) if p) + (f" ({branch_en})" if branch_en else "")
        code, district_zh, district_en = rng.choice(districts[city])
        road_zh, road_en = rng.choice(ROADS)
        number = rng.randint(1, 999)
        aliases: dict[str, list[str]] = {}
        if rng.random() < 0.4:
            aliases["zh-Hans"] = [f"{place_zh}{kind_zh}" if mod_zh or branch_zh else f"老{place_zh}{kind_zh}"]
        if rng.random() < 0.3:
            aliases["en"] = [f"{kind_en} of {place_en}"]
        themes = list(kind_themes)
        if rng.random() < 0.3:
            themes.append(
                rng.choice(("yellow-river", "silk-road", "ethnic-culture", "history-people", "natural-landscape"))
            )
        tags = list(dict.fromkeys([*kind_tags, *rng.sample(EXTRA_TAGS, rng.randint(0, 3))]))
        record: dict[str, Any] = {
            "id": f"{_slug(name_en)[:60]}-{i:06d}",
            "name": {"zh-Hans": name_zh, "en": name_en},
            "category": category,
            "themes": list(dict.fromkeys(themes)),
            "city": city,
            "district": code,
            "address": {
                "zh-Hans": f"{city_zh}市{district_zh}{road_zh}{number}号",
                "en": f"{number} {road_en}, {district_en}, {city_en}",
            },
            "location": {
                "lat": round(lat0 + rng.uniform(-0.25, 0.25), 5),
                "lon": round(lon0 + rng.uniform(-0.35, 0.35), 5),
            },
            "summary": {
                "zh-Hans": f"{name_zh}：" + rng.choice(ZH_PHRASES),
                "en": f"{name_en}. " + rng.choice(EN_PHRASES),
            },
            "description": {
                "zh-Hans": _compose(rng, ZH_PHRASES, 60, 200, head=f"{name_zh}位于{district_zh}{road_zh}。"),
                "en": _compose(rng, EN_PHRASES, 150, 520, head=f"{name_en} is on {road_en} in {district_en}.", sep=" "),
            },
            "hours": _hours(rng),
            "tickets": []
            if rng.random() < 0.4
            else [
                {"label": {"zh-Hans": "成人", "en": "Adult"}, "price_cny": rng.choice((10, 20, 30, 40, 60, 80, 120))},
                {"label": {"zh-Hans": "学生", "en": "Student"}, "price_cny": rng.choice((5, 10, 15, 20))},
            ],
            "getting_there": {
                "zh-Hans": f"乘坐{rng.randint(1, 160)}路公交车到{place_zh}站下车，步行{rng.randint(2, 15)}分钟。",
                "en": f"Take bus {rng.randint(1, 160)} to {place_en} stop and walk {rng.randint(2, 15)} minutes.",
            },
            "tags": tags,
            "featured": rng.random() < 0.01,
            "narration": {
                "zh-Hans": f"欢迎来到{name_zh}。" + rng.choice(ZH_PHRASES),
                "en": f"Welcome to {name_en}. " + rng.choice(EN_PHRASES),
            },
            "sort": i + 1,
        }
        if aliases:
            record["aliases"] = aliases
        if rng.random() < 0.3:
            record["accessibility"] = {"step_free": rng.random() < 0.7, "accessible_toilet": rng.random() < 0.5}
        if rng.random() < 0.4:
            record["contact"] = {"phone": f"+86 {area_code} {rng.randint(1000000, 9999999)}"}
        if media_files:
            count = 1 if rng.random() < 0.7 else (2 if rng.random() < 0.3 else 0)
            record["images"] = [{
                "file": rng.choice(media_files),
                "caption": {"zh-Hans": f"{name_zh}外景", "en": name_en},
                "credit": "Synthetic benchmark image", "licence": "CC0-1.0",
            } for _ in range(count)]  # fmt: skip
        yield record


def write_media(dest: Path, count: int, seed: int) -> list[str]:
    """``count`` PNGs of random RGB noise, 50-200 KB each (noise does not compress)."""
    from PIL import Image

    rng = random.Random(f"media-{seed}")
    folder = dest / "media" / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    rels = []
    for k in range(count):
        target = rng.randint(50_000, 200_000)
        width = 256
        height = max(16, target // (width * 3))
        img = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        rel = f"media/photos/photo-{k:04d}.png"
        img.save(dest / rel, format="PNG", compress_level=1)
        rels.append(rel)
    return rels


def write_source(cfg: CityConfig, dest: Path, log: Log = _print) -> None:
    """Write the pack source folder for ``cfg`` into ``dest`` (created)."""
    dest.mkdir(parents=True)
    (dest / "pack.yaml").write_text(
        f"id: synthetic-city-n{cfg.venues}-s{cfg.seed}\n"
        "title: {zh-Hans: 合成城市基准测试内容包, en: Synthetic city benchmark pack}\n"
        "content_version: 1\nchannel: stable\nlanguages: [zh-Hans, en]\nfallback: [en, zh-Hans]\n"
        "timezone: Asia/Shanghai\nexpires_days: 3650\n",
        encoding="utf-8",
    )
    for name in ("themes.yaml", "categories.yaml", "districts.yaml"):
        shutil.copyfile(MINI_PACK / name, dest / name)
    t0 = time.perf_counter()
    media = write_media(dest, cfg.media, cfg.seed)
    log(f"  .. {len(media)} noise PNGs written in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    folder = dest / "venues"
    folder.mkdir()
    batch: list[dict[str, Any]] = []
    part = 0

    def flush() -> None:
        nonlocal part
        with open(folder / f"part-{part:04d}.json", "w", encoding="utf-8") as fh:
            json.dump(batch, fh, ensure_ascii=False, separators=(",", ":"))
        part += 1
        batch.clear()

    for record in generate_venues(cfg.venues, cfg.seed, media):
        batch.append(record)
        if len(batch) == VENUES_PER_FILE:
            flush()
    if batch:
        flush()
    log(f"  .. {cfg.venues:,} venues in {part} JSON files written in {time.perf_counter() - t0:.1f} s")


def ensure_source(cfg: CityConfig, log: Log = _print) -> Path:
    """The pack source folder for ``cfg``, generated once and cached."""
    if (cfg.root / "source.ok").is_file() and cfg.source.is_dir():
        return cfg.source
    log(f"generating synthetic city {cfg.key} ...")
    cfg.root.mkdir(parents=True, exist_ok=True)
    tmp = cfg.root / "source.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(cfg.source, ignore_errors=True)
    write_source(cfg, tmp, log)
    tmp.rename(cfg.source)
    (cfg.root / "source.ok").write_text("ok\n")
    return cfg.source


def write_db(source_dir: Path, db_path: Path) -> dict[str, float]:
    """``load_source`` + ``write_content_db`` into ``db_path``; returns phase timings (s)."""
    from content_sync.pack.content_db import write_content_db
    from content_sync.pack.source import load_source

    t0 = time.perf_counter()
    source, problems = load_source(source_dir)
    t1 = time.perf_counter()
    if source is None:
        errors = [p for p in problems if not p.warning][:10]
        raise RuntimeError(f"synthetic source does not validate: {errors}")
    write_content_db(source, db_path, CREATED_AT)
    t2 = time.perf_counter()
    return {"load_source": t1 - t0, "write_content_db": t2 - t1, "warnings": float(len(problems))}


def ensure_content_db(cfg: CityConfig, log: Log = _print) -> tuple[Path, dict[str, float]]:
    """The content DB for ``cfg`` (cached per library fingerprint) and the timings of its last build."""
    source = ensure_source(cfg, log)
    db = cfg.root / f"content-{library_fingerprint()}.db"
    timings_file = db.with_suffix(".timings.json")
    if db.is_file() and timings_file.is_file():
        return db, json.loads(timings_file.read_text())
    log(f"writing content DB {db.name} (load_source + write_content_db, {cfg.venues:,} venues) ...")
    for stale in cfg.root.glob("content-*"):
        stale.unlink()
    tmp = db.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    timings = write_db(source, tmp)
    tmp.rename(db)
    timings_file.write_text(json.dumps(timings))
    log(f"  .. load_source {timings['load_source']:.1f} s, write_content_db {timings['write_content_db']:.1f} s")
    return db, timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venues", type=int, default=DEFAULT_VENUES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--media", type=int, default=DEFAULT_MEDIA)
    parser.add_argument("--db", action="store_true", help="also write (or reuse) the content database")
    args = parser.parse_args(argv)
    cfg = CityConfig(args.venues, args.seed, args.media)
    print(f"source: {ensure_source(cfg)}")
    if args.db:
        db, _ = ensure_content_db(cfg)
        print(f"content db: {db} ({db.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
