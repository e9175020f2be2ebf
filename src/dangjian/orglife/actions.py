"""Writes for meetings of organisational life: schedule and plan, leave, record, votes, files, review.

Each action runs in one transaction with its audit record, checks the actor's scope (404 outside it) and the
regulation (a Chinese ValidationError naming the field; nothing written). Nothing here is deleted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.members.rules import voting_refusal
from dangjian.orgs.models import Organization

from . import participants, rules
from .choices import MeetingKind, MeetingState, Presence, Recurrence
from .models import Attendance, Meeting, MeetingPlan, MeetingVote

NOT_IN_SCOPE = "记录不存在或不在您的管理范围内"
MAX_PLAN_OCCURRENCES = 12  # a plan schedules at most a year of monthly meetings ahead
MAX_MEETING_HOURS = 12


def locked(model, obj, actor, perm):
    """The row, locked, if `actor` may act on it for `perm`; otherwise 404."""
    found = model.objects.restrict(actor, perm).select_for_update().filter(pk=obj.pk).first()
    if found is None:
        raise Http404(NOT_IN_SCOPE)
    return found


def _locked_org(org, actor, perm) -> Organization:
    require(actor, perm, org)
    return Organization.objects.select_for_update().get(pk=org.pk)


def _meeting_dict(m: Meeting) -> dict:
    return {"meeting": m.pk, "org": m.org_id, "kind": m.kind, "also_counts_as": m.also_counts_as, "topic": m.topic,
            "starts_at": m.starts_at.isoformat(), "ends_at": m.ends_at.isoformat(), "place": m.place,
            "state": m.state}


def _schedule_errors(org, *, kind, topic, starts_at, ends_at, also_counts_as, latitude, longitude,
                     checkin_radius) -> dict:
    errors: dict = {}
    allowed = participants.kinds_for(org)
    if org.status != "active":
        errors["__all__"] = "该党组织已撤销"
    if kind not in MeetingKind.values:
        errors["kind"] = "请选择会议类别"
    elif kind not in allowed:
        errors["kind"] = (f"{org}不召开{rules.KIND_LABELS[kind]}" if allowed else
                          f"{org}不是党支部或党小组，不召开三会一课")
    extra = [k for k in (also_counts_as or []) if k != kind]
    if any(k not in allowed for k in extra):
        errors["also_counts_as"] = "同时计为的类别须是本组织召开的会议类别"
    if len((topic or "").strip()) < 2:
        errors["topic"] = "请填写议题"
    if starts_at is None:
        errors["starts_at"] = "请填写开始时间"
    if ends_at is None:
        errors["ends_at"] = "请填写结束时间"
    elif starts_at and ends_at <= starts_at:
        errors["ends_at"] = "结束时间应晚于开始时间"
    elif starts_at and ends_at - starts_at > dt.timedelta(hours=MAX_MEETING_HOURS):
        errors["ends_at"] = f"会议时长不能超过 {MAX_MEETING_HOURS} 小时"
    day = timezone.localdate(starts_at) if starts_at else None
    if day and "kind" not in errors and MeetingKind.COMMITTEE_MEETING in [kind, *extra] and \
            not participants.has_committee(org, day):
        errors["kind"] = f"{day} {org}未设支部委员会（委员不足），不召开支委会"
    if (latitude is None) != (longitude is None):
        errors["longitude"] = "经度和纬度须同时填写"
    elif latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors["latitude"] = "经纬度超出范围"
    if checkin_radius is not None:
        if latitude is None:
            errors["checkin_radius"] = "要校验签到位置，请填写会场经纬度"
        elif not 20 <= checkin_radius <= 50_000:
            errors["checkin_radius"] = "签到范围应在 20—50000 米之间"
    return errors


def sync_due(meeting: Meeting) -> None:
    """Participants due on the meeting's date: add those missing; drop those no longer due who never came."""
    wanted = set(participants.due_ids(meeting.org, meeting.kind, meeting.held_on))
    have = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "presence"))
    Attendance.objects.bulk_create([Attendance(meeting=meeting, member_id=m) for m in sorted(wanted - set(have))])
    gone = [m for m, presence in have.items() if m not in wanted and presence == Presence.PENDING]
    Attendance.objects.filter(meeting=meeting, member_id__in=gone).delete()


