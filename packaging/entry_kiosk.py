"""PyInstaller entry point of ``kiosk`` (the console script ``kiosk_app.main:main``)."""

from entry_common import run

from kiosk_app.main import main

if __name__ == "__main__":
    run(main)
