"""Staff only: a PIN pad behind the hidden corner, and the device status page behind the PIN.

The status page is shown only right after a correct PIN: leaving it (Home, Back, Search,
an idle reset) closes it again, so a visitor can never reach it with Back. Leaving the
app is a request (``OperatorScreen.exit_requested``) that the app decides how to honour.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from content_sync.core.errors import DamagedStoreError, ReadOnlyStoreError
from content_sync.device.damage import writable
from content_sync.device.layout import DataDir, Pointer
from content_sync.device.state import DeviceState, InstallRecord
from content_sync.store.content_store import ContentStore

from ..feeds import age_text, parse_moment
from ..strings import N_
from ..sync_agent import NOT_SET_UP
from ..theme import PORTRAIT
from ..widgets.common import Card, ScrollPage, button, grid, text_label
from .base import Screen

if TYPE_CHECKING:
    from ..sync_agent import SyncAgent

log = logging.getLogger(__name__)

MAX_PIN_DIGITS = 12
MAX_WRONG_TRIES = 5
LOCK_SECONDS = 60
RECENT_INSTALLS = 5
DISK_FULL_BYTES = 8 * 2**20  # less free space than this is "disk full" on the status page
# What the content card counts, with the label of each.
COUNT_KINDS: dict[str, str] = {
    "venues": N_("operator.count.venues"), "routes": N_("operator.count.routes"),
    "events": N_("operator.count.events"), "heritage": N_("operator.count.heritage"),
    "transport": N_("operator.count.transport"), "pages": N_("operator.count.pages"),
    "notices": N_("operator.count.notices"), "themes": N_("operator.count.themes"), "media": N_("operator.count.media"),
}  # fmt: skip


# -- PIN pad ---------------------------------------------------------------------------------------
class OperatorPinScreen(Screen):
    """Digits, Delete, OK and Cancel; the PIN is checked off the GUI thread (it is a slow hash)."""

    name = "operator_pin"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.pin = ""
        self.wrong_tries = 0
        self.locked_until: float | None = None  # time.monotonic() deadline
        self.checking = False
        self.message: tuple[str, str] | None = None  # (string key, label role)
        self._generation = 0  # a check answered after a reset or a new visit is ignored
        self.unlock_timer = QTimer(self)
        self.unlock_timer.setSingleShot(True)
        self.unlock_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.unlock_timer.timeout.connect(self.unlock)
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._sync)
        self.keys: list[QPushButton] = []
        self.dots: QLabel | None = None
        self.feedback: QLabel | None = None

    def title(self) -> str:
        return self.ctx.tr("operator.pin_title")

    @property
    def locked(self) -> bool:
        return self.locked_until is not None

    # -- building -------------------------------------------------------------------------------
    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        key_h = min(round(m.touch * 1.4), 112)
        key_w = round(key_h * 1.5)

        info = QWidget()
        info_layout = QVBoxLayout(info)
        info_layout.setContentsMargins(0, 0, 0, 0)
        info_layout.setSpacing(m.gap)
        heading = text_label(tr("operator.pin_title"), "title")
        info_layout.addWidget(heading)
        info_layout.addWidget(text_label(tr("operator.pin_prompt"), "heading"))
        self.dots = text_label("", "title", wrap=False)
        self.dots.setObjectName("pin-dots")
        self.dots.setMinimumHeight(m.title + 24)
        info_layout.addWidget(self.dots)
        self.feedback = text_label("")
        self.feedback.setObjectName("pin-message")
        self.feedback.setMinimumHeight(2 * m.body + 16)
        info_layout.addWidget(self.feedback)
        portrait = ctx.layout == PORTRAIT
        cancel = button(tr("operator.cancel"), self.cancel, name="pin-cancel")
        if not portrait:
            info_layout.addWidget(cancel)
        info_layout.addStretch(1)

        pad = QWidget()
        pad.setObjectName("pin-pad")
        # Keypads read 1-2-3 left to right in every language.
        pad.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        keys = QGridLayout(pad)
        keys.setContentsMargins(0, 0, 0, 0)
        keys.setSpacing(m.gap)
        self.keys = []
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"]
        for i, key in enumerate(labels):
            if key == "del":
                btn = button(tr("keyboard.delete"), self.delete, name="pin-delete")
            elif key == "ok":
                btn = button(tr("operator.ok"), self.submit, "primary", name="pin-ok")
            else:
                btn = button(key, lambda d=key: self.press(d), "key", name=f"pin-{key}")
            btn.setFixedHeight(key_h)
            btn.setMinimumWidth(key_w)  # a long word ("Удалить" in large text) widens its column
            keys.addWidget(btn, i // 3, i % 3)
            self.keys.append(btn)

        page = ScrollPage(m.margin, m.gap)
        holder = QWidget()
        outer: QHBoxLayout | QVBoxLayout = QVBoxLayout(holder) if portrait else QHBoxLayout(holder)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(m.margin if portrait else m.margin * 2)
        outer.addStretch(1)
        pad_width = 3 * key_w + 2 * m.gap
        info.setFixedWidth(pad_width if portrait else min(560, ctx.content_width() - pad_width - 2 * m.margin))
        if portrait:  # (an aligned item gets its size hint's height, too short for a title on two lines)
            line = QHBoxLayout()
            line.addStretch(1)
            line.addWidget(info)
            line.addStretch(1)
            outer.addLayout(line)
        else:
            outer.addWidget(info, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(pad, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        if portrait:
            # Below the digits on a tall screen, where a thumb expects it.
            cancel.setFixedWidth(pad_width)
            outer.addWidget(cancel, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        page.column.addStretch(1)
        page.add(holder)
        page.finish()
        self.body.addWidget(page)
        self._sync()

    # -- keys -----------------------------------------------------------------------------------
    def press(self, digit: str) -> None:
        if self.locked or self.checking or len(self.pin) >= MAX_PIN_DIGITS:
            return
        self.pin += digit
        self.message = None
        self._sync()

    def delete(self) -> None:
        if self.locked or self.checking:
            return
        self.pin = self.pin[:-1]
        self._sync()

    def cancel(self) -> None:
        self.forget()
        self.ctx.router.home()

    def submit(self) -> None:
        if self.locked or self.checking or not self.pin:
            return
        pin, self.pin = self.pin, ""
        self.checking = True
        self.message = (N_("operator.pin_checking"), "muted")
        self._sync()
        generation = self._generation
        config = self.ctx.config
        self.background(
            lambda: config.check_pin(pin),
            lambda ok: self._checked(generation, bool(ok)),
            lambda _exc: self._checked(generation, False),
        )

    def _checked(self, generation: int, ok: bool) -> None:
        if generation != self._generation:
            return  # the visitor left, or the kiosk reset, while the hash was computed
        self.checking = False
        if ok:
            self.wrong_tries = 0
            self.message = None
            self._sync()
            router = self.ctx.router
            if not router.has("operator"):
                log.error("operator PIN accepted but no operator screen is installed")
                return
            log.info("operator PIN accepted")
            self.ctx.session.staff_access = True
            router.go("operator", remember=False)
            return
        self.wrong_tries += 1
        log.warning("wrong operator PIN (%d of %d)", self.wrong_tries, MAX_WRONG_TRIES)
        if self.wrong_tries >= MAX_WRONG_TRIES:
            self.lock()
            return
        unset = not self.ctx.config["operator.pin_hash"]
        self.message = (N_("operator.pin_not_set") if unset else N_("operator.pin_wrong"), "closed")
        self._sync()

    # -- lock after too many wrong tries ----------------------------------------------------------
    def lock(self, seconds: int = LOCK_SECONDS) -> None:
        self.pin = ""
        self.locked_until = time.monotonic() + seconds
        self.message = (N_("operator.pin_locked"), "closed")
        self.unlock_timer.start(seconds * 1000)
        self.countdown.start()
        self._sync()

    def unlock(self) -> None:
        self.unlock_timer.stop()
        self.countdown.stop()
        self.locked_until = None
        self.wrong_tries = 0
        self.message = None
        self._sync()

    # -- state onto widgets ---------------------------------------------------------------------
    def _sync(self) -> None:
        tr = self.ctx.tr
        if self.dots is not None and shiboken6.isValid(self.dots):
            self.dots.setText(" ".join("●" * len(self.pin)))
        if self.feedback is not None and shiboken6.isValid(self.feedback):
            text, role = "", ""
            if self.message is not None:
                key, role = self.message
                seconds = max(1, round((self.locked_until or 0) - time.monotonic()))
                text = tr.n(key, seconds) if key == "operator.pin_locked" else tr(key)
            self.feedback.setText(text)
            if self.feedback.property("role") != role:
                self.feedback.setProperty("role", role)
                self.feedback.style().unpolish(self.feedback)
                self.feedback.style().polish(self.feedback)
        enabled = not self.locked and not self.checking
        for key in self.keys:
            if shiboken6.isValid(key):
                key.setEnabled(enabled)

    def forget(self) -> None:
        """Drop the typed PIN and any check in flight; a lock stays until it runs out."""
        self.pin = ""
        self.checking = False
        self._generation += 1
        if not self.locked:
            self.message = None
        self._sync()

    def entered(self) -> None:
        self.forget()

    def reset(self) -> None:
        self.forget()
        super().reset()


# -- device status ---------------------------------------------------------------------------------
@dataclass
class DeviceStatus:
    """What the status page reads from disk, gathered off the GUI thread."""

    installs: list[InstallRecord] = field(default_factory=list)
    outbox: int | None = None
    keys: list[str] = field(default_factory=list)
    media_missing: int | None = None
    errors: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # the device database's damage, in plain words
    read_only: bool = False
    free_bytes: int | None = None


def read_device_status(data: DataDir, pointer: Pointer) -> DeviceStatus:
    """Device database and media check, each with its own connections (runs in a worker thread).

    Only reads: a damaged device database is reported (the operator repairs it with an
    install), a read-only data folder and a full disk are said as such.
    """
    status = DeviceStatus(read_only=not writable(data.root))
    with contextlib.suppress(OSError):
        status.free_bytes = shutil.disk_usage(data.root).free
    try:
        if data.device_db.exists() or os.path.islink(data.device_db):
            with DeviceState(data.device_db, readonly=True) as device:
                status.installs = device.install_log(RECENT_INSTALLS)
                status.outbox = device.outbox_count()
                status.keys = [f"{k.label or '-'} ({k.key_id})" for k in device.trusted_keys()]
    except DamagedStoreError as exc:
        status.damaged.append(str(exc))
    except ReadOnlyStoreError:
        status.read_only = True
    except Exception as exc:
        status.errors.append(f"device.db: {exc}")
    try:
        db = data.version_db(pointer.current)
        conn = sqlite3.connect(f"file:{db.as_posix()}?mode=ro&immutable=1", uri=True)
        try:
            status.media_missing = len(ContentStore(data, pointer, conn).check_media())
        finally:
            conn.close()
    except Exception as exc:
        status.errors.append(f"media: {exc}")
    return status


class OperatorScreen(Screen):
    """Device status for staff; shown only after :meth:`grant` (the PIN screen calls it)."""

    name = "operator"
    exit_requested = Signal()

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.status: DeviceStatus | None = None
        self._async_labels: dict[str, QLabel] = {}
        self._installs_box: QVBoxLayout | None = None
        self.sync_agent: SyncAgent | None = None
        self.sync_state: dict[str, Any] | None = None
        self._sync_box: QVBoxLayout | None = None
        self._sync_labels: dict[str, QLabel] = {}
        self._sync_button: QPushButton | None = None
        self._sync_progress: QLabel | None = None
        self._page: QWidget | None = None

    def attach_sync(self, agent: SyncAgent) -> None:
        """The kiosk's sync agent: its status on this page, and "sync now" (the app wires it)."""
        self.sync_agent = agent
        agent.started.connect(self._sync_started)
        agent.finished.connect(self._sync_finished)

    def title(self) -> str:
        return self.ctx.tr("operator.title")

    # -- access -----------------------------------------------------------------------------------
    @property
    def granted(self) -> bool:
        """Let in by the PIN pad, in this visit, and not left since (see ``Session.staff_access``)."""
        return self.ctx.session.staff_access

    def revoke(self) -> None:
        self.ctx.session.staff_access = False
        self.stale = True
        self.status = None

    def left(self) -> None:
        self.revoke()
        self.clear_body()  # nothing of the status page stays behind in the window

    def reset(self) -> None:
        self.revoke()
        self.clear_body()
        super().reset()

    def _to_pin(self) -> None:
        if not self.in_view or self.granted:
            return
        router = self.ctx.router
        if router.has("operator_pin"):
            router.go("operator_pin", remember=False)
        else:
            router.home()

    # -- building ---------------------------------------------------------------------------------
    def render(self) -> None:
        self.clear_body()
        self._async_labels = {}
        self._installs_box = None
        if not self.granted:
            # Reached without the PIN (Back, a bookmark in history): show nothing, ask for the PIN.
            QTimer.singleShot(0, self, self._to_pin)
            return
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        page.add(text_label(tr("operator.title"), "title"))
        columns = 1 if ctx.layout == PORTRAIT else 2
        page.add(grid([self._kiosk_card(), self._content_card()], columns, m.gap))
        page.add(grid([self._config_card(), self._device_card()], columns, m.gap))
        page.add(self._sync_card())
        page.finish()
        self.body.addWidget(page, 1)

        bar = QWidget()
        bar.setObjectName("operator-bar")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(m.margin, m.gap, m.margin, m.gap)
        bar_layout.setSpacing(m.gap)
        bar_layout.addWidget(button(tr("operator.done"), self.done, "primary", name="operator-done"), 1)
        bar_layout.addWidget(button(tr("operator.exit"), self.request_exit, name="operator-exit"), 1)
        self.body.addWidget(bar)

        data, pointer = ctx.content.data, ctx.store.pointer
        # Owned by this render's page: a status read for a page since rebuilt or left is dropped.
        self.background(
            lambda: read_device_status(data, pointer),
            self._status_read,
            lambda exc: self._status_read(DeviceStatus(errors=[str(exc)])),
            owner=page,
        )
        self._page = page
        self._read_sync_state()

    def request_exit(self) -> None:
        """The app decides what leaving means (allow the close, close the window); this only asks."""
        if self.granted:
            log.info("operator asked to leave the kiosk app")
            self.exit_requested.emit()

    def done(self) -> None:
        self.ctx.router.home()

    def _card(self, key: str) -> tuple[Card, QVBoxLayout]:
        card = Card()
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(self.ctx.metrics.gap // 2)
        layout.addWidget(text_label(self.ctx.tr(key), "heading"))
        return card, layout

    def _facts(self, layout: QVBoxLayout, rows: list[tuple[str, str, str]]) -> None:
        """(name, string key, value) rows as a two-column table; values named ``operator-<name>``."""
        cells = QGridLayout()
        cells.setHorizontalSpacing(self.ctx.metrics.gap)
        cells.setVerticalSpacing(6)
        for i, (name, key, value) in enumerate(rows):
            label = text_label(self.ctx.tr(key), "muted")
            cells.addWidget(label, i, 0, Qt.AlignmentFlag.AlignBaseline)
            shown = text_label(value)
            shown.setObjectName(f"operator-{name}")
            cells.addWidget(shown, i, 1, Qt.AlignmentFlag.AlignBaseline)
            if value == "…":
                self._async_labels[name] = shown
        cells.setColumnStretch(1, 1)
        layout.addLayout(cells)

    def _kiosk_card(self) -> Card:
        config = self.ctx.config
        card, layout = self._card(N_("operator.section.kiosk"))
        lat, lon = config.location
        self._facts(layout, [
            ("name", N_("operator.name"), config["kiosk.name"]),
            ("profile", N_("operator.profile"), config.profile),
            ("timezone", N_("operator.timezone"), config["kiosk.timezone"]),
            ("languages", N_("operator.languages"), ", ".join(config.languages)),
            ("location", N_("operator.location"), f"{lat:.4f}, {lon:.4f}"),
            ("clock", N_("operator.clock"), f"{self.ctx.now():%Y-%m-%d %H:%M}"),
        ])  # fmt: skip
        layout.addStretch(1)
        return card

    def _content_card(self) -> Card:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        store = ctx.store
        card, layout = self._card(N_("operator.section.content"))
        self._facts(layout, [
            ("pack", N_("operator.pack"), store.pointer.pack_id),
            ("content-version", N_("operator.content_version"), str(store.content_version)),
            ("installed-at", N_("operator.installed_at"), self._when(store.pointer.installed_at)),
            ("media-missing", N_("operator.media_missing"), "…"),
        ])  # fmt: skip
        counts = store.counts()
        table = QGridLayout()
        table.setHorizontalSpacing(m.gap)
        table.setVerticalSpacing(m.gap // 2)
        columns = 3 if ctx.layout != PORTRAIT else 5
        for i, (kind, label) in enumerate(COUNT_KINDS.items()):
            cell = QVBoxLayout()
            cell.setSpacing(0)
            number = text_label(str(counts.get(kind, 0)), "heading")
            number.setObjectName(f"operator-count-{kind}")
            cell.addWidget(number)
            cell.addWidget(text_label(tr(label), "muted"))
            table.addLayout(cell, i // columns, i % columns)
        for c in range(columns):
            table.setColumnStretch(c, 1)
        layout.addSpacing(m.gap // 2)
        layout.addLayout(table)
        layout.addStretch(1)
        return card

    def _config_card(self) -> Card:
        config = self.ctx.config
        card, layout = self._card(N_("operator.section.config"))
        source = str(config.source) if config.source is not None else self.ctx.tr("operator.config_none")
        self._facts(layout, [("config-file", N_("operator.config_file"), source)])
        if not config.problems:
            fine = text_label(self.ctx.tr("operator.no_problems"), "open")
            fine.setObjectName("operator-problems")
            layout.addWidget(fine)
        for problem in config.problems:  # one label each: a long one wraps without running into the next
            line = text_label(problem, "closed")
            line.setObjectName("operator-problem")
            layout.addWidget(line)
        layout.addStretch(1)
        return card

    def _device_card(self) -> Card:
        card, layout = self._card(N_("operator.section.device"))
        crash = self.ctx.native_crash  # found at this start (kiosk_app.runtime.crash); in plain words
        if crash is not None:
            when = self._when(crash.at.isoformat())
            text = self.ctx.tr("operator.native_crash", time=when, file=f"logs/{crash.path.name}")
            notice = text_label(text, "closed")
            notice.setObjectName("operator-native-crash")
            layout.addWidget(notice)
        self._facts(layout, [
            ("outbox", N_("operator.outbox"), "…"),
            ("trusted-keys", N_("operator.trusted_keys"), "…"),
        ])  # fmt: skip
        layout.addWidget(text_label(self.ctx.tr("operator.installs"), "muted"))
        self._installs_box = QVBoxLayout()
        self._installs_box.setSpacing(8)
        self._installs_box.addWidget(text_label(self.ctx.tr("operator.reading"), "muted"))
        layout.addLayout(self._installs_box)
        layout.addStretch(1)
        return card

    def _sync_card(self) -> Card:
        """The content channel: where from, when last checked, what moved, what went wrong, "sync now"."""
        tr, m = self.ctx.tr, self.ctx.metrics
        card, layout = self._card(N_("operator.section.sync"))
        self._sync_box = QVBoxLayout()  # notices: not set up, stale, the clock, a version waiting
        self._sync_box.setSpacing(8)
        layout.addLayout(self._sync_box)
        before = dict(self._async_labels)
        self._facts(layout, [
            ("sync-url", N_("operator.sync_url"), "…"),
            ("sync-group", N_("operator.sync_group"), "…"),
            ("sync-last-check", N_("operator.sync_last_check"), "…"),
            ("sync-last-success", N_("operator.sync_last_success"), "…"),
            ("sync-next-check", N_("operator.sync_next_check"), "…"),
            ("sync-bytes", N_("operator.sync_bytes"), "…"),
            ("sync-last-result", N_("operator.sync_last_result"), "…"),
            ("sync-last-error", N_("operator.sync_last_error"), "…"),
            ("feed-weather", N_("operator.feed_weather"), "…"),
            ("feed-transport", N_("operator.feed_transport"), "…"),
        ])  # fmt: skip
        # Filled by the sync state read, not the device status read.
        self._sync_labels = {k: v for k, v in self._async_labels.items() if k not in before}
        self._async_labels = before
        actions = QHBoxLayout()
        actions.setSpacing(m.gap)
        self._sync_button = button(tr("operator.sync_now"), self.sync_now, name="operator-sync-now")
        actions.addWidget(self._sync_button)
        self._sync_progress = text_label("", "muted")
        self._sync_progress.setObjectName("operator-sync-progress")
        actions.addWidget(self._sync_progress, 1)
        layout.addLayout(actions)
        agent = self.sync_agent
        if agent is None:
            self._sync_button.setEnabled(False)
        elif agent.running:
            self._sync_started()
        return card

    def sync_now(self) -> None:
        """Run a cycle in the background; the page shows it running, then its result."""
        if self.granted and self.sync_agent is not None:
            self.sync_agent.sync_now()

    def _sync_started(self) -> None:
        if self._sync_button is not None and shiboken6.isValid(self._sync_button):
            self._sync_button.setEnabled(False)
        if self._sync_progress is not None and shiboken6.isValid(self._sync_progress):
            self._set_role(self._sync_progress, "muted")
            self._sync_progress.setText(self.ctx.tr("operator.sync_running"))

    def _sync_finished(self, result: Any) -> None:
        button_ = self._sync_button
        if button_ is None or not shiboken6.isValid(button_):
            return  # the page is not built (or was left): nothing to show
        button_.setEnabled(True)
        tr = self.ctx.tr
        progress = self._sync_progress
        if progress is not None and shiboken6.isValid(progress):
            if result is None:
                progress.setText(tr("operator.sync_failed", message=tr("operator.sync_crashed")))
                self._set_role(progress, "closed")
            elif result.ok:
                progress.setText(tr("operator.sync_done", message=result.message))
                self._set_role(progress, "open")
            elif result.outcome == "stale":  # not a failure: the kiosk keeps its content (the notice says why)
                progress.setText(result.message)
                self._set_role(progress, "closed")
            else:
                progress.setText(tr("operator.sync_failed", message=result.message))
                self._set_role(progress, "closed")
        self._read_sync_state()

    @staticmethod
    def _set_role(label: QLabel, role: str) -> None:
        if label.property("role") != role:
            label.setProperty("role", role)
            label.style().unpolish(label)
            label.style().polish(label)

    def _read_sync_state(self) -> None:
        from ..sync_agent import status

        page = self._page
        if page is None or not shiboken6.isValid(page) or not self.granted:
            return
        data = self.ctx.content.data
        self.background(lambda: status(data), self._sync_read, lambda exc: self._sync_read({"error": str(exc)}),
                        owner=page)  # fmt: skip

    def _sync_read(self, state: dict[str, Any]) -> None:
        """The sync state (read in a worker) into the channel card, in plain words."""
        self.sync_state = state
        box = self._sync_box
        if box is None:
            return
        while box.count():
            item = box.takeAt(0)
            old = item.widget()
            if old is not None:
                old.hide()
                old.deleteLater()
        tr = self.ctx.tr
        notices: list[tuple[str, str, str]] = []
        if state.get("error"):
            notices.append(("operator-sync-read-error", tr("operator.read_error", error=state["error"]), "closed"))
        if not state.get("url") or not state.get("group"):
            provisioning = self.sync_agent.provisioning if self.sync_agent is not None else None
            why = provisioning.problem if provisioning is not None and provisioning.problem else ""
            why = "" if why == NOT_SET_UP else why  # the notice says it already
            notices.append(("operator-sync-not-set-up", tr("operator.sync_not_set_up", problem=why).strip(), "muted"))
        if state.get("channel_state") == "stale":
            since = self._when(str(state.get("stale_since") or ""))
            notices.append(("operator-sync-stale", tr("operator.sync_stale", time=since), "closed"))
        if state.get("clock_problem"):
            notices.append(("operator-sync-clock", tr("operator.sync_clock", problem=state["clock_problem"]), "closed"))
        installed, shown = state.get("installed_version"), self.ctx.store.content_version
        if isinstance(installed, int) and installed > shown:
            notices.append(("operator-sync-pending", tr("operator.sync_pending", v=installed), "open"))
        for name, text, role in notices:
            notice = text_label(text, role)
            notice.setObjectName(name)
            box.addWidget(notice)
        never = tr("operator.sync_never")

        def when(key: str) -> str:
            value = state.get(key)
            return self._when(str(value)) if value else never

        values = {
            "sync-url": str(state.get("url") or tr("operator.none")),
            "sync-group": str(state.get("group") or tr("operator.none")),
            "sync-last-check": when("last_check"),
            "sync-last-success": when("last_success"),
            "sync-next-check": when("next_check"),
            "sync-bytes": tr("operator.sync_bytes_value", last=_size(state.get("bytes_last")),
                             total=_size(state.get("bytes_total"))),
            "sync-last-result": str(state.get("last_message") or never),
            "sync-last-error": str(state.get("last_error") or tr("operator.sync_no_errors")),
        }  # fmt: skip
        feeds = state.get("feeds") if isinstance(state.get("feeds"), dict) else {}
        feed_errors = {}
        for kind in ("weather", "transport"):
            values[f"feed-{kind}"], feed_errors[f"feed-{kind}"] = self._feed_text(kind, feeds.get(kind))
        for name, label in self._sync_labels.items():
            if shiboken6.isValid(label):
                label.setText(values.get(name, "?"))
        error = self._sync_labels.get("sync-last-error")
        if error is not None and shiboken6.isValid(error):
            self._set_role(error, "closed" if state.get("last_error") else "")
        for name, failed in feed_errors.items():
            label = self._sync_labels.get(name)
            if label is not None and shiboken6.isValid(label):
                self._set_role(label, "closed" if failed else "")

    def _feed_text(self, kind: str, entry: Any) -> tuple[str, bool]:
        """A live feed for the operator: how old it is, when it came, whether visitors still see it, and its
        last error (True when hidden or failed: the line is shown in red)."""
        tr, now = self.ctx.tr, self.ctx.now()
        entry = entry if isinstance(entry, dict) else {}
        stored = entry.get("feed") if isinstance(entry.get("feed"), dict) else {}
        status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
        issued, fetched = parse_moment(stored.get("issued_at")), stored.get("fetched_at")
        hidden = False
        if issued is None:
            text = tr("operator.feed_none")
        else:
            text = tr("operator.feed_value", age=age_text(tr, issued, now), fetched=self._when(str(fetched)))
            hours = self.ctx.config[f"feeds.{kind}_max_age_hours"]
            hidden = now - issued > dt.timedelta(hours=hours)
            if hidden:
                text += "\n" + tr("operator.feed_hidden", hours=hours)
        error = status.get("error")
        if error:
            text += "\n" + tr("operator.feed_error", error=str(error))
        return text, bool(error) or hidden

    # -- results from the worker --------------------------------------------------------------------
    def _status_read(self, status: Any) -> None:
        self.status = status
        tr = self.ctx.tr
        values = {
            "media-missing": "?" if status.media_missing is None else str(status.media_missing),
            "outbox": "?" if status.outbox is None else str(status.outbox),
            "trusted-keys": "\n".join(status.keys) or tr("operator.none"),
        }
        for name, label in self._async_labels.items():
            label.setText(values.get(name, "?"))
            if name == "media-missing" and status.media_missing:
                label.setProperty("role", "closed")
                label.style().unpolish(label)
                label.style().polish(label)
        box = self._installs_box
        if box is None:
            return
        while box.count():
            item = box.takeAt(0)
            old = item.widget()
            if old is not None:
                old.hide()
                old.deleteLater()
        notices = [("operator-store-damaged", tr("operator.store_damaged", problem=d)) for d in status.damaged]
        if status.read_only:
            notices.append(("operator-read-only", tr("operator.read_only")))
        if status.free_bytes is not None and status.free_bytes < DISK_FULL_BYTES:
            free = f"{status.free_bytes / 2**20:.1f} MB"
            notices.append(("operator-disk-full", tr("operator.disk_full", free=free)))
        for name, text in notices:
            notice = text_label(text, "closed")
            notice.setObjectName(name)
            box.addWidget(notice)
        for error in status.errors:
            box.addWidget(text_label(tr("operator.read_error", error=error), "closed"))
        if not status.installs and not status.errors:
            empty = text_label(tr("operator.no_installs"), "muted")
            empty.setObjectName("operator-no-installs")
            box.addWidget(empty)
        for record in status.installs:
            mark = "✓" if record.ok else "✗"
            version = tr("operator.version_n", v=record.content_version) if record.content_version else ""
            head = "  ".join(p for p in (self._when(record.at), mark, version, record.pack_id or "") if p)
            line = text_label(f"{head}\n{record.message}", "" if record.ok else "closed")
            line.setObjectName("operator-install")
            box.addWidget(line)

    def _when(self, stamp: str) -> str:
        """An ISO time from the device or pointer, shown in the kiosk's time zone."""
        try:
            moment = dt.datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            return stamp or "?"
        if moment.tzinfo is not None:
            moment = moment.astimezone(self.ctx.now().tzinfo)
        return f"{moment:%Y-%m-%d %H:%M}"


def _size(count: object) -> str:
    """Bytes for an operator: 0 B, 12.3 kB, 4.5 MB."""
    n = count if isinstance(count, int) else 0
    if n < 1000:
        return f"{n} B"
    if n < 1000**2:
        return f"{n / 1000:.1f} kB"
    if n < 1000**3:
        return f"{n / 1000**2:.1f} MB"
    return f"{n / 1000**3:.2f} GB"
