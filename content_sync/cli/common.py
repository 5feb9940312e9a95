"""What every ``kiosk-pack`` command shares: one escaping printer, one-line failures, JSON output,
the data-dir option, and the guard that keeps tracebacks off the operator's terminal.

Everything a command prints goes through :func:`echo` (or :func:`echo_json`): a pack is not
trusted to be polite, and a pack id carrying ``ESC [2J`` or a right-to-left override must not
clear or reorder the operator's terminal. Such characters are shown escaped (``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import sys
import tempfile
import traceback
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from ..core.errors import DISK_FULL, KioskError, is_disk_full
from ..device.damage import plain_sqlite_error

EXIT_REFUSED = 1
EXIT_UNEXPECTED = 3
LOG_DIR_ENV = "KIOSK_PACK_LOG_DIR"  # where the guard writes tracebacks (default: the temp folder)

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("KIOSK_DATA_DIR"),
    required=True,
    help="The kiosk's data directory (default: $KIOSK_DATA_DIR).",
)


def command_clock() -> Callable[[], dt.datetime]:
    """The clock a command judges dates by (a pack's expiry, an install's time): the real one, unless
    whoever runs the tool in-process passes another as ``main(obj={"clock": ...})``.

    The tests do, so that no result depends on the year they run in; an operator has no option for it.
    """
    ctx = click.get_current_context(silent=True)
    clock = (ctx.obj or {}).get("clock") if ctx is not None else None
    return clock or (lambda: dt.datetime.now(dt.UTC))


# Categories a terminal may act on or that hide or reorder text: controls (C0, C1, DEL), format
# characters (bidi overrides and isolates, zero-width), surrogates, private use, unassigned,
# line and paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_UNSAFE_RE = re.compile(r"[^\x20-\x7e]")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, format, bidi, zero-width or unassigned character escaped.

    Printable text of every script (Chinese, Arabic, emoji) is kept as it is.
    """
    value = str(text)

    def repl(match: re.Match[str]) -> str:
        ch = match.group(0)
        if keep_newlines and ch == "\n":
            return ch
        if unicodedata.category(ch) in _HIDDEN:
            return _escape_char(ch)
        return ch

    return _UNSAFE_RE.sub(repl, value)


def echo(message: object = "", *, err: bool = False) -> None:
    """Print one line, escaped (a newline inside a value from a pack is shown as ``\\x0a``)."""
    click.echo(escape(message), err=err)


def fail(message: str) -> NoReturn:
    echo(f"kiosk-pack: {message}", err=True)
    sys.exit(EXIT_REFUSED)


def _json_safe(text: str) -> str:
    """JSON text with hidden characters as \\uXXXX escapes (still valid JSON; control characters
    are escaped by ``json.dumps`` already)."""

    def repl(match: re.Match[str]) -> str:
        ch = match.group(0)
        if unicodedata.category(ch) not in _HIDDEN or ch == "\n":  # json.dumps escaped the others
            return ch
        code = ord(ch)
        if code < 0x10000:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

    return _UNSAFE_RE.sub(repl, text)


def echo_json(data: Any, *, indent: int | None = 2) -> None:
    click.echo(_json_safe(json.dumps(data, ensure_ascii=False, indent=indent, default=str)))


def write_traceback(exc: BaseException) -> Path | None:
    """The full traceback into a log file of its own; its path for the one-line report."""
    folder = Path(os.environ.get(LOG_DIR_ENV) or Path(tempfile.gettempdir()) / "kiosk-pack")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="error-", suffix=".log", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"kiosk-pack {' '.join(sys.argv[1:])}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return Path(name)


class KioskGroup(click.Group):
    """The guard of every command: a KioskError is one line and exit 1; a full disk is "disk full";
    anything unexpected is one plain line naming a log file with the traceback (``--debug``
    prints the traceback instead)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KioskError as exc:
            fail(str(exc))
        except Exception as exc:
            if is_disk_full(exc):
                fail(f"{DISK_FULL}{f': {exc.filename}' if isinstance(exc, OSError) and exc.filename else ''}")
            if isinstance(exc, OSError):
                fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
            if isinstance(exc, sqlite3.DatabaseError):  # damage a quick look at open did not see
                fail(f"a database of this kiosk cannot be read: {plain_sqlite_error(exc)}; run 'kiosk-pack info'")
            if (ctx.obj or {}).get("debug"):
                for line in "".join(traceback.format_exception(exc)).splitlines():
                    echo(line, err=True)
            else:
                where = write_traceback(exc)
                hint = f"; the details are in {where}" if where else ""
                echo(f"kiosk-pack: unexpected error ({type(exc).__name__}){escape(hint)}", err=True)
            sys.exit(EXIT_UNEXPECTED)
