"""The kiosk's log: stderr (the journal under systemd) and ``DATA_DIR/logs/kiosk.log``, rotated."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FILE = "kiosk.log"


def setup_logging(logs: Path) -> None:
    """First thing at start: everything after it, crash reports included, has somewhere to go."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    try:
        logs.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(
            logs / LOG_FILE, maxBytes=2_000_000, backupCount=5, encoding="utf-8"))  # fmt: skip
    except OSError:
        pass  # a read-only disk must not stop the kiosk; stderr still works
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        handlers=handlers, force=True)  # fmt: skip
