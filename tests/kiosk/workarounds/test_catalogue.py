"""The workaround catalogue stays true: every entry names a real reproducer and real sites, every
reproducer belongs to an entry, and docs/runtime.md shows the catalogue as it is."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.runtime.workarounds import CATALOGUE, WORKAROUNDS, Proof, Workaround, markdown
from tests.kiosk.child import ROOT

from .support import WorkaroundStillNeeded

DOCS = ROOT / "docs" / "runtime.md"
START, END = "<!-- workarounds:start -->", "<!-- workarounds:end -->"


def reproducer_function(node_id: str):  # type: ignore[no-untyped-def]
    path, _, name = node_id.partition("::")
    assert (ROOT / path).is_file(), f"{path} does not exist"
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    function = getattr(module, name, None)
    assert inspect.isfunction(function), f"{node_id} is not a test function"
    return function


def xfail_of(function) -> pytest.Mark | None:  # type: ignore[no-untyped-def]
    return next((m for m in getattr(function, "pytestmark", []) if m.name == "xfail"), None)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda w: w.key)
def test_every_entry_names_its_reproducer(entry: Workaround) -> None:
    mark = xfail_of(reproducer_function(entry.test))
    if entry.proof is Proof.GUARD:
        assert mark is None, "a guard passes on the installed version"
    else:
        assert mark is not None, f"{entry.test} is not marked still_needed({entry.key!r})"
        assert mark.kwargs["strict"] is True and mark.kwargs["raises"] is WorkaroundStillNeeded
        assert mark.kwargs["reason"].startswith(f"{entry.key}: ")


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda w: w.key)
def test_every_site_exists_and_mentions_its_entry(entry: Workaround) -> None:
    assert entry.sites
    for site in entry.sites:
        text = (ROOT / site.path).read_text(encoding="utf-8")
        assert site.name in text, f"{site.path} has no {site.name!r}"
        assert entry.key in text, f"{site.path} does not mention workaround {entry.key!r}"


def reproducers() -> Iterator[tuple[str, str]]:
    """(node id, key) of every test in this folder marked as a workaround's reproducer."""
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        relative = path.relative_to(ROOT).as_posix()
        module = importlib.import_module(relative.removesuffix(".py").replace("/", "."))
        for name, function in inspect.getmembers(module, inspect.isfunction):
            mark = xfail_of(function)
            if name.startswith("test_") and mark is not None:
                yield f"{relative}::{name}", mark.kwargs["reason"].split(":", 1)[0]


def test_every_reproducer_belongs_to_an_entry() -> None:
    found = dict(reproducers())
    assert found, "no reproducers found"
    assert {node: WORKAROUNDS[key].test for node, key in found.items()} == {node: node for node in found}
    assert len(WORKAROUNDS) == len(CATALOGUE)  # keys are unique


def test_docs_show_the_catalogue_as_it_is() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert START in text and END in text
    shown = text.split(START, 1)[1].split(END, 1)[0].strip("\n")
    assert shown == markdown().strip("\n"), "regenerate: python -m kiosk_app.runtime.workarounds"
