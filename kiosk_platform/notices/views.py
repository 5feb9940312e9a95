"""The notices page: what is in force, scheduled and ended in the operator's subtree; editors send and end them.

Scoping (kiosk_platform.orgs.scope): a notice of another organisation's subtree is 404, a
viewer's POST is 403, every change is a POST with Django's CSRF check. Bad input is answered
400 with the form and a plain-words message; nothing is saved or published then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from content_sync.core.errors import KioskError
from content_sync.pack.content_schema import Invalid, clean_text
from content_sync.sync.feed_format import BODY_LEN, TITLE_LEN
from kiosk_platform import clock
from kiosk_platform.fleet.models import Device
from kiosk_platform.orgs.scope import editor_required, get_scoped, membership, operator_required, scoped

from .channel import publish_groups
from .models import Notice

MAX_DURATION = dt.timedelta(days=7)
#: A start "at a time" this far in the past is taken as a mistake, not as "now".
PAST_START_TOLERANCE = dt.timedelta(minutes=5)
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def subtree_groups(request: HttpRequest) -> list[str]:
    """The channel groups of the devices in the operator's subtree (what a notice may be sent to)."""
    devices = scoped(request, Device.objects.all())
    return sorted(set(devices.values_list("group", flat=True)))


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(INPUT_FORMAT)


@dataclass
class NoticeForm:
    """The form's values and, after :meth:`check`, the first problem in plain words."""

    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def value(self, name: str) -> Any:
        return self.data.get(name, "")


def _moment(text: str, what: str) -> dt.datetime:
    try:
        naive = dt.datetime.strptime(text.strip(), INPUT_FORMAT)
    except ValueError:
        raise Invalid(f"{what}: give a date and time (YYYY-MM-DD HH:MM)") from None
    return timezone.make_aware(naive, timezone.get_current_timezone())


def _checked(request: HttpRequest, now: dt.datetime) -> tuple[NoticeForm, dict[str, Any] | None]:
    """The posted form, and the notice's fields when every value is right."""
    post = request.POST
    form = NoticeForm(
        {
            "groups": post.getlist("groups"),
            "severity": post.get("severity", "emergency"),
            "title_zh": post.get("title_zh", ""),
            "title_en": post.get("title_en", ""),
            "body_zh": post.get("body_zh", ""),
            "body_en": post.get("body_en", ""),
            "start": post.get("start", "now"),
            "starts_at": post.get("starts_at", ""),
            "ends_at": post.get("ends_at", ""),
        }
    )
    try:
        allowed = subtree_groups(request)
        groups = form.data["groups"]
        if not groups:
            raise Invalid("choose at least one group of kiosks")
        for group in groups:
            if group not in allowed:
                raise Invalid(f"{group!r} is not a group of kiosks in your organisation")
        if form.data["severity"] not in Notice.Severity.values:
            raise Invalid("choose emergency or important")
        texts: dict[str, str] = {}
        for key, label, limit, multiline in (
            ("title_zh", "Title (Chinese)", TITLE_LEN, False),
            ("title_en", "Title (English)", TITLE_LEN, False),
            ("body_zh", "Text (Chinese)", BODY_LEN, True),
            ("body_en", "Text (English)", BODY_LEN, True),
        ):
            try:
                texts[key] = clean_text(form.data[key], limit, multiline)
            except Invalid as exc:
                raise Invalid(f"{label}: {exc}") from None
            if not texts[key].strip():
                raise Invalid(f"{label} is required (the kiosks show both languages)")
        if form.data["start"] == "at":
            starts = _moment(form.data["starts_at"], "Starts")
            if starts < now - PAST_START_TOLERANCE:
                raise Invalid('Starts: that time has passed; choose "now" or a later time')
        elif form.data["start"] == "now":
            starts = now
        else:
            raise Invalid("choose when the notice starts")
        ends = _moment(form.data["ends_at"], "Ends")
        if ends <= max(starts, now):
            raise Invalid("Ends: must be after the start and in the future")
        if ends - starts > MAX_DURATION:
            raise Invalid("Ends: at most 7 days after the start (send a new notice to extend it)")
    except Invalid as exc:
        form.error = str(exc)
        return form, None
    return form, {"groups": sorted(set(groups)), "severity": form.data["severity"], **texts, "starts_at": starts,
                  "ends_at": ends}  # fmt: skip


def _page(request: HttpRequest, form: NoticeForm | None = None, preview: dict[str, Any] | None = None,
          status: int = 200) -> HttpResponse:  # fmt: skip
    now = clock.now()
    notices = list(scoped(request, Notice.objects.select_related("organisation", "created_by")))
    sections = {"active": [], "scheduled": [], "ended": []}  # type: dict[str, list[Notice]]
    for notice in notices:
        sections[notice.status(now)].append(notice)
    form = form or NoticeForm({"start": "now", "severity": "emergency", "ends_at": _local(now + dt.timedelta(hours=6))})
    context = {
        "nav": "notices",
        "sections": sections,
        "groups": subtree_groups(request),
        "form": form,
        "preview": preview,
        "can_edit": membership(request).can_edit,
        "now": now,
    }
    return render(request, "notices/list.html", context, status=status)


@operator_required
@require_http_methods(["GET", "POST"])
def notice_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _send(request)
    return _page(request)


@editor_required
def _send(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    form, fields = _checked(request, now)
    if fields is None:
        return _page(request, form, status=400)
    if request.POST.get("action") != "publish":  # "Preview": how the kiosks will show it, nothing sent
        return _page(request, form, preview=fields)
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                organisation=membership(request).organisation, created_by=request.user, created_at=now, **fields
            )
            notice.published_version = publish_groups(notice.groups)
            notice.save(update_fields=["published_version"])
    except KioskError as exc:  # the channel refused (its own words); the notice is not kept
        form.error = f"Not sent: {exc}"
        return _page(request, form, status=400)
    return HttpResponseRedirect(f"/notices/{notice.pk}/")


@operator_required
@require_http_methods(["GET"])
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_scoped(request, Notice.objects.select_related("organisation", "created_by"), pk=pk)
    now = clock.now()
    context = {
        "nav": "notices",
        "notice": notice,
        "status": notice.status(now),
        "can_edit": membership(request).can_edit,
    }
    return render(request, "notices/detail.html", context)


@require_POST
@editor_required
def notice_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End now: the notice leaves its groups' feeds (republished without it); kiosks drop it at their next check."""
    notice = get_scoped(request, Notice.objects.all(), pk=pk)
    now = clock.now()
    if notice.status(now) == "ended":
        return HttpResponse("This notice has already ended.", status=400, content_type="text/plain; charset=utf-8")
    try:
        with transaction.atomic():
            notice.ended_at = now
            notice.save(update_fields=["ended_at"])
            notice.published_version = publish_groups(notice.groups)
            notice.save(update_fields=["published_version"])
    except KioskError as exc:
        return HttpResponse(f"Not ended: {exc}", status=400, content_type="text/plain; charset=utf-8")
    return HttpResponseRedirect(f"/notices/{notice.pk}/")
