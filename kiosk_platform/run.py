"""``./scripts/run-platform``: the whole platform on this machine, from nothing, in one command.

Under ``var/platform`` (ignored by git): a PostgreSQL cluster of its own (``pg/``), a secret key,
the collected static files, the sync channel nginx serves, and ``demo-accounts.json`` with the demo
operators' passwords and the demo kiosk's provisioning code. Then gunicorn behind nginx in the
foreground until Ctrl-C, which stops both and the database.

The demo kiosk joins with one setting: this writes ``var/platform/demo-kiosk.toml`` holding
``platform.join``, and ``./scripts/run-kiosk --config var/platform/demo-kiosk.toml`` uses it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _secret_key(folder: Path) -> str:
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text(encoding="utf-8").strip()


def platform_environment(folder: Path, *, host: str, port: int, channel_port: int) -> dict[str, str]:
    """The settings the platform runs with (``KIOSK_PLATFORM_*``), all under ``folder``."""
    return {
        "DJANGO_SETTINGS_MODULE": "kiosk_platform.settings",
        "KIOSK_PLATFORM_SECRET_KEY": _secret_key(folder),
        "KIOSK_PLATFORM_DB_HOST": str((folder / "pg" / "run").resolve()),
        "KIOSK_PLATFORM_DB_NAME": "kiosk_platform",
        "KIOSK_PLATFORM_STATIC_ROOT": str(folder / "static"),
        "KIOSK_PLATFORM_CHANNEL_DIR": str(folder / "channel"),
        "KIOSK_PLATFORM_CHANNEL_KEYS": str(folder / "channel-keys"),
        "KIOSK_PLATFORM_UPLOAD_DIR": str(folder / "uploads"),
        "KIOSK_PLATFORM_CHANNEL_URL": f"http://{host}:{channel_port}",
        "KIOSK_PLATFORM_ALLOWED_HOSTS": f"{host},localhost,127.0.0.1",
        "KIOSK_PLATFORM_CSRF_TRUSTED_ORIGINS": f"http://{host}:{port}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run-platform", description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=REPO / "var" / "platform")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback by default)")
    parser.add_argument("--port", type=int, default=8700, help="the dashboard and APIs")
    parser.add_argument("--channel-port", type=int, default=8701, help="the sync channel kiosks fetch from")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--init-only", action="store_true", help="set up and stop (no server)")
    args = parser.parse_args(argv)
    folder: Path = args.folder.resolve()
    env = platform_environment(folder, host=args.host, port=args.port, channel_port=args.channel_port)
    os.environ.update(env)

    from kiosk_platform.localdb import LocalCluster

    cluster = LocalCluster(folder / "pg")
    print(f"run-platform: PostgreSQL cluster in {cluster.folder}")
    cluster.start()
    try:
        cluster.ensure_database("kiosk_platform")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        accounts_file = folder / "demo-accounts.json"
        call_command("platform_demo", accounts=accounts_file)
        accounts = json.loads(accounts_file.read_text(encoding="utf-8"))
        site = f"http://{args.host}:{args.port}"
        kiosk_toml = folder / "demo-kiosk.toml"
        kiosk_toml.write_text(
            "# The demo kiosk joins the platform with this one setting (./scripts/run-platform wrote it).\n"
            f'[platform]\njoin = "{site}/join/{accounts["kiosk_code"]}"\n',
            encoding="utf-8",
        )
        print(f"run-platform: dashboard {site}/  (channel {env['KIOSK_PLATFORM_CHANNEL_URL']}/)")
        for name, password in accounts["operators"].items():
            print(f"run-platform:   sign in as {name} / {password}")
        print(f"run-platform: the demo kiosk's code {accounts['kiosk_code']}; run it joined with")
        print(f"run-platform:   ./scripts/run-kiosk --config {os.path.relpath(kiosk_toml, Path.cwd())}")
        if args.init_only:
            return 0
        from django.db import connections

        connections.close_all()
        from kiosk_platform.serve import PlatformServer

        server = PlatformServer(
            folder / "site", env, port=args.port, channel_port=args.channel_port, workers=args.workers, host=args.host
        )
        server.start()
        print("run-platform: serving; Ctrl-C stops the platform and its database")

        def stop(_signum: int, _frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            code = server.wait()
            print(f"run-platform: a server stopped ({code}): {server.tail('gunicorn')}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            server.stop()
            return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
