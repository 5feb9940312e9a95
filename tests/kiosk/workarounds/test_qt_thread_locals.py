"""threading-local-in-qt-threads: Python's thread-local values in a Qt pool thread, task after task."""

from __future__ import annotations

import threading

from PySide6.QtCore import QRunnable, QThread, QThreadPool

from .support import bug_if, still_needed


class Task(QRunnable):
    def __init__(self, local: threading.local, seen: list[tuple[int, object]]) -> None:
        super().__init__()
        self.local, self.seen = local, seen
        self.done = threading.Event()

    def run(self) -> None:
        self.seen.append((threading.get_native_id(), getattr(self.local, "connection", None)))
        self.local.connection = f"opened in {id(QThread.currentThread())}"
        self.done.set()


def two_tasks_on_one_thread(local: threading.local) -> list[tuple[int, object]]:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    pool.setExpiryTimeout(-1)  # the one thread stays for both tasks
    seen: list[tuple[int, object]] = []
    for _ in range(2):
        task = Task(local, seen)
        pool.start(task)
        assert task.done.wait(5)  # not pool.waitForDone(): that ends the pool's threads too
    assert pool.waitForDone(5000)
    return seen


def test_python_threads_keep_their_thread_locals() -> None:
    """The control: a Python thread running the same two tasks keeps the value."""
    local, seen = threading.local(), []  # type: ignore[var-annotated]

    def both() -> None:
        for _ in range(2):
            Task(local, seen).run()

    thread = threading.Thread(target=both)
    thread.start()
    thread.join()
    assert seen[1][1] is not None


@still_needed("threading-local-in-qt-threads")
def test_thread_local_values_survive_between_tasks() -> None:
    (first_thread, _), (second_thread, kept) = two_tasks_on_one_thread(threading.local())
    assert first_thread == second_thread  # else this shows nothing
    bug_if(kept is None, "a Qt pool thread lost its threading.local value between two tasks")
