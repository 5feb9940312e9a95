"""One function per collection of a pack source: each checks its records and returns clean rows.

:class:`Records` carries what they share: the problem list, the pack's languages, the media
collector, every id seen so far, and references to check once every collection is read
(a venue may name a theme defined in a later file).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from ...core import hours as hours_mod
from ...core import i18n
from ...core.errors import Problem
from ...core.vocabulary import ACCESSIBILITY_FACTS
from .. import content_schema
from ..sanitize import sanitize_text
from .checker import COLOR_RE, DISTRICT_RE, TAG_SLUG_RE, Checker, location
from .media import MediaCollector
from .media import audio as media_audio
from .media import images as media_images

COLLECTIONS = (
    "themes", "categories", "districts", "venues", "routes", "events", "heritage",
    "transport", "pages", "notices",
)  # fmt: skip
EVENT_KINDS = ("performance", "festival", "exhibition", "ceremony", "market", "tour")
HERITAGE_KINDS = ("performance", "craft", "ritual", "music", "dance", "drama", "literature", "custom")
HERITAGE_LEVELS = ("world", "national", "provincial", "municipal", "county")
TRANSPORT_KINDS = ("airport", "rail_station", "bus_station", "metro", "brt", "bus", "tram", "ferry")
PAGE_KINDS = ("hotel_room", "station", "practical", "about")
ROUTE_MODES = ("walk", "bus", "car", "mixed", "rail")
SEVERITIES = ("info", "warning", "alert")

Rows = list[tuple[str, int, dict[str, Any]]]  # (source-relative file, index in the file, raw record)


class Records:
    """What every collection's validation shares while a source is read."""

    def __init__(
        self, pack: dict[str, Any], languages: list[str], media: MediaCollector, problems: list[Problem]
    ) -> None:
        self.languages = languages
        self.media = media
        self.problems = problems
        self.tz_default = pack.get("timezone", "Asia/Shanghai")
        self.ids: dict[str, set[str]] = {name: set() for name in COLLECTIONS}
        self._refs: list[tuple[str, str, str, str]] = []  # file, field, collection, id

    def checker(self, rel: str, name: str, index: int, record: dict[str, Any]) -> tuple[Checker, str | None]:
        """A checker for one record, and its id once checked (None when malformed)."""
        key = "code" if name == "districts" else "id"
        ident = record.get(key)
        label = ident if isinstance(ident, str) and ident else f"[{index}]"
        check = Checker(self.problems, rel, label, self.languages)
        if name == "districts":
            if not isinstance(ident, str) or not DISTRICT_RE.match(ident):
                check.error("code", f'{ident!r} is not a 6-digit division code (quote it: "620102")')
                return check, None
        else:
            ident = check.slug(record, "id")
        if ident is not None:
            if ident in self.ids[name]:
                check.error(key, f"duplicate {name} id {ident!r}")
            self.ids[name].add(ident)
        return check, ident

    def ref(self, check: Checker, key: str, collection: str, value: str) -> None:
        """Remember that this field names a record of ``collection``; checked by :meth:`check_refs`."""
        self._refs.append((check.file, f"{check.prefix}.{key}", collection, value))

    def check_refs(self) -> None:
        for file, fld, collection, value in self._refs:
            if value not in self.ids[collection]:
                self.problems.append(Problem(file, fld, f"{value!r} is not a known {collection} id"))


def themes(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "themes", index, r)
        check.unknown_keys(r, {"id", "name", "description", "color", "sort"})
        color = r.get("color", "#555555")
        if not isinstance(color, str) or not COLOR_RE.match(color):
            check.error("color", f'{color!r} is not a colour like "#1F6FB2"')
        out.append(
            {
                "id": ident,
                "name": check.i18n(r, "name"),
                "description": check.i18n(r, "description"),
                "color": color,
                "sort": check.integer(r, "sort", required=False) or index,
            }
        )
    return out


def categories(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "categories", index, r)
        check.unknown_keys(r, {"id", "name", "icon", "sort"})
        out.append(
            {
                "id": ident,
                "name": check.i18n(r, "name"),
                "icon": str(r.get("icon", "place")),
                "sort": check.integer(r, "sort", required=False) or index,
            }
        )
    return out


def districts(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "districts", index, r)
        check.unknown_keys(r, {"code", "city", "name"})
        out.append({"code": ident, "city": check.slug(r, "city"), "name": check.i18n(r, "name")})
    return out


