"""The pages: a secretary plans and records, a member checks in from the code on the screen, the organisation above
reviews and sees the roll-up; files are served only within scope; the calendar feed works until revoked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dangjian.orglife import checkin, files
from dangjian.orglife.models import Meeting

from .helpers import hold, schedule

pytestmark = pytest.mark.django_db
D = dt.date


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_secretary_schedules_a_meeting_from_the_calendar_and_sees_the_participants_due(world):
    c = client_for(world.secretary)
    assert "组织生活" in c.get(f"/orglife/{world.br1.pk}/").content.decode()
    start = timezone.localtime() + dt.timedelta(days=2)
    response = c.post(f"/orglife/{world.br1.pk}/meetings/new/", {
        "kind": "theme_day", "topic": "学习新修订的条例", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "place": "党员活动室"})
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orglife/meetings/{meeting.pk}/"
    page = c.get(response["Location"]).content.decode()
    assert all(m.name in page for m in world.members["BR1"])


def test_a_bad_meeting_form_shows_the_reason_beside_the_field_and_saves_nothing(world):
    c = client_for(world.secretary)
    response = c.post(f"/orglife/{world.br1.pk}/meetings/new/", {
        "kind": "committee_meeting", "topic": "支委会", "starts_at": "2026-03-02T09:00", "ends_at": "2026-03-02T08:00"})
    body = response.content.decode()
    assert response.status_code == 200 and "结束时间应晚于开始时间" in body
    assert not Meeting.objects.exists()


def test_a_member_opens_the_code_and_checks_in_once(world):
    now = timezone.now()
    meeting = schedule(world, world.br1, "theme_day", timezone.localdate())
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=now - dt.timedelta(minutes=10),
                                                 ends_at=now + dt.timedelta(hours=1))
    meeting.refresh_from_db()
    screen = client_for(world.secretary).get(f"/orglife/meetings/{meeting.pk}/qr/code/").content.decode()
    url = re.search(r'data-url="([^"]+)"', screen).group(1).replace("&amp;", "&")
    assert "<path" in screen
    phone = client_for(world.member_user)
    path = url.split("testserver", 1)[1]
    confirm = phone.get(path).content.decode()
    assert "确认签到" in confirm
    token = path.split("?t=", 1)[1]
    done = phone.post(f"/orglife/meetings/{meeting.pk}/checkin/", {"token": token}).content.decode()
    assert "已签到" in done
    again = phone.post(f"/orglife/meetings/{meeting.pk}/checkin/", {"token": token}).content.decode()
    assert "已签到" in again
    assert meeting.attendances.filter(presence="present").count() == 1


def test_a_forged_code_gets_a_chinese_refusal_on_the_phone(world):
    now = timezone.now()
    meeting = schedule(world, world.br1, "theme_day", timezone.localdate())
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=now - dt.timedelta(minutes=10),
                                                 ends_at=now + dt.timedelta(hours=1))
    body = client_for(world.member_user).post(f"/orglife/meetings/{meeting.pk}/checkin/", {"token": "abc:def"})
    assert "签到码无效" in body.content.decode()


def test_the_member_sees_their_meetings_attendance_and_study_hours(world):
    hold(world, world.br1, "party_lecture", D(timezone.localdate().year, 1, 5), hours=3)
    page = client_for(world.member_user).get("/orglife/me/").content.decode()
    assert "4.0 / 32" in page and "100%" in page


def test_a_member_never_sees_the_branch_pages(world):
    c = client_for(world.member_user)
    for url in (f"/orglife/{world.br1.pk}/", f"/orglife/{world.br1.pk}/compliance/", f"/orglife/{world.br1.pk}/talks/"):
        assert c.get(url).status_code == 404


def test_the_calendar_feed_lists_the_users_meetings_until_revoked(world):
    meeting = schedule(world, world.br1, "party_lecture", timezone.localdate() + dt.timedelta(days=3),
                       topic="专题党课;第一讲,上")
    c = client_for(world.member_user)
    c.post("/orglife/me/feed/")
    page = c.get("/orglife/me/").content.decode()
    feed = re.search(r'data-testid="feed-url">([^<]+)<', page).group(1).replace("&amp;", "&")
    anonymous = Client()
    ics = anonymous.get(feed.split("testserver", 1)[1])
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    text = ics.content.decode()
    assert f"UID:meeting-{meeting.pk}@dangjian" in text and "专题党课\\;第一讲\\,上" in text
    c.post("/orglife/me/feed/revoke/")
    assert anonymous.get(feed.split("testserver", 1)[1]).status_code == 404


def test_files_are_served_only_within_scope(world):
    meeting = hold(world, world.br1, "theme_day", D(2026, 3, 1))
    f = files.do_add_file(meeting, upload=SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32),
                          kind="photo", actor=world.secretary)
    assert client_for(world.secretary).get(f"/orglife/files/{f.pk}/").status_code == 200
    assert client_for(world.member_user).get(f"/orglife/files/{f.pk}/").status_code == 200  # due at the meeting
    assert client_for(world.secretary2).get(f"/orglife/files/{f.pk}/").status_code == 404


def test_the_higher_committee_reviews_and_sees_the_roll_up(world):
    meeting = hold(world, world.br1, "general_meeting", D(2026, 3, 1))
    client_for(world.secretary).post(f"/orglife/meetings/{meeting.pk}/submit/")
    reviewer = client_for(world.committee_organizer)
    assert meeting.topic in reviewer.get("/orglife/reviews/").content.decode()
    reviewer.post(f"/orglife/meetings/{meeting.pk}/return/", {"reason": "请补充出席情况说明"})
    meeting.refresh_from_db()
    assert meeting.state == "returned"
    rollup = client_for(world.organizer).get(f"/orglife/{world.dist.pk}/compliance/?year=2026").content.decode()
    assert "按下级组织汇总" in rollup and world.br2.name in rollup


def test_the_secretary_cannot_approve_their_own_record(world):
    meeting = hold(world, world.br1, "general_meeting", D(2026, 3, 1))
    c = client_for(world.secretary)
    c.post(f"/orglife/meetings/{meeting.pk}/submit/")
    assert c.post(f"/orglife/meetings/{meeting.pk}/approve/").status_code == 404


def test_the_home_page_names_a_returned_record_and_the_reviewer_sees_what_waits(world):
    meeting = hold(world, world.br1, "general_meeting", D(2026, 3, 1))
    client_for(world.secretary).post(f"/orglife/meetings/{meeting.pk}/submit/")
    assert "待审核的会议记录" in client_for(world.committee_organizer).get("/").content.decode()
    client_for(world.committee_organizer).post(f"/orglife/meetings/{meeting.pk}/return/", {"reason": "补充材料"})
    assert "被上级退回的会议记录" in client_for(world.secretary).get("/").content.decode()


def test_participants_of_a_meeting_to_come_are_notified(world):
    schedule(world, world.br1, "party_lecture", timezone.localdate() + dt.timedelta(days=5), place="三楼会议室")
    page = client_for(world.member_user).get("/orglife/me/").content.decode()
    assert "会议通知：党课" in page and "三楼会议室" in page


def test_the_member_submits_a_self_assessment_from_their_page(world):
    from dangjian.orglife import appraisals

    appraisal = appraisals.do_open_appraisal(world.br1, year=2025, actor=world.secretary)
    entry = appraisal.entries.get(member=world.own_member)
    c = client_for(world.member_user)
    assert "提交个人自评" in c.get("/orglife/me/").content.decode()
    c.post("/orglife/me/self-assessment/", {"entry": entry.pk, "self_assessment": "认真履行党员义务，积极参加组织生活。"})
    entry.refresh_from_db()
    assert entry.self_assessment == "认真履行党员义务，积极参加组织生活。"
    other = appraisal.entries.exclude(member=world.own_member).first()
    c.post("/orglife/me/self-assessment/", {"entry": other.pk, "self_assessment": "替别人写的个人自评内容。"})
    other.refresh_from_db()
    assert other.self_assessment == ""
