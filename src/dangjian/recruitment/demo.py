"""Recruitment in the demo organisation (demo mode only), written through the recruitment actions: a handful of
people at every stage of the demo branch, some with a time limit due or overdue, so the board and the home page
have something to show."""

from __future__ import annotations

import datetime as dt
import random

from dangjian.core import rulebook
from dangjian.members.choices import Category, MemberStatus
from dangjian.members.history import full_on
from dangjian.members.models import Member
from dangjian.members.periods import add_months, add_years

from . import actions
from .choices import MeetingType, Outcome, PersonRole, StepKind
from .workdays import add_working_days

K = StepKind
APPROVER_STEPS = {K.ACTIVIST_FILING, K.TARGET_CONSENT, K.TARGET_FILING, K.PRE_REVIEW, K.COMMITTEE_TALK,
                  K.ADMISSION_APPROVAL, K.CONVERSION_APPROVAL}


def schedule(applied_on: dt.date) -> list[tuple[str, dt.date]]:
    """A lawful date for every step after the application, under the rule version in force on each date."""
    d = dt.timedelta
    activist = applied_on + d(days=30)
    out = [(K.APPLICATION_TALK, applied_on + d(days=10)), (K.ACTIVIST_DETERMINATION, activist),
           (K.ACTIVIST_FILING, activist + d(days=3)), (K.CONTACT_PERSONS, activist + d(days=5))]
    target = add_years(activist, 1)
    out += [(K.ACTIVIST_ASSESSMENT, add_months(activist, 6)), (K.ACTIVIST_ASSESSMENT, add_months(activist, 12))]
    if rulebook.value("target_higher_action", target) == "consent":
        notice = target + d(days=1)
        ends = add_working_days(notice, rulebook.value("public_notice_working_days", notice))
        out += [(K.TARGET_CONSENT, target), (K.PUBLIC_NOTICE, notice)]
        target = ends + d(days=1)
        out += [(K.TARGET_DETERMINATION, target)]
    else:
        out += [(K.TARGET_DETERMINATION, target), (K.TARGET_FILING, target + d(days=3))]
    meeting = target + d(days=20)
    out += [(K.INTRODUCERS, target + d(days=5)), (K.POLITICAL_REVIEW, target + d(days=6)),
            (K.TRAINING, target + d(days=7)), (K.COMMITTEE_REVIEW, target + d(days=10)),
            (K.PRE_REVIEW, target + d(days=12)), (K.APPLICATION_FORM, target + d(days=13)),
            (K.ADMISSION_MEETING, meeting), (K.COMMITTEE_TALK, meeting + d(days=5)),
            (K.ADMISSION_APPROVAL, meeting + d(days=30)), (K.OATH, meeting + d(days=35))]
    end = add_years(meeting, 1)
    out += [(K.CONVERSION_APPLICATION, end - d(days=15)), (K.CONVERSION_MEETING, end),
            (K.CONVERSION_APPROVAL, end + d(days=20)), (K.ARCHIVING, end + d(days=25))]
    return out


def step_data(kind, on: dt.date, full_members: list) -> tuple[dict, dict]:
    """Data that satisfies the step, and the people taking part (from the branch's full members)."""
    data, people = {"on": on}, {}
    if kind in (K.APPLICATION_TALK, K.COMMITTEE_TALK):
        people = {PersonRole.TALKER: full_members[:1]}
    elif kind == K.ACTIVIST_DETERMINATION:
        data["meeting_type"] = MeetingType.COMMITTEE
    elif kind == K.CONTACT_PERSONS:
        people = {PersonRole.CONTACT: full_members[:2]}
    elif kind == K.INTRODUCERS:
        people = {PersonRole.INTRODUCER: full_members[:2]}
    elif kind in (K.ACTIVIST_ASSESSMENT, K.PROBATION_ASSESSMENT):
        data["opinion"] = "政治上积极要求进步，工作表现良好"
    elif kind == K.POLITICAL_REVIEW:
        data.update(passed=True, opinion="政治审查合格")
    elif kind == K.PUBLIC_NOTICE:
        data.update(ends_on=add_working_days(on, rulebook.value("public_notice_working_days", on)), passed=True)
    elif kind == K.TRAINING:
        data["training_days"] = rulebook.value("training_min_days", on)
    elif kind in (K.PRE_REVIEW, K.ADMISSION_APPROVAL, K.CONVERSION_APPROVAL):
        data["passed"] = True
    elif kind in (K.ADMISSION_MEETING, K.CONVERSION_MEETING):
        data.update(present_count=None, yes_count=None)  # filled from the due count by the caller
        if kind == K.CONVERSION_MEETING:
            data["outcome"] = Outcome.CONVERT
    return data, people


