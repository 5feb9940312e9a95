"""What every ``kiosk-pack`` command shares: one-line failures, JSON output, the data-dir option."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from ..core.errors import KioskError

EXIT_REFUSED = 1

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("KIOSK_DATA_DIR"),
    required=True,
    help="The kiosk's data directory (default: $KIOSK_DATA_DIR).",
)


def fail(message: str) -> NoReturn:
    click.echo(f"kiosk-pack: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class KioskGroup(click.Group):
    """Turns any KioskError into one line and exit 1, anything else into a short report."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KioskError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
