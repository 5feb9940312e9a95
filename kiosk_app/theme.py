"""Sizes, colours and the style sheet, computed from the screen and the visitor's choices.

Sizes are chosen for arm's length on 21-55 inch screens and 10 inch in-room tablets:
touch targets of at least 72 px (9 mm or more on every screen we target), body text of
at least 22 px. High contrast and large text are modes a visitor turns on, and an idle
reset turns them back to the kiosk's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize

LANDSCAPE, PORTRAIT, COMPACT = "landscape", "portrait", "compact"
LAYOUTS: dict[str, QSize] = {
    LANDSCAPE: QSize(1920, 1080),  # station and lobby screens
    PORTRAIT: QSize(1080, 1920),  # totems
    COMPACT: QSize(1280, 800),  # in-room tablets
}


def layout_for(size: QSize) -> str:
    if size.height() > size.width():
        return PORTRAIT
    return LANDSCAPE if size.width() >= 1600 else COMPACT


@dataclass(frozen=True)
class Palette:
    """The colours of one display mode. Every pair the style sheet draws meets WCAG 2.1
    (``tests/kiosk/test_contrast.py`` computes them): text 4.5:1 on what it is drawn on;
    ``border`` 3:1 against both ``background`` and ``surface``, since a card or button's border
    is what shows where it is (its white fill is barely lighter than the page)."""

    background: str
    surface: str
    text: str
    muted: str
    accent: str
    accent_text: str
    border: str
    open: str
    closed: str
    focus: str
    pressed: str  # a button's fill while a finger is on it
    pressed_text: str
    placeholder: str = "#D9CCB8"  # where a picture is still loading: a quiet block of the page's own tone
    picture_dim: float = 0.0  # how much darker pictures are drawn (0: as they are)


NORMAL = Palette(
    background="#F6F1E7", surface="#FFFFFF", text="#1F1A14", muted="#5C5247", accent="#9A3B1B",
    accent_text="#FFFFFF", border="#8A7A64", open="#1E6B3A", closed="#8A1C1C", focus="#0B5CAD",
    pressed="#E4D9C6", pressed_text="#1F1A14",
)  # fmt: skip
HIGH_CONTRAST = Palette(
    background="#000000", surface="#000000", text="#FFFFFF", muted="#FFFFFF", accent="#FFE600",
    accent_text="#000000", border="#FFFFFF", open="#7CFF7C", closed="#FF8C8C", focus="#FFE600",
    pressed="#FFE600", pressed_text="#000000", placeholder="#333333",
)  # fmt: skip
# A visit begun on the night screen (kiosk_app/night.py): warm grey on near-black, so a hotel
# room or a dark square is not lit up by a white page at midnight; still WCAG 2.1 throughout.
NIGHT = Palette(
    background="#14120F", surface="#1E1B17", text="#CFC6B8", muted="#A99E8F", accent="#E0A15E",
    accent_text="#14120F", border="#8A7F70", open="#79C98F", closed="#F09A8E", focus="#7FB0E0",
    pressed="#3B352D", pressed_text="#E6DED2", placeholder="#2A2620", picture_dim=0.45,
)  # fmt: skip
# Every palette a display mode may use, by name; the contrast test checks each one (and fails
# on a palette defined here but left out).
PALETTES: dict[str, Palette] = {"normal": NORMAL, "high_contrast": HIGH_CONTRAST, "night": NIGHT}


def palette_for(high_contrast: bool, night: bool) -> Palette:
    """The palette a visit uses: high contrast when the visitor asked for it, even at night."""
    if high_contrast:
        return HIGH_CONTRAST
    return NIGHT if night else NORMAL


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes for one layout and text size."""

    body: int
    small: int
    title: int
    heading: int
    touch: int
    gap: int
    margin: int
    columns: int

    @classmethod
    def for_layout(cls, layout: str, large_text: bool = False) -> Metrics:
        base = {LANDSCAPE: 24, PORTRAIT: 26, COMPACT: 22}[layout]
        scale = 1.3 if large_text else 1.0
        body = round(base * scale)
        columns = {LANDSCAPE: 4, PORTRAIT: 2, COMPACT: 3}[layout]
        if large_text:
            columns = max(1, columns - 1)
        return cls(
            body=body, small=max(20, round(body * 0.82)), title=round(body * 2.0), heading=round(body * 1.35),
            touch=max(72, round(body * 3.0)), gap=16 if layout == COMPACT else 24,
            margin=24 if layout == COMPACT else 40, columns=columns,
        )  # fmt: skip


