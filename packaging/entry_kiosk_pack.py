"""PyInstaller entry point of ``kiosk-pack`` (the console script ``content_sync.cli:main``)."""

from entry_common import run

from content_sync.cli import main

if __name__ == "__main__":
    run(main)
