"""qtmultimedia-gil-deadlock: which QMediaPlayer slots let go of Python's lock while they run.

The deadlock itself was seen only in the full suite (one stop in a few hundred) and did not
come back in 1,000 direct stop/setSource/play cycles in isolation, so this checks its
precondition instead: PySide6's own type system, which the binding was generated from, says
for which methods the generated code releases the lock ("allow-thread"). Today that is
``setSource`` alone; the narration player's direct calls of the others could deadlock.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6

from .support import bug_if, still_needed

# What NarrationPlayer calls through _queued, besides setSource.
BLOCKING_SLOTS = ("stop()", "play()", "pause()", "setPosition(qint64)")


def releases_the_lock(type_name: str) -> set[str]:
    """Signatures of ``type_name`` whose generated code releases the GIL (or all, as ``*``)."""
    system = Path(PySide6.__file__).parent / "typesystems" / "typesystem_multimedia.xml"
    root = ET.parse(system).getroot()  # a missing file is a real failure: nothing to check against
    for node in root.iter("object-type"):
        if node.get("name") == type_name:
            if node.get("allow-thread") in ("true", "yes", "auto"):
                return {"*"}
            return {
                f.get("signature", "")
                for f in node.iter("modify-function")
                if f.get("allow-thread") in ("true", "yes", "auto")
            }
    raise AssertionError(f"{type_name} is not in {system}")


def test_the_type_system_is_read_as_we_think() -> None:
    """The control: setSource is declared to release the lock, as the workaround's notes say."""
    assert "setSource(QUrl)" in releases_the_lock("QMediaPlayer")


@still_needed("qtmultimedia-gil-deadlock")
def test_qmediaplayer_releases_the_gil_in_its_blocking_slots() -> None:
    released = releases_the_lock("QMediaPlayer")
    holding = [s for s in BLOCKING_SLOTS if s not in released and "*" not in released]
    bug_if(bool(holding), f"QMediaPlayer keeps Python's lock in {', '.join(holding)}")
