"""The fleet pages: every kiosk of the operator's subtree by group, on a list and a map, and one
kiosk's page with its heartbeat history; administrators add kiosks and revoke their tokens.

Status (online / late / offline / never) is worked out per request from ``last_heartbeat_at``
against the platform's clock (``status.py``), never stored, so it cannot go stale.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from kiosk_platform import clock
from kiosk_platform.orgs.scope import admin_required, get_scoped, membership, operator_required, scoped

from .forms import AddKioskForm
from .models import Device
from .provisioning import make_code
from .status import ORDER, Status, human_age, human_bytes, status_now

HEARTBEAT_HISTORY = 100


@functools.cache
def yellow_river() -> dict[str, Any]:
    """The Yellow River's course (Natural Earth, public domain) drawn under the map: see static/platform/DATA.md."""
    path = settings.PACKAGE_DIR / "static" / "platform" / "yellow-river.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _row(device: Device) -> dict[str, Any]:
    status = status_now(device.last_heartbeat_at)
    now = clock.now()
    return {
        "device": device,
        "status": status,
        "age": human_age(now - device.last_heartbeat_at) if device.last_heartbeat_at else "",
        "free_disk": human_bytes(device.free_disk_bytes),
        "revoked": device.revoked_at is not None,
    }


@operator_required
def fleet_list(request: HttpRequest) -> HttpResponse:
    devices = scoped(request, Device.objects.select_related("organisation"))
    groups = sorted(set(devices.values_list("group", flat=True)))
    group = request.GET.get("group", "")
    if group:
        devices = devices.filter(group=group)
    rows = [_row(d) for d in devices.order_by("group", "name")]
    counts = Counter(row["status"] for row in rows)
    wanted = request.GET.get("status", "")
    if wanted in {s.value for s in Status}:
        rows = [row for row in rows if row["status"] == wanted]
    else:
        wanted = ""
    points = [
        {
            "name": row["device"].name,
            "value": [row["device"].longitude, row["device"].latitude],
            "status": row["status"].value,
            "statusLabel": row["status"].label,
            "url": reverse("fleet:detail", args=[row["device"].device_id]),
        }
        for row in rows
        if row["device"].latitude is not None and row["device"].longitude is not None
    ]
    return render(
        request,
        "fleet/list.html",
        {
            "nav": "fleet",
            "grouped": [(name, list(items)) for name, items in groupby(rows, key=lambda r: r["device"].group)],
            "counts": [(s, counts.get(s, 0)) for s in ORDER],
            "total": sum(counts.values()),
            "groups": groups,
            "group": group,
            "wanted": wanted,
            "statuses": ORDER,
            "map_data": {"points": points, "river": yellow_river()["lines"]},
            "unplaced": sum(1 for row in rows if row["device"].latitude is None or row["device"].longitude is None),
            "thresholds": (settings.HEARTBEAT_LATE_MINUTES, settings.HEARTBEAT_OFFLINE_MINUTES),
        },
    )


@operator_required
def kiosk_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    device = get_scoped(request, Device.objects.select_related("organisation"), device_id=device_id)
    beats = list(device.heartbeats.order_by("-at")[:HEARTBEAT_HISTORY])
    now = clock.now()
    history = [
        {
            "at": beat.at,
            "age": human_age(now - beat.at),
            "content_version": beat.data.get("content_version"),
            "software_version": beat.data.get("software_version"),
            "sync": _sync_outcome(beat.data.get("sync")),
            "free_disk": human_bytes(_int_or_none(beat.data.get("free_disk_bytes"))),
            "memory": human_bytes(_int_or_none(beat.data.get("memory_rss_bytes"))),
            "last_error": beat.data.get("last_error") or "",
        }
        for beat in beats
    ]
    chart = {
        "times": [beat.at.isoformat() for beat in reversed(beats)],
        "freeDiskGB": [_scaled(beat.data.get("free_disk_bytes"), 1024**3) for beat in reversed(beats)],
        "memoryMB": [_scaled(beat.data.get("memory_rss_bytes"), 1024**2) for beat in reversed(beats)],
    }
    return render(
        request,
        "fleet/detail.html",
        {"nav": "fleet", "row": _row(device), "device": device, "history": history, "chart": chart},
    )


def _sync_outcome(sync: object) -> str:
    return str(sync.get("last_outcome") or "") if isinstance(sync, dict) else ""


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _scaled(value: object, unit: int) -> float | None:
    number = _int_or_none(value)
    return None if number is None else round(number / unit, 2)


@admin_required
@require_http_methods(["GET", "POST"])
def revoke_token(request: HttpRequest, device_id: str) -> HttpResponse:
    """GET asks to confirm; POST revokes: the kiosk's next request is refused with 403."""
    device = get_scoped(request, Device.objects.all(), device_id=device_id)
    if request.method == "POST":
        if device.revoked_at is None:
            device.revoked_at = clock.now()
            device.save(update_fields=["revoked_at"])
            messages.success(request, f"The token of {device.name} is revoked: its next request will be refused.")
        else:
            messages.info(request, f"The token of {device.name} was already revoked.")
        return redirect("fleet:detail", device_id=device.device_id)
    return render(request, "fleet/revoke.html", {"nav": "fleet", "device": device})


@admin_required
@require_http_methods(["GET", "POST"])
def add_kiosk(request: HttpRequest) -> HttpResponse:
    """Make a one-time code for a kiosk to come; the code is shown on this answer only."""
    organisations = membership(request).organisation.subtree()
    form = AddKioskForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code, record = make_code(
            data["organisation"],
            data["group"],
            data["name"],
            now=clock.now(),
            created_by=request.user,  # type: ignore[arg-type]
            latitude=data["latitude"],
            longitude=data["longitude"],
        )
        join = f"{request.build_absolute_uri('/').rstrip('/')}/join/{code}"
        response = render(request, "fleet/code.html", {"nav": "fleet", "code": code, "record": record, "join": join})
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "fleet/add.html", {"nav": "fleet", "form": form})
