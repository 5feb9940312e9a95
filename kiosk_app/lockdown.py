"""Lockdown: no key combination, context menu or close request takes a visitor out of the kiosk.

Qt only sees what the window system passes on: the kiosk session runs without a desktop
(see packaging/), and this filter swallows whatever still arrives.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QWindow

_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
_BLOCKED_KEYS = {
    Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Menu, Qt.Key.Key_Print,
    Qt.Key.Key_SysReq, Qt.Key.Key_Super_L, Qt.Key.Key_Super_R, Qt.Key.Key_Close, Qt.Key.Key_Back,
    Qt.Key.Key_Forward, Qt.Key.Key_HomePage, Qt.Key.Key_Search, Qt.Key.Key_LaunchMedia,
    *(getattr(Qt.Key, f"Key_F{n}") for n in range(1, 36)),
}  # fmt: skip


_MOUSE = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)


def _is_window(watched: QObject) -> bool:
    return isinstance(watched, QWindow) or bool(getattr(watched, "isWindow", lambda: False)())


def is_blocked(event: QKeyEvent) -> bool:
    return bool(event.modifiers() & _MODIFIERS) or event.key() in _BLOCKED_KEYS


class Lockdown(QObject):
    """Event filter for the kiosk's window (or the whole app before the kiosk starts).

    ``allow_close`` is set only by the operator's exit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.allow_close = False
        self.blocked = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut):
            if kind == QEvent.Type.Shortcut or is_blocked(event):  # type: ignore[arg-type]
                self.blocked += 1
                event.accept()
                return True
        elif kind == QEvent.Type.ContextMenu:
            self.blocked += 1
            return True
        elif kind in _MOUSE and event.button() == Qt.MouseButton.RightButton:  # type: ignore[attr-defined]
            # Touch screens have no right button; a mouse plugged in must not open menus.
            self.blocked += 1
            return True
        elif kind == QEvent.Type.Close and not self.allow_close and _is_window(watched):
            self.blocked += 1
            event.ignore()
            return True
        return False
