"""How a workaround's reproducer is marked: strict xfail while the upstream bug is there.

A reproducer asserts what a sound PySide6/Qt would do. Where it sees the bug it raises
``WorkaroundStillNeeded`` (the only failure the xfail accepts: any other error fails the
test for real). When an upgrade fixes the bug the test passes, strict makes that a failure,
and the reason says which workaround can go.
"""

from __future__ import annotations

import pytest

from kiosk_app.runtime.workarounds import WORKAROUNDS


class WorkaroundStillNeeded(AssertionError):
    """The upstream behaviour the workaround exists for is still there."""


def still_needed(key: str) -> pytest.MarkDecorator:
    entry = WORKAROUNDS[key]  # a KeyError here: the catalogue has no such entry
    return pytest.mark.xfail(
        strict=True,
        raises=WorkaroundStillNeeded,
        reason=f"{key}: {entry.title}. If this passes, the upstream bug is fixed: remove the workaround "
        "(kiosk_app/runtime/workarounds.py says where), this test and its catalogue entry.",
    )


def bug_if(shown: bool, what: str) -> None:
    """Raise ``WorkaroundStillNeeded`` when the reproducer saw the upstream bug."""
    if shown:
        raise WorkaroundStillNeeded(what)
