"""The sanitiser and its fast path: the installer skips the full sanitiser only for text it would not change."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from content_sync.pack.sanitize import needs_sanitising, sanitize_text

# Characters the sanitiser treats specially, mixed into generated text far more often than chance would.
SPECIAL = [
    "<", ">", "&", "\n\n", "\n\n\n", " \n", "\n ", "&amp;", "&lt;", "&#x202e;", "&#13;", ";", "\n", "\r",
    "\t", " ", "\u3000", "\xa0", "\x00",
    "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u061c", "\u202a", "\u202e", "\u2066", "\u2069", "\u2060", "\u2064", "\u206f", "\ufeff", "\ufff9",
    "\ufdd0", "\ufffe", "\U0001fffe", "\U0010ffff", "\U000e0041", "\U000e007f", "\ud800", "\udfff",
    "e\u0301", "\u0301", "a", "ب", "ی", "क", "👨", "\ufe0f", "中", "<b>", "</p>", "<script>x</script>",
]  # fmt: skip
# Mostly harmless text with one kind of layout or joiner problem: each alternative of the fast
# path's expression must be needed on its own, so other suspicious characters must not mask it.
LAYOUT = ["a", "中", "ب", "ی", "क", "👨", ".", " ", "\u3000", "\n", "\n\n", "\n\n\n", "e\u0301", "\u200c", "\u200d"]
layouts = st.lists(st.sampled_from(LAYOUT), max_size=8).map("".join)
texts = st.one_of(st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=3)), max_size=12).map("".join), layouts)


@settings(max_examples=2000, deadline=None)
@given(text=texts, multiline=st.booleans())
@example(text="a\u200d", multiline=True)
@example(text="x \u200d", multiline=False)
@example(text="e\u0301", multiline=True)
@example(text="a \nb", multiline=True)
@example(text="a\n\u3000b", multiline=True)
@example(text="a\n\n\nb", multiline=True)
def test_the_fast_path_never_skips_text_the_sanitiser_would_change(text: str, multiline: bool) -> None:
    if not needs_sanitising(text, multiline=multiline):
        assert sanitize_text(text, multiline=multiline) == text


@settings(max_examples=2000, deadline=None)
@given(text=layouts)
def test_the_fast_path_never_skips_a_layout_the_sanitiser_would_change(text: str) -> None:
    """Paragraph text of harmless characters: only line layout and joiners can make it change."""
    if not needs_sanitising(text):
        assert sanitize_text(text) == text


@settings(max_examples=1500, deadline=None)
@given(text=texts, multiline=st.booleans())
def test_sanitised_text_is_clean(text: str, multiline: bool) -> None:
    clean = sanitize_text(text, multiline=multiline)
    for ch in clean:
        code = ord(ch)
        assert ch in "\n" or not (code < 0x20 or 0x7F <= code <= 0x9F), repr(clean)
        assert not 0x202A <= code <= 0x202E and not 0x2066 <= code <= 0x2069, repr(clean)
        assert ch not in "\u200b\u2060\ufeff<>\t\r\u2028\u2029" and not 0xD800 <= code <= 0xDFFF, repr(clean)
        assert not 0xE0000 <= code <= 0xE007F and not 0xFDD0 <= code <= 0xFDEF and code & 0xFFFE != 0xFFFE
    if not multiline:
        assert "\n" not in clean
    assert "\n\n\n" not in clean and clean == clean.strip()
    assert unicodedata.is_normalized("NFC", clean)
    # Clean text takes the fast path unless it holds a harmless "&", a joiner a script needs or
    # a character beyond the BMP (emoji, rare CJK), which the fast path leaves to the sanitiser.
    if not any(ch in "&\u200c\u200d" or ord(ch) > 0xFFFF for ch in clean):
        assert not needs_sanitising(clean, multiline=multiline), repr(clean)
    if "&" not in text:
        assert sanitize_text(clean, multiline=multiline) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Zhongshan \u202eegdirB\u202c Iron Bridge", "Zhongshan egdirB Iron Bridge"),
        ("\u2067مرحبا\u2069 hello", "مرحبا hello"),
        ("Iron\u200bBridge\u2060\ufeff", "IronBridge"),
        ("Iron \x1b[31mBridge\x07\x9b", "Iron [31mBridge"),
        ("kiosk\U000e0020\U000e0041\U000e007f", "kiosk"),
        ("a\ufdd0b\uffffc\U0002fffe", "abc"),
        ("lone \ud83d surrogate", "lone  surrogate"),
        ("&#x202E;evil&#x7;", "evil"),
        ("\u200dstart and end\u200c", "start and end"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
    ],
)
def test_each_class_of_hostile_character_is_removed(raw: str, clean: str) -> None:
    assert sanitize_text(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "کتاب\u200cخانه",  # Persian: ZWNJ between letters
        "क्\u200dष",  # Devanagari: ZWJ after a virama
        "👨\u200d👩\u200d👧",  # an emoji family sequence
        "❤\ufe0f\u200d🔥",  # variation selector, then ZWJ
        "جسر \u200fالحديد (١٩٠٩)",  # Arabic with a right-to-left mark
        "שלום \u200eABC\u200e",  # Hebrew with left-to-right marks
        "Line one\n\nLine two",
    ],
)
def test_text_that_scripts_need_is_kept(text: str) -> None:
    assert sanitize_text(text) == text


def test_one_line_fields_get_one_line() -> None:
    assert sanitize_text("Iron\n\n  Bridge\r\nNorth", multiline=False) == "Iron Bridge North"
    assert sanitize_text("Iron\n\n\n\nBridge") == "Iron\n\nBridge"
