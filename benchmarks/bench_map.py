"""The map: tap to tiles painted, and memory of all processes, next to a bare QWebEngineView.

Baseline (same run, same machine, same window size, same tiles): a bare QWebEngineView
showing a folium map of the demo pack's basemaps, centred and zoomed as the kiosk's map
opens, Leaflet from local files and tiles from the same MBTiles through a minimal URL
scheme handler. Each repetition builds a new view and loads the page ("tap" = the moment
the view is created); done = the tile layer's ``load`` event plus two animation frames.

The kiosk: the whole app on the demo content at 1920x1080 with the web engine warmed up
after the first paint, as ``kiosk`` runs it. Each repetition goes home, then a real mouse
click (through the window) on the home screen's "Map" tile; done = the map page reports,
two animation frames after it became visible with its tiles loaded. Also measured: the
"cold" tap right after an idle reset has thrown the web profile away.

Memory: proportional set size (PSS, so shared libraries are not counted twice) summed
over the process and all its children (QtWebEngineProcess renderer, GPU and utility
processes), with the map open.

Targets: tap p95 <= 1.3x the bare view's p95; memory <= 1.3x.

Usage: ``.venv/bin/python -m benchmarks.bench_map [--reps 15]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo-pack"
OUT = Path(__file__).resolve().parent / "out"
SIZE = (1920, 1080)
TARGET_TAP = 1.3
TARGET_MEMORY = 1.3


def pss_kib(pid: int) -> int:
    """PSS of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(process_tree(int(child)))
    return sorted(set(found))


def tree_pss_mib(pid: int) -> tuple[float, int]:
    pids = process_tree(pid)
    return sum(pss_kib(p) for p in pids) / 1024, len(pids)


def demo_data() -> Path:
    """The demo pack built, signed and installed once into benchmarks/out (reused if fresh)."""
    from content_sync.device.install import Installer
    from content_sync.device.layout import DataDir
    from content_sync.pack.build import build_pack
    from content_sync.pack.signing import SigningKey

    root = OUT / "map-demo"
    stamp = max(p.stat().st_mtime for p in DEMO.rglob("*") if p.is_file())
    data = DataDir(root / "data")
    if not (root / "stamp").is_file() or float((root / "stamp").read_text()) < stamp:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        key = SigningKey.generate("bench-map")
        build_pack(DEMO, root / "demo.kpack", keys=[key])
        Installer(data, [key.public], "stable").install(root / "demo.kpack")
        (root / "stamp").write_text(str(stamp))
    return data.root


# -- children -----------------------------------------------------------------------------------


def _wait(app, predicate, timeout_s: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)
        time.sleep(0.0005)
    return True


def child_kiosk(data_root: str, reps: int) -> dict:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from kiosk_app.web.engine import prepare_web_engine

    prepare_web_engine()
    app = QApplication([])
    from content_sync.device.layout import DataDir
    from kiosk_app.app import build_kiosk
    from kiosk_app.config import load_config
    from kiosk_app.runtime.memory import MainThreadGC

    collector = MainThreadGC(app)  # noqa: F841
    kiosk = build_kiosk(load_config(None), DataDir(Path(data_root)))
    kiosk.nav.after_first_paint.append(kiosk.ctx.map.warm_up)  # as kiosk_app.main does
    kiosk.shell.setFixedSize(*SIZE)
    kiosk.shell.show()
    kiosk.install_filters(app)
    window = kiosk.shell.windowHandle()
    _wait(app, lambda: kiosk.ctx.map.started and kiosk.ctx.map.surface().state == "ready")
    surface = kiosk.ctx.map.surface()

    def tap_map() -> float:
        kiosk.nav.go("home")
        _wait(app, lambda: False, 0.3)
        tile = kiosk.nav.currentWidget().findChild(QWidget, "home-map")
        centre = tile.mapTo(kiosk.shell, tile.rect().center())
        before = surface.painted_count
        start = time.perf_counter()
        QTest.mouseClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(centre))
        if not _wait(app, lambda: surface.painted_count > before):
            raise RuntimeError("the map never reported its tiles painted")
        return time.perf_counter() - start

    warm = [tap_map() for _ in range(reps)]
    memory, processes = tree_pss_mib(os.getpid())
    view = surface.view
    view_size = (view.width(), view.height()) if view is not None else SIZE
    cold = []
    for _ in range(3):
        kiosk.shell.reset_session()
        _wait(app, lambda: surface.view is None, 5)
        cold.append(tap_map())
    kiosk.remove_filters(app)
    kiosk.ctx.map.close()
    return {"warm": warm, "cold": cold, "pss_mib": memory, "processes": processes, "view": view_size,
            "served": surface.tiles().served, "enlarged": surface.tiles().enlarged}  # fmt: skip


