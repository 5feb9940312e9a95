"""Errors that carry a message an operator can act on (never a traceback)."""

from __future__ import annotations

from dataclasses import dataclass


class KioskError(Exception):
    """Base for failures reported to an operator as one plain line."""


class PackError(KioskError):
    """A pack was refused; nothing installed changed."""


class InstallError(KioskError):
    """Installing failed after verification (disk full, I/O); nothing installed changed."""


class StoreError(KioskError):
    """The local store is missing or unreadable."""


@dataclass(frozen=True)
class Problem:
    """One problem in a pack source, located by file and field."""

    file: str
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{kind}: {where}: {self.message}"


class BuildError(KioskError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if not p.warning]
        super().__init__(f"{len(errors)} problem(s) in the pack source; nothing was written")
