"""CSV answers that open right in Excel and cannot smuggle a formula.

UTF-8 with a byte-order mark (Excel reads a BOM-less CSV in the machine's ANSI code page, which
garbles 白塔山), CRLF line ends, and any text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab
or carriage return, which Excel strips before looking) gets a leading ``'`` so a spreadsheet shows
it as text instead of running it (OWASP "CSV injection"). Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: object) -> object:
    """A cell as written: text that a spreadsheet would read as a formula gets a leading '."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guard(h) for h in header])
    for row in rows:
        writer.writerow([guard(cell) for cell in row])
    return BOM + out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A download named ``filename`` (ASCII: the caller builds it from dates and section names)."""
    answer = HttpResponse(csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer
