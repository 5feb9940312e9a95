"""Shared start-up for the frozen (PyInstaller) executables ``kiosk`` and ``kiosk-pack``.

In the bundle ``sys.executable`` is the executable itself, not a Python interpreter, so the
places the code start a child with ``[sys.executable, "-m", MODULE, ...]`` (the speech
worker, ``content_sync.speech.synthesis._run_worker``; an install's vetting process,
``content_sync.pack.vet_worker.VetChild``) land here: ``kiosk -m MODULE ARGS`` runs
that module's ``main`` exactly as ``python -m MODULE ARGS`` would. Only the modules listed
below are accepted; any other ``-m`` goes to the normal command line and fails there.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable


def _narration_worker(args: list[str]) -> int:
    from content_sync.speech import worker as narration_worker

    return narration_worker.main(args)


def _vet_worker(args: list[str]) -> int:
    from content_sync.pack import vet_worker

    return vet_worker.main(args)


CHILD_MODULES: dict[str, Callable[[list[str]], int]] = {
    "content_sync.speech.worker": _narration_worker,
    "content_sync.pack.vet_worker": _vet_worker,  # an install vets content.db in a child (vet_worker.py)
}


def run(main: Callable[[], int | None]) -> None:
    multiprocessing.freeze_support()  # basemap rendering uses a process pool
    argv = sys.argv
    if len(argv) >= 3 and argv[1] == "-m" and argv[2] in CHILD_MODULES:
        child = CHILD_MODULES[argv[2]]
        sys.argv = [argv[2], *argv[3:]]
        sys.exit(child(sys.argv[1:]))
    sys.exit(main())
