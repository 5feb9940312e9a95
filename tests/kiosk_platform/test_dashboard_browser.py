"""Acceptance: the dashboard in Debian's headless Chromium against the real site (gunicorn behind
nginx on PostgreSQL), and refusals over real HTTP. Each page is also saved as a PNG at 1400 px and
at 420 px (``$KIOSK_PLATFORM_SCREENSHOTS`` or a temporary folder) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from kiosk_platform.feedback.models import Feedback
from kiosk_platform.fleet.models import Device
from tests.kiosk_platform.browser import (  # noqa: F401 (browser_fixture: the fixture "browser")
    browser_fixture,
    click_and_wait,
    element_screenshot,
    login,
    screenshot,
    screenshots_at_both_widths,
)
from tests.kiosk_platform.conftest import START
from tests.kiosk_platform.factories import (
    PASSWORD,
    OrgTree,
    make_device,
    make_feedback,
    make_heartbeat,
    make_operator,
    make_org_tree,
)

NASTY = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>'); DROP TABLE feedback_feedback; --"


@pytest.fixture
def tree() -> OrgTree:
    return make_org_tree()


def fleet(tree: OrgTree) -> dict[str, Device]:
    """Kiosks around Lanzhou's Yellow River bank, in every status at START."""
    kiosks = {
        "gate": make_device(
            tree.baitashan, group="chengguan/scenic", name="Baita Shan gate", latitude=36.068, longitude=103.822
        ),
        "bridge": make_device(
            tree.chengguan, group="chengguan/station", name="Zhongshan Bridge", latitude=36.064, longitude=103.816
        ),
        "station": make_device(
            tree.chengguan, group="chengguan/station", name="Lanzhou Station", latitude=36.036, longitude=103.850
        ),
        "new": make_device(tree.chengguan, group="chengguan/station", name="East bus stop"),
        "hotel": make_device(
            tree.hotel, group="qilihe/hotel", name="Qilihe Hotel lobby", latitude=36.066, longitude=103.770
        ),
    }
    for minutes in range(0, 24 * 60, 60):
        make_heartbeat(
            kiosks["gate"],
            at=START - dt.timedelta(minutes=minutes),
            free_disk_bytes=40_000_000_000 + minutes * 1_000_000,
            memory_rss_bytes=300_000_000 + (minutes % 180) * 200_000,
        )
    make_heartbeat(kiosks["bridge"], at=START - dt.timedelta(minutes=50), last_error="install failed: disk full")
    make_heartbeat(kiosks["station"], at=START - dt.timedelta(hours=5), sync={"last_outcome": "failed"})
    make_heartbeat(kiosks["hotel"], at=START)
    return kiosks


def status_text(browser, device: Device) -> str:
    return browser.find_element(By.CSS_SELECTOR, f'tr[data-device="{device.device_id}"] .status').text


def http_session(live_platform, user, password: str = PASSWORD) -> requests.Session:
    """A signed-in session over real HTTP (the login form with its CSRF token)."""
    session = requests.Session()
    form = session.get(f"{live_platform.url}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = session.post(
        f"{live_platform.url}/login/",
        data={"username": user.get_username(), "password": password, "csrfmiddlewaretoken": token},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302
    return session


def csrf_token(session: requests.Session, live_platform, path: str) -> str:
    page = session.get(f"{live_platform.url}{path}", timeout=10)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_sign_in_wrong_password_then_home(browser, live_platform, tree: OrgTree) -> None:
    user = make_operator(tree.chengguan, "editor", username="wang")
    fleet(tree)
    make_feedback(Device.objects.get(name="Baita Shan gate"))
    login(browser, live_platform, user, "not-the-password")
    assert "/login/" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, "p.error").text.startswith("The user name or password is not right")
    assert browser.find_element(By.ID, "id_username").get_attribute("value") == "wang"  # kept, password not
    assert browser.find_element(By.ID, "id_password").get_attribute("value") == ""
    screenshots_at_both_widths(browser, "login-wrong-password")
    login(browser, live_platform, user, PASSWORD)
    assert browser.current_url == f"{live_platform.url}/"
    assert "wang · Editor · Chengguan District" in browser.find_element(By.CSS_SELECTOR, ".who").text
    assert browser.find_element(By.ID, "total-late").text == "1"  # the bridge
    assert browser.find_element(By.ID, "total-offline").text == "2"  # the station, the bus stop never seen
    assert browser.find_element(By.ID, "total-new-feedback").text == "1"
    assert "Qilihe" not in browser.find_element(By.CSS_SELECTOR, "table.attention").text
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert nav[:4] == ["Overview", "Kiosks", "Statistics", "Feedback"]
    screenshots_at_both_widths(browser, "home")