@transaction.atomic
def do_schedule_meeting(org, *, kind: str, topic: str, starts_at: dt.datetime, ends_at: dt.datetime,
                        place: str = "", also_counts_as=(), latitude=None, longitude=None, checkin_radius=None,
                        plan: MeetingPlan | None = None, actor) -> Meeting:
    """Put a meeting on the organisation's calendar; the participants due are those of its date, and those of
    a meeting still to come are told (in-app inbox and the configured SMS/email adapters)."""
    org = _locked_org(org, actor, roles.ORGLIFE_MANAGE)
    errors = _schedule_errors(org, kind=kind, topic=topic, starts_at=starts_at, ends_at=ends_at,
                              also_counts_as=also_counts_as, latitude=latitude, longitude=longitude,
                              checkin_radius=checkin_radius)
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        org=org, kind=kind, also_counts_as=sorted(set(also_counts_as or []) - {kind}), topic=topic.strip()[:200],
        starts_at=starts_at, ends_at=ends_at, place=(place or "").strip()[:200], latitude=latitude,
        longitude=longitude, checkin_radius=checkin_radius, plan=plan, created_by=actor,
        study_hours=rules.default_study_hours(kind, starts_at, ends_at, timezone.localdate(starts_at)))
    sync_due(meeting)
    if meeting.starts_at > timezone.now():
        from .notices import meeting_notice, notify_participants

        notify_participants(meeting, *meeting_notice(meeting))
    audit.record("orglife.schedule", actor=actor, obj=meeting, after=_meeting_dict(meeting),
                 detail=f"{org}：安排{meeting.get_kind_display()}（{meeting.held_on}）")
    return meeting


@transaction.atomic
def do_reschedule_meeting(meeting, *, starts_at: dt.datetime, ends_at: dt.datetime, place: str | None = None,
                          actor) -> Meeting:
    """Move a planned meeting (改期): the participants due follow the new date, and they are told."""
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    if meeting.state != MeetingState.PLANNED:
        raise ValidationError({"__all__": f"会议{meeting.get_state_display()}，不能改期"})
    errors = _schedule_errors(meeting.org, kind=meeting.kind, topic=meeting.topic, starts_at=starts_at,
                              ends_at=ends_at, also_counts_as=meeting.also_counts_as, latitude=meeting.latitude,
                              longitude=meeting.longitude, checkin_radius=meeting.checkin_radius)
    if errors:
        raise ValidationError(errors)
    before = _meeting_dict(meeting)
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    if place is not None:
        meeting.place = place.strip()[:200]
    meeting.study_hours = rules.default_study_hours(meeting.kind, starts_at, ends_at, timezone.localdate(starts_at))
    meeting.version += 1
    meeting.save()
    sync_due(meeting)
    if meeting.starts_at > timezone.now():
        from .notices import meeting_notice, notify_participants

        title, body = meeting_notice(meeting)
        notify_participants(meeting, title.replace("会议通知", "会议改期"), body)
    audit.record("orglife.reschedule", actor=actor, obj=meeting, before=before, after=_meeting_dict(meeting),
                 detail=f"{meeting.org}：{meeting.get_kind_display()}改期至 {meeting.held_on}")
    return meeting


def _step(start: dt.datetime, recurrence: str, n: int) -> dt.datetime:
    from dangjian.members.periods import add_months

    months = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}[recurrence] * n
    local = timezone.localtime(start)
    day = add_months(local.date(), months)
    return local.replace(year=day.year, month=day.month, day=day.day)


