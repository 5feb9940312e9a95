"""The skeleton every one-item page shares (a place, a route): load it, lay it out, and the common parts.

A portrait totem gets one scrolling column; landscape and tablet screens get a fixed column on
the left (what the item is, the codes to take away) beside a scrolling one on the right. The
parts both pages show are built here once: a picture with its caption and credit, the audio
guide, a still map that opens the full map, and the QR hand-off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from content_sync.store.content_store import Image

from ..theme import COMPACT, PORTRAIT
from ..widgets.common import ImageView, ScrollPage, text_label
from ..widgets.minimap import StillMap
from ..widgets.narration import NarrationPanel
from ..widgets.qr import qr_block
from .base import Screen

Part = Callable[[ScrollPage, int], None]  # adds its widgets to a column of the given content width


class DetailScreen(Screen):
    """Parameter: id. Subclasses say how to ``load`` their item and which parts go where."""

    per_params = True
    # Share of the screen's width the left column takes, by layout (landscape, compact).
    left_share: ClassVar[dict[str, float]] = {"landscape": 0.42, "compact": 0.45}

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.qr_payloads: list[str] = []
        self.narration: NarrationPanel | None = None
        self.still_map: StillMap | None = None

    # -- what a subclass provides ---------------------------------------------------------------
    def load(self, ident: str) -> bool:
        """Read the item; False when the content has no item with this id."""
        raise NotImplementedError

    def portrait_parts(self) -> list[Part]:
        raise NotImplementedError

    def column_parts(self) -> tuple[list[Part], list[Part]]:
        """(left, right) for landscape and tablet screens."""
        raise NotImplementedError

    # -- layout ---------------------------------------------------------------------------------
    def render(self) -> None:
        self.clear_body()
        self.narration = self.still_map = None
        self.qr_payloads = []
        ident = str(self.params.get("id", ""))
        if not self.load(ident):
            raise LookupError(f"no {self.name} {ident!r}")
        ctx, m = self.ctx, self.ctx.metrics
        scrollbar = max(18, m.gap)
        if ctx.layout == PORTRAIT:
            self.body.addWidget(self._column(self.portrait_parts(), ctx.content_width()))
            return
        left_parts, right_parts = self.column_parts()
        holder = QWidget()
        columns = QHBoxLayout(holder)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(0)
        width = ctx.screen_size.width()
        left_width = round(width * self.left_share.get(ctx.layout, self.left_share["landscape"]))
        left = self._column(left_parts, left_width - 2 * m.margin - scrollbar)
        left.setFixedWidth(left_width)
        columns.addWidget(left)
        columns.addWidget(self._column(right_parts, width - left_width - 2 * m.margin - scrollbar), 1)
        self.body.addWidget(holder)

    def _column(self, parts: Sequence[Part], width: int) -> ScrollPage:
        m = self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        for part in parts:
            # One part that cannot be drawn (the facts, the stops) costs that part, not the page.
            self.guarded("part", getattr(part, "__name__", "?"), lambda part=part: part(page, width))
        page.finish()
        return page

    # -- shared parts ---------------------------------------------------------------------------
    def picture(self, page: ScrollPage, image: Image | None, width: int) -> None:
        """The item's first picture at 3:2, its caption and who made it (a flat colour when none)."""
        tr = self.ctx.tr
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        size = QSize(width, round(width * 2 / 3))
        layout.addWidget(ImageView(self.ctx.images, image.path if image else None, size, self.ctx.palette))
        if image:
            caption = tr.content(image.caption)
            # The credit in the visitor's language when the content translates it (a name reads the same).
            credit = tr("hours.image_credit", credit=tr.content(image.credit), licence=image.licence)
            layout.addWidget(text_label(f"{caption}\n{credit}" if caption else credit, "muted"))
        page.add(box)

    def audio_guide(self, page: ScrollPage, key: str, name: str, texts: dict[str, str], audio: dict | None) -> None:
        """The audio guide; it shows itself only where it can be heard in the visitor's language."""
        self.narration = NarrationPanel(self.ctx, key, name, texts, audio)
        page.add(self.narration)

    def still_map_part(
        self, page: ScrollPage, points: list[tuple[float, float]], width: int, on_tap: Callable[[], None],
        *, colour: str, path: bool = False,
    ) -> None:  # fmt: skip
        """A small map of ``points`` (a tap opens the full map); nothing when the pack has no basemap."""
        ctx = self.ctx
        if not points or not ctx.map.has_basemap():
            return
        width = min(width, 720)
        self.still_map = StillMap(ctx, points, QSize(width, round(width * 0.55)), on_tap, colour=colour, path=path,
                                  caption=ctx.tr("map.show"))  # fmt: skip
        page.add(self.still_map)

    def take_away(self, page: ScrollPage, codes: list[tuple[str, str]]) -> None:
        """QR codes to carry what the visitor found away on their phone: (payload, caption) each,
        side by side except in a tablet's narrow column."""
        ctx = self.ctx
        self.qr_payloads = [payload for payload, _ in codes]
        compact = ctx.layout == COMPACT
        page.add(qr_block(ctx.qr, ctx.tr("venue.take_away"), codes, size=200 if compact else 250,
                          spacing=ctx.metrics.gap, horizontal=not compact,
                          subject=f"{self.name}:{self.params.get('id', '')}"))  # fmt: skip
