"""The content version screens read, swapped for a newer one only between visitors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from content_sync.device.fallback import Fallback, return_to_last_good
from content_sync.device.layout import DataDir
from content_sync.store.content_store import ContentStore

if TYPE_CHECKING:
    from .background import BackgroundTasks

log = logging.getLogger(__name__)


class ContentHolder:
    """The content version screens read; swapped for a newer one only between visitors."""

    def __init__(self, data: DataDir, opener: Callable[[DataDir], ContentStore] = ContentStore.open) -> None:
        self.data = data
        self.opener = opener
        self.store = opener(data)
        self.listeners: list[Callable[[], None]] = []
        self._categories: dict[str, dict[str, str]] | None = None
        self._themes: list[dict] | None = None

    @property
    def category_names(self) -> dict[str, dict[str, str]]:
        """Category id -> multilingual name, read once per content version."""
        if self._categories is None:
            self._categories = {c["id"]: c["name"] for c in self.store.categories()}
        return self._categories

    @property
    def themes(self) -> list[dict]:
        if self._themes is None:
            self._themes = self.store.themes()
        return self._themes

    def theme_colour(self, themes: Sequence[str]) -> str | None:
        """The colour of an item's first theme: how maps mark a place or a route."""
        first = themes[0] if themes else None
        return next((t["color"] for t in self.themes if t["id"] == first), None)

    def reload_if_newer(self) -> bool:
        if not self.store.is_stale():
            return False
        fresh = self.opener(self.data)
        old, self.store = self.store, fresh
        old.close()
        self._categories = self._themes = None
        for listener in list(self.listeners):
            listener()
        return True

    def return_to_last_good(self, why: str, tasks: BackgroundTasks) -> None:
        """The newly switched-in version failed to open: go back to the previous one on disk.

        In a worker (every page of the previous version is read first); the screens keep the
        version they show, which is what the kiosk returns to, so nothing on screen changes.
        """
        pointer = self.data.read_pointer()
        if pointer is None or pointer.current == self.store.pointer.current:
            return
        failed, data = pointer.current, self.data
        tasks.run(
            lambda: return_to_last_good(data, why, failed=failed),
            self._returned,
            lambda exc: log.error("could not go back to the previous content version: %s", exc),
        )

    def _returned(self, done: Fallback | None) -> None:
        if done is None:
            log.error("the new content could not be opened and there is no intact previous version to go back to")
        else:
            log.warning("%s", done.message)
