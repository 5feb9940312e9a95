"""Chinese handwriting recognition with Zinnia, for visitors who write rather than type pinyin.

The recogniser is Zinnia (Debian's ``libzinnia0``) with the Tegaki model for Simplified
Chinese (``tegaki-zinnia-simplified-chinese``). PyPI has no maintained Python binding for
Zinnia (the SWIG binding ships only with Zinnia's source tarball and is not packaged for
Debian's Python 3), so this module calls ``libzinnia.so.0``'s C API through :mod:`ctypes`:
it calls the library, it does not reimplement it.

Strokes are lists of ``(x, y)`` points in a box of ``width`` × ``height`` (any size: Zinnia
normalises). :meth:`Recogniser.candidates` returns the likeliest characters, best first.
Zinnia compares strokes in the order they were written, and the Tegaki model learnt some
characters in an order other than the standard one (山 with 竖折 first, 水 with 横撇 first): written
in the order a school teaches, 山 was not among Zinnia's first 5,000 answers and 水 was 904th. So the first
:data:`KEEP_AS_WRITTEN` candidates are Zinnia's for the strokes as written, and the rest of the
bar is filled with the best answer for each other order (every order up to 3 strokes, each swap
of two neighbouring strokes beyond that), best score first (:func:`stroke_orders`). Measured on
the suite's stroke data and a few more (天 大 河): 山 and 水 go from absent to 7th of 10, 大 from
7th to 10th, 天 stays 5th, 河 is absent either way, and the 13 characters that were first stay
first. It costs one classification per order (about 3 ms each; 15 ms a character on average
there), on the pad's worker thread.

When the library or the model is missing, :func:`open_recogniser` raises
:class:`HandwritingUnavailable` with a message an operator can act on; the kiosk then hides
the handwriting pad.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LIBRARY_NAMES = ("libzinnia.so.0", "libzinnia.so")
MODEL_PATHS = (
    Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model"),
    Path("/usr/local/share/tegaki/models/zinnia/handwriting-zh_CN.model"),
)
DEFAULT_CANDIDATES = 10
#: How many of the candidates come from the strokes as written before other stroke orders are asked.
KEEP_AS_WRITTEN = 6
#: Up to this many strokes every order is tried; beyond it, each swap of two neighbouring strokes.
ALL_ORDERS_UP_TO = 3

Point = tuple[float, float]
Stroke = Sequence[Point]


class HandwritingUnavailable(RuntimeError):
    """Zinnia or its model is not installed: handwriting input cannot be offered."""


@dataclass(frozen=True)
class Candidate:
    text: str
    score: float


def _load_library(names: Sequence[str] = LIBRARY_NAMES) -> ctypes.CDLL:
    errors: list[str] = []
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            errors.append(str(exc))
            continue
        _declare(lib)
        return lib
    raise HandwritingUnavailable(
        "the Zinnia library is not installed (Debian package libzinnia0): " + "; ".join(errors[:1])
    )


def _declare(lib: ctypes.CDLL) -> None:
    """Argument and result types of the C functions used (pointers must not be truncated to int)."""
    p, size, cstr = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
    signatures: dict[str, tuple[list[object], object]] = {
        "zinnia_recognizer_new": ([], p),
        "zinnia_recognizer_destroy": ([p], None),
        "zinnia_recognizer_open": ([p, cstr], ctypes.c_int),
        "zinnia_recognizer_strerror": ([p], cstr),
        "zinnia_recognizer_classify": ([p, p, size], p),
        "zinnia_character_new": ([], p),
        "zinnia_character_destroy": ([p], None),
        "zinnia_character_set_width": ([p, size], None),
        "zinnia_character_set_height": ([p, size], None),
        "zinnia_character_add": ([p, size, ctypes.c_int, ctypes.c_int], ctypes.c_int),
        "zinnia_result_value": ([p, size], cstr),
        "zinnia_result_score": ([p, size], ctypes.c_float),
        "zinnia_result_size": ([p], size),
        "zinnia_result_destroy": ([p], None),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result


class Recogniser:
    """One loaded model. ``candidates`` may be called from any thread (calls are serialised)."""

    def __init__(self, lib: ctypes.CDLL, model: Path) -> None:
        self._lib = lib
        self._lock = threading.Lock()
        self._handle = lib.zinnia_recognizer_new()
        if not self._handle:
            raise HandwritingUnavailable("Zinnia could not create a recogniser")
        if not lib.zinnia_recognizer_open(self._handle, str(model).encode()):
            reason = (lib.zinnia_recognizer_strerror(self._handle) or b"").decode(errors="replace")
            lib.zinnia_recognizer_destroy(self._handle)
            self._handle = None
            raise HandwritingUnavailable(f"the handwriting model {model} could not be opened: {reason}")
        self.model = model

    def candidates(
        self,
        strokes: Sequence[Stroke],
        width: float,
        height: float,
        limit: int = DEFAULT_CANDIDATES,
        *,
        other_orders: bool = True,
    ) -> list[Candidate]:
        """The likeliest characters for ``strokes``, best first; empty for no ink.

        ``other_orders``: after the first :data:`KEEP_AS_WRITTEN`, the best answers for the same
        strokes in other orders (see the module's docstring); False gives Zinnia's list as is.
        """
        strokes = [s for s in strokes if len(s) > 0]
        if not strokes or width <= 0 or height <= 0:
            return []
        written = self._classify(strokes, width, height, limit)
        if not other_orders or len(strokes) < 2 or limit <= KEEP_AS_WRITTEN:
            return written
        found = written[:KEEP_AS_WRITTEN]
        seen = {c.text for c in found}
        others: list[Candidate] = []
        for order in stroke_orders(len(strokes))[1:]:
            others += self._classify([strokes[i] for i in order], width, height, 1)
        for candidate in [*sorted(others, key=lambda c: -c.score), *written[KEEP_AS_WRITTEN:]]:
            if len(found) >= limit:
                break
            if candidate.text not in seen:
                seen.add(candidate.text)
                found.append(candidate)
        return found

    def _classify(self, strokes: Sequence[Stroke], width: float, height: float, limit: int) -> list[Candidate]:
        """Zinnia's answers for the strokes in the order given."""
        lib = self._lib
        with self._lock:
            if self._handle is None:
                raise HandwritingUnavailable("the recogniser was closed")
            character = lib.zinnia_character_new()
            try:
                lib.zinnia_character_set_width(character, max(1, round(width)))
                lib.zinnia_character_set_height(character, max(1, round(height)))
                for number, stroke in enumerate(strokes):
                    for x, y in stroke:
                        lib.zinnia_character_add(character, number, round(x), round(y))
                result = lib.zinnia_recognizer_classify(self._handle, character, limit)
                if not result:
                    return []
                try:
                    found = [
                        Candidate(
                            (lib.zinnia_result_value(result, i) or b"").decode("utf-8", errors="replace"),
                            float(lib.zinnia_result_score(result, i)),
                        )
                        for i in range(lib.zinnia_result_size(result))
                    ]
                finally:
                    lib.zinnia_result_destroy(result)
            finally:
                lib.zinnia_character_destroy(character)
        return [c for c in found if c.text]

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._lib.zinnia_recognizer_destroy(self._handle)
                self._handle = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def stroke_orders(count: int) -> list[tuple[int, ...]]:
    """The orders to ask Zinnia about, the order as written first: every order of up to
    :data:`ALL_ORDERS_UP_TO` strokes, else each swap of two neighbouring strokes."""
    written = tuple(range(count))
    if count <= ALL_ORDERS_UP_TO:
        return [written, *(p for p in itertools.permutations(written) if p != written)]
    swaps = []
    for i in range(count - 1):
        order = list(written)
        order[i], order[i + 1] = order[i + 1], order[i]
        swaps.append(tuple(order))
    return [written, *swaps]


def find_model(paths: Sequence[Path] = MODEL_PATHS) -> Path:
    for path in paths:
        if path.is_file():
            return path
    raise HandwritingUnavailable(
        "the handwriting model is not installed (Debian package tegaki-zinnia-simplified-chinese): "
        + ", ".join(str(p) for p in paths)
    )


def open_recogniser(model: Path | None = None, library_names: Sequence[str] = LIBRARY_NAMES) -> Recogniser:
    """Load Zinnia and the Simplified Chinese model; :class:`HandwritingUnavailable` if either is missing.

    Loading maps a 26 MB model and takes tens of milliseconds: do it off the GUI thread.
    """
    path = model if model is not None else find_model()
    if not path.is_file():
        raise HandwritingUnavailable(f"the handwriting model {path} does not exist")
    return Recogniser(_load_library(library_names), path)
