"""Joining the platform with one setting: ``platform.join = "https://HOST/join/CODE"``.

An operator makes a one-time code on the platform for a kiosk to come. The kiosk sends it once,
with its device id, to ``POST HOST/api/v1/devices/register`` (docs/platform-ingest.md) and gets
its own bearer token, the ingest address, its group, and, when the platform publishes content
for the group, the channel's address and root metadata. All of it is kept in the device state
(``device.db``), so the code is never needed again: a kiosk that restarts, or whose setting
still names a used code, uses what it stored.

The channel's root metadata arrives over the same exchange the one-time code authenticates
(trust on first use, as ``kiosk-pack sync-setup --root`` is on a USB stick); a kiosk that already
trusts a root keeps it (moving a kiosk to another channel stays an operator's ``--replace``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import KioskError
from ..device.layout import DataDir
from ..device.outbox import DEVICE_ID_SETTING
from ..device.state import DeviceState
from . import agent

if TYPE_CHECKING:
    import requests

JOIN_SETTING = "platform_join"  # a digest of the join address the credentials came from
TOKEN_SETTING = "platform_token"
INGEST_URL_SETTING = "platform_ingest_url"
GROUP_SETTING = "platform_group"
NAME_SETTING = "platform_name"
_JOIN_URL = re.compile(r"(?P<base>https?://[^\s/?#<>\"']+(?:/[^\s?#<>\"']*?)?)/join/(?P<code>[0-9A-Za-z-]{4,40})/?")


class JoinError(KioskError):
    """The kiosk could not join the platform (the words say why, for the operator page)."""


@dataclass(frozen=True)
class Credentials:
    ingest_url: str
    token: str
    group: str = ""
    name: str = ""


def parse_join_url(text: str) -> tuple[str, str]:
    """``(platform base address, code)`` from ``https://HOST[/PREFIX]/join/CODE``."""
    match = _JOIN_URL.fullmatch(text.strip())
    if match is None:
        raise JoinError(f"not a join address (https://HOST/join/CODE): {text[:80]!r}")
    return match["base"], match["code"]


def _digest(join_url: str) -> str:
    return hashlib.sha256(join_url.strip().encode("utf-8")).hexdigest()


def stored_credentials(state: DeviceState, join_url: str | None = None) -> Credentials | None:
    """What an earlier join stored; with ``join_url``, only if it came from that very address."""
    token, url = state.get(TOKEN_SETTING), state.get(INGEST_URL_SETTING)
    if not (isinstance(token, str) and token and isinstance(url, str) and url):
        return None
    if join_url is not None and state.get(JOIN_SETTING) != _digest(join_url):
        return None
    return Credentials(url, token, str(state.get(GROUP_SETTING) or ""), str(state.get(NAME_SETTING) or ""))


def _answer_error(response: requests.Response) -> str:
    try:
        body = response.json()
        said = str(body.get("error", "")) if isinstance(body, dict) else ""
    except ValueError:
        said = ""
    if response.status_code == 403:
        return "the platform refused the code: it is unknown, already used or expired; ask for a new one"
    if response.status_code == 429:
        return "the platform asks to wait before trying the code again"
    return f"the platform answered HTTP {response.status_code}" + (f": {said[:200]}" if said else "")


def join(
    data: DataDir,
    state: DeviceState,
    join_url: str,
    *,
    software_version: str,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = (5.0, 20.0),
) -> Credentials:
    """Exchange the code for this kiosk's credentials and keep them (network: never on the GUI thread)."""
    import requests

    known = stored_credentials(state, join_url)
    if known is not None:
        return known
    base, code = parse_join_url(join_url)
    device_id = state.get(DEVICE_ID_SETTING)
    if not device_id:
        import uuid

        device_id = uuid.uuid4().hex
        state.set(DEVICE_ID_SETTING, device_id)
    http = session or requests.Session()
    try:
        response = http.post(
            f"{base}/api/v1/devices/register",
            json={"code": code, "device_id": str(device_id), "software_version": software_version},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise JoinError(f"the platform could not be reached to join ({type(exc).__name__})") from None
    if response.status_code not in (200, 201):
        raise JoinError(_answer_error(response))
    try:
        answer = response.json()
    except ValueError:
        raise JoinError("the platform's answer to the join was not JSON") from None
    credentials = _checked(answer)
    for key, value in (
        (TOKEN_SETTING, credentials.token),
        (INGEST_URL_SETTING, credentials.ingest_url),
        (GROUP_SETTING, credentials.group),
        (NAME_SETTING, credentials.name),
        (JOIN_SETTING, _digest(join_url)),
    ):
        state.set(key, value)
    _set_up_channel(data, answer, credentials.group)
    return credentials


def _checked(answer: Any) -> Credentials:
    if not isinstance(answer, dict):
        raise JoinError("the platform's answer to the join was not an object")
    token, url = answer.get("token"), answer.get("ingest_url")
    if not (isinstance(token, str) and 16 <= len(token) <= 500 and token.isprintable()):
        raise JoinError("the platform's answer to the join has no usable token")
    if not (isinstance(url, str) and re.fullmatch(r"https?://[^\s<>\"']+", url)):
        raise JoinError("the platform's answer to the join has no usable ingest address")
    group, name = answer.get("group", ""), answer.get("name", "")
    return Credentials(url, token, group if isinstance(group, str) else "", name if isinstance(name, str) else "")


def _set_up_channel(data: DataDir, answer: dict[str, Any], group: str) -> None:
    """Sync from the platform's channel when it sent one and the kiosk trusts no channel yet."""
    channel, root = answer.get("channel_url"), answer.get("root")
    if not (isinstance(channel, str) and channel and isinstance(root, dict) and group):
        return
    if (agent.SyncPaths(data).metadata / "root.json").exists():
        return  # a kiosk keeps the channel it trusts; moving it is an operator's --replace
    with tempfile.TemporaryDirectory() as tmp:
        root_file = Path(tmp) / "root.json"
        root_file.write_text(json.dumps(root), encoding="utf-8")
        try:
            agent.setup(data, channel, group, root_file)
        except KioskError as exc:
            raise JoinError(f"joined, but the channel could not be set up: {exc}") from None
