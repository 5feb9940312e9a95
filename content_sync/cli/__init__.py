"""``kiosk-pack``: the operator's tool. It parses arguments and calls the library.

One Click group; each family of commands lives in its own module (``packs``: make and check
pack files; ``device``: a kiosk's data directory; ``search``; ``maps``; ``narrate``; ``channel_repo``: channel
folders). Every
failure is one plain line on stderr and a non-zero exit; no tracebacks (an unexpected one goes to a
log file, named in that line). Everything printed is escaped (``common.echo``).
"""

from __future__ import annotations

import click

from . import channel_repo, device, maps, narrate, packs, search, sync_cmd
from .common import KioskGroup


@click.group(cls=KioskGroup)
@click.version_option(package_name="culture-kiosk")
@click.option("--debug", is_flag=True, help="On an unexpected error, print the traceback instead of a log file's name.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build, sign, verify and install kiosk content packs, and inspect a kiosk's content."""
    # ``obj`` may come from whoever runs the tool in-process (``main(obj={"clock": ...})``, the tests).
    ctx.obj = {**(ctx.obj or {}), "debug": debug}


for command in (
    packs.build, packs.keygen, packs.sign, packs.verify, packs.diff_command,
    device.trust, device.channel, device.install, device.rollback_command, device.info,
    search.search_command, maps.map_group, narrate.narrate, channel_repo.serve, *sync_cmd.COMMANDS,
):  # fmt: skip
    main.add_command(command)