def test_watch_a_kiosk_go_late_then_offline(browser, live_platform, tree: OrgTree, clock) -> None:
    kiosks = fleet(tree)
    login(browser, live_platform, make_operator(tree.chengguan, "viewer"), PASSWORD)
    browser.get(f"{live_platform.url}/fleet/")
    assert status_text(browser, kiosks["gate"]).startswith("Online")
    assert status_text(browser, kiosks["bridge"]).startswith("Late")
    assert status_text(browser, kiosks["station"]).startswith("Offline")
    assert status_text(browser, kiosks["new"]).startswith("Never seen")
    assert not browser.find_elements(By.CSS_SELECTOR, f'tr[data-device="{kiosks["hotel"].device_id}"]')
    clock.advance(minutes=36)
    browser.refresh()
    assert status_text(browser, kiosks["gate"]).startswith("Late")
    clock.advance(minutes=85)  # 121 minutes after its heartbeat
    browser.refresh()
    assert status_text(browser, kiosks["gate"]).startswith("Offline")
    counts = browser.find_element(By.CSS_SELECTOR, "ul.counts").text
    assert "0 online" in counts and "3 offline" in counts


def test_fleet_map_and_kiosk_page_render_without_the_internet(browser, live_platform, tree: OrgTree) -> None:
    kiosks = fleet(tree)
    login(browser, live_platform, make_operator(tree.chengguan, "admin"), PASSWORD)
    browser.get(f"{live_platform.url}/fleet/")
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#fleet-map canvas"))
    points = browser.execute_script(
        "var o = echarts.getInstanceByDom(document.getElementById('fleet-map')).getOption();"
        "return o.series.filter(function (s) { return s.type === 'scatter'; })"
        ".map(function (s) { return [s.name, s.data.map(function (d) { return d.name; })]; });"
    )
    assert dict(points) == {
        "Online": ["Baita Shan gate"],
        "Late": ["Zhongshan Bridge"],
        "Offline": ["Lanzhou Station"],
        "Never seen": [],
    }
    screenshots_at_both_widths(browser, "fleet-list")
    element_screenshot(browser.find_element(By.ID, "fleet-map"), "fleet-map")
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert resources and all(name.startswith(live_platform.url + "/") for name in resources), resources
    assert any(name.endswith("/static/vendor/echarts/echarts.min.js") for name in resources)

    # a click on the online kiosk's dot opens its page
    chart_element = browser.find_element(By.ID, "fleet-map")
    x, y = browser.execute_script(
        "return echarts.getInstanceByDom(arguments[0]).convertToPixel({seriesName: 'Online'}, [103.822, 36.068]);",
        chart_element,
    )
    size = chart_element.size
    browser.execute_script("window.__kioskOldPage = true")  # gone once the kiosk's page loaded
    ActionChains(browser).move_to_element_with_offset(
        chart_element, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script("return window.__kioskOldPage === undefined")
    )
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#kiosk-chart canvas"))
    assert browser.current_url == f"{live_platform.url}/fleet/{kiosks['gate'].device_id}/"
    assert len(browser.find_elements(By.CSS_SELECTOR, "table tbody tr")) == 24
    assert "Revoke token" in browser.page_source
    screenshots_at_both_widths(browser, "kiosk-page")
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert all(name.startswith(live_platform.url + "/") for name in resources), resources

    browser.get(f"{live_platform.url}/fleet/{kiosks['bridge'].device_id}/")
    assert browser.find_element(By.ID, "last-error").text == "install failed: disk full"
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Revoke token…"))
    screenshots_at_both_widths(browser, "revoke-confirm")
    click_and_wait(browser, browser.find_element(By.ID, "confirm-revoke"))
    assert "is revoked" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    assert Device.objects.get(pk=kiosks["bridge"].pk).revoked_at == START

    browser.get(f"{live_platform.url}/fleet/add/")
    browser.find_element(By.ID, "id_group").send_keys("Chengguan Scenic")
    browser.find_element(By.ID, "id_name").send_keys("North gate")
    browser.find_element(By.ID, "id_latitude").send_keys("36.07")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit].primary"))
    errors = browser.find_element(By.CSS_SELECTOR, "main form").text
    assert "county/kind" in errors and "both latitude and longitude" in errors
    screenshots_at_both_widths(browser, "add-kiosk-refused")
    for field in ("id_group", "id_name", "id_latitude"):
        browser.find_element(By.ID, field).clear()
    browser.find_element(By.ID, "id_group").send_keys("chengguan/scenic")
    browser.find_element(By.ID, "id_name").send_keys("North gate")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit].primary"))
    code = browser.find_element(By.ID, "provisioning-code").text
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert browser.find_element(By.ID, "join-setting").text == f'platform.join = "{live_platform.url}/join/{code}"'
    screenshot(browser, "add-kiosk-code")


