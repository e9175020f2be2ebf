"""Helpers for the recruitment tests (import as `recruiting`): a candidate walked through the steps on a schedule."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.db import transaction

from dangjian.members.history import record_periods
from dangjian.members.models import Member
from dangjian.members.search import id_number_index, name_initials
from dangjian.recruitment.actions import do_record_step, do_register_application
from dangjian.recruitment.choices import StepKind as K
from dangjian.recruitment.demo import APPROVER_STEPS, step_data
from factories import make_id_number, member_data

_serial = itertools.count(1)
D = dt.date

# A candidate whose development target is decided under 细则2014 (every date before 2026-05-11).
SCHEDULE_2014 = [
    (K.APPLICATION_TALK, D(2023, 3, 15)),
    (K.ACTIVIST_DETERMINATION, D(2023, 4, 1)),
    (K.ACTIVIST_FILING, D(2023, 4, 5)),
    (K.CONTACT_PERSONS, D(2023, 4, 10)),
    (K.ACTIVIST_ASSESSMENT, D(2023, 10, 1)),
    (K.ACTIVIST_ASSESSMENT, D(2024, 4, 1)),
    (K.TARGET_DETERMINATION, D(2024, 4, 2)),
    (K.TARGET_FILING, D(2024, 4, 10)),
    (K.INTRODUCERS, D(2024, 4, 15)),
    (K.POLITICAL_REVIEW, D(2024, 5, 1)),
    (K.TRAINING, D(2024, 5, 10)),
    (K.COMMITTEE_REVIEW, D(2024, 6, 1)),
    (K.PRE_REVIEW, D(2024, 6, 10)),
    (K.APPLICATION_FORM, D(2024, 6, 15)),
    (K.ADMISSION_MEETING, D(2024, 7, 1)),
    (K.COMMITTEE_TALK, D(2024, 7, 10)),
    (K.ADMISSION_APPROVAL, D(2024, 8, 1)),
    (K.OATH, D(2024, 8, 15)),
    (K.CONVERSION_APPLICATION, D(2025, 6, 15)),
    (K.CONVERSION_MEETING, D(2025, 7, 1)),
    (K.CONVERSION_APPROVAL, D(2025, 8, 1)),
    (K.ARCHIVING, D(2025, 8, 10)),
]
APPLIED_2014 = D(2023, 3, 1)

# Under 细则2026: the higher 党委 agrees, a 公示 of 5 working days spans the National Day holiday.
SCHEDULE_2026 = [
    (K.APPLICATION_TALK, D(2025, 3, 20)),
    (K.ACTIVIST_DETERMINATION, D(2025, 5, 1)),
    (K.CONTACT_PERSONS, D(2025, 5, 5)),
    (K.ACTIVIST_ASSESSMENT, D(2025, 11, 1)),
    (K.ACTIVIST_ASSESSMENT, D(2026, 5, 1)),
    (K.TARGET_CONSENT, D(2026, 9, 20)),
    (K.PUBLIC_NOTICE, D(2026, 9, 28)),
    (K.TARGET_DETERMINATION, D(2026, 10, 12)),
    (K.INTRODUCERS, D(2026, 10, 13)),
    (K.POLITICAL_REVIEW, D(2026, 10, 14)),
    (K.TRAINING, D(2026, 10, 15)),
    (K.COMMITTEE_REVIEW, D(2026, 10, 19)),
    (K.PRE_REVIEW, D(2026, 10, 20)),
    (K.APPLICATION_FORM, D(2026, 10, 21)),
    (K.ADMISSION_MEETING, D(2026, 10, 28)),
    (K.COMMITTEE_TALK, D(2026, 11, 2)),
    (K.ADMISSION_APPROVAL, D(2026, 11, 5)),
    (K.OATH, D(2026, 11, 10)),
]
APPLIED_2026 = D(2025, 3, 1)


def add_member(org, **overrides) -> Member:
    data = member_data(**overrides)
    member = Member(org=org, id_number_index="", name_initials="", **data)
    member.id_number_index = id_number_index(member.id_number)
    member.name_initials = name_initials(member.name)
    with transaction.atomic():  # record_periods locks rows (outside the test transaction in browser tests)
        member.save()
        record_periods([member], None)
    return member


def apply(world, applied_on=APPLIED_2014, birth=D(1995, 5, 5), org=None, **extra):
    n = next(_serial)
    data = {"name": f"李申请{n}", "gender": "male", "id_number": make_id_number(birth, True, random.Random(1000 + n)),
            "birth_date": birth, "occupation_category": "professional", "applied_on": applied_on, **extra}
    return do_register_application(data=data, org=org or world.br1, actor=world.secretary)


def default_data(world, candidate, kind, on) -> tuple[dict, dict, object]:
    """Data that passes each step (the demo's own), the people taking part, and who records it."""
    full = world.members[candidate.org.code][1:3] if candidate.org.code in world.members else []
    data, people = step_data(kind, on, full)
    if kind in (K.ADMISSION_MEETING, K.CONVERSION_MEETING):
        data.update(present_count=3, yes_count=3, no_count=0, abstain_count=0)
    actor = world.committee_organizer if kind in APPROVER_STEPS | {K.APPROVAL_FILING, K.NOT_RECOGNISED} else world.secretary
    return data, people, actor


def record(world, candidate, kind, on, *, actor=None, people=None, ack=False, **overrides):
    data, default_people, default_actor = default_data(world, candidate, kind, on)
    data.update(overrides)
    return do_record_step(candidate, kind=kind, data=data, people=default_people if people is None else people,
                          acknowledged=ack, actor=actor or default_actor)


def walk(world, candidate, schedule, until=None, skip=()):
    """Record the schedule's steps in order, stopping before the first step of kind `until`."""
    for kind, on in schedule:
        if kind == until:
            return candidate
        if kind in skip:
            continue
        record(world, candidate, kind, on)
    return candidate


def candidate_2014(world, until=None, **kw):
    return walk(world, apply(world, APPLIED_2014, **kw), SCHEDULE_2014, until)


def candidate_2026(world, until=None, **kw):
    return walk(world, apply(world, APPLIED_2026, **kw), SCHEDULE_2026, until)
