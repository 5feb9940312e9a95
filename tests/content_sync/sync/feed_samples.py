"""Feed files for the tests, issued relative to an injected clock (never the wall clock)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def weather(issued: dt.datetime, temp: float = 7.4, condition: str = "Sunny", **extra: Any) -> dict[str, Any]:
    day = issued.date()
    return {
        "kind": "weather",
        "format": 1,
        "issued_at": iso(issued),
        "location": {"en": "Lanzhou", "zh-Hans": "兰州"},
        "current": {"temp_c": temp, "condition": {"en": condition, "zh-Hans": "晴"}},
        "forecast": [
            {
                "date": (day + dt.timedelta(days=i)).isoformat(),
                "low_c": -3 + i,
                "high_c": 9 + i,
                "condition": {"en": "Cloudy", "zh-Hans": "多云"},
            }
            for i in range(1, 4)
        ],
        **extra,
    }


def notice(ident: str, start: dt.datetime, end: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "severity": "warning",
        "mode": "rail",
        "title": {"en": f"Notice {ident}", "zh-Hans": f"通知 {ident}"},
        "body": {"en": "Trains to Xining run 20 minutes late.", "zh-Hans": "开往西宁的列车晚点约二十分钟。"},
        "valid_from": iso(start),
        "valid_until": iso(end),
        **extra,
    }


def transport(issued: dt.datetime, notices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"kind": "transport", "format": 1, "issued_at": iso(issued), "notices": notices, **extra}


def write(path: Path, feed: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(feed, ensure_ascii=False), encoding="utf-8")
    return path