@transaction.atomic
def do_plan_meetings(org, *, kind: str, topic: str, recurrence: str, first_starts_at: dt.datetime,
                     duration_minutes: int, occurrences: int, place: str = "", actor) -> MeetingPlan:
    """A recurring plan: one meeting per month, quarter or year, scheduled now so participants see them."""
    require(actor, roles.ORGLIFE_MANAGE, org)
    errors: dict = {}
    if recurrence not in Recurrence.values:
        errors["recurrence"] = "请选择周期"
    if not isinstance(occurrences, int) or not 1 <= occurrences <= MAX_PLAN_OCCURRENCES:
        errors["occurrences"] = f"次数应为 1—{MAX_PLAN_OCCURRENCES} 次"
    if not isinstance(duration_minutes, int) or not 10 <= duration_minutes <= MAX_MEETING_HOURS * 60:
        errors["duration_minutes"] = f"时长应为 10—{MAX_MEETING_HOURS * 60} 分钟"
    if first_starts_at is None:
        errors["first_starts_at"] = "请填写首次开始时间"
    if errors:
        raise ValidationError(errors)
    plan = MeetingPlan.objects.create(org=org, kind=kind, topic=(topic or "").strip()[:200], recurrence=recurrence,
                                      first_starts_at=first_starts_at, duration_minutes=duration_minutes,
                                      occurrences=occurrences, place=(place or "").strip()[:200], created_by=actor)
    length = dt.timedelta(minutes=duration_minutes)
    for n in range(occurrences):
        start = _step(first_starts_at, recurrence, n)
        try:
            do_schedule_meeting(org, kind=kind, topic=topic, starts_at=start, ends_at=start + length, place=place,
                                plan=plan, actor=actor)
        except ValidationError as exc:
            if n == 0 or not hasattr(exc, "error_dict"):
                raise
            raise ValidationError({k: [f"第 {n + 1} 次（{start:%Y-%m-%d}）：{m}" for m in v]
                                   for k, v in exc.message_dict.items()}) from None
    audit.record("orglife.plan", actor=actor, obj=plan, after={"plan": plan.pk, "kind": kind, "recurrence": recurrence,
                                                                "occurrences": occurrences},
                 detail=f"{org}：制定{plan}，共 {occurrences} 次")
    return plan


@transaction.atomic
def do_cancel_meeting(meeting, *, reason: str, actor) -> Meeting:
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    if meeting.state != MeetingState.PLANNED:
        raise ValidationError({"__all__": f"会议{meeting.get_state_display()}，不能取消"})
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写取消原因"})
    meeting.state, meeting.review_note = MeetingState.CANCELLED, reason.strip()[:500]
    meeting.version += 1
    meeting.save()
    if meeting.starts_at > timezone.now():
        from .notices import notify_participants

        notify_participants(meeting, f"会议取消：{meeting.get_kind_display()}（{timezone.localtime(meeting.starts_at):%m月%d日 %H:%M}）",
                            f"{meeting.org}原定召开的{meeting.get_kind_display()}（{meeting.topic}）已取消：{meeting.review_note}")
    audit.record("orglife.cancel", actor=actor, obj=meeting, after={"state": meeting.state, "reason": meeting.review_note},
                 detail=f"{meeting.org}：取消{meeting.get_kind_display()}（{meeting.held_on}）")
    return meeting


def _editable(meeting) -> None:
    if meeting.state in (MeetingState.SUBMITTED, MeetingState.APPROVED):
        raise ValidationError({"__all__": f"会议记录{meeting.get_state_display()}，不能修改"})
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError({"__all__": "会议已取消"})


@transaction.atomic
def do_record_leave(meeting, *, member, approved: bool, reason: str, actor) -> Attendance:
    """A participant's leave (请假), approved or not; the reason is kept either way."""
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    _editable(meeting)
    row = Attendance.objects.select_for_update().filter(meeting=meeting, member_id=getattr(member, "pk", None)).first()
    if row is None:
        raise ValidationError({"member": "该党员不是本次会议的应到人员"})
    if row.presence == Presence.PRESENT:
        raise ValidationError({"member": f"{row.member.name}已签到出席"})
    if len((reason or "").strip()) < 2:
        raise ValidationError({"leave_reason": "请填写请假事由"})
    row.presence = Presence.LEAVE_APPROVED if approved else Presence.LEAVE_REFUSED
    row.leave_reason = reason.strip()[:200]
    row.save()
    audit.record("orglife.leave", actor=actor, obj=meeting,
                 after={"member": row.member_id, "presence": row.presence, "reason": row.leave_reason},
                 detail=f"{row.member.name}请假（{row.get_presence_display()}）")
    return row


