"""Runtime care: what keeps an unattended kiosk process healthy, one small module per concern.

- ``crash``: native crashes to ``logs/native-crash.log`` (faulthandler), last run's crash
  reported at the next start, Python's exception hooks;
- ``qt_messages``: Qt's own warnings into Python ``logging`` (logger ``qt``);
- ``signals``: SIGTERM/SIGINT handled inside Qt's event loop, without a polling timer;
- ``memory``: the GUI-thread garbage collector, malloc arenas, trimming and freezing;
- ``workarounds``: every PySide6/Qt workaround with its reproducer test;
- ``logs``: the log files.

Nothing is imported here: each module costs only when its caller needs it (see docs/runtime.md).
"""
