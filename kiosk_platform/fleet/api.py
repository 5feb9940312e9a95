"""``POST /api/v1/devices/register``: a kiosk exchanges a one-time provisioning code for its token.

The code is looked up by its SHA-256 and locked (``SELECT ... FOR UPDATE``) in the transaction that
marks it used and stores the device's new token hash, so two kiosks racing with one code get one
token between them. A kiosk registering again (a new code after a repair or a move) keeps its
``device_id``, gets a new token (the old one stops working) and moves to the new code's
organisation and group. Attempts are limited per address so codes cannot be guessed at speed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from kiosk_platform import clock
from kiosk_platform.ingest import ratelimit

from .auth import client_address, error_response
from .models import Device, ProvisioningCode
from .provisioning import digest, new_token, normalise_code

# A kiosk's own id: a uuid4's 32 hex digits, or what an operator gave `kiosk-pack sync-setup --device-id`
# (K-0042): letters, digits, dot, dash, underscore, at most 32.
DEVICE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
MAX_REGISTER_BODY = 4096
#: Register attempts per address and minute: a code is 60 random bits, so this stops guessing cold
#: while a technician setting up a room of kiosks behind one address is not held up.
REGISTER_RATE_PER_MINUTE = 30
UNKNOWN_CODE = "this code is unknown, used or expired"


def _parse(request: HttpRequest) -> dict[str, Any] | str:
    """The register request's fields, or what is wrong with it in plain words."""
    try:
        length = int(request.headers.get("Content-Length") or "0")
    except ValueError:
        return "Content-Length is not a number"
    if length <= 0 or length > MAX_REGISTER_BODY:
        return f"the body must be a JSON object of at most {MAX_REGISTER_BODY} bytes"
    try:
        body = json.loads(request.body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return "the body is not valid JSON"
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    code, device_id, version = body.get("code"), body.get("device_id"), body.get("software_version", "")
    if not isinstance(code, str) or not 1 <= len(code) <= 64:
        return "code must be the text of a provisioning code (XXXX-XXXX-XXXX)"
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        return "device_id must be 1 to 32 letters, digits, dots, dashes or underscores"
    if version is None:
        version = ""
    if not isinstance(version, str) or len(version) > 40 or "\x00" in version or not _utf8(version):
        return "software_version must be text of at most 40 characters"
    return {"code": code, "device_id": device_id, "software_version": version}


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def channel_root() -> dict[str, Any] | None:
    """The channel's newest root metadata (``CHANNEL_DIR/metadata/N.root.json``), for a kiosk that
    trusts no channel yet (``content_sync.sync.join``: trust on first use over the code's exchange);
    None when the platform gives no channel address or has published nothing."""
    if not settings.CHANNEL_URL:
        return None
    versions = []
    for path in (Path(settings.CHANNEL_DIR) / "metadata").glob("*.root.json"):
        number = path.name.split(".", 1)[0]
        if number.isdigit():
            versions.append((int(number), path))
    if not versions:
        return None
    try:
        root = json.loads(max(versions)[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return root if isinstance(root, dict) else None


@csrf_exempt
def register(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return error_response(405, "use POST")
    wait = ratelimit.hit(f"register:{client_address(request)}", REGISTER_RATE_PER_MINUTE)
    if wait is not None:
        return error_response(429, "too many registration attempts from this address; wait a minute", retry_after=wait)
    parsed = _parse(request)
    if isinstance(parsed, str):
        return error_response(400, parsed)
    now = clock.now()
    code_hash = digest(normalise_code(parsed["code"]))
    token, token_hash = new_token()
    try:
        with transaction.atomic():
            code = (
                ProvisioningCode.objects.select_for_update()
                .select_related("organisation")
                .filter(code_hash=code_hash)
                .first()
            )
            if code is None or code.used_at is not None or code.expires_at <= now:
                return error_response(403, UNKNOWN_CODE)
            device = Device.objects.select_for_update().filter(device_id=parsed["device_id"]).first()
            if device is None:
                device = Device(device_id=parsed["device_id"], registered_at=now)
            else:  # a kiosk set up again: the old code lets go of it (one code per device)
                ProvisioningCode.objects.filter(device=device).update(device=None)
            device.organisation = code.organisation
            device.group = code.group
            device.name = code.name
            device.latitude, device.longitude = code.latitude, code.longitude
            device.token_hash = token_hash
            device.revoked_at = None  # an operator's new code re-admits a kiosk whose old token was revoked
            device.software_version = parsed["software_version"] or device.software_version
            device.last_seen_at = now
            device.save()
            code.used_at = now
            code.device = device
            code.save(update_fields=["used_at", "device"])
    except IntegrityError:  # the same new device_id registering twice at the same instant
        return error_response(409, "this device is registering already; try again")
    answer: dict[str, Any] = {
        "device_id": device.device_id,
        "token": token,
        "group": device.group,
        "name": device.name,
        "organisation": code.organisation.name,
        "ingest_url": request.build_absolute_uri(reverse("ingest:ingest")),
        "channel_url": settings.CHANNEL_URL,
    }
    root = channel_root()
    if root is not None:
        answer["root"] = root
    return JsonResponse(answer, status=201)