def child_bare(data_root: str, reps: int, width: int, height: int) -> dict:
    """A plain QWebEngineView and a folium map over the same MBTiles, nothing else."""
    import folium
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
    from PySide6.QtWebEngineCore import (
        QWebEnginePage,
        QWebEngineProfile,
        QWebEngineUrlScheme,
        QWebEngineUrlSchemeHandler,
    )

    scheme = QWebEngineUrlScheme(b"bt")
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Path)
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme | QWebEngineUrlScheme.Flag.LocalAccessAllowed)
    QWebEngineUrlScheme.registerScheme(scheme)
    from PySide6.QtCore import QCoreApplication, Qt

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    os.environ.setdefault("QSG_RHI_BACKEND", "null")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-gpu-compositing")
    if os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from content_sync.device.layout import DataDir
    from content_sync.maps.mbtiles import MBTiles
    from content_sync.store.content_store import ContentStore
    from kiosk_app.config import load_config

    store = ContentStore.open(DataDir(Path(data_root)))
    files = [MBTiles(b.path, immutable=True) for b in store.basemaps()]  # most detailed first

    class Tiles(QWebEngineUrlSchemeHandler):
        def requestStarted(self, job) -> None:  # type: ignore[no-untyped-def]
            z, x, y = (int(v) for v in job.requestUrl().path().strip("/").split("/")[-3:])
            blob = next((b for f in files if f.minzoom <= z <= f.maxzoom and (b := f.tile(z, x, y))), None)
            if blob is None:
                job.fail(job.Error.UrlNotFound)
                return
            buffer = QBuffer(parent=job)
            buffer.setData(QByteArray(blob))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            job.reply(b"image/png", buffer)

    painted: list[float] = []

    class Page(QWebEnginePage):
        def javaScriptConsoleMessage(self, level, message, line, source) -> None:  # type: ignore[no-untyped-def]
            if message == "tiles-painted":
                painted.append(time.perf_counter())

    profile = QWebEngineProfile.defaultProfile()
    handler = Tiles(app)
    profile.installUrlSchemeHandler(b"bt", handler)
    lat, lon = load_config(None).location
    static = ROOT / "kiosk_app" / "web" / "static"
    fmap = folium.Map(location=[lat, lon], zoom_start=13, tiles=None,
                      min_zoom=min(f.minzoom for f in files), max_zoom=max(f.maxzoom for f in files))  # fmt: skip
    fmap.default_js = [("leaflet", (static / "leaflet" / "leaflet.js").as_uri())]
    fmap.default_css = [("leaflet_css", (static / "leaflet" / "leaflet.css").as_uri())]
    layer = folium.TileLayer(tiles="bt:/t/{z}/{x}/{y}", attr="demo", max_zoom=max(f.maxzoom for f in files))
    layer.add_to(fmap)
    html = (
        fmap.get_root()
        .render()
        .replace(
            "</html>",
            f"<script>{layer.get_name()}.on('load', function () {{ requestAnimationFrame(function () {{"
            " requestAnimationFrame(function () { console.log('tiles-painted'); }); }); });</script></html>",
        )
    )
    page_file = Path(data_root).parent / "bare-map.html"
    page_file.write_text(html, encoding="utf-8")
    times = []
    memory = processes = 0.0
    for rep in range(reps):
        start = time.perf_counter()
        view = QWebEngineView()
        page = Page(profile, view)
        view.setPage(page)
        view.resize(width, height)
        view.show()
        count = len(painted)
        view.load(QUrl.fromLocalFile(str(page_file)))
        if not _wait(app, lambda count=count: len(painted) > count):
            raise RuntimeError("the bare map never painted its tiles")
        times.append(painted[-1] - start)
        if rep == reps - 1:
            memory, processes = tree_pss_mib(os.getpid())
        view.close()
        view.deleteLater()
        _wait(app, lambda: False, 0.2)
    return {"times": times, "pss_mib": memory, "processes": processes}


