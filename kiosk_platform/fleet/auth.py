"""Who is calling a device API: the bearer token → its :class:`Device`, and the caller's address.

Only SHA-256 hashes of tokens are stored (``provisioning.digest``); a token is random, so a plain
hash is enough and the look-up is one indexed equality. Unknown → 401, revoked → 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, JsonResponse

from .models import Device
from .provisioning import digest


@dataclass(frozen=True)
class Refusal:
    """Why a device request is refused: its HTTP status and plain words for ``{"error": ...}``."""

    status: int
    error: str


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    return token


def authenticate_device(request: HttpRequest) -> Device | Refusal:
    """The device whose token the request carries, or why not (401 unknown, 403 revoked)."""
    token = bearer_token(request)
    if token is None:
        return Refusal(401, "a device token is needed (Authorization: Bearer <token>)")
    device = Device.objects.filter(token_hash=digest(token)).select_related("organisation").first()
    if device is None:
        return Refusal(401, "this device token is unknown")
    if device.revoked_at is not None:
        return Refusal(403, "this device's token was revoked; register the kiosk again with a new code")
    return device


def client_address(request: HttpRequest) -> str:
    """The caller's IP: nginx replaces ``X-Forwarded-For`` with the peer's address (never appends a
    client's own), so behind it the header is the truth; gunicorn itself listens on loopback only."""
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    return (forwarded or str(request.META.get("REMOTE_ADDR") or "unknown"))[:64]


def error_response(status: int, error: str, *, retry_after: float | None = None) -> JsonResponse:
    """The device APIs' refusal: ``{"error": "..."}`` in plain words, with ``Retry-After`` when it helps."""
    response = JsonResponse({"error": error}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response
