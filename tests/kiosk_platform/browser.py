"""Debian's Chromium, headless, driven by selenium for the dashboard's acceptance tests.

    from tests.kiosk_platform.browser import browser_fixture, login, screenshot  # noqa: F401 (the fixture "browser")

    def test_x(browser, live_platform):
        login(browser, live_platform, user, PASSWORD)
        browser.get(live_platform.url + "/fleet/")
        screenshot(browser, "fleet-list")

One browser per test session (starting Chromium takes seconds); each test gets it with no cookies
and the 1400×1000 window. Screenshots go to ``$KIOSK_PLATFORM_SCREENSHOTS`` or a temporary folder
(never into git); ``screenshot`` returns the PNG's path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

WIDE = (1400, 1000)
NARROW = (420, 1000)
_SCREENSHOT_DIR = Path(os.environ.get("KIOSK_PLATFORM_SCREENSHOTS") or tempfile.mkdtemp(prefix="kiosk-screens-"))


_driver: WebDriver | None = None


def _chromium(config: pytest.Config) -> WebDriver:
    """One Chromium for the test session, started on first use and quit when pytest ends."""
    global _driver
    if _driver is not None:
        return _driver
    profile = tempfile.mkdtemp(prefix="kiosk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={WIDE[0]},{WIDE[1]}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    _driver = driver

    def quit_chromium() -> None:
        global _driver
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        _driver = None

    config.add_cleanup(quit_chromium)
    return driver


@pytest.fixture(name="browser")
def browser_fixture(request: pytest.FixtureRequest) -> Iterator[WebDriver]:
    """The session's Chromium with no cookies and the wide window (import as ``browser_fixture``)."""
    driver = _chromium(request.config)
    driver.delete_all_cookies()
    driver.set_window_size(*WIDE)
    yield driver
    driver.delete_all_cookies()


def login(browser: WebDriver, live_platform: Any, user: Any, password: str) -> None:
    """Sign in through the login page (``user``: a User or a user name); waits for the next page."""
    username = user if isinstance(user, str) else user.get_username()
    browser.delete_all_cookies()
    browser.get(f"{live_platform.url}/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    WebDriverWait(browser, 15).until(
        lambda b: "/login/" not in b.current_url or b.find_elements(By.CSS_SELECTOR, ".error")
    )


def click_and_wait(browser: WebDriver, element: WebElement) -> None:
    """Click something that loads a new page (a link, a form's button) and wait until it has."""
    # A mark on the old page's window, gone once the new page loaded. (Waiting for the old <html>
    # element to go stale raced with chromedriver: mid-navigation it sometimes answers "Node with
    # given id does not belong to the document", an unknown error, instead of a stale element.)
    browser.execute_script("window.__kioskOldPage = true")
    element.click()
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script("return window.__kioskOldPage === undefined && document.readyState === 'complete'")
    )


def screenshot(browser: WebDriver, name: str) -> Path:
    """The page as a PNG named ``name`` (the whole page's height, at the window's width)."""
    _SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = _SCREENSHOT_DIR / f"{name}.png"
    width = browser.get_window_size()["width"]
    height = browser.execute_script("return Math.max(document.body.scrollHeight, 600)")
    original = browser.get_window_size()
    browser.set_window_size(width, min(int(height) + 140, 4000))
    try:
        browser.save_screenshot(str(path))
    finally:
        browser.set_window_size(original["width"], original["height"])
    return path


def element_screenshot(element: WebElement, name: str) -> Path:
    """One element (a chart, say) as a PNG named ``name``."""
    _SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = _SCREENSHOT_DIR / f"{name}.png"
    element.screenshot(str(path))
    return path


def screenshots_at_both_widths(browser: WebDriver, name: str) -> list[Path]:
    """The current page at 1400 px and at a narrow 420 px (a phone), then back to wide."""
    paths = [screenshot(browser, f"{name}-wide")]
    browser.set_window_size(*NARROW)
    browser.refresh()
    paths.append(screenshot(browser, f"{name}-narrow"))
    browser.set_window_size(*WIDE)
    return paths
