"""signal-connection-cycle: a QObject whose signal is connected to a closure that refers to it."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QObject, Signal

from .support import bug_if, still_needed


class Relay(QObject):  # as kiosk_app.background._Relay
    done = Signal(object)


def relay_in_a_cycle(results: list[object]) -> weakref.ref[Relay]:
    relay = Relay()

    def finish(result: object) -> None:
        results.append((relay, result))  # the closure refers to the relay, as BackgroundTasks' does

    relay.done.connect(finish)
    relay.done.emit("answer")
    return weakref.ref(relay)


def relay_without_a_cycle(results: list[object]) -> weakref.ref[Relay]:
    relay = Relay()
    relay.done.connect(results.append)
    relay.done.emit("answer")
    return weakref.ref(relay)


def test_a_relay_without_a_cycle_is_freed() -> None:
    """The control: the same relay, connected to something that does not refer back to it."""
    results: list[object] = []
    refs = [relay_without_a_cycle(results) for _ in range(10)]
    gc.collect()
    assert len(results) == 10 and [r for r in refs if r() is not None] == []


@still_needed("signal-connection-cycle")
def test_a_connection_cycle_is_collected() -> None:
    results: list[object] = []
    refs = [relay_in_a_cycle(results) for _ in range(10)]
    results.clear()  # only the cycle itself is left holding the relays
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    try:
        bug_if(len(alive) == len(refs), f"{len(alive)} relays in cycles through Qt survived a full collection")
        assert alive == []
    finally:
        for relay in alive:
            relay.deleteLater()  # what BackgroundTasks._release does
