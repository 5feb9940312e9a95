"""Commands for channels (the static folders kiosks sync from): ``serve`` for a laptop demo.

Publishing, key rotation and the kiosk's ``sync`` command join this module as the sync issue
proceeds; the library behind them is ``content_sync.sync``.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..sync.serve import ServeError
from ..sync.serve import serve as serve_folder
from .common import fail


@click.command("serve")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for a network).")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on (0 picks a free one).")
def serve(folder: Path, host: str, port: int) -> None:
    """Serve the channel FOLDER over HTTP with ranges and ETags until Ctrl-C (nginx in production)."""
    try:
        serve_folder(folder, host, port)
    except (ServeError, OSError) as exc:
        fail(str(exc))
