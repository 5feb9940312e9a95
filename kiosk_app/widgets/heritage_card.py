"""A card for one item of intangible heritage, shared by home, a theme's page and the heritage pages.

Its own module (not ``cards``) so the heritage page, home and the theme list share it without
one screen importing another.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from content_sync.store.content_store import Heritage

from ..context import AppContext
from ..strings import N_
from .common import Card, ImageView, text_label

# How a heritage item is listed, by the content schema's levels (HERITAGE_LEVELS).
LEVEL_NAMES: dict[str, str] = {
    "world": N_("heritage.level.world"), "national": N_("heritage.level.national"),
    "provincial": N_("heritage.level.provincial"), "municipal": N_("heritage.level.municipal"),
    "county": N_("heritage.level.county"),
}  # fmt: skip
# What kind of tradition it is, by the content schema's kinds (HERITAGE_KINDS).
KIND_NAMES: dict[str, str] = {
    "performance": N_("heritage.kind.performance"), "craft": N_("heritage.kind.craft"),
    "ritual": N_("heritage.kind.ritual"), "music": N_("heritage.kind.music"), "dance": N_("heritage.kind.dance"),
    "drama": N_("heritage.kind.drama"), "literature": N_("heritage.kind.literature"),
    "custom": N_("heritage.kind.custom"),
}  # fmt: skip


def heritage_facts(ctx: AppContext, item: Heritage) -> str:
    """ "Dance · National intangible heritage · listed 2006": a kind or level a pack adds later is left out."""
    tr = ctx.tr
    facts = [tr(KIND_NAMES[item.kind]) if item.kind in KIND_NAMES else "",
             tr(LEVEL_NAMES[item.level]) if item.level in LEVEL_NAMES else ""]  # fmt: skip
    if item.inscribed:
        facts.append(tr("heritage.inscribed", year=item.inscribed))
    return " · ".join(f for f in facts if f)


def heritage_card(ctx: AppContext, item: Heritage, on_tap: Callable[[], None], *, width: int) -> Card:
    """A card ``width`` pixels wide: a small picture beside the name, the facts and the summary."""
    tr = ctx.tr
    card = Card(on_tap)
    card.setObjectName(f"heritage-{item.id}")
    layout = QHBoxLayout(card)
    layout.setContentsMargins(12, 12, 12, 12)
    layout.setSpacing(12)
    image_width = max(96, min(220, (width - 24) // 3))
    image = item.images[0].path if item.images else None
    picture = ImageView(ctx.images, image, QSize(image_width, round(image_width * 2 / 3)), ctx.palette)
    layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
    text = QVBoxLayout()
    text.setSpacing(4)
    text.addWidget(text_label(tr.content(item.name), "heading"))
    facts = heritage_facts(ctx, item)
    if facts:
        text.addWidget(text_label(facts, "muted"))
    summary = tr.content(item.summary)
    if summary:
        text.addWidget(text_label(summary))
    text.addStretch(1)
    layout.addLayout(text, 1)
    return card
