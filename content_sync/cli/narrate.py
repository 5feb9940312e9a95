"""``kiosk-pack narrate``: synthesise narration for a pack source (the work: :mod:`content_sync.pack.narrate`)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from ..core.errors import BuildError
from ..pack.narrate import narrate_source
from .common import echo, echo_json


@click.command()
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the WAVs and their index, outside the source (then: build --narration).")  # fmt: skip
@click.option("--lang", "langs", multiple=True, help="Only this language (repeatable), e.g. --lang zh-Hans --lang en.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["venue", "route", "heritage"]),
              help="Only this kind of item (repeatable); others' files are kept.")  # fmt: skip
@click.option("--rate", type=click.IntRange(50, 500), default=None, help="Speaking rate in words per minute.")
@click.option("--force", is_flag=True, help="Synthesise again even when the text has not changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def narrate(
    src: Path, out: Path, langs: tuple[str, ...], kinds: tuple[str, ...], rate: int | None, force: bool, as_json: bool
) -> None:
    """Synthesise spoken narration for venues, routes and heritage items that have no recorded audio.

    WAVs go to OUT and are packed by 'kiosk-pack build SRC --narration OUT'; unchanged texts are skipped.
    """
    try:
        progress = None if as_json else lambda line: echo(line)
        report = narrate_source(src, out, langs=langs, kinds=kinds, rate=rate, force=force, progress=progress)
    except BuildError as exc:
        for problem in exc.problems:
            if not problem.warning:
                echo(str(problem), err=True)
        raise
    for lang, count in sorted(report.no_voice.items()):
        echo(
            f"kiosk-pack: no voice for language {lang}: {count} narration text(s) left without audio; "
            "record audio for them or install a speech voice for that language",
            err=True,
        )
    for failure in report.failed:
        echo(f"kiosk-pack: narration failed: {failure}", err=True)
    if as_json:
        echo_json({**asdict(report), "realtime_factor": report.realtime_factor}, indent=None)
    else:
        langs_made = ", ".join(f"{lang} {n}" for lang, n in sorted(report.by_lang.items())) or "none"
        rtf = f"{report.realtime_factor:.3f}" if report.realtime_factor is not None else "n/a"
        echo(
            f"narrated {report.made} text(s) ({langs_made}): {report.audio_seconds:.1f} s of audio in "
            f"{report.synthesis_seconds:.1f} s (real-time factor {rtf}); {report.unchanged} unchanged, "
            f"{report.recorded} with recorded audio, {report.removed} removed"
        )
    if report.failed or (report.no_voice and not (report.made or report.unchanged or report.recorded)):
        sys.exit(1)
