"""The feedback queue through Django's request handling on the real database: the status flow,
roles (viewers read, editors act), scoping (404 outside the subtree), escaping of visitors' text,
and the erasure of contacts after the retention period."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from kiosk_platform.feedback.models import Feedback, FeedbackNote
from tests.kiosk_platform.conftest import START
from tests.kiosk_platform.factories import OrgTree, make_device, make_feedback, make_operator, make_org_tree
from tests.kiosk_platform.pages import client_for, test_environment  # noqa: F401 (fixture)

NASTY = "<script>alert(1)</script><b>bold</b>'; DROP TABLE feedback_feedback; --"


@pytest.fixture
def tree() -> OrgTree:
    return make_org_tree()


def snapshot(entry: Feedback) -> tuple:
    row = Feedback.objects.get(pk=entry.pk)
    return (row.status, row.assignee_id, row.reply, row.closed_at, row.contact_erase_after, row.notes.count())


def test_queue_newest_first_with_age_counts_and_filters(tree: OrgTree, clock) -> None:
    kiosk = make_device(tree.baitashan, group="chengguan/scenic")
    other = make_device(tree.hotel, group="qilihe/hotel")
    make_feedback(kiosk, text="Old one", at=START - dt.timedelta(days=2), rating=1, category="prices")
    make_feedback(kiosk, text="Recent one", at=START - dt.timedelta(hours=3), rating=5, category="service")
    make_feedback(kiosk, text="Done", at=START - dt.timedelta(hours=5), status="closed")
    make_feedback(other, text="Qilihe's own")
    client = client_for(make_operator(tree.chengguan, "viewer"))
    page = client.get("/feedback/")
    assert [(r["entry"].text, r["age"]) for r in page.context["rows"]] == [
        ("Recent one", "3 h"),
        ("Done", "5 h"),
        ("Old one", "2 d"),
    ]
    assert "Qilihe&#x27;s own" not in page.content.decode() and "Qilihe's own" not in page.content.decode()
    counts = {value: count for value, _, count in page.context["counts"]}
    assert counts == {"new": 2, "assigned": 0, "answered": 0, "closed": 1}
    assert [r["entry"].text for r in client.get("/feedback/?status=new").context["rows"]] == ["Recent one", "Old one"]
    assert [r["entry"].text for r in client.get("/feedback/?category=prices").context["rows"]] == ["Old one"]
    rated = client.get("/feedback/?rating=5")
    assert [r["entry"].text for r in rated.context["rows"]] == ["Recent one"] and "very happy" in rated.content.decode()
    assert client.get("/feedback/?rating=nine&status=bogus").status_code == 200


def test_complaint_answered_end_to_end_and_impossible_moves_refused(tree: OrgTree, clock) -> None:
    kiosk = make_device(tree.baitashan, group="chengguan/scenic")
    entry = make_feedback(kiosk, text="Bins full", contact="138 0000 0000")
    editor_user = make_operator(tree.chengguan, "editor", username="wang")
    colleague = make_operator(tree.city, "editor", username="li")  # above: may take it
    make_operator(tree.qilihe, "editor", username="zhao")  # another county: may not
    editor = client_for(editor_user)
    url = f"/feedback/{entry.pk}/"

    refused = editor.post(url + "reply/", {"reply": "Thanks"}, follow=True)
    assert "Assign this entry before answering it." in refused.content.decode()
    assert snapshot(entry)[:4] == ("new", None, "", None)

    page = editor.get(url)
    assert [u.username for u in page.context["assignable"]] == ["wang"]  # li is above wang's subtree
    assert "138 0000 0000" in page.content.decode()
    zhao = User.objects.get(username="zhao")
    wrong = editor.post(url + "assign/", {"assignee": str(zhao.pk)}, follow=True)
    assert "cannot take this entry" in wrong.content.decode() and snapshot(entry)[1] is None
    city_editor = client_for(colleague)
    assert {u.username for u in city_editor.get(url).context["assignable"]} == {"li", "wang"}

    editor.post(url + "assign/", {"assignee": "me"})
    assert snapshot(entry)[:2] == ("assigned", editor_user.pk)
    editor.post(url + "note/", {"text": "Called the park office."})
    assert editor.post(url + "note/", {"text": "   "}, follow=True).context["messages"]
    clock.advance(hours=2)
    editor.post(url + "reply/", {"reply": "The bins are emptied twice a day from today."})
    row = Feedback.objects.get(pk=entry.pk)
    assert (row.status, row.replied_at) == ("answered", START + dt.timedelta(hours=2))
    again = editor.post(url + "assign/", {"assignee": "me"}, follow=True)
    assert "This entry is answered: it cannot become assigned." in again.content.decode()
    editor.post(url + "close/")
    row = Feedback.objects.get(pk=entry.pk)
    assert row.status == "closed" and row.closed_at == START + dt.timedelta(hours=2)
    assert row.contact_erase_after == row.closed_at + dt.timedelta(days=settings.CONTACT_RETENTION_DAYS)
    notes = list(FeedbackNote.objects.filter(feedback=entry).order_by("at", "pk").values_list("text", flat=True))
    assert notes == ["Assigned to wang.", "Called the park office.", "Answered the visitor.", "Closed."]
    before = snapshot(entry)
    closed_again = editor.post(url + "close/", follow=True)
    assert "This entry is closed: it cannot become closed." in closed_again.content.decode()
    assert snapshot(entry) == before


def test_no_contact_cannot_be_answered(tree: OrgTree) -> None:
    entry = make_feedback(make_device(tree.chengguan), text="Screen too dark", contact=None, status="assigned")
    editor = client_for(make_operator(tree.chengguan, "editor"))
    answer = editor.post(f"/feedback/{entry.pk}/reply/", {"reply": "Thanks"}, follow=True)
    assert "left no contact" in answer.content.decode() and snapshot(entry)[0] == "assigned"


def test_viewer_reads_but_cannot_act_and_does_not_see_the_contact(tree: OrgTree) -> None:
    entry = make_feedback(make_device(tree.baitashan), contact="visitor@example.org")
    viewer = client_for(make_operator(tree.chengguan, "viewer"))
    page = viewer.get(f"/feedback/{entry.pk}/").content.decode()
    assert "contact given" in page and "visitor@example.org" not in page and "Assign to me" not in page
    before = snapshot(entry)
    for action, data in [
        ("assign", {"assignee": "me"}),
        ("note", {"text": "x"}),
        ("reply", {"reply": "x"}),
        ("close", {}),
    ]:
        assert viewer.post(f"/feedback/{entry.pk}/{action}/", data).status_code == 403
    assert snapshot(entry) == before


def test_another_countys_entry_is_404_and_unchanged(tree: OrgTree) -> None:
    theirs = make_feedback(make_device(tree.hotel, group="qilihe/hotel"), contact="13900000000")
    editor = client_for(make_operator(tree.chengguan, "admin"))
    before = snapshot(theirs)
    assert editor.get(f"/feedback/{theirs.pk}/").status_code == 404
    for action, data in [
        ("assign", {"assignee": "me"}),
        ("note", {"text": "x"}),
        ("reply", {"reply": "x"}),
        ("close", {}),
    ]:
        assert editor.post(f"/feedback/{theirs.pk}/{action}/", data).status_code == 404
    assert snapshot(theirs) == before
    assert client_for(make_operator(tree.city, "viewer")).get(f"/feedback/{theirs.pk}/").status_code == 200


def test_markup_and_sql_in_feedback_are_shown_as_text(tree: OrgTree) -> None:
    entry = make_feedback(make_device(tree.chengguan), text=NASTY, category="<i>x</i>")
    client = client_for(make_operator(tree.chengguan, "editor"))
    for url in ("/feedback/", f"/feedback/{entry.pk}/"):
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body and "<b>bold</b>" not in body and "<i>x</i>" not in body
    page = client.get(f"/feedback/{entry.pk}/").content.decode()
    assert htmllib.escape(NASTY) in page
    assert Feedback.objects.get(pk=entry.pk).text == NASTY


def test_csrf_is_enforced_on_actions(tree: OrgTree) -> None:
    entry = make_feedback(make_device(tree.chengguan))
    client = client_for(make_operator(tree.chengguan, "editor"), enforce_csrf_checks=True)
    before = snapshot(entry)
    assert client.post(f"/feedback/{entry.pk}/assign/", {"assignee": "me"}).status_code == 403
    assert snapshot(entry) == before


def test_erase_expired_contacts_follows_the_clock(tree: OrgTree, clock) -> None:
    kiosk = make_device(tree.chengguan)
    closed = make_feedback(kiosk, contact="138 0000 0000", status="assigned")
    still_open = make_feedback(kiosk, contact="139 0000 0000", status="assigned")
    client_for(make_operator(tree.chengguan, "editor")).post(f"/feedback/{closed.pk}/close/")
    days = settings.CONTACT_RETENTION_DAYS
    clock.set(START + dt.timedelta(days=days) - dt.timedelta(seconds=1))
    call_command("erase_expired_contacts", verbosity=0)
    assert Feedback.objects.get(pk=closed.pk).contact == "138 0000 0000"
    clock.set(START + dt.timedelta(days=days))
    call_command("erase_expired_contacts", verbosity=0)
    assert Feedback.objects.get(pk=closed.pk).contact is None
    assert Feedback.objects.get(pk=still_open.pk).contact == "139 0000 0000"
    viewer_page = client_for(make_operator(tree.chengguan, "editor")).get(f"/feedback/{closed.pk}/")
    assert "erased after the retention period" in viewer_page.content.decode()