def _record_attendance_facts(meeting) -> None:
    """Behaviour facts of a meeting recorded as held: one attendance per member present, and the study hours
    the meeting credits (学时) to each of them, as the yearly study-hour count does."""
    from dangjian.analytics import facts

    present = list(Attendance.objects.filter(meeting=meeting, presence=Presence.PRESENT)
                   .order_by("member_id").values_list("member_id", flat=True))
    day, ref = meeting.held_on, facts.ref_of(meeting)
    rows = [facts.fact("attendance", on=day, org_id=meeting.org_id, member_id=m, ref=ref,
                       detail={"kind": meeting.kind}) for m in present]
    if meeting.study_hours:
        rows += [facts.fact("study", on=day, org_id=meeting.org_id, member_id=m, quantity=meeting.study_hours,
                            ref=ref, detail={"kind": meeting.kind}) for m in present]
    facts.record_many(rows)


def _member_in(ids, member, field, label, errors):
    if member is None:
        return
    if member.pk not in ids:
        errors[field] = f"{label}应为本次会议的应到人员"


@transaction.atomic
def do_record_meeting(meeting, *, topic: str, chair=None, recorder=None, minutes: str, decisions: str = "",
                      study_hours=None, expected_version: int | None = None, actor) -> Meeting:
    """The record of a meeting held: topic, chair, recorder, minutes, decisions. Participants who neither checked
    in nor asked for leave are recorded absent. A returned record may be corrected and resubmitted."""
    from dangjian.core.actions import check_version

    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    check_version(meeting, expected_version)
    _editable(meeting)
    errors: dict = {}
    if meeting.starts_at > timezone.now():
        errors["__all__"] = "会议尚未开始，不能登记会议记录"
    if len((topic or "").strip()) < 2:
        errors["topic"] = "请填写议题"
    if len((minutes or "").strip()) < 10:
        errors["minutes"] = "请填写会议记录（不少于 10 个字）"
    due = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    _member_in(due, chair, "chair", "主持人", errors)
    _member_in(due, recorder, "recorder", "记录人", errors)
    hours = meeting.study_hours
    if study_hours not in (None, ""):
        try:
            hours = Decimal(str(study_hours)).quantize(Decimal("0.1"))
        except InvalidOperation:
            errors["study_hours"] = "学时应为数字"
        else:
            if not Decimal("0") <= hours <= Decimal(MAX_MEETING_HOURS * 2):
                errors["study_hours"] = "学时超出范围"
    if errors:
        raise ValidationError(errors)
    if not Attendance.objects.filter(meeting=meeting, presence=Presence.PRESENT).exists():
        raise ValidationError({"__all__": "没有党员签到出席，不能登记为已召开"})
    before = _meeting_dict(meeting)
    Attendance.objects.filter(meeting=meeting, presence=Presence.PENDING).update(presence=Presence.ABSENT)
    meeting.topic, meeting.chair, meeting.recorder = topic.strip()[:200], chair, recorder
    meeting.minutes, meeting.decisions, meeting.study_hours = minutes.strip(), (decisions or "").strip(), hours
    if meeting.state == MeetingState.PLANNED:
        meeting.state = MeetingState.HELD
        _record_attendance_facts(meeting)
    meeting.version += 1
    meeting.save()
    audit.record("orglife.record", actor=actor, obj=meeting, before=before, after=_meeting_dict(meeting),
                 detail=f"{meeting.org}：登记{meeting.get_kind_display()}会议记录（{meeting.held_on}）")
    return meeting


