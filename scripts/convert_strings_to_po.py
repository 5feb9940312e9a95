"""One-off: turn the old hand-written table in kiosk_app/strings.py into gettext catalogs.

Run once from the repository root (``.venv/bin/python scripts/convert_strings_to_po.py``)
while kiosk_app/strings.py still holds ``STRINGS``. It writes
``kiosk_app/locale/<lang>/LC_MESSAGES/kiosk.po`` for every language, with the plural
messages below written per CLDR category (one, few, many, ...) and placed at the index
Babel's Plural-Forms expression gives each category, then compiles the ``.mo`` files.
Kept in history only: the .po files are the source of truth from now on.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk_app.strings import STRINGS  # noqa: E402  (the old table, before it is replaced)

LOCALE_DIR = ROOT / "kiosk_app" / "locale"
LANGUAGES = ("en", "zh-Hans", "ja", "ko", "ru", "ar")

# Never shown by the code (found by the unused-id test), or replaced below.
DELETED = {
    "nav.language", "attract.featured", "home.map", "home.notice", "list.theme", "list.category",
    "list.district", "venue.more_in_theme", "search.results_one",
    "routes.duration_h", "routes.duration_hm", "routes.duration_m",
}  # fmt: skip

# New or reworded singular messages: durations are built from plural pieces.
SINGULAR: dict[str, dict[str, str]] = {
    "routes.duration": {
        "en": "About {time}", "zh-Hans": "约 {time}", "ja": "約{time}", "ko": "약 {time}",
        "ru": "Около {time}", "ar": "حوالي {time}",
    },
    "routes.stay": {
        "en": "Stay about {time}", "zh-Hans": "停留约 {time}", "ja": "滞在 約{time}", "ko": "약 {time} 머무르기",
        "ru": "Около {time} на месте", "ar": "البقاء نحو {time}",
    },
    "time.hours_minutes": {
        "en": "{hours} {minutes}", "zh-Hans": "{hours} {minutes}", "ja": "{hours}{minutes}",
        "ko": "{hours} {minutes}", "ru": "{hours} {minutes}", "ar": "{hours} و{minutes}",
    },
}  # fmt: skip

# Plural messages by CLDR category. The count is always {n}.
PLURAL: dict[str, dict[str, dict[str, str]]] = {
    "home.open_now_count": {
        "en": {"one": "{n} place open now", "other": "{n} places open now"},
        "zh-Hans": {"other": "{n} 处现在开放"},
        "ja": {"other": "{n}か所が営業中"},
        "ko": {"other": "{n}곳 운영 중"},
        "ru": {"one": "Сейчас открыто {n} место", "few": "Сейчас открыто {n} места", "many": "Сейчас открыто {n} мест"},
        "ar": {
            "zero": "لا أماكن مفتوحة الآن", "one": "مكان واحد مفتوح الآن", "two": "مكانان مفتوحان الآن",
            "few": "{n} أماكن مفتوحة الآن", "many": "{n} مكانًا مفتوحًا الآن", "other": "{n} مكان مفتوح الآن",
        },
    },
    "status.updated_minutes": {
        "en": {"one": "updated {n} min ago", "other": "updated {n} min ago"},
        "zh-Hans": {"other": "{n} 分钟前更新"},
        "ja": {"other": "{n}分前に更新"},
        "ko": {"other": "{n}분 전 업데이트"},
        "ru": {"one": "обновлено {n} минуту назад", "few": "обновлено {n} минуты назад",
               "many": "обновлено {n} минут назад"},
        "ar": {
            "zero": "حُدِّث منذ أقل من دقيقة", "one": "حُدِّث منذ دقيقة", "two": "حُدِّث منذ دقيقتين",
            "few": "حُدِّث منذ {n} دقائق", "many": "حُدِّث منذ {n} دقيقة", "other": "حُدِّث منذ {n} دقيقة",
        },
    },
    "status.updated_hours": {
        "en": {"one": "updated {n} h ago", "other": "updated {n} h ago"},
        "zh-Hans": {"other": "{n} 小时前更新"},
        "ja": {"other": "{n}時間前に更新"},
        "ko": {"other": "{n}시간 전 업데이트"},
        "ru": {"one": "обновлено {n} час назад", "few": "обновлено {n} часа назад",
               "many": "обновлено {n} часов назад"},
        "ar": {
            "zero": "حُدِّث منذ أقل من ساعة", "one": "حُدِّث منذ ساعة", "two": "حُدِّث منذ ساعتين",
            "few": "حُدِّث منذ {n} ساعات", "many": "حُدِّث منذ {n} ساعة", "other": "حُدِّث منذ {n} ساعة",
        },
    },
    "status.updated_days": {
        "en": {"one": "updated {n} day ago", "other": "updated {n} days ago"},
        "zh-Hans": {"other": "{n} 天前更新"},
        "ja": {"other": "{n}日前に更新"},
        "ko": {"other": "{n}일 전 업데이트"},
        "ru": {"one": "обновлено {n} день назад", "few": "обновлено {n} дня назад", "many": "обновлено {n} дней назад"},
        "ar": {
            "zero": "حُدِّث اليوم", "one": "حُدِّث منذ يوم", "two": "حُدِّث منذ يومين",
            "few": "حُدِّث منذ {n} أيام", "many": "حُدِّث منذ {n} يومًا", "other": "حُدِّث منذ {n} يوم",
        },
    },
    "list.count": {
        "en": {"one": "{n} place", "other": "{n} places, nearest first"},
        "zh-Hans": {"other": "{n} 个地点，按距离排序"},
        "ja": {"other": "{n}か所（近い順）"},
        "ko": {"other": "{n}곳, 가까운 순"},
        "ru": {"one": "{n} место, сначала ближайшие", "few": "{n} места, сначала ближайшие",
               "many": "{n} мест, сначала ближайшие"},
        "ar": {
            "zero": "لا أماكن", "one": "مكان واحد", "two": "مكانان، الأقرب أولًا",
            "few": "{n} أماكن، الأقرب أولًا", "many": "{n} مكانًا، الأقرب أولًا", "other": "{n} مكان، الأقرب أولًا",
        },
    },
    "time.hours": {
        "en": {"one": "{n} h", "other": "{n} h"},
        "zh-Hans": {"other": "{n} 小时"},
        "ja": {"other": "{n}時間"},
        "ko": {"other": "{n}시간"},
        "ru": {"one": "{n} ч", "few": "{n} ч", "many": "{n} ч"},
        # After "حوالي" / "نحو" (about): the genitive.
        "ar": {
            "zero": "{n} ساعة", "one": "ساعة", "two": "ساعتين",
            "few": "{n} ساعات", "many": "{n} ساعة", "other": "{n} ساعة",
        },
    },
    "time.minutes": {
        "en": {"one": "{n} min", "other": "{n} min"},
        "zh-Hans": {"other": "{n} 分钟"},
        "ja": {"other": "{n}分"},
        "ko": {"other": "{n}분"},
        "ru": {"one": "{n} мин", "few": "{n} мин", "many": "{n} мин"},
        "ar": {
            "zero": "{n} دقيقة", "one": "دقيقة", "two": "دقيقتين",
            "few": "{n} دقائق", "many": "{n} دقيقة", "other": "{n} دقيقة",
        },
    },
    "routes.stops": {
        "en": {"one": "{n} stop", "other": "{n} stops"},
        "zh-Hans": {"other": "{n} 站"},
        "ja": {"other": "{n}か所"},
        "ko": {"other": "{n}곳"},
        "ru": {"one": "{n} остановка", "few": "{n} остановки", "many": "{n} остановок"},
        "ar": {
            "zero": "بلا محطات", "one": "محطة واحدة", "two": "محطتان",
            "few": "{n} محطات", "many": "{n} محطة", "other": "{n} محطة",
        },
    },
    "search.results": {
        "en": {"one": "{n} result", "other": "{n} results"},
        "zh-Hans": {"other": "找到 {n} 项"},
        "ja": {"other": "{n}件"},
        "ko": {"other": "{n}건"},
        "ru": {"one": "{n} результат", "few": "{n} результата", "many": "{n} результатов"},
        "ar": {
            "zero": "لا نتائج", "one": "نتيجة واحدة", "two": "نتيجتان",
            "few": "{n} نتائج", "many": "{n} نتيجة", "other": "{n} نتيجة",
        },
    },
    "idle.warning": {
        "en": {"one": "Still there? Returning to the start in {n} second.",
               "other": "Still there? Returning to the start in {n} seconds."},
        "zh-Hans": {"other": "还在吗？{n} 秒后回到开始页面。"},
        "ja": {"other": "まだご利用中ですか？{n}秒後に最初の画面に戻ります。"},
        "ko": {"other": "계속 이용하시나요? {n}초 후 처음 화면으로 돌아갑니다."},
        "ru": {"one": "Вы ещё здесь? Возврат к началу через {n} секунду.",
               "few": "Вы ещё здесь? Возврат к началу через {n} секунды.",
               "many": "Вы ещё здесь? Возврат к началу через {n} секунд."},
        "ar": {
            "zero": "هل ما زلت هنا؟ العودة إلى البداية الآن.",
            "one": "هل ما زلت هنا؟ العودة إلى البداية خلال ثانية واحدة.",
            "two": "هل ما زلت هنا؟ العودة إلى البداية خلال ثانيتين.",
            "few": "هل ما زلت هنا؟ العودة إلى البداية خلال {n} ثوانٍ.",
            "many": "هل ما زلت هنا؟ العودة إلى البداية خلال {n} ثانية.",
            "other": "هل ما زلت هنا؟ العودة إلى البداية خلال {n} ثانية.",
        },
    },
    "routes.count": {
        "en": {"one": "{n} route", "other": "{n} routes"},
        "zh-Hans": {"other": "{n} 条线路"},
        "ja": {"other": "{n}ルート"},
        "ko": {"other": "코스 {n}개"},
        "ru": {"one": "{n} маршрут", "few": "{n} маршрута", "many": "{n} маршрутов"},
        "ar": {
            "zero": "لا مسارات", "one": "مسار واحد", "two": "مساران",
            "few": "{n} مسارات", "many": "{n} مسارًا", "other": "{n} مسار",
        },
    },
    "events.count": {
        "en": {"one": "{n} event", "other": "{n} events"},
        "zh-Hans": {"other": "{n} 场活动"},
        "ja": {"other": "{n}件のイベント"},
        "ko": {"other": "행사 {n}개"},
        "ru": {"one": "{n} событие", "few": "{n} события", "many": "{n} событий"},
        "ar": {
            "zero": "لا فعاليات", "one": "فعالية واحدة", "two": "فعاليتان",
            "few": "{n} فعاليات", "many": "{n} فعالية", "other": "{n} فعالية",
        },
    },
    "operator.pin_locked": {
        "en": {"one": "Too many wrong tries. Try again in {n} second.",
               "other": "Too many wrong tries. Try again in {n} seconds."},
        "zh-Hans": {"other": "错误次数过多，请 {n} 秒后再试。"},
        "ja": {"other": "誤りが多すぎます。{n}秒後にもう一度お試しください。"},
        "ko": {"other": "잘못된 시도가 너무 많습니다. {n}초 후 다시 시도하세요."},
        "ru": {"one": "Слишком много неверных попыток. Повторите через {n} секунду.",
               "few": "Слишком много неверных попыток. Повторите через {n} секунды.",
               "many": "Слишком много неверных попыток. Повторите через {n} секунд."},
        "ar": {
            "zero": "محاولات خاطئة كثيرة. أعد المحاولة الآن.",
            "one": "محاولات خاطئة كثيرة. أعد المحاولة بعد ثانية واحدة.",
            "two": "محاولات خاطئة كثيرة. أعد المحاولة بعد ثانيتين.",
            "few": "محاولات خاطئة كثيرة. أعد المحاولة بعد {n} ثوانٍ.",
            "many": "محاولات خاطئة كثيرة. أعد المحاولة بعد {n} ثانية.",
            "other": "محاولات خاطئة كثيرة. أعد المحاولة بعد {n} ثانية.",
        },
    },
}  # fmt: skip

# Where new messages go in the file (after the message named), so related ids stay together.
PLACE_AFTER = {
    "routes.duration": "routes.title",
    "time.hours_minutes": "routes.duration",
    "time.hours": "time.hours_minutes",
    "time.minutes": "time.hours",
}


def forms_by_index(lang: str, by_category: dict[str, str]) -> tuple[str, ...]:
    """Put each category's text at the index the Plural-Forms expression gives that category."""
    import gettext

    babel_locale = lang.replace("-", "_")
    plural = get_plural(babel_locale)
    index_of = gettext.c2py(plural.plural_expr)
    cldr = Locale.parse(babel_locale).plural_form
    forms: list[str | None] = [None] * plural.num_plurals
    for n in range(0, 1000):
        category = cldr(n)
        text = by_category[category]
        i = index_of(n)
        assert forms[i] in (None, text), (lang, n, category, forms[i])
        forms[i] = text
    assert all(f is not None for f in forms), (lang, forms)
    return tuple(f for f in forms if f is not None)


