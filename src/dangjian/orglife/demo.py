"""Organisational life in the demo organisation (demo mode only), written through the actions: a year of the demo
branch's meetings (one 主题党日 and one 党课 missed, so warnings show), votes, a record waiting for the district's review
and one sent back, plans for the months ahead, last year's 民主评议 with a 不合格 follow-up, 谈心谈话, and a quarter of
meetings in a few other branches so the roll-up is not empty. Check-ins are written in bulk, as a real meeting's
phones would have done."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organization

from . import actions, appraisals, participants, rules
from .choices import CheckInMethod, Grade, MeetingKind, Presence
from .models import Attendance

TZ = ZoneInfo("Asia/Shanghai")
TOPICS = {
    MeetingKind.THEME_DAY: ["集中学习党章", "志愿服务进社区", "重温入党誓词", "学习身边先进典型", "主题党日：清洁家园",
                            "参观红色教育基地", "学习新修订的党内法规", "民主议事：为群众办实事"],
    MeetingKind.PARTY_LECTURE: ["书记讲党课：牢记初心使命", "专题党课：作风建设", "专题党课：党的组织生活制度"],
    MeetingKind.GENERAL_MEETING: ["传达学习上级会议精神", "讨论支部年度工作计划", "讨论接收预备党员"],
    MeetingKind.COMMITTEE_MEETING: ["研究本月支部工作", "研究党员发展工作", "研究组织生活安排"],
}


def _at(day: dt.date, hour: int = 15) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def _hold(org, kind, day, actor, *, absent_every=6, topic_index=0, also=()):
    start = _at(day)
    meeting = actions.do_schedule_meeting(org, kind=kind, topic=TOPICS[kind][topic_index % len(TOPICS[kind])],
                                          starts_at=start, ends_at=start + dt.timedelta(minutes=90),
                                          place="党员活动室", also_counts_as=also, actor=actor)
    rows = list(Attendance.objects.filter(meeting=meeting).order_by("member_id"))
    present = [r.pk for i, r in enumerate(rows) if i % absent_every]
    leave = [r.pk for i, r in enumerate(rows) if not i % absent_every][:1]
    Attendance.objects.filter(pk__in=present).update(presence=Presence.PRESENT, method=CheckInMethod.QR,
                                                     checked_in_at=start - dt.timedelta(minutes=5))
    Attendance.objects.filter(pk__in=leave).update(presence=Presence.LEAVE_APPROVED, leave_reason="出差在外")
    members = list(Member.objects.filter(pk__in=[r.member_id for r in rows]).order_by("id")[:2])
    return actions.do_record_meeting(meeting, topic=meeting.topic, chair=members[0] if members else None,
                                     recorder=members[-1] if members else None,
                                     minutes="会议由支部书记主持。与会党员集中学习了有关文件精神，结合工作实际交流了学习体会，"
                                             "对下一步工作提出了意见建议。", decisions="按会议讨论意见抓好落实。",
                                     actor=actor)


def seed_orglife(branch: Organization, district: Organization, secretary, organizer) -> None:
    today = timezone.localdate()
    this_month = today.replace(day=1)
    months = rules.spans_between(dt.date(today.year, 1, 1), this_month - dt.timedelta(days=1), "month")
    missed_theme = months[len(months) // 2].key if len(months) > 2 else None
    for i, span in enumerate(months):
        if span.key != missed_theme:
            _hold(branch, MeetingKind.THEME_DAY, span.start + dt.timedelta(days=14), secretary, topic_index=i)
        if participants.has_committee(branch, span.start) and participants.has_committee(branch, span.end):
            _hold(branch, MeetingKind.COMMITTEE_MEETING, span.start + dt.timedelta(days=4), secretary, topic_index=i)
    quarters = rules.spans_between(dt.date(today.year, 1, 1), rules.span_of(today, "quarter").start
                                   - dt.timedelta(days=1), "quarter")
    last_general = None
    for i, span in enumerate(quarters):
        last_general = _hold(branch, MeetingKind.GENERAL_MEETING, span.start + dt.timedelta(days=40), secretary,
                             topic_index=i)
        if i < len(quarters) - 1:  # the last quarter's 党课 was missed
            _hold(branch, MeetingKind.PARTY_LECTURE, span.start + dt.timedelta(days=20), secretary, topic_index=i)
    if last_general is not None:
        due = len(Attendance.objects.filter(meeting=last_general))
        actions.do_record_vote(last_general, motion="支部年度工作计划", yes=max(due // 2 + 1, 1), no=0, abstain=0,
                               actor=secretary)
        actions.do_submit_meeting(last_general, actor=secretary)
        first = last_general.org.meetings.filter(kind=MeetingKind.THEME_DAY).order_by("starts_at").first()
        if first is not None:
            actions.do_submit_meeting(first, actor=secretary)
            actions.do_return_meeting(first, reason="会议记录未写明请假人员的请假事由，请补充后重新报送", actor=organizer)
    actions.do_plan_meetings(branch, kind=MeetingKind.THEME_DAY, topic="主题党日：学习交流", recurrence="monthly",
                             first_starts_at=_at(max(this_month + dt.timedelta(days=27), today + dt.timedelta(days=1))),
                             duration_minutes=90, occurrences=3, place="党员活动室", actor=secretary)
    _seed_appraisal(branch, today.year - 1, secretary)
    _seed_talks(branch, today, secretary)
    others = (Organization.objects.filter(path__startswith=district.path, org_type=OrgType.BRANCH, status="active")
              .exclude(pk=branch.pk).order_by("path")[:6])
    first_quarter = dt.date(today.year, 2, 20)
    for n, other in enumerate(others):
        if n % 3 != 2 and participants.member_ids_on(other, first_quarter):
            _hold(other, MeetingKind.GENERAL_MEETING, first_quarter, organizer, topic_index=n)


def _seed_appraisal(branch, year, secretary) -> None:
    members = participants.member_ids_on(branch, dt.date(year, 12, 31))
    if len(members) < 3:
        return
    appraisal = appraisals.do_open_appraisal(branch, year=year, actor=secretary)
    entries = list(appraisal.entries.order_by("id"))
    graded = [e for e in entries if not e.probationary]
    excellent = rules.excellent_limit(len(graded), dt.date(year, 12, 31))
    grades = {}
    for i, e in enumerate(graded):
        grades[e.member_id] = Grade.EXCELLENT if i < excellent else Grade.QUALIFIED
    if len(graded) >= 8:
        grades[graded[-1].member_id] = Grade.UNQUALIFIED
        grades[graded[-2].member_id] = Grade.BASICALLY_QUALIFIED
    for i, e in enumerate(entries):
        appraisals.do_assess(e, self_assessment="本年度认真履行党员义务，按时参加组织生活。",
                             mutual_assessment="工作积极，团结同志。",
                             votes={"excellent": 3 + i % 4, "qualified": 8, "basically_qualified": i % 2,
                                    "unqualified": 0}, actor=secretary)
    appraisals.do_decide_appraisal(appraisal, grades=grades, decided_on=dt.date(year, 12, 28), actor=secretary)


def _seed_talks(branch, today, secretary) -> None:
    roll = participants.member_ids_on(branch, today)
    committee = participants.committee_ids_on(branch, today)
    others = [m for m in roll if m not in committee]
    people = {m.pk: m for m in Member.objects.filter(pk__in=roll)}
    pairs = []
    if len(committee) >= 2:
        pairs.append((committee[0], committee[1], "交流支部班子建设意见"))
    pairs += [(committee[0], m, "了解思想和工作情况") for m in others[:4]] if committee else []
    if len(others) >= 2:
        pairs.append((others[0], others[1], "互相提醒、共同进步"))
    for n, (a, b, topic) in enumerate(pairs):
        appraisals.do_record_talk(branch, held_on=max(dt.date(today.year, 3, 1), today - dt.timedelta(days=200))
                                  + dt.timedelta(days=7 * n), initiator=people[a], counterpart=people[b],
                                  topic=topic, follow_up="已记录，持续关注", actor=secretary)
