"""The kiosk's library, with no Qt in it: the kiosk, the operator tool and the platform all call it.

One folder per concern (the import rules between them are in ``pyproject.toml``, checked in CI,
and explained in ``docs/architecture.md``):

* ``core``   values every wing shares: errors, language tags and fallback, opening hours, fsync;
* ``pack``   the pack format: content schema, source folders, build, sign, read, verify, vet, deltas;
* ``device`` one kiosk's data directory: layout, install and rollback, device state, provisioning;
* ``store``  the installed content as screens read it, and search;
* ``maps``   MBTiles basemaps: read, import, render, and one tile source over many;
* ``speech`` narration: voices, synthesis in a child process, the on-disk cache;
* ``cli``    ``kiosk-pack``: argument parsing only, one module per family of commands.
"""
