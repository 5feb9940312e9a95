"""Every colour pair the style sheet draws meets WCAG 2.1 contrast, in every palette of ``theme.py``.

The pairs are read from the style sheet itself, not listed by hand: each rule is resolved the
way Qt cascades it (a button's state rule on top of its role rule on top of the plain
``QPushButton`` rule), then

- text (1.4.3): its colour against its own background, or, where it is transparent (labels),
  against every surface a page paints: at least 4.5:1;
- control and card boundaries (1.4.11): a border against every surface the control may sit on
  (a card or a button on the page or on a card): at least 3:1, unless the control's own fill
  already stands out that much;
- a scroll bar's handle against its groove: at least 3:1.

The relative luminance and ratio are computed here from the WCAG 2.1 definitions, independently
of the kiosk's code. Palettes are found in ``theme.py`` by type, so a palette added later (a night
mode) is checked without anyone listing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from kiosk_app import theme

TEXT_MIN = 4.5
NON_TEXT_MIN = 3.0
HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")
TEXT_TYPES = {"QWidget", "QLabel", "QPushButton", "QLineEdit"}


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB ``#RRGGBB`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class Selector:
    text: str
    type: str
    role: str | None
    states: frozenset[str]
    sub: str | None  # a sub-control (``::handle``)

    @property
    def specificity(self) -> int:
        return (self.role is not None) + len(self.states)


@dataclass
class Rule:
    selector: Selector
    props: dict[str, str] = field(default_factory=dict)
    order: int = 0


def parse_selector(text: str) -> Selector:
    text = text.strip()
    sub = None
    if "::" in text:
        text, sub = text.split("::", 1)
        sub, _, rest = sub.partition(":")
        text += (":" + rest) if rest else ""
    last = text.split()[-1]  # "QScrollArea > QWidget > QWidget": the widget styled is the last
    kind = re.match(r"[A-Za-z]+", last)
    role = re.search(r'\[role="([^"]+)"\]', last)
    states = frozenset(re.findall(r":([a-z-]+)", re.sub(r"\[[^\]]*\]", "", last)))
    return Selector(text, kind.group(0) if kind else "*", role.group(1) if role else None, states, sub)


def parse(sheet: str) -> list[Rule]:
    rules: list[Rule] = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet):
        props = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                props[name.strip()] = value.strip()
        for text in selectors.split(","):
            rules.append(Rule(parse_selector(text), props, len(rules)))
    return rules


def colour_of(value: str | None) -> str | None:
    found = HEX.search(value or "")
    return found.group(0).upper() if found else None


def border_colour(props: dict[str, str]) -> str | None:
    for name in ("border-color", "border", "border-bottom", "border-top"):
        if name in props and props[name] != "none":
            colour = colour_of(props[name])
            if colour:
                return colour
    return None


def cascade(rules: list[Rule], target: Selector) -> dict[str, str]:
    """The properties Qt would give ``target``: every matching rule, by specificity, then order."""

    def matches(rule: Rule) -> bool:
        s = rule.selector
        return ((s.type == target.type or (s.type == "QWidget" and target.type in TEXT_TYPES | {"QFrame"}))
                and s.sub == target.sub and s.role in (None, target.role) and s.states <= target.states)  # fmt: skip

    merged: dict[str, str] = {}
    order = sorted(
        filter(matches, rules), key=lambda r: (r.selector.type != "QWidget", r.selector.specificity, r.order)
    )
    for rule in order:
        merged.update(rule.props)
        if "border" in rule.props:  # the shorthand resets a colour set by a less specific rule
            merged.pop("border-color", None)
            if "border-color" in rule.props:
                merged["border-color"] = rule.props["border-color"]
    return merged


def surfaces(rules: list[Rule]) -> set[str]:
    """The opaque backgrounds content is laid on: the page, cards, bars, notices, overlays."""
    out = set()
    for rule in rules:
        s = rule.selector
        colour = colour_of(rule.props.get("background"))
        if colour and s.sub is None and s.type in {"QWidget", "QFrame", "QLabel"} and not s.states:
            out.add(colour)
    return out


def targets(rules: list[Rule]) -> list[Selector]:
    """What to check: each rule's own selector, and every button role in every button state (a
    chip while pressed takes its fill from one rule and its text colour from another)."""
    out = [rule.selector for rule in rules]
    buttons = [r.selector for r in rules if r.selector.type == "QPushButton" and r.selector.sub is None]
    states = {frozenset()} | {frozenset([state]) for s in buttons for state in s.states}
    for role in {s.role for s in buttons}:
        for state in states:
            label = "QPushButton" + (f'[role="{role}"]' if role else "") + "".join(f":{x}" for x in sorted(state))
            out.append(Selector(label, "QPushButton", role, state, None))
    return out


def failures(palette: theme.Palette, metrics: theme.Metrics) -> list[str]:
    rules = parse(theme.style_sheet(palette, metrics))
    under = surfaces(rules)
    assert under, "no surface found in the style sheet"
    problems: list[str] = []

    def need(ratio_min: float, what: str, a: str, b: str) -> None:
        ratio = contrast(a, b)
        if ratio < ratio_min - 1e-9:
            problems.append(f"{what}: {a} on {b} is {ratio:.2f}:1 (needs {ratio_min}:1)")

    for s in targets(rules):
        props = cascade(rules, s)
        fg, bg = colour_of(props.get("color")), colour_of(props.get("background"))
        if s.sub == "handle":
            groove = colour_of(cascade(rules, Selector("", s.type, s.role, s.states, None)).get("background"))
            if bg and groove:
                need(NON_TEXT_MIN, f"{s.text} (scroll handle)", bg, groove)
            continue
        if s.sub is not None:
            continue
        if s.type in TEXT_TYPES and fg:
            for ground in [bg] if bg else sorted(under):
                need(TEXT_MIN, f"{s.text} (text)", fg, ground)
        edge = border_colour(props)
        if edge and s.type in {"QPushButton", "QFrame", "QLineEdit", "QLabel"}:
            for ground in sorted(under):
                if bg and contrast(bg, ground) >= NON_TEXT_MIN:
                    continue  # the fill alone shows where the control is
                need(NON_TEXT_MIN, f"{s.text} (boundary)", edge, ground)
    return sorted(set(problems))


def palettes() -> dict[str, theme.Palette]:
    found = {name: value for name, value in vars(theme).items() if isinstance(value, theme.Palette)}
    offered = getattr(theme, "PALETTES", {})
    return {**found, **{f"PALETTES[{key!r}]": value for key, value in offered.items()}}


def test_every_palette_is_offered() -> None:
    """A palette defined in theme.py but missing from ``PALETTES`` would be one no mode can reach."""
    registered = set(map(id, theme.PALETTES.values()))
    unoffered = {name for name, p in vars(theme).items() if isinstance(p, theme.Palette) and id(p) not in registered}
    assert unoffered == set()
    assert {"normal", "high_contrast"} <= set(theme.PALETTES)


@pytest.mark.parametrize("name", sorted(palettes()))
@pytest.mark.parametrize("large_text", [False, True])
def test_style_sheet_meets_wcag_contrast(name: str, large_text: bool) -> None:
    palette = palettes()[name]
    for layout in theme.LAYOUTS:
        assert failures(palette, theme.Metrics.for_layout(layout, large_text)) == [], name


def test_the_check_catches_a_faint_border() -> None:
    """The parser really reads borders: the old normal palette's 1.4:1 card border is caught."""
    faint = theme.Palette(**{**vars(theme.NORMAL), "border": "#D9CCB8"})
    found = failures(faint, theme.Metrics.for_layout(theme.LANDSCAPE))
    assert any('QFrame[role="card"] (boundary): #D9CCB8 on #F6F1E7 is 1.40:1' in line for line in found), found


def test_contrast_formula() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
