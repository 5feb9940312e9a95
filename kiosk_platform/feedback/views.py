"""The feedback queue: visitors' feedback and complaints of the operator's subtree, newest first,
and one entry's page where editors assign, note, answer and close it. Viewers only read, and see
"contact given" instead of a visitor's contact.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kiosk_platform import clock
from kiosk_platform.fleet.status import human_age
from kiosk_platform.orgs.models import Membership
from kiosk_platform.orgs.scope import editor_required, get_scoped, membership, operator_required, scoped

from .flow import CATEGORIES, FACES, MoveRefused, category_label, check_move, face, place
from .models import Feedback, FeedbackNote

S = Feedback.Status
MAX_TEXT = 4000


def _entries(request: HttpRequest) -> QuerySet[Feedback]:
    return scoped(request, Feedback.objects.select_related("organisation", "device", "assignee"))


@operator_required
def queue(request: HttpRequest) -> HttpResponse:
    entries = _entries(request)
    counts = Counter(entries.values_list("status", flat=True))
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    rating = request.GET.get("rating", "")
    if status in S.values:
        entries = entries.filter(status=status)
    else:
        status = ""
    if category:
        entries = entries.filter(category=category)
    if rating.isdigit() and int(rating) in FACES:
        entries = entries.filter(rating=int(rating))
    else:
        rating = ""
    now = clock.now()
    rows = [
        {
            "entry": e,
            "age": human_age(now - e.received_at),
            "face": face(e.rating),
            "category": category_label(e.category),
        }
        for e in entries.order_by("-received_at", "-pk")[:500]
    ]
    return render(
        request,
        "feedback/queue.html",
        {
            "nav": "feedback",
            "rows": rows,
            "counts": [(value, label, counts.get(value, 0)) for value, label in S.choices],
            "status": status,
            "category": category,
            "rating": rating,
            "categories": sorted(CATEGORIES.items(), key=lambda item: item[1]),
            "faces": sorted(FACES.items()),
        },
    )


def _assignable(request: HttpRequest, entry: Feedback) -> QuerySet[User]:
    """Editors and admins within the operator's subtree who can see ``entry`` (their organisation is
    the entry's or above it)."""
    root = membership(request).organisation
    ancestors = [p for p in entry.organisation.path.split("/") if p]
    return (
        User.objects.filter(
            is_active=True,
            membership__organisation__path__startswith=root.path,
            membership__organisation_id__in=[int(p) for p in ancestors],
            membership__role__in=[Membership.Role.ADMIN, Membership.Role.EDITOR],
        )
        .select_related("membership__organisation")
        .order_by("username")
    )


@operator_required
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_scoped(request, _entries(request), pk=pk)
    own = membership(request)
    now = clock.now()
    if item.contact:
        contact = item.contact if own.can_edit else "contact given"
    elif item.contact_erase_after and item.contact_erase_after <= now:
        contact = "erased after the retention period"
    else:
        contact = "none left"
    context: dict[str, Any] = {
        "nav": "feedback",
        "item": item,
        "age": human_age(now - item.received_at),
        "face": face(item.rating),
        "category": category_label(item.category),
        "place": place(item.subject),
        "contact": contact,
        "can_edit": own.can_edit,
        "notes": item.notes.select_related("author").order_by("at", "pk"),
        "assignable": _assignable(request, item) if own.can_edit else [],
        "can_answer": item.status == S.ASSIGNED and bool(item.contact),
        "retention_days": settings.CONTACT_RETENTION_DAYS,
    }
    return render(request, "feedback/entry.html", context)


def _text(request: HttpRequest, field: str) -> str:
    return request.POST.get(field, "").strip()


def _back(item: Feedback) -> HttpResponse:
    return redirect("feedback:entry", pk=item.pk)


def _note(item: Feedback, author: Any, text: str, now: dt.datetime) -> None:
    FeedbackNote.objects.create(feedback=item, author=author, text=text, at=now)


@editor_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_scoped(request, _entries(request), pk=pk)
    text = _text(request, "text")
    if not text:
        messages.error(request, "The note is empty: nothing was added.")
    elif len(text) > MAX_TEXT:
        messages.error(request, f"A note is at most {MAX_TEXT} characters: nothing was added.")
    else:
        _note(item, request.user, text, clock.now())
        messages.success(request, "Note added.")
    return _back(item)


@editor_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        item = get_scoped(request, _entries(request).select_for_update(of=("self",)), pk=pk)
        who = request.POST.get("assignee", "me")
        if who == "me":
            assignee = request.user
        else:
            assignee = _assignable(request, item).filter(pk=int(who) if who.isdigit() else 0).first()
            if assignee is None:
                messages.error(request, "That operator cannot take this entry: nothing was changed.")
                return _back(item)
        try:
            check_move(item, S.ASSIGNED)
        except MoveRefused as refusal:
            messages.error(request, str(refusal))
            return _back(item)
        item.assignee = assignee  # type: ignore[assignment]
        item.status = S.ASSIGNED
        item.save(update_fields=["assignee", "status"])
        _note(item, request.user, f"Assigned to {assignee.get_username()}.", clock.now())
    messages.success(request, f"Assigned to {assignee.get_username()}.")
    return _back(item)


@editor_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        item = get_scoped(request, _entries(request).select_for_update(of=("self",)), pk=pk)
        text = _text(request, "reply")
        try:
            check_move(item, S.ANSWERED)
        except MoveRefused as refusal:
            messages.error(request, str(refusal))
            return _back(item)
        if not text or len(text) > MAX_TEXT:
            messages.error(request, f"Write the reply (1 to {MAX_TEXT} characters): nothing was changed.")
            return _back(item)
        now = clock.now()
        item.reply = text
        item.replied_at = now
        item.status = S.ANSWERED
        item.save(update_fields=["reply", "replied_at", "status"])
        _note(item, request.user, "Answered the visitor.", now)
    messages.success(request, "The reply is saved and the entry is answered.")
    return _back(item)


@editor_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        item = get_scoped(request, _entries(request).select_for_update(of=("self",)), pk=pk)
        try:
            check_move(item, S.CLOSED)
        except MoveRefused as refusal:
            messages.error(request, str(refusal))
            return _back(item)
        now = clock.now()
        item.status = S.CLOSED
        item.closed_at = now
        item.contact_erase_after = now + dt.timedelta(days=settings.CONTACT_RETENTION_DAYS)
        item.save(update_fields=["status", "closed_at", "contact_erase_after"])
        _note(item, request.user, "Closed.", now)
    messages.success(request, "Closed." + (" The visitor's contact will be erased in time." if item.contact else ""))
    return _back(item)
