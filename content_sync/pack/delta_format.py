"""The wire form of a delta: one header line and one line per table, canonical JSON, compressed.

::

    kiosk-delta 1 <codec>\\n            (codec: zlib or xz)
    <compressed>:
      {"format":"kiosk-delta","format_version":1,"schema_version":1,"digest_alg":"sha256-rows-v2",
       "from":{"content_version":6,"digest":"…"},"to":{"content_version":7,"digest":"…"},
       "media":[{"sha256":"…","path":"media/….png","size":123}]}\\n
      {"table":"venues","columns":[…],"key":["id"],
       "insert":[[…row…]],"update":[[[…key…],{"column":value}]],"delete":[[…key…]]}\\n
      …

Values are written as in the content digest (:mod:`.digest`): type-preserving JSON, so
``1``, ``1.0`` and ``"1"`` come back as they went. Reading is bounded: the compressed
body may not expand beyond ``max_bytes``, and anything malformed is one
:class:`DeltaError` line. ``docs/deltas.md`` shows why this form and not
SQLite's session changesets (numbers).
"""

from __future__ import annotations

import json
import lzma
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import KioskError
from .digest import DIGEST_ALG, ENCODER
from .schema import CONTENT_SCHEMA_VERSION

Row = tuple[Any, ...]


class DeltaError(KioskError):
    """A delta that cannot be applied; ``str()`` is one plain line for an operator."""


@dataclass
class TableDelta:
    """Changes to one table: whole new rows, changed columns of existing rows, deleted keys."""

    columns: list[str]
    key: list[str]
    inserts: list[Row] = field(default_factory=list)
    updates: list[tuple[Row, dict[str, Any]]] = field(default_factory=list)
    deletes: list[Row] = field(default_factory=list)

    @property
    def upserts(self) -> int:
        return len(self.inserts) + len(self.updates)

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.deletes)


@dataclass
class Delta:
    """Everything that turns version A of a content database into version B."""

    from_version: int
    to_version: int
    from_digest: str
    to_digest: str
    tables: dict[str, TableDelta]
    media: list[dict[str, Any]] = field(default_factory=list)  # rows of `media` new in B: what to fetch
    schema_version: int = CONTENT_SCHEMA_VERSION


MAGIC = b"kiosk-delta 1 "
FORMAT = "kiosk-delta"
FORMAT_VERSION = 1
DEFAULT_CODEC = "xz"  # docs/deltas.md: 30% fewer bytes than zlib at 1% of a large city, equal on tiny deltas
MAX_BYTES = 512 * 2**20  # a delta larger than this is no delta: ship the full pack


def _line(doc: Any) -> bytes:
    return ENCODER.encode(doc).encode() + b"\n"


def table_lines(tables: dict[str, TableDelta]) -> Iterator[bytes]:
    for name, td in sorted(tables.items()):
        yield _line(
            {
                "table": name,
                "columns": td.columns,
                "key": td.key,
                "insert": td.inserts,
                "update": [[list(k), changed] for k, changed in td.updates],
                "delete": td.deletes,
            }
        )


def header(delta: Delta) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": delta.schema_version,
        "digest_alg": DIGEST_ALG,
        "from": {"content_version": delta.from_version, "digest": delta.from_digest},
        "to": {"content_version": delta.to_version, "digest": delta.to_digest},
        "media": delta.media,
    }


def raw_bytes(delta: Delta) -> bytes:
    """The uncompressed lines: header plus row changes."""
    return _line(header(delta)) + b"".join(table_lines(delta.tables))


def dumps(delta: Delta, codec: str = DEFAULT_CODEC) -> bytes:
    """The delta file's bytes."""
    raw = raw_bytes(delta)
    if codec == "zlib":
        body = zlib.compress(raw, 9)
    elif codec == "xz":
        body = lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)
    else:
        raise ValueError(f"unknown codec {codec}")
    return MAGIC + codec.encode() + b"\n" + body


def _decompress(codec: str, body: bytes, max_bytes: int) -> bytes:
    try:
        return _decompress_checked(codec, body, max_bytes)
    except (zlib.error, lzma.LZMAError):
        raise DeltaError("the delta file is damaged (it does not decompress)") from None


