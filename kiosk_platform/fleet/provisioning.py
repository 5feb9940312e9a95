"""One-time provisioning codes and device tokens: made here, stored only as SHA-256 hashes.

An operator makes a code for a kiosk to come (``make_code``); the kiosk sends it once to
``POST /api/v1/devices/register`` and gets its own bearer token back (``docs/platform-ingest.md``).
Codes and tokens are random (``secrets``), so a plain SHA-256 is the right hash: there is nothing
to guess that a slow hash would protect (unlike a password).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser

from kiosk_platform.orgs.models import Organisation

from .models import ProvisioningCode

# Crockford's base 32 without I, L, O, U: a code read aloud over the phone or typed on a kiosk's
# keyboard has no 0/O or 1/I/L to confuse.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LIFETIME = dt.timedelta(days=14)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    """What a person typed, as stored: upper case, no spaces or dashes, O→0 and I/L→1."""
    text = "".join(code.split()).replace("-", "").upper()
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def make_code(
    organisation: Organisation,
    group: str,
    name: str,
    *,
    now: dt.datetime,
    created_by: AbstractBaseUser | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    lifetime: dt.timedelta = CODE_LIFETIME,
) -> tuple[str, ProvisioningCode]:
    """A new code (shown once, as ``XXXX-XXXX-XXXX``) and its stored record."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    record = ProvisioningCode.objects.create(
        code_hash=digest(raw),
        organisation=organisation,
        group=group,
        name=name,
        latitude=latitude,
        longitude=longitude,
        created_at=now,
        expires_at=now + lifetime,
        created_by=created_by,
    )
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}", record


def new_token() -> tuple[str, str]:
    """A device's bearer token and its hash (only the hash is stored)."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)
