"""The kiosk's configuration file: every setting declared once with type, default and meaning.

An operator edits ``kiosk.toml`` in a station with no network. A typo must not leave the
screen black: every invalid value is reported with its key and replaced by its default,
and the kiosk starts anyway.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content_sync.core import i18n

PROFILES = ("station", "airport", "hotel_lobby", "hotel_room", "scenic_spot")
HOME_SECTIONS = (
    "featured", "themes", "open_now", "events", "routes", "transport", "practical", "hotel_room", "search", "map",
    "heritage",
)  # fmt: skip
# Which home sections lead for each kind of place.
PROFILE_HOME: dict[str, tuple[str, ...]] = {
    "station": ("transport", "map", "featured", "themes", "heritage", "events", "routes", "practical"),
    "airport": ("transport", "map", "featured", "themes", "events", "practical", "routes"),
    "hotel_lobby": ("featured", "map", "open_now", "events", "themes", "heritage", "routes", "transport"),
    "hotel_room": ("hotel_room", "featured", "open_now", "map", "events", "transport", "themes"),
    "scenic_spot": ("featured", "map", "routes", "themes", "heritage", "events", "transport", "practical"),
}
PIN_PREFIX = "pbkdf2-sha256"


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    description: str
    check: Callable[[Any], str | None]  # returns a problem, or None when the value is fine


def _is_int(lo: int, hi: int) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"expected a whole number from {lo} to {hi}"

    return check


def _is_float(lo: float, hi: float) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int | float) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"expected a number from {lo} to {hi}"

    return check


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "expected true or false"


def _one_of(options: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda v: None if v in options else f"expected one of: {', '.join(options)}"


def _is_str(max_len: int = 200) -> Callable[[Any], str | None]:
    return lambda v: None if isinstance(v, str) and len(v) <= max_len else f"expected text (up to {max_len} characters)"


def _is_languages(v: Any) -> str | None:
    if not isinstance(v, list) or not v or not all(isinstance(x, str) and i18n.is_language_tag(x) for x in v):
        return 'expected a list of language tags, e.g. ["zh-Hans", "en"]'
    return None


def _is_home(v: Any) -> str | None:
    if not isinstance(v, list) or not all(x in HOME_SECTIONS for x in v):
        return f"expected a list of: {', '.join(HOME_SECTIONS)}"
    return None


def _is_url_template(v: Any) -> str | None:
    if v == "":
        return None
    if not isinstance(v, str) or not re.fullmatch(r"https://[^\s<>\"']+", v) or "{id}" not in v:
        return 'expected an https:// address containing {id} (and optionally {kind} and {lang}), or ""'
    return None


def _is_pin_hash(v: Any) -> str | None:
    if v == "":
        return None
    parts = v.split("$") if isinstance(v, str) else []
    if len(parts) != 4 or parts[0] != PIN_PREFIX or not parts[1].isdigit():
        return "expected a hash made by 'kiosk --hash-pin' (pbkdf2-sha256$...)"
    return None


def _is_channel_url(v: Any) -> str | None:
    if v == "":
        return None
    if not isinstance(v, str) or not re.fullmatch(r"https?://[^\s<>\"'?#]+", v):
        return 'expected an http:// or https:// address of a channel folder, or ""'
    return None


def _is_join_url(v: Any) -> str | None:
    if v == "":
        return None
    if not isinstance(v, str) or not re.fullmatch(r"https?://[^\s<>\"'?#]+/join/[0-9A-Za-z-]{4,40}/?", v):
        return 'expected the join address the platform gave, https://HOST/join/CODE, or ""'
    return None


def _is_group(v: Any) -> str | None:
    if v == "":
        return None
    # The channel's own rule (content_sync.sync.repository.check_group): county/kind.
    if not isinstance(v, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}/[a-z0-9][a-z0-9-]{0,39}", v):
        return 'expected a kiosk group, county/kind such as "lanzhou/station", or ""'
    return None


def _is_timezone(v: Any) -> str | None:
    from content_sync.core.hours import HoursError, zone

    try:
        zone(str(v))
    except HoursError:
        return "expected an IANA time zone such as Asia/Shanghai"
    return None


SETTINGS: tuple[Setting, ...] = (
    Setting("kiosk.name", "Kiosk", "A name operators recognise this kiosk by.", _is_str(80)),
    Setting("kiosk.profile", "station", f"Where the kiosk stands: {', '.join(PROFILES)}.", _one_of(PROFILES)),
    Setting("kiosk.timezone", "Asia/Shanghai", "Time zone for the clock and for 'open now'.", _is_timezone),
    Setting("location.lat", 36.0325, "Latitude of this kiosk ('you are here').", _is_float(-90, 90)),
    Setting("location.lon", 103.8460, "Longitude of this kiosk ('you are here').", _is_float(-180, 180)),
    Setting("location.label_zh", "本机位置", "What 'you are here' is called, in Chinese.", _is_str(60)),
    Setting("location.label_en", "You are here", "What 'you are here' is called, in English.", _is_str(60)),
    Setting("languages.offered", ["zh-Hans", "en"], "Languages a visitor can switch to, in order.", _is_languages),
    Setting("languages.default", "zh-Hans", "The language after an idle reset.", _is_str(35)),
    Setting("home.sections", [], "Home sections in order; empty means the profile's order.", _is_home),
    Setting("idle.timeout_seconds", 90, "Quiet time before the reset warning.", _is_int(15, 3600)),
    Setting("idle.warning_seconds", 10, "How long the reset warning shows.", _is_int(3, 60)),
    Setting("attract.slide_seconds", 8, "Seconds per slide of the attract loop.", _is_int(3, 60)),
    Setting(
        "qr.url_template",
        "",
        "Phone link for QR codes, e.g. https://guide.example.org/{lang}/{kind}/{id}.",
        _is_url_template,
    ),
    Setting(
        "operator.pin_hash",
        "",
        "Hash of the operator PIN ('kiosk --hash-pin'); empty disables the entry.",
        _is_pin_hash,
    ),
    Setting("audio.default_volume", 60, "Narration volume at the start of a session (percent).", _is_int(0, 100)),
    Setting("audio.max_volume", 85, "Highest volume a visitor may choose (percent).", _is_int(0, 100)),
    Setting("audio.min_volume", 20, "Lowest volume a visitor may choose (percent).", _is_int(0, 100)),
    Setting("display.high_contrast", False, "Start in high-contrast mode.", _is_bool),
    Setting("display.large_text", False, "Start with large text.", _is_bool),
    Setting("sync.enabled", True, "Check the content channel in the background when set up for one.", _is_bool),
    Setting("sync.url", "", "Channel address; empty means the one 'kiosk-pack sync-setup' stored.", _is_channel_url),
    Setting("sync.group", "", "Kiosk group, e.g. lanzhou/station; empty means the stored one.", _is_group),
    Setting("sync.root", "", "Root metadata file, for a kiosk that trusts no channel yet.", _is_str(500)),
    Setting(
        "sync.feed_interval_minutes",
        5,
        "How often the live feeds (weather, transport notices) are checked, apart from content.",
        _is_int(1, 1440),
    ),
    Setting("feeds.weather_max_age_hours", 6, "Hide the weather once it is older than this.", _is_int(1, 72)),
    Setting(
        "feeds.transport_max_age_hours",
        12,
        "Hide transport notices when their feed is older.",
        _is_int(1, 168),
    ),
    Setting(
        "outbox.url", "", "Platform ingest address (…/api/v1/ingest); empty keeps events on the kiosk.", _is_channel_url
    ),
    Setting(
        "platform.join",
        "",
        "Join the platform with a one-time code: https://HOST/join/CODE (from its Kiosks page).",
        _is_join_url,
    ),
    Setting("outbox.token", "", "This kiosk's platform token; empty keeps events on the kiosk.", _is_str(500)),
    Setting("outbox.heartbeat_minutes", 15, "Minutes between heartbeats (and upload attempts).", _is_int(1, 1440)),
    Setting(
        "outbox.budget_mb", 8, "Usage events kept before the oldest fold into daily counts (MB).", _is_int(1, 1024)
    ),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class KioskConfig:
    values: dict[str, Any]
    problems: tuple[str, ...] = ()
    source: Path | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def profile(self) -> str:
        return self.values["kiosk.profile"]

    @property
    def location(self) -> tuple[float, float]:
        return float(self.values["location.lat"]), float(self.values["location.lon"])

    @property
    def languages(self) -> list[str]:
        return list(self.values["languages.offered"])

    @property
    def default_language(self) -> str:
        return self.values["languages.default"]

    @property
    def home_sections(self) -> list[str]:
        return list(self.values["home.sections"]) or list(PROFILE_HOME[self.profile])

    def qr_url(self, kind: str, ident: str, lang: str) -> str | None:
        template = self.values["qr.url_template"]
        if not template:
            return None
        return template.replace("{kind}", kind).replace("{id}", ident).replace("{lang}", lang)

    def check_pin(self, pin: str) -> bool:
        return verify_pin(pin, self.values["operator.pin_hash"])


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out


def load_config(path: Path | None) -> KioskConfig:
    """Read ``path``; never raises: problems are listed and defaults used in their place."""
    values = {s.key: s.default for s in SETTINGS}
    problems: list[str] = []
    if path is None or not Path(path).exists():
        return KioskConfig(values, (), path)
    import tomllib  # only with a file to read: a kiosk on defaults starts without it

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return KioskConfig(values, (f"{path}: cannot be read ({exc}); using defaults",), path)
    except tomllib.TOMLDecodeError as exc:
        return KioskConfig(values, (f"{path}: not valid TOML ({exc}); using defaults",), path)
    for key, value in _flatten(data).items():
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None:
            problems.append(f"{key}: unknown setting, ignored")
            continue
        problem = setting.check(value)
        if problem:
            problems.append(f"{key}: {problem}; using the default {setting.default!r}")
        else:
            values[key] = value
    if values["languages.default"] not in values["languages.offered"]:
        problems.append(
            f"languages.default: {values['languages.default']!r} is not in languages.offered; "
            f"using {values['languages.offered'][0]!r}"
        )
        values["languages.default"] = values["languages.offered"][0]
    if values["audio.min_volume"] > values["audio.max_volume"]:
        problems.append("audio.min_volume: above audio.max_volume; using audio.max_volume")
        values["audio.min_volume"] = values["audio.max_volume"]
    if values["audio.default_volume"] < values["audio.min_volume"]:
        problems.append("audio.default_volume: below audio.min_volume; using audio.min_volume")
        values["audio.default_volume"] = values["audio.min_volume"]
    if values["audio.default_volume"] > values["audio.max_volume"]:
        problems.append("audio.default_volume: above audio.max_volume; using audio.max_volume")
        values["audio.default_volume"] = values["audio.max_volume"]
    return KioskConfig(values, tuple(problems), path)


def hash_pin(pin: str, *, iterations: int = 200_000, salt: bytes | None = None) -> str:
    import hashlib  # the PIN code is the only user: OpenSSL loads when the operator needs it

    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{PIN_PREFIX}${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    if not stored or not pin:
        return False
    import hashlib
    import hmac

    try:
        prefix, iterations, salt, digest = stored.split("$")
        if prefix != PIN_PREFIX:
            return False
        candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def describe() -> str:
    """Every setting with its default and meaning, for operators (``kiosk --describe-config``)."""
    lines = ["# kiosk.toml: every setting, its default and what it does"]
    section = None
    for s in SETTINGS:
        head, _, name = s.key.partition(".")
        if head != section:
            lines.append(f"\n[{head}]")
            section = head
        value = repr(s.default).replace("'", '"').replace("False", "false").replace("True", "true")
        lines.append(f"# {s.description}\n# {name} = {value}")
    return "\n".join(lines) + "\n"