def test_answer_a_complaint_end_to_end(browser, live_platform, tree: OrgTree, clock) -> None:
    kiosks = fleet(tree)
    entry = make_feedback(
        kiosks["gate"],
        text="垃圾桶满了 The bins by the gate are full.",
        rating=1,
        category="cleanliness",
        subject="venue:baita-shan-park",
        contact="138 0000 0000",
        at=START - dt.timedelta(hours=3),
    )
    make_feedback(kiosks["bridge"], text="Great map!", rating=5, category="other", at=START - dt.timedelta(days=2))
    make_feedback(kiosks["hotel"], text="Not Chengguan's", at=START)
    login(browser, live_platform, make_operator(tree.chengguan, "editor", username="wang"), PASSWORD)
    browser.get(f"{live_platform.url}/feedback/")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in rows] == ["3 h", "2 d"]
    assert "Not Chengguan's" not in browser.page_source
    screenshots_at_both_widths(browser, "feedback-queue")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f'tr[data-entry="{entry.pk}"] td.text a'))
    assert browser.find_element(By.ID, "contact").text == "138 0000 0000"
    assert "very unhappy" in browser.find_element(By.TAG_NAME, "h1").text
    click_and_wait(browser, browser.find_element(By.ID, "assign-me"))
    assert browser.find_element(By.ID, "entry-status").text == "Assigned"
    browser.find_element(By.ID, "note").send_keys("Called the park office; they empty them at noon.")
    click_and_wait(browser, browser.find_element(By.ID, "add-note"))
    clock.advance(hours=1)
    browser.find_element(By.ID, "reply").send_keys("Thank you: the bins are now emptied twice a day.")
    click_and_wait(browser, browser.find_element(By.ID, "send-reply"))
    assert browser.find_element(By.ID, "entry-status").text == "Answered"
    assert browser.find_element(By.ID, "reply-text").text == "Thank you: the bins are now emptied twice a day."
    screenshots_at_both_widths(browser, "feedback-entry")
    click_and_wait(browser, browser.find_element(By.ID, "close-entry"))
    assert browser.find_element(By.ID, "entry-status").text == "Closed"
    notes = [n.text for n in browser.find_elements(By.CSS_SELECTOR, "#notes .note-text")]
    assert notes == [
        "Assigned to wang.",
        "Called the park office; they empty them at noon.",
        "Answered the visitor.",
        "Closed.",
    ]
    row = Feedback.objects.get(pk=entry.pk)
    assert row.status == "closed" and row.contact_erase_after == START + dt.timedelta(hours=1, days=30)


def test_feedback_text_with_markup_and_sql_is_shown_as_text(browser, live_platform, tree: OrgTree) -> None:
    entry = make_feedback(make_device(tree.chengguan), text=NASTY)
    login(browser, live_platform, make_operator(tree.chengguan, "viewer"), PASSWORD)
    browser.get(f"{live_platform.url}/feedback/{entry.pk}/")
    quote = browser.find_element(By.ID, "visitor-text")
    assert quote.text == NASTY
    assert browser.execute_script("return document.querySelectorAll('#visitor-text *, main img').length") == 0
    assert browser.title != "pwned"
    assert browser.find_element(By.ID, "contact").text == "none left"
    screenshots_at_both_widths(browser, "feedback-entry-escaped")
    assert Feedback.objects.get(pk=entry.pk).text == NASTY


def test_refusals_over_real_http(live_platform, tree: OrgTree) -> None:
    """CSRF, cross-county 404s and a viewer's 403, each leaving everything as it was."""
    kiosks = fleet(tree)
    theirs = make_feedback(kiosks["hotel"], contact="139 0000 0000")
    mine = make_feedback(kiosks["gate"])
    admin = http_session(live_platform, make_operator(tree.chengguan, "admin"))
    token = csrf_token(admin, live_platform, "/fleet/")
    url = live_platform.url

    no_token = admin.post(f"{url}/feedback/{mine.pk}/assign/", data={"assignee": "me"}, timeout=10)
    assert no_token.status_code == 403
    no_token = admin.post(f"{url}/fleet/{kiosks['gate'].device_id}/revoke/", timeout=10)
    assert no_token.status_code == 403

    hotel_kiosk = kiosks["hotel"].device_id
    assert admin.get(f"{url}/fleet/{hotel_kiosk}/", timeout=10).status_code == 404
    assert admin.get(f"{url}/feedback/{theirs.pk}/", timeout=10).status_code == 404
    with_token = {"csrfmiddlewaretoken": token}
    assert admin.post(f"{url}/fleet/{hotel_kiosk}/revoke/", data=with_token, timeout=10).status_code == 404
    for action in ("assign", "note", "reply", "close"):
        answer = admin.post(f"{url}/feedback/{theirs.pk}/{action}/", data={**with_token, "text": "x"}, timeout=10)
        assert answer.status_code == 404

    viewer = http_session(live_platform, make_operator(tree.chengguan, "viewer"))
    viewer_token = csrf_token(viewer, live_platform, f"/feedback/{mine.pk}/")
    answer = viewer.post(f"{url}/feedback/{mine.pk}/close/", data={"csrfmiddlewaretoken": viewer_token}, timeout=10)
    assert answer.status_code == 403

    assert Device.objects.filter(revoked_at__isnull=False).count() == 0
    for item in (Feedback.objects.get(pk=theirs.pk), Feedback.objects.get(pk=mine.pk)):
        assert (item.status, item.assignee_id, item.closed_at, item.notes.count()) == ("new", None, None, 0)
