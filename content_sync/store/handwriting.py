"""Chinese handwriting recognition with Zinnia, for visitors who write rather than type pinyin.

The recogniser is Zinnia (Debian's ``libzinnia0``) with the Tegaki model for Simplified
Chinese (``tegaki-zinnia-simplified-chinese``). PyPI has no maintained Python binding for
Zinnia (the SWIG binding ships only with Zinnia's source tarball and is not packaged for
Debian's Python 3), so this module calls ``libzinnia.so.0``'s C API through :mod:`ctypes`:
it calls the library, it does not reimplement it.

Strokes are lists of ``(x, y)`` points in a box of ``width`` × ``height`` (any size: Zinnia
normalises). :meth:`Recogniser.candidates` returns the likeliest characters, best first.
When the library or the model is missing, :func:`open_recogniser` raises
:class:`HandwritingUnavailable` with a message an operator can act on; the kiosk then hides
the handwriting pad.
"""

from __future__ import annotations

import contextlib
import ctypes
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
        self, strokes: Sequence[Stroke], width: float, height: float, limit: int = DEFAULT_CANDIDATES
    ) -> list[Candidate]:
        """The likeliest characters for ``strokes``, best first; empty for no ink."""
        strokes = [s for s in strokes if len(s) > 0]
        if not strokes or width <= 0 or height <= 0:
            return []
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
