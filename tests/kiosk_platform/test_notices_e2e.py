"""Notices end to end: an editor sends a notice on the real site (gunicorn behind nginx, PostgreSQL); a real
kiosk agent syncing from the platform's channel through nginx stores it in its device database and the
kiosk's reader shows it in force; "end now" withdraws it at the kiosk's next feed cycle. And the page
in Debian's Chromium (form, preview, send, end), with screenshots to look at.

Screenshots go to ``$KIOSK_PLATFORM_SCREENSHOTS`` or a temporary folder (never into git).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from content_sync.device.layout import DataDir
from content_sync.sync.agent import run_feed_cycle, setup
from kiosk_app.feeds import current_emergencies
from kiosk_platform.notices.models import Notice

from ..content_sync.sync.agent_harness import sync_state
from .browser import click_and_wait
from .conftest import Clock
from .notice_support import CHENGGUAN, MAIJI, PASSWORD, Tree, form, make_tree

HOUR = dt.timedelta(hours=1)
SHOTS = Path(os.environ.get("KIOSK_PLATFORM_SCREENSHOTS") or tempfile.mkdtemp(prefix="kiosk-notice-shots-"))


@pytest.fixture
def tree() -> Iterator[Tree]:
    shutil.rmtree(settings.CHANNEL_DIR, ignore_errors=True)
    yield make_tree()
    shutil.rmtree(settings.CHANNEL_DIR, ignore_errors=True)


def signed_in(live_platform: Any, username: str) -> requests.Session:
    """A session signed in through the real login page (CSRF token from its cookie)."""
    session = requests.Session()
    session.get(f"{live_platform.url}/login/", timeout=10)
    answer = session.post(
        f"{live_platform.url}/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session


def post(session: requests.Session, url: str, data: dict[str, Any]) -> requests.Response:
    return session.post(
        url, data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]}, timeout=30, allow_redirects=False
    )


def test_a_notice_sent_on_the_site_reaches_a_kiosk_syncing_through_nginx_and_end_now_withdraws_it(
    live_platform: Any, tree: Tree, clock: Clock, tmp_path: Path
) -> None:
    editor = signed_in(live_platform, tree.editor.get_username())
    sent = post(editor, f"{live_platform.url}/notices/", form([CHENGGUAN], clock.now + 3 * HOUR))
    assert sent.status_code == 302, sent.text[:500]
    notice = Notice.objects.get()

    # A kiosk of the group, provisioned for the platform's channel, served by the platform's nginx.
    kiosk = DataDir(tmp_path / "kiosk")
    kiosk.root.mkdir()
    root = settings.CHANNEL_DIR / "metadata" / "1.root.json"
    kiosk_clock = lambda: clock.now  # noqa: E731 (the kiosk's clock follows the platform's in this test)
    setup(kiosk, live_platform.channel_url, CHENGGUAN, root, device_id="kiosk-cg", clock=kiosk_clock)
    result = run_feed_cycle(kiosk, clock=kiosk_clock)
    assert result.ok, result.message
    assert {f.kind: f.outcome for f in result.feeds}["emergency"] == "updated"
    stored = sync_state(kiosk)["feed.emergency"]
    assert stored["target"] == f"{CHENGGUAN}/feeds/emergency.json"
    [shown] = current_emergencies(stored, clock.now)
    assert shown.id == f"notice-{notice.pk}" and shown.title["en"] == "Red blizzard warning: scenic areas closed"
    assert shown.body["zh-Hans"] == "请留在室内，听从工作人员指引。"

    # A kiosk of another county's group gets nothing of it.
    other = DataDir(tmp_path / "other")
    other.root.mkdir()
    setup(other, live_platform.channel_url, MAIJI, root, device_id="kiosk-mj", clock=kiosk_clock)
    run_feed_cycle(other, clock=kiosk_clock)  # its group has no role in the channel yet: nothing to fetch
    assert "feed.emergency" not in sync_state(other)

    clock.advance(minutes=20)
    ended = post(editor, f"{live_platform.url}/notices/{notice.pk}/end", {})
    assert ended.status_code == 302
    clock.advance(minutes=5)
    again = run_feed_cycle(kiosk, clock=kiosk_clock)
    assert {f.kind: f.outcome for f in again.feeds}["emergency"] == "updated", again.message
    assert current_emergencies(sync_state(kiosk)["feed.emergency"], clock.now) == []


# -- the page in Chromium ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kiosk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", "--window-size=1400,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_shot(driver: Any, name: str) -> Path:
    """The whole page as a PNG (the window grown to the page's height)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(1000, min(int(height) + 40, 4000)))
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    return path


def test_the_notices_page_in_chromium_preview_send_and_end(
    live_platform: Any, chromium: Any, tree: Tree, clock: Clock
) -> None:
    from selenium.webdriver.common.by import By

    driver = chromium
    driver.delete_all_cookies()
    driver.get(f"{live_platform.url}/login/")
    driver.find_element(By.ID, "id_username").send_keys(tree.editor.get_username())
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "/login/" not in driver.current_url
    driver.get(f"{live_platform.url}/notices/")
    assert driver.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Notices"
    values = form([CHENGGUAN], clock.now + 3 * HOUR)
    driver.find_element(By.CSS_SELECTOR, f"input[name=groups][value='{CHENGGUAN}']").click()
    for name in ("title_zh", "title_en", "body_zh", "body_en"):
        driver.find_element(By.NAME, name).send_keys(values[name])
    ends = driver.find_element(By.NAME, "ends_at")
    driver.execute_script("arguments[0].value = arguments[1]", ends, values["ends_at"])
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[value=preview]"))
    preview = driver.find_element(By.ID, "notice-preview")
    assert "暴雪红色预警" in preview.text and "Red blizzard warning" in preview.text
    assert not Notice.objects.exists()
    full_shot(driver, "notices-preview")

    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[value=publish]"))
    assert driver.find_elements(By.ID, "end-now")
    assert driver.find_element(By.ID, "notice-status").text == "In force now"
    full_shot(driver, "notice-detail")
    driver.get(f"{live_platform.url}/notices/")
    active = driver.find_element(By.ID, "notices-active")
    assert "Red blizzard warning" in active.text
    full_shot(driver, "notices-list")

    driver.get(f"{live_platform.url}/notices/{Notice.objects.get().pk}/")
    # The ended page has a status line too: wait for the new page, not for a line that may be the old one.
    click_and_wait(driver, driver.find_element(By.ID, "end-now"))
    assert driver.find_element(By.ID, "notice-status").text == "Ended"
    assert Notice.objects.get().ended_at is not None
    # Offline: nothing on the page comes from anywhere but the site itself.
    sources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )  # fmt: skip
    assert all(s.startswith(live_platform.url) for s in sources), sources
