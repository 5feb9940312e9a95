"""Qt's messages reach Python logging under ``qt``, at the matching level; a fatal one is logged before the abort."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLoggingCategory, qCDebug, qCritical, qCWarning, qDebug, qInfo, qWarning

from kiosk_app.runtime.qt_messages import install_qt_message_handler, logger_name, uninstall_qt_message_handler
from tests.kiosk.child import run_child


@pytest.fixture
def ours() -> Iterator[None]:
    """Our handler for one test, then pytest-qt's again (it fails tests on Qt warnings)."""
    previous = install_qt_message_handler()
    yield
    uninstall_qt_message_handler(previous)


def records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, str]]:
    return [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("qt")]


def test_levels_map_onto_logging(ours: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="qt"):
        qDebug("a debug line")
        qInfo("an info line")
        qWarning("a warning line")
        qCritical("a critical line")
    assert records(caplog) == [
        ("qt", logging.DEBUG, "a debug line"),
        ("qt", logging.INFO, "an info line"),
        ("qt", logging.WARNING, "a warning line"),
        ("qt", logging.ERROR, "a critical line"),
    ]


def test_categories_become_child_loggers_of_qt(ours: None, caplog: pytest.LogCaptureFixture) -> None:
    ours_category = QLoggingCategory("kiosk.test")
    qts_category = QLoggingCategory("qt.multimedia.test")
    with caplog.at_level(logging.DEBUG, logger="qt"):
        qCWarning(ours_category, "from our category")
        qCWarning(qts_category, "from a Qt category")
        qCDebug(ours_category, "debug from our category")
    assert records(caplog) == [
        ("qt.kiosk.test", logging.WARNING, "from our category"),
        ("qt.multimedia.test", logging.WARNING, "from a Qt category"),
        ("qt.kiosk.test", logging.DEBUG, "debug from our category"),
    ]
    assert [logger_name(c) for c in (None, "", "default", "qt", "js")] == ["qt", "qt", "qt", "qt", "qt.js"]


def test_a_fatal_message_is_logged_before_qt_aborts(tmp_path: Path) -> None:
    """The real case: a kiosk whose display is not there (Qt's fatal message, then abort)."""
    child = run_child(
        """
        import sys
        from pathlib import Path
        from kiosk_app.runtime.logs import setup_logging
        from kiosk_app.runtime.qt_messages import install_qt_message_handler
        setup_logging(Path(sys.argv[1]))
        install_qt_message_handler()
        from PySide6.QtWidgets import QApplication
        QApplication([])
        """,
        str(tmp_path),
        env={"QT_QPA_PLATFORM": "no-such-platform"},
    )
    assert child.died_of(signal.SIGABRT), child.describe()
    log = (tmp_path / "kiosk.log").read_text()
    assert "CRITICAL qt: This application failed to start because no Qt platform plugin could be initialized" in log
