"""The site comes up as production runs it: gunicorn behind nginx, on PostgreSQL."""

from __future__ import annotations

import requests


def test_health_and_static_files_come_through_nginx(live_platform) -> None:
    health = requests.get(f"{live_platform.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.text == "ok\n"
    # Apache ECharts from npm, served from the collected static files (never a CDN)
    charts = requests.get(f"{live_platform.url}/static/vendor/echarts/echarts.min.js", timeout=10)
    assert charts.status_code == 200 and b"echarts" in charts.content[:2000]
    assert charts.headers["Server"] == "nginx"


def test_dashboard_asks_to_sign_in(live_platform) -> None:
    answer = requests.get(f"{live_platform.url}/", timeout=10, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login/")
