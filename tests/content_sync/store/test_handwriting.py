"""Zinnia recognises real characters from stroke data, and says clearly when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from content_sync.store.handwriting import DEFAULT_CANDIDATES, HandwritingUnavailable, open_recogniser, stroke_orders
from tests.handwriting_strokes import BOX, CHARACTERS, OTHER_ORDER, strokes

TOP = 3  # the candidate bar shows more than this; the right one must be among the first few


@pytest.fixture(scope="module")
def recogniser():  # type: ignore[no-untyped-def]
    found = open_recogniser()
    yield found
    found.close()


@pytest.mark.parametrize("char", sorted(CHARACTERS))
def test_recognises_real_characters_from_strokes(recogniser, char: str) -> None:  # type: ignore[no-untyped-def]
    found = [c.text for c in recogniser.candidates(strokes(char), BOX, BOX)]
    assert char in found[:TOP], found


@pytest.mark.parametrize("char", sorted(OTHER_ORDER))
def test_characters_the_model_learnt_in_another_stroke_order_are_still_offered(recogniser, char: str) -> None:  # type: ignore[no-untyped-def]
    """山 and 水 written in the order schools teach: Zinnia alone does not put them in the bar."""
    alone = [c.text for c in recogniser.candidates(strokes(char), BOX, BOX, other_orders=False)]
    assert char not in alone
    found = [c.text for c in recogniser.candidates(strokes(char), BOX, BOX)]
    assert char in found and len(found) == DEFAULT_CANDIDATES, found


def test_other_orders_leave_what_was_recognised_as_written_in_front(recogniser) -> None:  # type: ignore[no-untyped-def]
    for char in CHARACTERS:
        alone = [c.text for c in recogniser.candidates(strokes(char), BOX, BOX, other_orders=False)]
        found = [c.text for c in recogniser.candidates(strokes(char), BOX, BOX)]
        assert found[:6] == alone[:6] and len(set(found)) == len(found), (char, found)


def test_the_orders_asked_about() -> None:
    assert stroke_orders(1) == [(0,)]
    assert stroke_orders(3)[0] == (0, 1, 2) and len(set(stroke_orders(3))) == 6
    assert stroke_orders(5) == [(0, 1, 2, 3, 4), (1, 0, 2, 3, 4), (0, 2, 1, 3, 4), (0, 1, 3, 2, 4), (0, 1, 2, 4, 3)]


def test_the_box_size_does_not_matter(recogniser) -> None:  # type: ignore[no-untyped-def]
    """The pad is as large as the layout allows: the same strokes at another scale read the same."""
    big = [[(x * 3.2, y * 3.2) for x, y in stroke] for stroke in strokes("州")]
    assert recogniser.candidates(big, BOX * 3.2, BOX * 3.2)[0].text == "州"


def test_candidates_are_best_first_and_no_ink_is_no_answer(recogniser) -> None:  # type: ignore[no-untyped-def]
    found = recogniser.candidates(strokes("口"), BOX, BOX, limit=8, other_orders=False)
    assert 1 < len(found) <= 8
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert recogniser.candidates([], BOX, BOX) == []
    assert recogniser.candidates([[]], BOX, BOX) == []


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HandwritingUnavailable, match="model"):
        open_recogniser(tmp_path / "handwriting-zh_CN.model")
    broken = tmp_path / "broken.model"
    broken.write_bytes(b"not a model")
    with pytest.raises(HandwritingUnavailable, match="could not be opened"):
        open_recogniser(broken)


def test_missing_library_is_a_clear_error() -> None:
    with pytest.raises(HandwritingUnavailable, match="libzinnia0"):
        open_recogniser(library_names=("libzinnia-not-here.so.0",), model=None)
