"""One visitor's session: everything an idle reset must forget.

Screens keep their own per-visit state (scroll positions, typed text) and clear it in
``reset()``; what several screens share lives here. Listeners hear about changes through
plain callbacks so that this module does not depend on Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .strings import Translator


@dataclass
class Session:
    default_language: str
    fallback: tuple[str, ...]
    default_high_contrast: bool = False
    default_large_text: bool = False
    default_reach: bool = False
    language: str = ""
    high_contrast: bool = False
    large_text: bool = False
    # Reach mode: header and content in the lower part of the screen, for a visitor in a wheelchair.
    reach: bool = False
    read_aloud: bool = False  # "read this screen aloud": every page shown is spoken
    # Begun on the night screen: pages in the dim night palette until the idle reset.
    night: bool = False
    # Staff let in by the PIN pad, until they leave the status page or the kiosk resets.
    staff_access: bool = False
    listeners: list[Callable[[Session], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.language = self.language or self.default_language
        self.high_contrast = self.default_high_contrast
        self.large_text = self.default_large_text
        self.reach = self.default_reach

    @property
    def tr(self) -> Translator:
        return Translator(self.language, self.fallback)

    def set_language(self, lang: str) -> None:
        if lang != self.language:
            self.language = lang
            self._changed()

    def set_display(
        self, *, high_contrast: bool | None = None, large_text: bool | None = None, reach: bool | None = None
    ) -> None:
        if high_contrast is not None:
            self.high_contrast = high_contrast
        if large_text is not None:
            self.large_text = large_text
        if reach is not None:
            self.reach = reach
        self._changed()

    def set_night(self, on: bool) -> None:
        if on != self.night:
            self.night = on
            self._changed()

    def set_read_aloud(self, on: bool) -> None:
        if on != self.read_aloud:
            self.read_aloud = on
            self._changed()

    def set_fallback(self, fallback: tuple[str, ...]) -> None:
        """A newer pack names another language order. Content is switched only at an idle reset,
        and the reset re-renders everything, so nobody needs telling here."""
        self.fallback = fallback

    def reset(self) -> None:
        """Back to the kiosk's defaults: the next visitor starts fresh."""
        self.staff_access = False
        self.language = self.default_language
        self.read_aloud = False
        self.night = False
        self.high_contrast = self.default_high_contrast
        self.large_text = self.default_large_text
        self.reach = self.default_reach
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)