# -- the run ------------------------------------------------------------------------------------


def _child(kind: str, *args: object) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_map", "--child", kind, *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} child failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        result = child_kiosk(rest[0], int(rest[1])) if kind == "kiosk" else child_bare(
            rest[0], int(rest[1]), int(rest[2]), int(rest[3]))  # fmt: skip
        print("RESULT " + json.dumps(result), flush=True)
        os._exit(0)  # skip Chromium's slow teardown; the figures are out
    data = demo_data()
    kiosk_runs, bare_runs = [], []
    for _ in range(2):  # alternate, so a busy moment of the machine hits both sides
        kiosk_runs.append(_child("kiosk", data, args.reps))
        width, height = kiosk_runs[-1]["view"]
        bare_runs.append(_child("bare", data, args.reps, width, height))
    warm = [t for r in kiosk_runs for t in r["warm"]]
    cold = [t for r in kiosk_runs for t in r["cold"]]
    bare = [t for r in bare_runs for t in r["times"]]
    kiosk_mem = statistics.median(r["pss_mib"] for r in kiosk_runs)
    bare_mem = statistics.median(r["pss_mib"] for r in bare_runs)
    ms = lambda v: f"{v * 1000:7.1f} ms"  # noqa: E731
    print(f"map view {width}x{height}; {len(warm)} kiosk taps, {len(bare)} bare loads, 2 runs each\n")
    print(f"{'':38}{'p50':>10}{'p95':>10}")
    print(f"{'bare QWebEngineView + folium map':38}{ms(pct(bare, 0.5)):>10}{ms(pct(bare, 0.95)):>10}")
    print(f"{'kiosk: tap Map on home, warm':38}{ms(pct(warm, 0.5)):>10}{ms(pct(warm, 0.95)):>10}")
    print(f"{'kiosk: tap Map after idle reset':38}{ms(pct(cold, 0.5)):>10}{ms(pct(cold, 0.95)):>10}")
    tap_ratio = pct(warm, 0.95) / pct(bare, 0.95)
    cold_ratio = pct(cold, 0.95) / pct(bare, 0.95)
    mem_ratio = kiosk_mem / bare_mem
    print(f"\nratio tap p95 kiosk / bare        {tap_ratio:5.2f}  target <= {TARGET_TAP}: "
          f"{'PASS' if tap_ratio <= TARGET_TAP else 'FAIL'}")  # fmt: skip
    print(f"ratio right after idle reset       {cold_ratio:5.2f}  (information)")
    print(f"memory, all processes, map open    kiosk {kiosk_mem:6.1f} MiB ({kiosk_runs[0]['processes']} processes), "
          f"bare {bare_mem:6.1f} MiB ({bare_runs[0]['processes']} processes)")  # fmt: skip
    print(f"ratio memory kiosk / bare          {mem_ratio:5.2f}  target <= {TARGET_MEMORY}: "
          f"{'PASS' if mem_ratio <= TARGET_MEMORY else 'FAIL'}")  # fmt: skip
    return 0 if tap_ratio <= TARGET_TAP and mem_ratio <= TARGET_MEMORY else 1


if __name__ == "__main__":
    sys.exit(main())
