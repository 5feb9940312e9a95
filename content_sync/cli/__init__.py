"""``kiosk-pack``: the operator's tool. It parses arguments and calls the library.

One Click group; each family of commands lives in its own module (``packs``: make and check
pack files; ``device``: a kiosk's data directory; ``search``; ``maps``; ``narrate``). Every
failure is one plain line on stderr and a non-zero exit; no tracebacks.
"""

from __future__ import annotations

import click

from . import device, maps, narrate, packs, search
from .common import KioskGroup


@click.group(cls=KioskGroup)
@click.version_option(package_name="culture-kiosk")
def main() -> None:
    """Build, sign, verify and install kiosk content packs, and inspect a kiosk's content."""


for command in (
    packs.build, packs.keygen, packs.sign, packs.verify, packs.diff_command,
    device.trust, device.channel, device.install, device.rollback_command, device.info,
    search.search_command, maps.map_group, narrate.narrate,
):  # fmt: skip
    main.add_command(command)
