"""The API under /api/v1/: the same actions, rules and scope as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.orglife import checkin
from dangjian.orglife.models import Meeting

from .helpers import hold, schedule

pytestmark = pytest.mark.django_db
D = dt.date


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_a_meeting_is_scheduled_through_the_api_and_a_foreign_org_is_refused(world):
    body = {"org": world.br1.pk, "kind": "party_lecture", "topic": "专题党课", "starts_at": "2026-12-01T09:00:00+08:00",
            "ends_at": "2026-12-01T11:00:00+08:00"}
    created = api(world.secretary).post("/api/v1/meetings/", body, format="json")
    assert created.status_code == 201 and created.json()["state"] == "planned"
    foreign = api(world.secretary).post("/api/v1/meetings/", {**body, "org": world.br2.pk}, format="json")
    assert foreign.status_code == 400 and "不在您的管理范围内" in foreign.json()["org"][0]
    bad = api(world.secretary).post("/api/v1/meetings/", {**body, "ends_at": body["starts_at"]}, format="json")
    assert bad.status_code == 400 and bad.json()["ends_at"] == ["结束时间应晚于开始时间"]
    assert Meeting.objects.count() == 1


def test_check_in_through_the_api_refuses_a_replay_with_a_chinese_message(world):
    now = timezone.now()
    meeting = schedule(world, world.br1, "theme_day", timezone.localdate())
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=now - dt.timedelta(minutes=5),
                                                 ends_at=now + dt.timedelta(hours=1))
    code = api(world.secretary).get(f"/api/v1/meetings/{meeting.pk}/checkin-code/").json()
    assert code["closed"] is None and code["seconds_left"] <= 30
    phone = api(world.member_user)
    first = phone.post(f"/api/v1/meetings/{meeting.pk}/check-in/", {"token": code["token"]}, format="json")
    assert first.status_code == 200 and first.json()["presence"] == "present"
    again = phone.post(f"/api/v1/meetings/{meeting.pk}/check-in/", {"token": code["token"]}, format="json")
    assert again.status_code == 400 and "已签到" in again.json()["token"][0]
    assert phone.get(f"/api/v1/meetings/{meeting.pk}/checkin-code/").status_code == 404


def test_a_member_lists_only_their_own_meetings_and_their_own_attendance(world):
    mine = schedule(world, world.br1, "party_lecture", D(2026, 3, 1))
    schedule(world, world.br2, "party_lecture", D(2026, 3, 1), actor=world.secretary2)
    listed = api(world.member_user).get("/api/v1/meetings/").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    rows = api(world.member_user).get(f"/api/v1/meetings/{mine.pk}/attendance/").json()
    assert [r["member"] for r in rows] == [world.own_member.pk]


def test_votes_review_and_compliance_through_the_api(world):
    meeting = hold(world, world.br1, "general_meeting", D(2026, 3, 1))
    vote = api(world.secretary).post(f"/api/v1/meetings/{meeting.pk}/vote/", {"motion": "表决", "yes": 2},
                                     format="json")
    assert vote.status_code == 201 and vote.json()["passed"] is True  # 2 of 3 due
    api(world.secretary).post(f"/api/v1/meetings/{meeting.pk}/submit/")
    assert api(world.secretary).post(f"/api/v1/meetings/{meeting.pk}/approve/").status_code == 404
    approved = api(world.committee_organizer).post(f"/api/v1/meetings/{meeting.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    rows = api(world.organizer).get(f"/api/v1/orglife-compliance/?org={world.sta.pk}&year=2026").json()
    br1 = next(r for r in rows if r["org"] == world.br1.pk)
    general = next(k for k in br1["kinds"] if k["kind"] == "general_meeting")
    assert general["held"] >= 1 and "2026年第1季度" not in general["missing"]
    assert api(world.secretary2).get(f"/api/v1/orglife-compliance/?org={world.br1.pk}").status_code == 404


def test_the_excellent_share_is_enforced_through_the_api(world):
    appraisal = api(world.secretary).post("/api/v1/appraisals/", {"org": world.br1.pk, "year": 2025}, format="json")
    assert appraisal.status_code == 201
    grades = {str(m.pk): "excellent" for m in world.members["BR1"][:2]}
    grades[str(world.members["BR1"][2].pk)] = "qualified"
    refused = api(world.secretary).post(f"/api/v1/appraisals/{appraisal.json()['id']}/decide/",
                                        {"decided_on": "2026-01-10", "grades": grades}, format="json")
    assert refused.status_code == 400 and "超过参评党员 3 人的三分之一（最多 1 人）" in refused.json()["grades"][0]
