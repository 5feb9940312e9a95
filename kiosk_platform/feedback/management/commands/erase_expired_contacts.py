"""Erase visitors' contacts whose retention has passed (run daily, e.g. from a systemd timer).

A contact is kept ``CONTACT_RETENTION_DAYS`` after its entry is closed (``contact_erase_after``);
after that it is blanked (set to NULL), the rest of the entry stays for statistics.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kiosk_platform import clock
from kiosk_platform.feedback.models import Feedback


def erase_expired_contacts() -> int:
    """Blank every contact whose erase date has come; the number blanked."""
    return Feedback.objects.filter(contact__isnull=False, contact_erase_after__lte=clock.now()).update(contact=None)


class Command(BaseCommand):
    help = "Erase visitors' contacts kept past CONTACT_RETENTION_DAYS after their entry was closed."

    def handle(self, *args: Any, **options: Any) -> None:
        erased = erase_expired_contacts()
        self.stdout.write(f"erased {erased} contact{'s' if erased != 1 else ''}")
