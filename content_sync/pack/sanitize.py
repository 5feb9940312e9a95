"""Reduce pack text to plain text so no markup or invisible trick from a pack reaches a screen.

Packs are signed, but a signing key can leak and an editor can paste HTML from a web page;
the kiosk renders text in Qt labels and a web view, both of which interpret markup, and the
operator's terminal interprets control characters. The rule is therefore simple and applied
twice (at build and at install, to every text field without exception): text is plain text.

* Markup: tags are dropped, the contents of script-like elements are dropped whole,
  entities are decoded once; a ``<`` or ``>`` left over becomes ``‹`` / ``›``.
* Line breaks: ``\\r\\n``, ``\\r``, NEL, U+2028 and U+2029 become ``\\n``; fields that hold
  paragraphs keep ``\\n`` (at most one blank line in a row), one-line fields (names, titles,
  captions) turn it into a space. A tab becomes a space.
* Removed: every other C0 and C1 control character; bidi embeddings, overrides and isolates
  (U+202A-202E, U+2066-2069), which reorder text beyond their own field; zero-width and
  invisible format characters (U+200B, U+2060-2064, U+206A-206F, U+FEFF, U+FFF9-FFFB, the tag
  characters U+E0000-E007F); lone surrogates; non-characters (U+FDD0-FDEF and U+xFFFE/xFFFF).
* Kept: ZWJ and ZWNJ (U+200D, U+200C) between two letters, marks or symbols, where Persian,
  Indic scripts and emoji sequences need them (removed anywhere else); the bidi *marks* LRM,
  RLM and ALM (U+200E, U+200F, U+061C), which only affect their neighbours and are what
  right-to-left editors use; Arabic, Hebrew and every other script's text itself.
* Text is NFC-normalised, each line trimmed.

:func:`needs_sanitising` is the installer's fast path: one compiled regular expression (and
CPython's NFC check) that is true for every text the sanitiser would change, so only those
texts pay for the full sanitiser. ``tests/content_sync/pack/test_sanitize.py`` checks that
claim with generated text.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

# Elements whose content is code or invisible, never text a visitor should read.
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"})
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"})

# Non-characters outside the BMP: U+1FFFE, U+1FFFF, ... U+10FFFF.
_ASTRAL_NONCHARS = "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
# Characters removed wherever they are (besides the C0/C1 controls other than \n and \t).
_REMOVED = (
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides, isolates
    "\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"  # zero-width, invisible format
    "\ud800-\udfff"  # lone surrogates (a Python str from JSON escapes can hold them)
    "\ufdd0-\ufdef\ufffe\uffff" + _ASTRAL_NONCHARS  # non-characters
)
_REMOVE_RE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f{_REMOVED}]")
_NEWLINE_RE = re.compile("\r\n|[\r\x85\u2028\u2029]")
_JOINER_RE = re.compile("[\u200c\u200d]")
_MARKUP_HINT_RE = re.compile(r"[<>&]")
_MANY_BLANKS_RE = re.compile(r"\n{3,}")
_ONE_LINE_RE = re.compile(r"\s*\n\s*")
_JOINABLE = ("L", "M", "S")  # letters, marks and symbols (emoji) may be joined

# The fast path. A character class alone lets the regex engine scan text in C at a few
# nanoseconds a character (alternatives, or many separate astral code points, make it ten times
# slower), so it flags every character the sanitiser removes or rewrites, a joiner, a tab, and
# every astral character (only non-characters and tag characters among them would change, and
# the sanitiser leaves the rest alone). Line layout is checked only in text that has a line break.
_SUSPECT_CHAR_RE = re.compile(
    "[<>&\t\r\x85\u2028\u2029\u200c\u200d\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u202a-\u202e\u2066-\u2069\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\U00010000-\U0010ffff]"
)
_LINE_EDGE_RE = re.compile(r"[^\S\n]\n|\n[^\S\n]")


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


def needs_sanitising(value: str, *, multiline: bool = True) -> bool:
    """False only for text :func:`sanitize_text` returns unchanged: the installer's fast path."""
    if _SUSPECT_CHAR_RE.search(value) or value[:1].isspace() or value[-1:].isspace():
        return True
    if "\n" in value and (not multiline or "\n\n\n" in value or _LINE_EDGE_RE.search(value)):
        return True
    return not unicodedata.is_normalized("NFC", value)


def _joinable(ch: str) -> bool:
    return unicodedata.category(ch)[0] in _JOINABLE


def _drop_stray_joiners(text: str) -> str:
    """Keep ZWJ/ZWNJ only between two letters, marks or symbols (the places scripts use them)."""
    if not _JOINER_RE.search(text):
        return text
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in "\u200c\u200d":
            before = out[-1] if out else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if not (before and after and _joinable(before) and _joinable(after)):
                continue
        out.append(ch)
    return "".join(out)


def sanitize_text(value: str, *, multiline: bool = True) -> str:
    """Plain text from anything. Idempotent (for entities nested at most three deep), and clean:
    ``needs_sanitising`` of the result is false unless it holds a harmless ``&``, a joiner
    a script needs or a character beyond the BMP. ``multiline=False`` is for one-line fields
    (names, titles, captions)."""
    # Lone surrogates first: NFC normalisation and the HTML parser need well-formed text.
    text = _REMOVE_RE.sub("", value)
    text = _NEWLINE_RE.sub("\n", unicodedata.normalize("NFC", text))
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
    text = text.replace("<", "‹").replace(">", "›").replace("\t", " ")
    # Entities may have spelled any character at all: remove and rewrite once more.
    text = _NEWLINE_RE.sub("\n", _REMOVE_RE.sub("", text))
    text = unicodedata.normalize("NFC", text)
    if not multiline:
        text = _ONE_LINE_RE.sub(" ", text)
    text = _drop_stray_joiners(text)  # before trimming: a dropped joiner may leave a space at an end
    lines = [line.strip() for line in text.split("\n")]
    text = _MANY_BLANKS_RE.sub("\n\n", "\n".join(lines))
    return text.strip()
