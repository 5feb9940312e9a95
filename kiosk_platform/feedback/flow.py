"""The feedback queue's status flow and the words it shows, kept apart from the views so the rules
read in one place: new → assigned → answered → closed.

An entry is assigned before it is answered (someone owns the reply); only an entry with the
visitor's contact can be answered; any open entry may be closed (nothing to answer, or done).
"""

from __future__ import annotations

from .models import Feedback

S = Feedback.Status
MOVES: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSIGNED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.ANSWERED, S.CLOSED}),
    S.ANSWERED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

FACES = {1: "very unhappy", 2: "unhappy", 3: "neutral", 4: "happy", 5: "very happy"}

CATEGORIES = {
    "wrong_information": "Wrong information",
    "cleanliness": "Cleanliness",
    "prices": "Prices",
    "service": "Service",
    "safety": "Safety",
    "accessibility": "Accessibility",
    "other": "Other",
}


class MoveRefused(Exception):
    """A change the flow does not allow, said in plain words for the operator."""


def check_move(entry: Feedback, target: str) -> None:
    """Raise ``MoveRefused`` unless ``entry`` may go to ``target`` now."""
    if target not in MOVES.get(entry.status, frozenset()):
        current = Feedback.Status(entry.status).label.lower()
        wanted = Feedback.Status(target).label.lower()
        if entry.status == S.NEW and target == S.ANSWERED:
            raise MoveRefused("Assign this entry before answering it.")
        raise MoveRefused(f"This entry is {current}: it cannot become {wanted}.")
    if target == S.ANSWERED and not entry.contact:
        raise MoveRefused("The visitor left no contact, so there is no one to answer: close the entry instead.")


def face(rating: int | None) -> str:
    return FACES.get(rating or 0, "no rating")


def category_label(category: str) -> str:
    return CATEGORIES.get(category, category.replace("_", " ").capitalize() or "—")


def place(subject: str) -> str:
    """ "venue:baita-shan-park" → "place baita-shan-park"; "kiosk" → "the kiosk itself"."""
    if subject.startswith("venue:"):
        return f"place {subject.removeprefix('venue:')}"
    return "the kiosk itself" if subject in ("", "kiosk") else subject
