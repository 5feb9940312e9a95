"""Qt's own messages (qDebug, qWarning, qCritical, qFatal) into Python ``logging``.

Without a handler Qt writes them to stderr, where nobody reads them on a kiosk; with it they
reach ``logs/kiosk.log`` under the logger ``qt`` (``qt.<category>`` for categorised ones,
e.g. ``qt.multimedia.ffmpeg``), at the matching level. Installed right after logging, before
the QApplication exists, so a platform plugin that cannot start (a fatal message) is logged too.

Qt calls the handler on whichever thread logs, and the handler needs Python's lock there:
a GUI-thread call that blocks in C++ with the lock held, waiting for a Qt thread that is
logging, would deadlock. QtMultimedia is driven through queued calls for that reason (see
``workarounds.py``, ``qtmultimedia-gil-deadlock``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

LEVELS: dict[QtMsgType, int] = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

MessageHandler = Callable[[QtMsgType, QMessageLogContext, str], None]


def logger_name(category: str | None) -> str:
    """``qt`` for Qt's default category, ``qt.<category>`` otherwise (Qt's own already start with ``qt.``)."""
    if not category or category == "default":
        return "qt"
    return category if category == "qt" or category.startswith("qt.") else f"qt.{category}"


def handle_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Log one Qt message; never raises (an exception here would be lost inside Qt)."""
    try:
        level = LEVELS.get(kind, logging.WARNING)
        logger = logging.getLogger(logger_name(context.category))
        if context.file:  # debug builds of Qt only
            logger.log(level, "%s (%s:%s, %s)", message, context.file, context.line, context.function)
        else:
            logger.log(level, "%s", message)
        if kind == QtMsgType.QtFatalMsg:
            for handler in logging.getLogger().handlers:  # Qt aborts as soon as this returns
                handler.flush()
    except Exception:  # nothing sensible to do here; Qt carries on
        pass


def install_qt_message_handler(handler: MessageHandler = handle_qt_message) -> MessageHandler | None:
    """Route Qt's messages to ``handler``; returns the handler that was installed before."""
    return qInstallMessageHandler(handler)


def uninstall_qt_message_handler(previous: MessageHandler | None = None) -> None:
    """Back to ``previous`` (Qt's own stderr output when None): at exit, before Python goes away."""
    qInstallMessageHandler(previous)