def _decompress_checked(codec: str, body: bytes, max_bytes: int) -> bytes:
    dec: Any
    if codec == "zlib":
        dec = zlib.decompressobj()
        out = dec.decompress(body, max_bytes + 1)
        complete = dec.eof and not dec.unconsumed_tail
    elif codec == "xz":
        dec = lzma.LZMADecompressor()
        out = dec.decompress(body, max_length=max_bytes + 1)
        complete = dec.eof
    else:
        raise DeltaError(f"unknown delta compression {codec[:20]!r}")
    if len(out) > max_bytes:
        raise DeltaError(f"the delta expands beyond {max_bytes // 2**20} MiB; refused")
    if not complete:
        raise DeltaError("the delta file is truncated")
    return bytes(out)


def _value(v: Any) -> Any:
    if isinstance(v, dict):
        if set(v) != {"blob"} or not isinstance(v["blob"], str):
            raise DeltaError("the delta holds a value that is not a column value")
        return bytes.fromhex(v["blob"])
    if isinstance(v, list):
        raise DeltaError("the delta holds a value that is not a column value")
    return v


def _row(values: Any, width: int, what: str) -> tuple[Any, ...]:
    if not isinstance(values, list) or len(values) != width:
        raise DeltaError(f"the delta has a malformed {what}")
    return tuple(_value(v) for v in values)


def _str_list(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DeltaError(f"the delta has a malformed {what}")
    return list(value)


def loads(data: bytes, max_bytes: int = MAX_BYTES) -> Delta:
    """Parse a delta file; any defect is a :class:`DeltaError` with one line."""
    first, sep, body = data.partition(b"\n")
    if not first.startswith(MAGIC) or not sep:
        raise DeltaError("not a kiosk delta file")
    raw = _decompress(first[len(MAGIC) :].decode("ascii", "replace"), body, max_bytes)
    try:
        lines = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line]
    except ValueError:
        raise DeltaError("the delta file is not valid JSON lines") from None
    if not lines or not isinstance(lines[0], dict):
        raise DeltaError("the delta file has no header")
    head = lines[0]
    if head.get("format") != FORMAT or head.get("format_version") != FORMAT_VERSION:
        raise DeltaError("the delta file has an unknown format or format version")
    if head.get("digest_alg") != DIGEST_ALG:
        raise DeltaError("the delta uses an unknown content digest")
    try:
        frm, to = head["from"], head["to"]
        delta = Delta(
            from_version=int(frm["content_version"]),
            to_version=int(to["content_version"]),
            from_digest=str(frm["digest"]),
            to_digest=str(to["digest"]),
            tables={},
            media=[{"sha256": str(m["sha256"]), "path": str(m["path"]), "size": int(m["size"])} for m in head["media"]],
            schema_version=int(head["schema_version"]),
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        raise DeltaError("the delta file's header is malformed") from None
    for doc in lines[1:]:
        if not isinstance(doc, dict) or not isinstance(doc.get("table"), str):
            raise DeltaError("the delta has a malformed table line")
        name = doc["table"]
        if name in delta.tables:
            raise DeltaError(f"the delta names table {name[:40]!r} twice")
        columns = _str_list(doc.get("columns"), "column list")
        key = _str_list(doc.get("key"), "key list")
        if not key or any(k not in columns for k in key):
            raise DeltaError(f"the delta has a malformed key for {name[:40]!r}")
        td = TableDelta(columns, key)
        try:
            td.inserts = [_row(r, len(columns), "row") for r in doc.get("insert", [])]
            td.deletes = [_row(k, len(key), "key") for k in doc.get("delete", [])]
            for item in doc.get("update", []):
                if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], dict):
                    raise DeltaError("the delta has a malformed update")
                td.updates.append((_row(item[0], len(key), "key"), {str(c): _value(v) for c, v in item[1].items()}))
        except (TypeError, ValueError, AttributeError, OverflowError):
            raise DeltaError(f"the delta has a malformed table line for {name[:40]!r}") from None
        delta.tables[name] = td
    return delta
