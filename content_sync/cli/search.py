"""``kiosk-pack search``: the installed content searched as a visitor would."""

from __future__ import annotations

from pathlib import Path

import click

from ..core import i18n
from ..device.layout import DataDir
from ..store.content_store import ContentStore
from .common import data_dir_option, echo, echo_json


@click.command("search")
@data_dir_option
@click.argument("query")
@click.option("--lang", default="en", show_default=True, help="Language for titles.")
@click.option("--limit", default=20, show_default=True, help="Most results to show.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def search_command(data_dir: Path, query: str, lang: str, limit: int, as_json: bool) -> None:
    """Search the installed content as a visitor would (Chinese, pinyin, initials, English)."""
    with ContentStore.open(DataDir(data_dir)) as store:
        fallback = store.fallback()
        results = store.search(query, limit=limit)
        rows = [
            {"kind": r.kind, "id": r.id, "title": i18n.text(r.title, lang, fallback),
             "summary": i18n.text(r.subtitle, lang, fallback), "match": "name" if r.in_name else "text"}
            for r in results
        ]  # fmt: skip
    if as_json:
        echo_json({"query": query, "results": rows})
        return
    if not rows:
        echo(f"no results for {query!r}")
    for r in rows:
        echo(f"{r['kind']:<9} {r['id']:<40} {r['title']}")
