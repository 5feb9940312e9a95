"""``POST /api/v1/ingest``: a kiosk's outbox batch (``docs/outbox.md``, ``docs/platform-ingest.md``).

Refusals come before anything is written: a token (401 unknown, 403 revoked), the device's rate
(429 with ``Retry-After``), the size from ``Content-Length`` before the body is read (413), the
JSON and its shape (400), the body's ``device_id`` against the token's (403), the event count
(413). Then one transaction (``logic.store_batch``) and the answer: accepted, duplicate, rejected.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from kiosk_platform import clock
from kiosk_platform.fleet.auth import Refusal, authenticate_device, error_response

from . import logic, ratelimit


@csrf_exempt
def ingest(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return error_response(405, "use POST")
    device = authenticate_device(request)
    if isinstance(device, Refusal):
        return error_response(device.status, device.error)
    max_bytes, max_events, per_minute = logic.limits()
    wait = ratelimit.hit(f"device:{device.pk}", per_minute)
    if wait is not None:
        return error_response(429, f"at most {per_minute} batches a minute", retry_after=wait)
    try:
        length = int(request.headers.get("Content-Length") or "")
    except ValueError:
        return error_response(411, f"Content-Length is needed (a JSON body of at most {max_bytes} bytes)")
    if length > max_bytes:
        return error_response(413, f"the batch is larger than {max_bytes} bytes; send fewer events")
    if length <= 0:
        return error_response(400, "the body is empty; send a JSON object with device_id, batch_id and events")
    try:
        body = logic.parse_json(request.read(length))
        checked = logic.check_batch(body, max_events=max_events)
    except logic.BadBatch as exc:
        return error_response(exc.status, str(exc))
    if checked.device_id != device.device_id:
        return error_response(403, "device_id is not the device this token belongs to")
    stored = logic.store_batch(device, checked, clock.now())
    return JsonResponse({"accepted": stored.accepted, "duplicate": stored.duplicate, "rejected": checked.rejected})
