"""Plans, records, leave, the higher organisation's review, files, and the scope around them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from dangjian.orglife import actions, checkin, files
from dangjian.orglife.choices import MeetingState, Presence
from dangjian.orglife.models import Meeting

from .helpers import at, committee, hold, schedule

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_monthly_plan_schedules_one_meeting_a_month_with_the_members_due(world):
    plan = actions.do_plan_meetings(world.br1, kind="theme_day", topic="主题党日", recurrence="monthly",
                                    first_starts_at=at(2026, 1, 31, 14), duration_minutes=90, occurrences=3,
                                    place="党员活动室", actor=world.secretary)
    meetings = list(plan.meetings.order_by("starts_at"))
    assert [m.held_on for m in meetings] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]
    assert all(m.attendances.count() == 3 for m in meetings)
    assert meetings[0].study_hours == 2  # 90 minutes of 45-minute 学时


def test_a_plan_of_a_kind_the_organisation_does_not_hold_is_refused_whole(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_plan_meetings(world.br1, kind="group_meeting", topic="党小组会", recurrence="monthly",
                                 first_starts_at=at(2026, 1, 5), duration_minutes=60, occurrences=2,
                                 actor=world.secretary)
    assert "不召开党小组会" in str(exc.value)
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("change, field, message", [
    ({"topic": " "}, "topic", "请填写议题"),
    ({"hours": 0}, "ends_at", "结束时间应晚于开始时间"),
    ({"hours": 13}, "ends_at", "会议时长不能超过"),
    ({"checkin_radius": 300}, "checkin_radius", "请填写会场经纬度"),
])
def test_bad_meeting_details_are_refused_beside_their_field(world, change, field, message):
    with pytest.raises(ValidationError) as exc:
        schedule(world, world.br1, "party_lecture", D(2026, 3, 1), **change)
    assert message in " ".join(exc.value.message_dict[field])


def test_a_committee_meeting_needs_a_committee_on_its_date(world):
    with pytest.raises(ValidationError) as exc:
        schedule(world, world.br1, "committee_meeting", D(2026, 3, 2))
    assert "未设支部委员会" in str(exc.value)
    committee(world.br1, world.members["BR1"], since=D(2026, 3, 1))
    meeting = schedule(world, world.br1, "committee_meeting", D(2026, 3, 2))
    assert meeting.attendances.count() == 3


def test_participants_due_are_those_on_the_roll_on_the_meeting_date(world):
    from .helpers import add_members

    late = add_members(world.br1, 1, joined_on=D(2026, 6, 1), converted_on=None, category="probationary")[0]
    earlier = schedule(world, world.br1, "party_lecture", D(2026, 5, 31))
    later = schedule(world, world.br1, "party_lecture", D(2026, 6, 1))
    assert late.pk not in set(earlier.attendances.values_list("member_id", flat=True))
    assert late.pk in set(later.attendances.values_list("member_id", flat=True))


def test_recording_a_meeting_marks_those_neither_present_nor_on_leave_absent(world):
    meeting = schedule(world, world.br1, "party_lecture", D(2026, 3, 1))
    m1, m2, m3 = world.members["BR1"]
    checkin.do_check_in_on_behalf(meeting, member=m1, actor=world.secretary)
    actions.do_record_leave(meeting, member=m2, approved=True, reason="出差", actor=world.secretary)
    actions.do_record_meeting(meeting, topic="党课", chair=m1, recorder=m1, minutes="书记讲授专题党课，大家认真学习。",
                              decisions="", actor=world.secretary)
    presence = dict(meeting.attendances.values_list("member_id", "presence"))
    assert presence == {m1.pk: Presence.PRESENT, m2.pk: Presence.LEAVE_APPROVED, m3.pk: Presence.ABSENT}


def test_a_meeting_without_anyone_present_or_not_yet_begun_cannot_be_recorded(world):
    past = schedule(world, world.br1, "party_lecture", D(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        actions.do_record_meeting(past, topic="党课", minutes="书记讲授专题党课，大家认真学习。", actor=world.secretary)
    assert "没有党员签到出席" in str(exc.value)
    future = schedule(world, world.br1, "party_lecture", D(2099, 3, 1))
    with pytest.raises(ValidationError) as exc:
        actions.do_record_meeting(future, topic="党课", minutes="书记讲授专题党课，大家认真学习。", actor=world.secretary)
    assert "会议尚未开始" in str(exc.value)


def test_a_chair_who_was_not_due_is_refused(world):
    meeting = schedule(world, world.br1, "party_lecture", D(2026, 3, 1))
    checkin.do_check_in_on_behalf(meeting, member=world.members["BR1"][0], actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        actions.do_record_meeting(meeting, topic="党课", chair=world.members["BR2"][0],
                                  minutes="书记讲授专题党课，大家认真学习。", actor=world.secretary)
    assert "主持人应为本次会议的应到人员" in str(exc.value)


def test_review_the_higher_organisation_approves_or_sends_back_and_the_branch_resubmits(world):
    meeting = hold(world, world.br1, "general_meeting", D(2026, 3, 1))
    actions.do_submit_meeting(meeting, actor=world.secretary)
    with pytest.raises(Http404):  # the branch cannot review its own record
        actions.do_approve_meeting(meeting, actor=world.secretary)
    with pytest.raises(ValidationError) as exc:
        actions.do_return_meeting(meeting, reason="", actor=world.committee_organizer)
    assert "请填写退回原因" in str(exc.value)
    returned = actions.do_return_meeting(meeting, reason="会议记录缺少表决情况", actor=world.committee_organizer)
    assert returned.state == MeetingState.RETURNED and returned.review_note == "会议记录缺少表决情况"
    actions.do_record_meeting(returned, topic=returned.topic, minutes="补充：表决情况为全体同意，会议通过。",
                              actor=world.secretary)
    actions.do_submit_meeting(returned, actor=world.secretary)
    approved = actions.do_approve_meeting(returned, actor=world.committee_organizer)
    assert approved.state == MeetingState.APPROVED
    with pytest.raises(ValidationError):
        actions.do_record_meeting(approved, topic="改动", minutes="审核通过后不能再修改会议记录。", actor=world.secretary)


def test_a_reviewer_of_another_subtree_cannot_see_the_record(world):
    from dangjian.accounts import actions as account_actions

    meeting = hold(world, world.br1, "general_meeting", D(2026, 3, 1))
    actions.do_submit_meeting(meeting, actor=world.secretary)
    other = account_actions.do_create_account(username="stb_org", password=world.password, display_name="x")
    account_actions.do_assign_role(other, role="committee_organizer", org=world.stb)
    with pytest.raises(Http404):
        actions.do_approve_meeting(meeting, actor=other)


def test_scope_a_sibling_branch_never_sees_the_meetings_and_a_member_sees_only_their_own(world):
    mine = schedule(world, world.br1, "party_lecture", D(2026, 3, 1))
    theirs = schedule(world, world.br2, "party_lecture", D(2026, 3, 1), actor=world.secretary2)
    assert list(Meeting.objects.restrict(world.secretary2, "orglife.view")) == [theirs]
    assert set(Meeting.objects.restrict(world.member_user, "orglife.view")) == {mine}
    assert set(Meeting.objects.restrict(world.organizer, "orglife.view")) == {mine, theirs}
    with pytest.raises(Http404):
        schedule(world, world.br1, "party_lecture", D(2026, 3, 2), actor=world.secretary2)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_photo_is_accepted_by_its_content_and_stored_outside_the_web_root(world, settings):
    meeting = hold(world, world.br1, "theme_day", D(2026, 3, 1))
    f = files.do_add_file(meeting, upload=SimpleUploadedFile("现场.png", PNG), kind="photo", actor=world.secretary)
    stored = files.path_of(f)
    assert stored.read_bytes() == PNG and stored.parent == settings.ORGLIFE_FILE_DIR
    assert f.content_type == "image/png" and "现场" not in stored.name


@pytest.mark.parametrize("name, data, message", [
    ("记录.png", b"MZ\x90\x00 executable", "照片只接受"),
    ("记录.jpg", PNG, "后缀与文件内容不符"),
    ("宏.docx", b"PK\x03\x04 not really a zip", "照片只接受"),
])
def test_a_file_whose_content_is_not_an_accepted_type_is_refused_and_nothing_is_stored(world, settings, name, data,
                                                                                       message):
    meeting = hold(world, world.br1, "theme_day", D(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        files.do_add_file(meeting, upload=SimpleUploadedFile(name, data), kind="photo", actor=world.secretary)
    assert message in str(exc.value)
    assert not meeting.files.exists()
    assert not settings.ORGLIFE_FILE_DIR.exists() or not any(settings.ORGLIFE_FILE_DIR.iterdir())


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.ORGLIFE_FILE_MAX_MB = 1
    meeting = hold(world, world.br1, "theme_day", D(2026, 3, 1))
    big = SimpleUploadedFile("大.png", PNG + b"\x00" * (1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        files.do_add_file(meeting, upload=big, kind="photo", actor=world.secretary)
    assert "不能超过 1 MB" in str(exc.value)


def test_a_rescheduled_meeting_takes_the_participants_of_its_new_date_and_a_held_one_cannot_move(world):
    from .helpers import add_members

    newcomer = add_members(world.br1, 1, joined_on=D(2099, 6, 1), converted_on=None, category="probationary")[0]
    meeting = schedule(world, world.br1, "party_lecture", D(2099, 5, 20))
    assert not meeting.attendances.filter(member=newcomer).exists()
    moved = actions.do_reschedule_meeting(meeting, starts_at=at(2099, 6, 2, 9), ends_at=at(2099, 6, 2, 11),
                                          actor=world.secretary)
    assert moved.held_on == D(2099, 6, 2) and moved.attendances.filter(member=newcomer).exists()
    with pytest.raises(ValidationError) as exc:
        actions.do_reschedule_meeting(moved, starts_at=at(2099, 6, 2, 9), ends_at=at(2099, 6, 2, 8),
                                      actor=world.secretary)
    assert "结束时间应晚于开始时间" in str(exc.value)
    done = hold(world, world.br1, "party_lecture", D(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        actions.do_reschedule_meeting(done, starts_at=at(2026, 3, 2), ends_at=at(2026, 3, 2, 11),
                                      actor=world.secretary)
    assert "不能改期" in str(exc.value)
