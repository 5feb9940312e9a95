"""The notices page on real PostgreSQL: editors send a notice to their own groups (the group's emergency feed
in the real channel), preview it, end it; scoping (another county's notice is 404, a viewer's POST 403),
CSRF, and bad input refused with a plain message and nothing written."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kiosk_platform.notices.models import Notice

from .notice_support import (
    CHENGGUAN,
    CHENGGUAN_MUSEUM,
    MAIJI,
    Tree,
    channel_files,
    form,
    local,
    make_tree,
    published_feed,
)

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def tree() -> Iterator[Tree]:
    shutil.rmtree(settings.CHANNEL_DIR, ignore_errors=True)  # each test starts without a channel
    yield make_tree()
    shutil.rmtree(settings.CHANNEL_DIR, ignore_errors=True)


def client_for(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_an_editor_sends_a_notice_to_their_groups_and_it_is_the_groups_signed_emergency_feed(
    tree: Tree, clock: Any
) -> None:
    editor = client_for(tree.editor)
    page = editor.get("/notices/")
    assert page.status_code == 200
    text = page.content.decode()
    assert CHENGGUAN in text and CHENGGUAN_MUSEUM in text and MAIJI not in text  # their subtree's groups only

    preview = editor.post("/notices/", form([CHENGGUAN], clock.now + 3 * HOUR, action="preview"))
    assert preview.status_code == 200 and 'id="notice-preview"' in preview.content.decode()
    assert not Notice.objects.exists() and channel_files() == []  # a preview sends nothing

    sent = editor.post("/notices/", form([CHENGGUAN], clock.now + 3 * HOUR))
    assert sent.status_code == 302
    notice = Notice.objects.get()
    assert sent["Location"] == f"/notices/{notice.pk}/"
    assert notice.organisation == tree.chengguan and notice.created_by == tree.editor
    assert notice.published_version is not None
    feed = published_feed(CHENGGUAN)
    assert feed is not None and feed["kind"] == "emergency"
    [item] = feed["notices"]
    assert item["id"] == f"notice-{notice.pk}"
    assert item["title"] == {"zh-Hans": "暴雪红色预警：景区暂停开放", "en": "Red blizzard warning: scenic areas closed"}
    assert item["ends_at"] == (clock.now + 3 * HOUR).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:00Z")
    assert published_feed(CHENGGUAN_MUSEUM) is None  # not chosen

    listing = editor.get("/notices/").content.decode()
    active = listing.split('id="notices-active"')[1].split("</section>")[0]
    assert "Red blizzard warning" in active
    # Later: it moves to "ended" by its own end, no action needed.
    clock.advance(hours=4)
    listing = editor.get("/notices/").content.decode()
    assert "Red blizzard warning" in listing.split('id="notices-ended"')[1]


def test_a_scheduled_notice_and_end_now_republish_the_feed_without_it(tree: Tree, clock: Any) -> None:
    editor = client_for(tree.editor)
    starts = clock.now + 2 * HOUR
    editor.post("/notices/", form([CHENGGUAN, CHENGGUAN_MUSEUM], starts + HOUR, start="at", starts_at=local(starts)))
    later = Notice.objects.get()
    assert later.status(clock.now) == "scheduled"
    editor.post("/notices/", form([CHENGGUAN], clock.now + 5 * HOUR, title_en="Second"))
    now_on = Notice.objects.exclude(pk=later.pk).get()
    assert [n["id"] for n in published_feed(CHENGGUAN)["notices"]] == [f"notice-{now_on.pk}", f"notice-{later.pk}"]

    clock.advance(minutes=10)
    ended = editor.post(f"/notices/{now_on.pk}/end")
    assert ended.status_code == 302
    now_on.refresh_from_db()
    assert now_on.ended_at == clock.now and now_on.status(clock.now) == "ended"
    assert [n["id"] for n in published_feed(CHENGGUAN)["notices"]] == [f"notice-{later.pk}"]
    editor.post(f"/notices/{later.pk}/end")
    assert published_feed(CHENGGUAN)["notices"] == [] and published_feed(CHENGGUAN_MUSEUM)["notices"] == []
    again = editor.post(f"/notices/{later.pk}/end")
    assert again.status_code == 400 and b"already ended" in again.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title_en": ""}, "Title (English) is required"),
        ({"body_zh": "   "}, "Text (Chinese) is required"),
        ({"groups": []}, "choose at least one group"),
        ({"groups": [MAIJI]}, "is not a group of kiosks in your organisation"),
        ({"groups": ["nowhere/at-all"]}, "is not a group of kiosks in your organisation"),
        ({"ends_at": "tomorrow"}, "Ends: give a date and time"),
        ({"start": "at", "starts_at": "2026-05-01T09:00"}, "that time has passed"),
        ({"title_en": "x" * 121}, "Title (English): "),
        ({"severity": "panic"}, "choose emergency or important"),
    ],
)
def test_bad_input_is_refused_in_plain_words_and_nothing_is_written(
    tree: Tree, clock: Any, change: dict[str, Any], message: str
) -> None:
    answer = client_for(tree.editor).post("/notices/", {**form([CHENGGUAN], clock.now + HOUR), **change})
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not Notice.objects.exists() and channel_files() == []


def test_an_end_is_required_and_at_most_seven_days_away(tree: Tree, clock: Any) -> None:
    editor = client_for(tree.editor)
    too_long = editor.post("/notices/", form([CHENGGUAN], clock.now + dt.timedelta(days=7, minutes=5)))
    assert too_long.status_code == 400 and b"at most 7 days" in too_long.content
    before = editor.post("/notices/", form([CHENGGUAN], clock.now - HOUR))
    assert before.status_code == 400 and b"must be after the start" in before.content
    missing = editor.post("/notices/", {**form([CHENGGUAN], clock.now), "ends_at": ""})
    assert missing.status_code == 400
    assert not Notice.objects.exists()
    week = editor.post("/notices/", form([CHENGGUAN], clock.now + dt.timedelta(days=7)))
    assert week.status_code == 302


def test_scoping_another_countys_notice_is_404_and_a_viewer_may_only_read(tree: Tree, clock: Any) -> None:
    client_for(tree.other_editor).post("/notices/", form([MAIJI], clock.now + HOUR))
    theirs = Notice.objects.get()
    editor = client_for(tree.editor)
    assert editor.get(f"/notices/{theirs.pk}/").status_code == 404
    assert editor.post(f"/notices/{theirs.pk}/end").status_code == 404
    assert "Red blizzard" not in editor.get("/notices/").content.decode()
    assert editor.get("/notices/999999/").status_code == 404

    editor.post("/notices/", form([CHENGGUAN], clock.now + HOUR))
    ours = Notice.objects.get(organisation=tree.chengguan)
    viewer = client_for(tree.viewer)
    page = viewer.get("/notices/").content.decode()
    assert "Red blizzard" in page and 'id="send-notice"' not in page  # reads, no form
    assert viewer.get(f"/notices/{ours.pk}/").status_code == 200
    assert viewer.post("/notices/", form([CHENGGUAN], clock.now + HOUR)).status_code == 403
    assert viewer.post(f"/notices/{ours.pk}/end").status_code == 403
    assert Notice.objects.count() == 2 and Notice.objects.get(pk=ours.pk).ended_at is None
    # The province sees both counties' notices.
    from django.contrib.auth.models import User

    from kiosk_platform.orgs.models import Membership

    head = User.objects.create_user("province-viewer", password="x" * 12)
    Membership.objects.create(user=head, organisation=tree.province, role="viewer")
    assert client_for(head).get(f"/notices/{theirs.pk}/").status_code == 200


def test_csrf_is_required_and_get_cannot_end_a_notice(tree: Tree, clock: Any) -> None:
    guarded = client_for(tree.editor, csrf=True)
    assert guarded.post("/notices/", form([CHENGGUAN], clock.now + HOUR)).status_code == 403
    assert not Notice.objects.exists()
    client_for(tree.editor).post("/notices/", form([CHENGGUAN], clock.now + HOUR))
    notice = Notice.objects.get()
    assert guarded.post(f"/notices/{notice.pk}/end").status_code == 403
    assert client_for(tree.editor).get(f"/notices/{notice.pk}/end").status_code == 405
    assert Notice.objects.get().ended_at is None
    assert Client(HTTP_HOST="localhost").get("/notices/").status_code == 302  # signed out: to the sign-in page


def test_user_text_is_escaped(tree: Tree, clock: Any) -> None:
    editor = client_for(tree.editor)
    editor.post("/notices/", form([CHENGGUAN], clock.now + HOUR, title_en="<script>alert(1)</script> Snow"))
    notice = Notice.objects.get()
    assert notice.title_en == "Snow" or "<script>" not in notice.title_en  # made plain text like pack text
    page = editor.get(f"/notices/{notice.pk}/").content.decode()
    assert "<script>alert" not in page