def style_sheet(p: Palette, m: Metrics, rtl: bool = False) -> str:
    """One style sheet for the whole app; widgets pick styles by objectName and properties."""
    return f"""
    QWidget {{ background: {p.background}; color: {p.text}; font-size: {m.body}px;
        font-family: "Noto Sans CJK SC", "Noto Sans", "Noto Sans Arabic", sans-serif; }}
    QLabel {{ background: transparent; }}
    QLabel[role="title"] {{ font-size: {m.title}px; font-weight: 700; }}
    QLabel[role="heading"] {{ font-size: {m.heading}px; font-weight: 700; }}
    QLabel[role="muted"] {{ color: {p.muted}; font-size: {m.small}px; }}
    QLabel[role="open"] {{ color: {p.open}; font-weight: 700; }}
    QLabel[role="closed"] {{ color: {p.closed}; font-weight: 700; }}
    QLabel[role="notice"] {{ background: {p.surface}; border: 2px solid {p.accent}; border-radius: 12px;
        padding: 12px 16px; }}
    QPushButton {{ min-height: {m.touch}px; padding: 0 {m.gap}px; border-radius: 14px;
        background: {p.surface}; color: {p.text}; border: 2px solid {p.border}; font-size: {m.body}px; }}
    QPushButton:pressed {{ background: {p.pressed}; color: {p.pressed_text}; }}
    QPushButton:disabled {{ color: {p.muted}; border-style: dashed; background: {p.background}; }}
    QPushButton:focus {{ border: 3px solid {p.focus}; }}
    QPushButton[role="primary"] {{ background: {p.accent}; color: {p.accent_text}; border-color: {p.accent};
        font-weight: 700; }}
    QPushButton[role="chip"] {{ min-height: {m.touch}px; min-width: {m.touch}px; border-radius: {m.touch // 2}px; }}
    QPushButton[role="chip"][symbol="true"] {{ padding: 0; }}
    QPushButton[role="chip"]:checked {{ background: {p.accent}; color: {p.accent_text}; border-color: {p.accent}; }}
    QPushButton[role="key"] {{ font-size: {m.heading}px; padding: 0; }}
    QPushButton[role="lang"]:checked {{ background: {p.accent}; color: {p.accent_text}; border-color: {p.accent}; }}
    QFrame[role="card"] {{ background: {p.surface}; border: 2px solid {p.border}; border-radius: 18px; }}
    QFrame[role="header"], QFrame[role="status"] {{ background: {p.surface}; border: none;
        border-bottom: 2px solid {p.border}; }}
    QFrame[role="overlay"] {{ background: {p.surface}; border: 4px solid {p.accent}; border-radius: 24px; }}
    QScrollArea {{ border: none; background: transparent; }}
    QScrollArea > QWidget > QWidget {{ background: transparent; }}
    QScrollBar:vertical {{ width: {max(18, m.gap)}px; background: {p.background}; }}
    QScrollBar::handle:vertical {{ background: {p.border}; border-radius: 8px; min-height: 80px; }}
    QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
    QLineEdit {{ min-height: {m.touch}px; font-size: {m.heading}px; border: 3px solid {p.accent};
        border-radius: 14px; padding: 0 16px; background: {p.surface}; }}
    """