def ordered_ids() -> list[str]:
    ids = [k for k in STRINGS if k not in DELETED]
    for new, after in PLACE_AFTER.items():
        ids.insert(ids.index(after) + 1, new)
    return ids


def catalog_for(lang: str) -> Catalog:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    name = Locale.parse(lang.replace("-", "_")).english_name
    catalog = Catalog(
        locale=lang.replace("-", "_"),
        domain="kiosk",
        header_comment=f"# Interface strings of the culture kiosk: {name}.\n"
        "# Monolingual catalog: msgid is the symbolic id, msgstr the text. The English catalog\n"
        "# (en) is the source. See docs/translations.md.",
        project="culture-kiosk",
        version="0.1",
        creation_date=now,
        revision_date=now,
        fuzzy=False,
    )
    # Weblate and Poedit fill these in; Babel's placeholders would only mislead.
    catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = ""
    for key in ordered_ids():
        if key in PLURAL:
            text: str | tuple[str, ...] = forms_by_index(lang, PLURAL[key][lang])
            msgid: str | tuple[str, str] = (key, key)
            english = PLURAL[key]["en"]["other"]
        elif key in SINGULAR:
            text, msgid, english = SINGULAR[key][lang], key, SINGULAR[key]["en"]
        else:
            text, msgid, english = STRINGS[key][lang], key, STRINGS[key]["en"]
        flags = ["python-brace-format"] if "{" in english else []
        comments = [] if lang == "en" else [f"en: {english}"]
        message = catalog.add(msgid, text, auto_comments=comments)
        # Babel decides this flag from the msgid, which in a monolingual catalog is the bare id.
        message.flags.update(flags)
    return catalog


def main() -> None:
    for lang in LANGUAGES:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "kiosk.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog_for(lang), width=0, omit_header=False)
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
