"""The publishing pages: packs and roll-outs of the operator's subtree, uploading a pack, starting a
roll-out to a group, and a roll-out's page with its waves, its log and the halt / resume / roll back /
pin / check-now buttons (docs/platform-publishing.md).

Reading is for every operator; every change is a POST for editors (403 for viewers), and a
roll-out outside the operator's subtree is a 404, whatever the method.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kiosk_platform.fleet.models import Device
from kiosk_platform.orgs.scope import editor_required, get_scoped, membership, operator_required, scoped

from . import rollout as logic
from .models import Pack, Rollout

_DEVICE_ID = re.compile(r"[0-9a-f]{32}")


def _wave_rows(rollout: Rollout) -> list[dict[str, Any]]:
    rows = []
    for index in range(len(rollout.waves)):
        row: dict[str, Any] = {"number": index + 1, "label": rollout.wave_label(index), "current": False}
        if index == rollout.current_wave:
            counts = logic.wave_counts(rollout)
            row.update(current=True, counts=counts, rate=f"{counts.failure_rate:.0f}")
        elif index < rollout.current_wave:
            row["done"] = True
        rows.append(row)
    return rows


def _summary(rollout: Rollout) -> dict[str, Any]:
    counts = logic.wave_counts(rollout) if rollout.state in (Rollout.State.RUNNING, Rollout.State.HALTED) else None
    return {"rollout": rollout, "counts": counts}


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    own = membership(request)
    devices = scoped(request, Device.objects.all())
    return {
        "nav": "publishing",
        "can_edit": own.can_edit,
        "packs": scoped(request, Pack.objects.select_related("organisation", "uploaded_by"))[:50],
        "rollouts": [_summary(r) for r in scoped(request, Rollout.objects.select_related("pack", "organisation"))[:50]],
        "groups": sorted(set(devices.values_list("group", flat=True))),
        "organisations": own.organisation.subtree(),
        "form": request.POST if request.method == "POST" else {},
        **extra,
    }


@operator_required
def publishing_list(request: HttpRequest) -> HttpResponse:
    return render(request, "publishing/list.html", _context(request))


@editor_required
@require_POST
def upload_pack(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("pack")
    if upload is None or not upload.name.endswith(".kpack"):
        return render(
            request, "publishing/list.html", _context(request, upload_error="Choose a .kpack file to upload."),
            status=400,
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="kiosk-upload-") as tmp:
        path = Path(tmp) / "upload.kpack"
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            pack = logic.store_pack(path, membership(request).organisation, request.user)
        except logic.RolloutError as exc:
            return render(request, "publishing/list.html", _context(request, upload_error=str(exc)), status=400)
    messages.success(request, f"Pack {pack.pack_id} content version {pack.content_version} is uploaded and verified.")
    return redirect(reverse("publishing:list"))


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise logic.RolloutError(f"{name} must be a whole number") from None
    if not low <= number <= high:
        raise logic.RolloutError(f"{name} must be from {low} to {high}")
    return number


@editor_required
@require_POST
def start_rollout(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        pack = get_scoped(request, Pack.objects.all(), pk=post.get("pack", ""))
        number = _int(post.get("organisation", ""), "the organisation", 1, 2**62)
        organisation = membership(request).organisation.subtree().filter(pk=number).first()
        if organisation is None:
            raise logic.RolloutError("choose one of your organisations")
        group = post.get("group", "").strip()
        if group not in set(scoped(request, Device.objects.all()).values_list("group", flat=True)):
            raise logic.RolloutError("choose a group your kiosks use")
        canaries = post.get("canaries", "").split()
        bad = next((c for c in canaries if not _DEVICE_ID.fullmatch(c)), None)
        if bad is not None:
            raise logic.RolloutError(f"canary {bad[:40]!r} is not a device id of 32 hexadecimal digits")
        try:
            percentages = [int(p) for p in post.get("percentages", "").replace(",", " ").split()]
        except ValueError:
            raise logic.RolloutError("the waves are percentages such as: 10, 50, 100") from None
        rollout = logic.start_rollout(
            pack, organisation, group, canaries=canaries, percentages=percentages,
            failure_threshold=_int(post.get("failure_threshold", ""), "the failure threshold", 0, 100),
            min_devices=_int(post.get("min_devices", ""), "the minimum of kiosks per wave", 1, 10_000),
            wave_wait_s=60 * _int(post.get("wave_wait_minutes", ""), "the wave's wait", 0, 60 * 24 * 30),
            user=request.user,
        )  # fmt: skip
    except logic.RolloutError as exc:
        return render(request, "publishing/list.html", _context(request, start_error=str(exc)), status=400)
    messages.success(request, f"Roll-out of {pack} to {group} started with wave 1: {rollout.wave_label(0)}.")
    return redirect(reverse("publishing:rollout", args=[rollout.pk]))


def _scoped_rollout(request: HttpRequest, pk: int) -> Rollout:
    return get_scoped(request, Rollout.objects.select_related("pack", "organisation"), pk=pk)


@operator_required
def rollout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rollout = _scoped_rollout(request, pk)
    return render(
        request,
        "publishing/rollout.html",
        {
            "nav": "publishing",
            "rollout": rollout,
            "can_edit": membership(request).can_edit,
            "waves": _wave_rows(rollout),
            "events": rollout.events.select_related("by")[:100],
            "devices": len(logic.group_devices(rollout)),
        },
    )


@editor_required
@require_POST
def rollout_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """check (judge now, as the timer does), halt, resume, rollback, pin."""
    rollout = _scoped_rollout(request, pk)
    try:
        if action == "check":
            what = logic.advance(rollout)
            messages.info(request, f"Checked: {what}.")
        elif action == "halt":
            logic.halt(rollout, request.user)
            messages.success(request, "The roll-out is halted: no further wave.")
        elif action == "resume":
            logic.resume(rollout, request.user)
            messages.success(request, "The roll-out runs again.")
        elif action in ("rollback", "pin"):
            version = logic.roll_back(rollout, request.user, go_back=action == "rollback")
            messages.success(request, f"Group {rollout.group} is pinned to version {version}.")
        else:
            return HttpResponse("No such action.", status=404, content_type="text/plain")
    except logic.RolloutError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("publishing:rollout", args=[rollout.pk]))
