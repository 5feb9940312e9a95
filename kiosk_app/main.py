"""``kiosk``: start-up of a kiosk on its local data directory.

Content comes first: with nothing installed, the bundled pack is installed through the
same verification as any pack. The touchscreen interface is built on top of this in
kiosk_app's screens.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from content_sync import i18n
from content_sync.errors import KioskError
from content_sync.layout import DataDir
from content_sync.provision import ensure_content
from content_sync.store import ContentStore

log = logging.getLogger("kiosk")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kiosk", description="Run the culture and tourism kiosk.")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("KIOSK_DATA_DIR", "var/kiosk")),
        help="The kiosk's data directory (default: $KIOSK_DATA_DIR or ./var/kiosk).",
    )
    parser.add_argument(
        "--bundled-pack",
        type=Path,
        default=None,
        help="Pack to install when nothing (or something older) is installed.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data = DataDir(args.data_dir)
    data.root.mkdir(parents=True, exist_ok=True)
    report = ensure_content(data, args.bundled_pack)
    log.info("content: %s", report.message)
    try:
        store = ContentStore.open(data)
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    with store:
        title = i18n.text(i18n.loads(store.meta().get("title")), "en")
        counts = store.counts()
        print(
            f"kiosk: content ready: {title}, version {store.content_version}, "
            f"{counts['venues']} venues, {counts['routes']} routes, {counts['events']} events"
        )
    print(
        "kiosk: the touchscreen interface is not in this build yet (tracked as issue #3); "
        "content can be explored with 'kiosk-pack search --data-dir DIR QUERY'."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
