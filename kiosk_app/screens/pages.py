"""Practical information: station notes, travel tips and about-this-kiosk pages, as plain text.

A page body is plain text: paragraphs separated by blank lines, and lines starting with
``- `` shown as bullet items. A short line directly above bullet items is their heading.
Nothing in a page can become markup: every piece goes through ``text_label``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ..strings import N_
from ..theme import LANDSCAPE, PORTRAIT
from ..widgets.common import Card, ScrollPage, grid, text_label
from .base import Screen

PRACTICAL_KINDS = ("practical", "station", "about")
KIND_NAMES: dict[str, str] = {
    "practical": N_("practical.kind.practical"), "station": N_("practical.kind.station"),
    "about": N_("practical.kind.about"),
}  # fmt: skip
BULLET = "- "
HEADING_MAX_CHARS = 40  # a line longer than this above bullets is a paragraph, not a heading
READING_WIDTH = 1100  # px: longer lines are hard to follow at arm's length


@dataclass
class Block:
    """One part of a page: an optional heading, then paragraphs and bullet items in order."""

    heading: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)  # ("para" | "bullet", text)


def parse_body(text: str) -> list[Block]:
    """Split plain text into blocks at blank lines; ``- `` lines become bullets."""
    blocks: list[Block] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        block = Block()
        first = lines[0]
        has_bullets = any(line.startswith(BULLET) for line in lines[1:])
        if (not first.startswith(BULLET) and has_bullets and len(first) <= HEADING_MAX_CHARS
                and not first.endswith((".", "。", ":", "：", "!", "！", "?", "？"))):  # fmt: skip
            block.heading, lines = first, lines[1:]
        for line in lines:
            if line.startswith(BULLET):
                block.items.append(("bullet", line[len(BULLET) :].strip()))
            elif block.items and block.items[-1][0] == "para":
                # A line break inside a paragraph: keep it as one paragraph with the break.
                block.items[-1] = ("para", f"{block.items[-1][1]}\n{line}")
            else:
                block.items.append(("para", line))
        blocks.append(block)
    return blocks


def add_block(layout: QVBoxLayout, block: Block, gap: int) -> list[QWidget]:
    """Add one block's labels to ``layout``; returns them (to show or hide them together).

    Only labels and nested layouts: a plain container widget would paint the page colour
    inside a card.
    """
    widgets: list[QWidget] = []
    if block.heading:
        heading = text_label(block.heading, "heading")
        heading.setObjectName("page-heading")
        layout.addWidget(heading)
        widgets.append(heading)
    for kind, text in block.items:
        if kind == "bullet":
            # A hanging indent: wrapped lines start under the text, not under the dot.
            line = QHBoxLayout()
            line.setSpacing(max(8, gap // 2))
            dot = text_label("•", wrap=False)
            dot.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
            dot.setMinimumWidth(max(20, gap))  # at least: a CJK font's dot is wider
            words = text_label(text)
            words.setObjectName("page-bullet")
            line.addWidget(dot, 0, Qt.AlignmentFlag.AlignTop)
            line.addWidget(words, 1)
            layout.addLayout(line)
            widgets += [dot, words]
        else:
            paragraph = text_label(text)
            paragraph.setObjectName("page-paragraph")
            layout.addWidget(paragraph)
            widgets.append(paragraph)
    return widgets


def add_body(layout: QVBoxLayout, text: str, gap: int) -> list[QWidget]:
    """Add a whole plain-text body to ``layout``, with a little more air between blocks."""
    widgets: list[QWidget] = []
    for i, block in enumerate(parse_body(text)):
        if i:
            layout.addSpacing(gap // 2)
        widgets += add_block(layout, block, gap)
    return widgets


def preview(text: str, limit: int = 120) -> str:
    """The opening paragraph, or else the page's headings (what it covers), cut to ``limit`` characters."""
    blocks = parse_body(text)
    if not blocks:
        return ""
    first = blocks[0]
    if not first.heading and first.items and first.items[0][0] == "para":
        words = " ".join(first.items[0][1].split())
    else:
        words = " · ".join(b.heading for b in blocks if b.heading) or " ".join(first.items[0][1].split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


class PracticalScreen(Screen):
    """Every practical, station and about page as a card."""

    name = "practical"

    def title(self) -> str:
        return self.ctx.tr("practical.title")

    def kinds(self) -> tuple[str, ...]:
        # A station kiosk leads with the station's own page.
        if self.ctx.config.profile in ("station", "airport"):
            return ("station", "practical", "about")
        return PRACTICAL_KINDS

    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        page.add(text_label(tr("practical.title"), "title"))

        def page_card(kind: str, item: dict) -> Card:
            card = Card(lambda ident=item["id"]: ctx.go("page", id=ident))
            card.setObjectName(f"page-{item['id']}")
            layout = QVBoxLayout(card)
            layout.setContentsMargins(20, 18, 20, 18)
            layout.setSpacing(6)
            layout.addWidget(text_label(tr(KIND_NAMES[kind]), "muted"))
            layout.addWidget(text_label(tr.content(item["title"]), "heading"))
            layout.addWidget(text_label(preview(tr.content(item["body"]))))
            layout.addStretch(1)
            card.setMinimumHeight(m.touch + 24)
            return card

        cards: list[Card] = []
        for kind in self.kinds():
            cards += self.items("page", ctx.store.pages(kind), lambda item, kind=kind: page_card(kind, item))
        if cards:
            columns = 1 if ctx.layout == PORTRAIT else 2
            page.add(grid(cards, columns, m.gap))
        else:
            page.add(text_label(tr("practical.none"), "heading"))
        page.finish()
        self.body.addWidget(page)


class PageScreen(Screen):
    """Parameter: id (any page kind)."""

    name = "page"
    per_params = True

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.page: dict | None = None

    def title(self) -> str:
        return self.ctx.tr.content(self.page["title"]) if self.page else ""

    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        ident = self.params.get("id", "")
        self.page = next((p for p in ctx.store.pages() if p["id"] == ident), None)
        if self.page is None:
            raise LookupError(f"no page {ident!r}")
        page = ScrollPage(m.margin, m.gap)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(max(8, m.gap // 2))
        title = text_label(tr.content(self.page["title"]), "title")
        title.setObjectName("page-title")
        layout.addWidget(title)
        layout.addSpacing(m.gap // 2)
        add_body(layout, tr.content(self.page["body"]), m.gap)
        extra = ctx.content_width() - READING_WIDTH
        if ctx.layout == LANDSCAPE and extra > 0:
            # Keep lines short enough to follow on a wide screen; the rest stays empty on the far side.
            # (Margins, not an alignment: an aligned widget loses the height its wrapped text needs.)
            page.column.setContentsMargins(m.margin, m.margin, m.margin + extra, m.margin)
        page.add(column)
        page.finish()
        self.body.addWidget(page)
