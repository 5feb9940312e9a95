"""``python -m content_sync.cli``: the same tool as ``kiosk-pack``, every command registered."""

from . import main

main(prog_name="kiosk-pack")