@transaction.atomic
def do_record_vote(meeting, *, motion: str, yes: int, no: int, abstain: int, actor) -> MeetingVote:
    """A vote at a 支部党员大会. Those due to vote are the participants due with voting rights on the day; those
    present are the ones checked in. Without a quorum no vote is recorded; a motion passes with yes > ½ of due."""
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    _editable(meeting)
    errors: dict = {}
    if MeetingKind.GENERAL_MEETING not in meeting.kinds:
        errors["__all__"] = "只有支部党员大会进行表决"
    elif meeting.starts_at > timezone.now():
        errors["__all__"] = "会议尚未开始"
    if len((motion or "").strip()) < 2:
        errors["motion"] = "请填写表决事项"
    counts = {"yes": yes, "no": no, "abstain": abstain}
    for name, value in counts.items():
        if not isinstance(value, int) or value < 0:
            errors[name] = "票数应为不小于 0 的整数"
    if errors:
        raise ValidationError(errors)
    day = meeting.held_on
    due, excluded = [], []
    rows = Attendance.objects.filter(meeting=meeting).select_related("member").order_by("member_id")
    present = 0
    for row in rows:
        refusal = voting_refusal(row.member, day, meeting.org)
        if refusal:
            excluded.append({"id": row.member_id, "name": row.member.name, "reason": refusal})
            continue
        due.append(row.member_id)
        present += row.presence == Presence.PRESENT
    refusal = rules.vote_refusal(len(due), present, yes, no, abstain)
    if refusal:
        raise ValidationError({"__all__": refusal})
    vote = MeetingVote.objects.create(meeting=meeting, motion=motion.strip()[:200], due_voting=due, excluded=excluded,
                                      present_voting=present, yes=yes, no=no, abstain=abstain,
                                      passed=rules.motion_passes(len(due), yes), recorded_by=actor)
    audit.record("orglife.vote", actor=actor, obj=meeting,
                 after={"vote": vote.pk, "motion": vote.motion, "due": len(due), "present": present, "yes": yes,
                        "no": no, "abstain": abstain, "passed": vote.passed},
                 detail=f"{vote.motion}：{'通过' if vote.passed else '未通过'}（应到 {len(due)}，赞成 {yes}）")
    return vote


# -- review by the higher organisation ---------------------------------------------------------------------------

@transaction.atomic
def do_submit_meeting(meeting, *, actor) -> Meeting:
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    if meeting.state not in (MeetingState.HELD, MeetingState.RETURNED):
        raise ValidationError({"__all__": f"会议{meeting.get_state_display()}，不能报送审核"})
    meeting.state, meeting.submitted_at = MeetingState.SUBMITTED, timezone.now()
    meeting.version += 1
    meeting.save()
    audit.record("orglife.submit", actor=actor, obj=meeting, after={"state": meeting.state},
                 detail=f"{meeting.org}：报送{meeting.get_kind_display()}会议记录")
    return meeting


def _reviewable(meeting, actor) -> Meeting:
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_REVIEW)
    if meeting.state != MeetingState.SUBMITTED:
        raise ValidationError({"__all__": f"会议记录{meeting.get_state_display()}，不在待审核状态"})
    return meeting


@transaction.atomic
def do_approve_meeting(meeting, *, actor) -> Meeting:
    """The higher organisation approves a meeting record submitted below it."""
    meeting = _reviewable(meeting, actor)
    meeting.state, meeting.reviewed_at, meeting.reviewed_by = MeetingState.APPROVED, timezone.now(), actor
    meeting.review_note = ""
    meeting.version += 1
    meeting.save()
    audit.record("orglife.approve", actor=actor, obj=meeting, after={"state": meeting.state},
                 detail=f"审核通过{meeting.org}的{meeting.get_kind_display()}会议记录")
    return meeting


@transaction.atomic
def do_return_meeting(meeting, *, reason: str, actor) -> Meeting:
    """The higher organisation sends a record back with its reason; the branch corrects it and resubmits."""
    meeting = _reviewable(meeting, actor)
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写退回原因"})
    meeting.state, meeting.reviewed_at, meeting.reviewed_by = MeetingState.RETURNED, timezone.now(), actor
    meeting.review_note = reason.strip()[:500]
    meeting.version += 1
    meeting.save()
    audit.record("orglife.return", actor=actor, obj=meeting, after={"state": meeting.state, "reason": meeting.review_note},
                 detail=f"退回{meeting.org}的{meeting.get_kind_display()}会议记录")
    return meeting