def walk(candidate, applied_on: dt.date, *, secretary, approver, full_members, stop=None, today=None) -> None:
    """Record the steps of `schedule` up to today (or until `stop`), each through the action and its rules."""
    today = today or dt.date.today()
    for kind, on in schedule(applied_on):
        if kind == stop or on > today:
            return
        data, people = step_data(kind, on, full_members)
        if kind in (K.ADMISSION_MEETING, K.CONVERSION_MEETING):
            due, _ = actions.meeting_counts(candidate, on)
            data.update(present_count=due, yes_count=due, no_count=0, abstain_count=0)
        actor = approver if kind in APPROVER_STEPS else secretary
        actions.do_record_step(candidate, kind=kind, data=data, people=people, acknowledged=True, actor=actor)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["晓明", "思远", "雨欣", "浩然", "佳怡", "子涵", "俊杰", "欣怡", "志强", "梦琪", "嘉豪", "静怡"]


def _id_number(rng: random.Random, birth: dt.date, male: bool) -> str:
    from stdnum.cn import ric

    body = f"110101{birth:%Y%m%d}{rng.randrange(100):02d}{rng.choice('13579' if male else '02468')}"
    return body + ric.calc_check_digit(body + "0")


# (days before today the application was handed in, a step the branch has not reached yet): spread over the stages,
# some with a time limit overdue (the talk, the half-yearly assessment, the approval, the conversion discussion).
PEOPLE = [(12, None), (45, K.APPLICATION_TALK), (120, None), (260, K.ACTIVIST_ASSESSMENT), (400, None),
          (420, K.INTRODUCERS), (440, K.COMMITTEE_TALK), (520, None), (800, K.CONVERSION_MEETING), (900, None)]


def seed_recruitment(branch, secretary, organizer, rng: random.Random | None = None, plan=None) -> int:
    """People at every stage in the demo branch (`plan`: (days ago applied, step not reached) per person, `PEOPLE`
    by default); returns how many.

    Talkers, contact persons and introducers are members who were already full members on the earliest step date
    of the plan (细则 第九、十四条: full members on the day they are named), without any disciplinary record."""
    rng = rng or random.Random(2026)
    plan = PEOPLE if plan is None else plan
    today = dt.date.today()
    earliest = today - dt.timedelta(days=max(days for days, _stop in plan))
    full_members = [m for m in Member.objects.filter(org=branch, status=MemberStatus.NORMAL, category=Category.FULL,
                                                     converted_on__lte=earliest).order_by("converted_on", "id")[:12]
                    if not m.disciplinary_actions.exists() and full_on(m, earliest)]
    if len(full_members) < 2:
        return 0
    for n, (days, stop) in enumerate(plan):
        applied_on = today - dt.timedelta(days=days)
        male = rng.random() < 0.55
        birth = add_years(applied_on, -rng.randint(19, 35)) - dt.timedelta(days=rng.randrange(300))
        candidate = actions.do_register_application(data={
            "name": SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[n % len(GIVEN)], "gender": "male" if male else "female",
            "id_number": _id_number(rng, birth, male), "birth_date": birth, "occupation_category": "professional",
            "education": "undergraduate", "work_unit_and_post": "示范区某单位 职员", "applied_on": applied_on},
            org=branch, actor=secretary)
        walk(candidate, applied_on, secretary=secretary, approver=organizer, full_members=full_members, stop=stop,
             today=today)
    return len(plan)