def venues(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "venues", index, r)
        check.unknown_keys(r, {
            "id", "name", "aliases", "category", "themes", "city", "district", "address", "location",
            "timezone", "summary", "description", "hours", "tickets", "tickets_note", "contact",
            "accessibility", "getting_there", "tags", "featured", "images", "narration", "audio", "sort",
        })  # fmt: skip
        category = check.slug(r, "category")
        if category:
            v.ref(check, "category", "categories", category)
        themes = check.slug_list(r, "themes", required=True)
        for theme in themes:
            v.ref(check, "themes", "themes", theme)
        district = r.get("district")
        if district is not None:
            if not isinstance(district, str) or not DISTRICT_RE.match(district):
                check.error("district", f"{district!r} is not a 6-digit division code (quote it)")
                district = None
            else:
                v.ref(check, "district", "districts", district)
        lat, lon = location(check, r, required=True)
        tz = r.get("timezone", v.tz_default)
        try:
            content_schema.check_time_zone(tz)
        except content_schema.Invalid as exc:
            check.error("timezone", str(exc))
        hours = r.get("hours")
        if hours is None:
            check.error("hours", "missing: give always_open: true or a weekly schedule")
        else:
            for message in hours_mod.validate_hours(hours, "hours"):
                key, _, rest = message.partition(": ")
                check.error(key, rest)
            if isinstance(hours, dict) and isinstance(hours.get("closed_dates"), list):
                # YAML reads an unquoted 2027-01-28 as a date: store the ISO text the kiosk reads.
                days = [d.isoformat() if isinstance(d, dt.date) else d for d in hours["closed_dates"]]
                hours = {**hours, "closed_dates": days}
            if isinstance(hours, dict) and "note" in hours:
                hours = {**hours, "note": check.i18n_value(hours["note"], "hours.note", required=False)}
            if isinstance(hours, dict):
                for season in hours.get("seasons") or []:
                    if isinstance(season, dict) and "name" in season:
                        season["name"] = check.i18n_value(season["name"], "hours.seasons.name", required=False)
        tickets = ticket_list(check, r)
        aliases = alias_map(check, r)
        out.append({
            "id": ident, "name": check.i18n(r, "name"), "aliases": aliases, "category": category,
            "city": check.slug(r, "city"), "district": district, "address": check.i18n(r, "address"),
            "lat": lat, "lon": lon, "timezone": str(tz), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description"), "hours": hours, "tickets": tickets,
            "tickets_note": check.i18n(r, "tickets_note", required=False), "contact": contact_details(check, r),
            "accessibility": accessibility_facts(check, r), "getting_there": check.i18n(r, "getting_there"),
            "tags": check.slug_list(r, "tags", required=False, pattern=TAG_SLUG_RE),
            "featured": check.boolean(r, "featured"), "narration": check.i18n(r, "narration"),
            "themes": themes, "images": media_images(check, r, v.media), "audio": media_audio(check, r, v.media),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
        summary = out[-1]["summary"]
        for tag, text in summary.items():
            if len(text) > 200:
                check.warn(f"summary.{tag}", f"{len(text)} characters; keep summaries under 200")
    return out


def routes(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "routes", index, r)
        check.unknown_keys(
            r,
            {
                "id",
                "name",
                "summary",
                "description",
                "themes",
                "city",
                "duration_minutes",
                "distance_km",
                "mode",
                "featured",
                "stops",
                "images",
                "narration",
                "audio",
                "sort",
            },
        )
        themes = check.slug_list(r, "themes", required=True)
        for theme in themes:
            v.ref(check, "themes", "themes", theme)
        stops = []
        raw_stops = r.get("stops")
        if not isinstance(raw_stops, list) or len(raw_stops) < 2:
            check.error("stops", "expected a list of at least two stops")
            raw_stops = []
        for i, stop in enumerate(raw_stops):
            sub = Checker(v.problems, rel, f"{check.prefix}.stops[{i}]", v.languages)
            if not isinstance(stop, dict):
                sub.error("", "expected {venue, stay_minutes, note}")
                continue
            sub.unknown_keys(stop, {"venue", "stay_minutes", "note"})
            venue = sub.slug(stop, "venue")
            if venue:
                v.ref(sub, "venue", "venues", venue)
            stops.append(
                {
                    "venue_id": venue,
                    "stay_minutes": sub.integer(stop, "stay_minutes", required=False, hi=24 * 60) or 0,
                    "note": sub.i18n(stop, "note", required=False),
                }
            )
        out.append({
            "id": ident, "name": check.i18n(r, "name"), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description"), "city": check.slug(r, "city"),
            "duration_minutes": check.integer(r, "duration_minutes", required=True, lo=1, hi=7 * 24 * 60),
            "distance_km": check.number(r, "distance_km", required=False, lo=0, hi=5000),
            "mode": check.choice(r, "mode", ROUTE_MODES, "mixed"), "featured": check.boolean(r, "featured"),
            "themes": themes, "stops": stops, "images": media_images(check, r, v.media),
            "audio": media_audio(check, r, v.media),
            "narration": check.i18n(r, "narration", required=False),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
    return out


def heritage(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "heritage", index, r)
        check.unknown_keys(
            r,
            {
                "id",
                "name",
                "summary",
                "description",
                "aliases",
                "kind",
                "level",
                "inscribed",
                "city",
                "themes",
                "venues",
                "images",
                "narration",
                "audio",
                "sort",
            },
        )
        themes = check.slug_list(r, "themes", required=True)
        for theme in themes:
            v.ref(check, "themes", "themes", theme)
        venues = check.slug_list(r, "venues", required=False)
        for venue in venues:
            v.ref(check, "venues", "venues", venue)
        out.append({
            "id": ident, "name": check.i18n(r, "name"), "aliases": alias_map(check, r),
            "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description"), "kind": check.choice(r, "kind", HERITAGE_KINDS),
            "level": check.choice(r, "level", HERITAGE_LEVELS), "city": check.slug(r, "city"),
            "inscribed": check.integer(r, "inscribed", required=False, lo=1900, hi=2100),
            "themes": themes, "venues": venues, "images": media_images(check, r, v.media),
            "audio": media_audio(check, r, v.media), "narration": check.i18n(r, "narration", required=False),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
    return out


def events(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "events", index, r)
        check.unknown_keys(
            r,
            {
                "id",
                "title",
                "summary",
                "description",
                "kind",
                "venue",
                "heritage",
                "themes",
                "price",
                "sessions",
                "weekly",
                "images",
                "sort",
            },
        )
        venue = check.slug(r, "venue", required=False)
        if venue:
            v.ref(check, "venue", "venues", venue)
        heritage = check.slug(r, "heritage", required=False)
        if heritage:
            v.ref(check, "heritage", "heritage", heritage)
        themes = check.slug_list(r, "themes", required=False)
        for theme in themes:
            v.ref(check, "themes", "themes", theme)
        sessions = []
        for i, session in enumerate(r.get("sessions") or []):
            if not isinstance(session, dict):
                check.error(f"sessions[{i}]", "expected {start, end}")
                continue
            start = check.timestamp(session.get("start"), f"sessions[{i}].start")
            end = check.timestamp(session.get("end"), f"sessions[{i}].end")
            if start and end and dt.datetime.fromisoformat(end) <= dt.datetime.fromisoformat(start):
                check.error(f"sessions[{i}].end", "must be after start")
            sessions.append({"starts_at": start, "ends_at": end})
        weekly = []
        for i, rule in enumerate(r.get("weekly") or []):
            key = f"weekly[{i}]"
            if not isinstance(rule, dict):
                check.error(key, "expected {days, start, end, from, until}")
                continue
            days = rule.get("days")
            if not isinstance(days, list) or not days or any(d not in hours_mod.DAYS for d in days):
                check.error(f"{key}.days", f"expected a list of {', '.join(hours_mod.DAYS)}")
            for t in ("start", "end"):
                try:
                    hours_mod.parse_hhmm(rule.get(t), f"{key}.{t}")
                except hours_mod.HoursError as exc:
                    check.error(f"{key}.{t}", str(exc).partition(": ")[2])
            dates = {}
            for t in ("from", "until"):
                if t in rule:
                    try:
                        value = rule[t]  # YAML reads an unquoted 2027-01-28 as a date
                        value = value.isoformat() if type(value) is dt.date else value
                        dates[t] = content_schema.check_date(value).isoformat()
                    except content_schema.Invalid as exc:
                        check.error(f"{key}.{t}", str(exc))
            weekly.append(
                {
                    "days": days,
                    "start_time": rule.get("start"),
                    "end_time": rule.get("end"),
                    "from_date": dates.get("from"),
                    "until_date": dates.get("until"),
                }
            )
        if not sessions and not weekly:
            check.error("sessions", "an event needs sessions or a weekly schedule")
        out.append({
            "id": ident, "title": check.i18n(r, "title"), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description", required=False), "kind": check.choice(r, "kind", EVENT_KINDS),
            "venue_id": venue, "heritage_id": heritage, "themes": themes,
            "price": check.i18n(r, "price", required=False), "sessions": sessions, "weekly": weekly,
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
    return out


def transport(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "transport", index, r)
        check.unknown_keys(r, {"id", "kind", "name", "description", "city", "location", "to_city_centre", "sort"})
        lat, lon = location(check, r, required=False)
        out.append({
            "id": ident, "kind": check.choice(r, "kind", TRANSPORT_KINDS), "name": check.i18n(r, "name"),
            "description": check.i18n(r, "description"), "city": check.slug(r, "city"), "lat": lat, "lon": lon,
            "to_city_centre": check.i18n(r, "to_city_centre", required=False),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
    return out


def pages(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "pages", index, r)
        check.unknown_keys(r, {"id", "kind", "title", "body", "sort"})
        out.append(
            {
                "id": ident,
                "kind": check.choice(r, "kind", PAGE_KINDS),
                "title": check.i18n(r, "title"),
                "body": check.i18n(r, "body"),
                "sort": check.integer(r, "sort", required=False) or index,
            }
        )
    return out


def notices(v: Records, rows: Rows) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, index, r in rows:
        check, ident = v.checker(rel, "notices", index, r)
        check.unknown_keys(r, {"id", "title", "body", "severity", "starts_at", "ends_at"})
        out.append({
            "id": ident, "title": check.i18n(r, "title"), "body": check.i18n(r, "body"),
            "severity": check.choice(r, "severity", SEVERITIES, "info"),
            "starts_at": check.timestamp(r["starts_at"], "starts_at") if "starts_at" in r else None,
            "ends_at": check.timestamp(r["ends_at"], "ends_at") if "ends_at" in r else None,
        })  # fmt: skip
    return out


def ticket_list(check: Checker, r: dict[str, Any]) -> list[dict[str, Any]]:
    value = r.get("tickets", [])
    if not isinstance(value, list):
        check.error("tickets", "expected a list of {label, price_cny, note}")
        return []
    out = []
    for i, ticket in enumerate(value):
        sub = Checker(check.problems, check.file, f"{check.prefix}.tickets[{i}]", check.languages)
        if not isinstance(ticket, dict):
            sub.error("", "expected {label, price_cny, note}")
            continue
        sub.unknown_keys(ticket, {"label", "price_cny", "note"})
        out.append(
            {
                "label": sub.i18n(ticket, "label"),
                "price_cny": sub.number(ticket, "price_cny", required=True, lo=0, hi=100000),
                "note": sub.i18n(ticket, "note", required=False),
            }
        )
    return out


def alias_map(check: Checker, r: dict[str, Any]) -> dict[str, list[str]]:
    value = r.get("aliases", {})
    if not isinstance(value, dict):
        check.error("aliases", "expected a mapping of language tag to a list of names")
        return {}
    out: dict[str, list[str]] = {}
    for tag, names in value.items():
        if not isinstance(tag, str) or not i18n.is_language_tag(tag):
            check.error(f"aliases.{tag}", "not a language tag")
            continue
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            check.error(f"aliases.{tag}", "expected a list of names")
            continue
        out[i18n.canonical_tag(tag)] = [sanitize_text(n) for n in names]
    return out


def contact_details(check: Checker, r: dict[str, Any]) -> dict[str, str]:
    value = r.get("contact", {})
    if not isinstance(value, dict):
        check.error("contact", "expected {phone, website}")
        return {}
    check_sub = Checker(check.problems, check.file, f"{check.prefix}.contact", check.languages)
    check_sub.unknown_keys(value, {"phone", "website"})
    out = {}
    phone = value.get("phone")
    if phone is not None:
        if not isinstance(phone, str) or not re.fullmatch(r"\+?[0-9 ()-]{3,24}", phone):
            check_sub.error("phone", f"{phone!r} is not a phone number")
        else:
            out["phone"] = phone
    website = value.get("website")
    if website is not None:
        try:
            out["website"] = content_schema.check_https(website)
        except content_schema.Invalid as exc:
            check_sub.error("website", str(exc))
    return out


def accessibility_facts(check: Checker, r: dict[str, Any]) -> dict[str, Any]:
    value = r.get("accessibility", {})
    if not isinstance(value, dict):
        check.error("accessibility", "expected a mapping of facts (true/false) and a note")
        return {}
    sub = Checker(check.problems, check.file, f"{check.prefix}.accessibility", check.languages)
    sub.unknown_keys(value, {*ACCESSIBILITY_FACTS, "note"})
    out: dict[str, Any] = {}
    for fact in ACCESSIBILITY_FACTS:
        if fact in value:
            if not isinstance(value[fact], bool):
                sub.error(fact, "expected true or false (omit when unknown)")
            else:
                out[fact] = value[fact]
    if "note" in value:
        out["note"] = sub.i18n_value(value["note"], "note", required=False)
    return out


# Each collection's validator, in the order the builder runs them (ids are checked after all).
VALIDATORS: dict[str, Callable[[Records, Rows], list[dict[str, Any]]]] = {
    "themes": themes,
    "categories": categories,
    "districts": districts,
    "venues": venues,
    "routes": routes,
    "heritage": heritage,
    "events": events,
    "transport": transport,
    "pages": pages,
    "notices": notices,
}
