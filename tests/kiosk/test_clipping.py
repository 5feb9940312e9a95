"""No text cut off, in any screen, layout, language or display mode (issue 14, item 7).

Every screen of ``screen_plan`` plus the staff PIN pad, the idle warning and the language list,
in the three layouts, the six languages the catalogs have (six offered: the header's worst case)
and the display modes. Each kiosk is built once per layout; language and mode are switched in
place, as a visitor switches them. PNGs of every view go to ``$KIOSK_CLIP_PNG`` when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk_app.config import KioskConfig
from kiosk_app.screenshots import screen_plan, settle
from kiosk_app.theme import LAYOUTS

from .clipping import find_clipped

LANGUAGES = ["zh-Hans", "en", "ja", "ar", "ko", "ru"]
#: (name, high contrast, large text). High contrast alone draws the same boxes as normal, so
#: the long matrix runs it only for the two complete languages.
MODES = [("normal", False, False), ("large", False, True), ("contrast", True, False), ("large-contrast", True, True)]
FULL_MODE_LANGUAGES = {"zh-Hans", "en"}
SKIP = {"map"}  # the web map draws its own labels in HTML; its legend and list are checked in test_map


def six_languages(config: KioskConfig) -> KioskConfig:
    return KioskConfig({**config.values, "languages.offered": LANGUAGES}, config.problems, config.source)


def views(kiosk):  # type: ignore[no-untyped-def]
    """(name, show) for every view to check; ``show`` brings it on screen."""
    out = []
    for stem, screen, params in screen_plan(kiosk):
        if screen in SKIP:
            continue

        def show(screen=screen, params=params) -> None:  # type: ignore[no-untyped-def]
            kiosk.ctx.session.staff_access = screen == "operator"
            kiosk.nav.go(screen, **params)

        out.append((stem, show))

    def pin_pad() -> None:
        kiosk.nav.go("operator_pin", remember=False)

    def idle_warning() -> None:
        kiosk.nav.go("home")
        kiosk.idle.warning.emit(kiosk.ctx.config["idle.warning_seconds"])

    def language_list() -> None:
        kiosk.nav.go("home")
        kiosk.shell.header.open_language_list()

    out += [("operator_pin", pin_pad), ("idle-warning", idle_warning), ("language-list", language_list)]
    return out


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_no_text_is_cut_off(make_kiosk, kiosk_config, layout: str) -> None:  # type: ignore[no-untyped-def]
    size = LAYOUTS[layout]
    kiosk = make_kiosk(size=(size.width(), size.height()), config=six_languages(kiosk_config))
    app = QApplication.instance()
    out = os.environ.get("KIOSK_CLIP_PNG")
    problems: list[str] = []
    checked = 0
    for lang in LANGUAGES:
        for mode, contrast, large in MODES:
            if mode in ("contrast", "large") and lang not in FULL_MODE_LANGUAGES:
                continue
            kiosk.ctx.session.set_language(lang)
            kiosk.ctx.session.set_display(high_contrast=contrast, large_text=large)
            for stem, show in views(kiosk):
                show()
                settle(app, kiosk, rounds=2)
                kiosk.nav.currentWidget().complete()
                settle(app, kiosk, rounds=1)
                for clipped in find_clipped(kiosk.shell):
                    where = f"{layout}/{lang}/{mode}/{stem}: {clipped}"
                    problems.append(where)
                checked += 1
                if out:
                    folder = Path(out) / layout / lang / mode
                    folder.mkdir(parents=True, exist_ok=True)
                    kiosk.shell.grab().save(str(folder / f"{stem}.png"))
                kiosk.idle.cancelled.emit()  # the warning goes, as a touch ends it
                kiosk.shell.header.close_language_list()
    assert checked > 100
    if os.environ.get("KIOSK_CLIP_LOG"):
        Path(os.environ["KIOSK_CLIP_LOG"]).write_text("\n".join(problems))
    assert not problems, f"{len(problems)} cut off:\n" + "\n".join(problems)


def test_the_bar_is_never_caught_half_arranged(make_kiosk, kiosk_config) -> None:  # type: ignore[no-untyped-def]
    """The shell's 20 s tick and a change of language re-arrange the bar; at no moment after either
    (before any event is processed: a paint, a tap, this check) may a switch poke out of it. A CI run
    caught the read-aloud pill at its words' width, past the bar's edge, when the tick fell between
    a settle and the check."""
    size = LAYOUTS["portrait"]
    kiosk = make_kiosk(size=(size.width(), size.height()), config=six_languages(kiosk_config))
    app = QApplication.instance()
    header = kiosk.shell.header
    kiosk.nav.go("home")
    settle(app, kiosk, rounds=2)
    placed = {w.objectName(): w.geometry() for w in header.findChildren(QPushButton) if w.isVisible()}
    assert "a11y-read-aloud" in placed
    assert find_clipped(header) == []
    kiosk.shell.clock.timeout.emit()  # the tick, with nothing new to show
    assert find_clipped(header) == []
    assert {name: header.findChild(QPushButton, name).geometry() for name in placed} == placed
    for lang in ("en", "ru", "ar", "zh-Hans"):
        kiosk.ctx.session.set_language(lang)  # arranges the bar anew for the words
        assert find_clipped(header) == [], lang
        kiosk.shell.clock.timeout.emit()
        assert find_clipped(header) == [], lang
