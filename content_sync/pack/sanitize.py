"""Reduce pack text to plain text so no markup from a pack can ever run in the app.

Packs are signed, but a signing key can leak and an editor can paste HTML from a web page;
the kiosk renders text in Qt labels and a web view, both of which interpret markup. The
rule is therefore simple and applied twice (at build and at install): text is plain text.
Tags are dropped, the contents of script-like elements are dropped whole, entities are
decoded once, and control characters other than newline and tab are removed. The result
is escaped again wherever it is rendered.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

# Elements whose content is code or invisible, never text a visitor should read.
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"})
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MARKUP_HINT_RE = re.compile(r"[<>&]")
_MANY_BLANKS_RE = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._drop_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self._drop_depth += 1
        elif tag in _BLOCK and not self._drop_depth:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK and not self._drop_depth:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag in _BLOCK and not self._drop_depth:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            self.parts.append(data)


def sanitize_text(value: str) -> str:
    """Plain text from anything; idempotent (``sanitize_text(sanitize_text(x)) == sanitize_text(x)``)."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    # Loop because decoding entities can reveal markup ("&lt;script&gt;" -> "<script>").
    for _ in range(4):
        if not _MARKUP_HINT_RE.search(text):
            break
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        cleaned = "".join(parser.parts)
        if cleaned == text:
            break
        text = cleaned
    # Anything still looking like a tag after parsing (e.g. an unterminated "<scr") goes.
    text = text.replace("<", "‹").replace(">", "›")
    text = _CONTROL_RE.sub("", text)
    lines = [line.strip() for line in text.split("\n")]
    text = _MANY_BLANKS_RE.sub("\n\n", "\n".join(lines))
    return text.strip()
