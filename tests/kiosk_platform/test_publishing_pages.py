"""The publishing pages: acceptance in headless Chromium against the real site (an editor uploads a
pack, starts a roll-out, the canaries succeed, the next wave fails and the page shows it halted),
and refusals over real HTTP (another county's roll-out is a 404 for its page and its POSTs, a
viewer's POST is a 403, a POST without the CSRF token is refused, bad input answers in plain words)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from content_sync.pack.signing import SigningKey
from kiosk_platform.publishing.models import Pack, Rollout
from kiosk_platform.publishing.rollout import start_rollout, store_pack, wave_devices
from tests.kiosk_platform.browser import browser_fixture, click_and_wait, login, screenshot  # noqa: F401 (the fixture "browser")

from .publishing_helpers import (
    GROUP,
    PASSWORD,
    heartbeat,
    kiosks,
    make_tree,
    operator,
    signed_pack_custom,
    trust_pack_key,
    two_versions,
    wipe_publishing_dirs,
)


def _wait(browser) -> WebDriverWait:
    """Waits that read the page while it is being replaced (a POST, then its redirect)."""
    return WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))


@pytest.fixture(autouse=True)
def fresh_channel() -> None:
    wipe_publishing_dirs()


def _session(live_platform, user) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{live_platform.url}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = session.post(
        f"{live_platform.url}/login/",
        data={"username": user.get_username(), "password": PASSWORD, "csrfmiddlewaretoken": token},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302
    return session


def _token(session: requests.Session, url: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(url, timeout=10).text).group(1)


def test_an_editor_starts_a_rollout_and_sees_it_halt_on_failures(
    browser, live_platform, clock, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    trust_pack_key(signing_key)
    tree = make_tree()
    editor = operator("li.na", tree.lanzhou, "editor")
    fleet = kiosks(tree.chengguan, 20)
    _v1, v2 = two_versions(mini_source, make_pack)
    canaries = [fleet[0].device_id, fleet[1].device_id]

    login(browser, live_platform, editor, PASSWORD)
    browser.get(f"{live_platform.url}/publishing/")
    browser.find_element(By.CSS_SELECTOR, "form.upload input[type=file]").send_keys(str(v2))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]"))
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".messages li"))
    assert "content version 2 is uploaded and verified" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    assert "mini-test" in browser.find_element(By.CSS_SELECTOR, "table.packs").text

    form = browser.find_element(By.CSS_SELECTOR, "form.start")
    Select(form.find_element(By.NAME, "group")).select_by_visible_text(GROUP)
    form.find_element(By.NAME, "canaries").send_keys("\n".join(canaries))
    for name, value in (("percentages", "40, 100"), ("min_devices", "2"), ("wave_wait_minutes", "0")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    screenshot(browser, "publishing-list-start")
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    _wait(browser).until(
        lambda b: re.search(r"/rollouts/\d+/$", b.current_url) or b.find_elements(By.CSS_SELECTOR, ".error")
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".error"), browser.find_element(By.CSS_SELECTOR, ".error").text
    rollout = Rollout.objects.get()
    assert "Running" in browser.find_element(By.TAG_NAME, "h1").text
    assert signed_pack_custom(2)["rollout"]["devices"] == sorted(canaries)

    clock.advance(minutes=15)
    for k in fleet[:2]:
        heartbeat(k, 2)
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Check now']"))
    _wait(browser).until(lambda b: "advanced" in b.find_element(By.CSS_SELECTOR, ".messages").text)
    assert "wave 2" in browser.find_element(By.CSS_SELECTOR, ".events").text
    assert signed_pack_custom(2)["rollout"]["percent"] == 40

    rollout.refresh_from_db()
    drawn = [d for d in wave_devices(rollout) if d.device_id not in canaries]
    assert len(drawn) >= 3
    clock.advance(minutes=15)
    for k in drawn[:2]:
        heartbeat(k, 1, failed_install=2)
    for k in drawn[2:]:
        heartbeat(k, 2)
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Check now']"))
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".card.halted"))
    assert "Halted" in browser.find_element(By.TAG_NAME, "h1").text
    reason = browser.find_element(By.CSS_SELECTOR, ".halted-reason").text
    assert f"2 of {len(drawn) + 2} kiosks" in reason and "could not take version 2" in reason
    assert browser.find_elements(By.XPATH, "//button[text()='Resume']")
    assert not browser.find_elements(By.XPATH, "//button[text()='Check now']")
    assert signed_pack_custom(2)["rollout"]["percent"] == 40  # frozen: no further spread
    shot = screenshot(browser, "publishing-rollout-halted")
    assert shot.stat().st_size > 10_000
    browser.get(f"{live_platform.url}/publishing/")
    assert "Halted" in browser.find_element(By.CSS_SELECTOR, "table.rollouts").text
    screenshot(browser, "publishing-list-halted")


def test_scoping_roles_and_csrf_over_real_http(
    live_platform, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    trust_pack_key(signing_key)
    tree = make_tree()
    kiosks(tree.chengguan, 3)
    kiosks(tree.tianshui, 2, group="tianshui/hotel-room", start=40)
    lanzhou_editor = operator("lz.editor", tree.lanzhou, "editor")
    tianshui_editor = operator("ts.editor", tree.tianshui, "editor")
    viewer = operator("lz.viewer", tree.lanzhou, "viewer")
    v1, _v2 = two_versions(mini_source, make_pack)
    pack = store_pack(v1, tree.lanzhou, lanzhou_editor)
    rollout = start_rollout(pack, tree.lanzhou, GROUP, canaries=[], percentages=[50, 100])
    url = f"{live_platform.url}/publishing/rollouts/{rollout.pk}"

    stranger = _session(live_platform, tianshui_editor)
    assert stranger.get(f"{url}/", timeout=10).status_code == 404
    token = _token(stranger, f"{live_platform.url}/publishing/")
    for action in ("check", "halt", "resume", "rollback", "pin"):
        answer = stranger.post(f"{url}/{action}/", data={"csrfmiddlewaretoken": token}, timeout=10)
        assert answer.status_code == 404, action
    assert "mini-test" not in stranger.get(f"{live_platform.url}/publishing/", timeout=10).text
    start = {"csrfmiddlewaretoken": token, "pack": pack.pk, "group": GROUP, "organisation": tree.tianshui.pk,
             "percentages": "100", "failure_threshold": "20", "min_devices": "1", "wave_wait_minutes": "0"}  # fmt: skip
    assert stranger.post(f"{live_platform.url}/publishing/rollouts/", data=start, timeout=10).status_code == 404

    reader = _session(live_platform, viewer)
    assert reader.get(f"{url}/", timeout=10).status_code == 200
    viewer_token = _token(reader, f"{url}/")
    assert reader.post(f"{url}/halt/", data={"csrfmiddlewaretoken": viewer_token}, timeout=10).status_code == 403

    editor = _session(live_platform, lanzhou_editor)
    assert editor.post(f"{url}/halt/", data={}, timeout=10).status_code == 403  # no CSRF token
    rollout.refresh_from_db()
    assert rollout.state == Rollout.State.RUNNING

    token = _token(editor, f"{live_platform.url}/publishing/")
    junk = editor.post(
        f"{live_platform.url}/publishing/upload/",
        data={"csrfmiddlewaretoken": token},
        files={"pack": ("evil.kpack", b"<script>alert(1)</script>", "application/octet-stream")},
        timeout=10,
    )
    assert junk.status_code == 400 and "the pack was refused" in junk.text and "<script>alert" not in junk.text
    bad = {**start, "csrfmiddlewaretoken": token, "organisation": tree.lanzhou.pk, "percentages": "50, 10"}
    answer = editor.post(f"{live_platform.url}/publishing/rollouts/", data=bad, timeout=10)
    assert answer.status_code == 400 and "must grow and end at 100" in answer.text
    assert Pack.objects.count() == 1 and Rollout.objects.count() == 1  # nothing written on refusal
