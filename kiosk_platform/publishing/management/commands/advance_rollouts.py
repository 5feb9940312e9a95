"""``advance_rollouts``: judge every running roll-out once (a systemd timer runs it every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kiosk_platform.publishing.rollout import RolloutError, advance_all


class Command(BaseCommand):
    help = "Judge every running roll-out: halt on failures, move to the next wave, or wait."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = advance_all()
        except RolloutError as exc:
            self.stderr.write(f"advance_rollouts: {exc}")
            raise SystemExit(1) from None
        for pk, what in done.items():
            self.stdout.write(f"roll-out {pk}: {what}")
