"""Status changes with approval steps (教育条例 第二十四条; 党章 第九条): lost contact and absences abroad are recorded
with their dates, the branch proposes 停止党籍 / 除名 / 恢复党籍, the higher 党委 approves or sends back, and only the
approval changes the status. Death is recorded directly: the record stays and 党龄 stops at the date of death."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.core import audit, rulebook
from dangjian.orgs.models import Organization

from ..choices import MemberStatus
from ..models import Absence, Member, MemberContact, MobileRecord, StatusChangeProposal
from ..periods import add_months, add_years
from .archive import _locked, do_change_member_status

Kind, Ground, State = StatusChangeProposal.Kind, StatusChangeProposal.Ground, StatusChangeProposal.State
# Which grounds each kind of proposal may rest on.
GROUNDS = {
    Kind.SUSPEND: (Ground.LOST_CONTACT, Ground.ABROAD_STUDY, Ground.ABROAD_SETTLED),
    Kind.REMOVE: (Ground.SELF_WITHDRAWAL, Ground.REMOVAL, Ground.PERSUADED),
    Kind.RESTORE: (Ground.RESTORED_CONTACT,),
}
APPROVING_ORG_TYPES = ("committee", "working_committee")  # 党总支 and branches do not decide 党籍
PROPOSAL_OPEN = "该党员已有正在办理的党籍处置事项，请先办结或撤回"
ACTIVE_STATUSES = (MemberStatus.NORMAL, MemberStatus.SUSPENDED)


def _step(obj, actor, step: str, note: str = "") -> None:
    obj.history = [*obj.history, {"at": dt.datetime.now().isoformat(timespec="seconds"),
                                  "by": getattr(actor, "username", ""), "step": step, "note": note}]


def _date_errors(day, field: str, label: str, errors: dict, *, not_before=None, not_before_label="") -> None:
    if day is None:
        errors[field] = f"请填写{label}"
    elif day > dt.date.today():
        errors[field] = f"{label}不能晚于今天"
    elif not_before is not None and day < not_before:
        errors[field] = f"{label}不能早于{not_before_label}"


def open_absence(member, kind: str | None = None):
    rows = Absence.objects.filter(member=member, ended_on__isnull=True)
    return (rows.filter(kind=kind) if kind else rows).order_by("since").first()


# -- 失联 and 出国（境） --------------------------------------------------------------------------------------------


@transaction.atomic
def do_record_absence(member: Member, *, kind: str, since: dt.date, note: str = "", actor) -> Absence:
    """Record that a member lost contact (失联) or went abroad, and since when; 失联 sets `Member.lost_contact`."""
    member = _locked(member, actor, roles.MEMBER_CHANGE)
    errors = {}
    if kind not in Absence.Kind.values:
        errors["kind"] = "请选择情形"
    _date_errors(since, "since", "起始日期", errors, not_before=member.joined_on, not_before_label="入党日期")
    if member.status not in ACTIVE_STATUSES:
        errors["member"] = f"该党员党籍状态为“{member.get_status_display()}”，不能登记"
    if kind in Absence.Kind.values and open_absence(member, kind):
        errors["kind"] = f"该党员已有未结束的“{Absence.Kind(kind).label}”登记"
    if errors:
        raise ValidationError(errors)
    absence = Absence(member=member, kind=kind, since=since, note=(note or "").strip()[:200], recorded_by=actor)
    try:
        with transaction.atomic():
            absence.save()
    except IntegrityError:
        raise ValidationError({"kind": f"该党员已有未结束的“{Absence.Kind(kind).label}”登记"}) from None
    if kind == Absence.Kind.LOST_CONTACT and not member.lost_contact:
        member.lost_contact = True
        member.version += 1
        member.save(update_fields=["lost_contact", "version", "updated_at"])
    audit.record("member.absence", actor=actor, obj=member,
                 after={"absence": absence.pk, "kind": kind, "since": since.isoformat()},
                 detail=f"{member}：{absence.get_kind_display()}，自 {since:%Y-%m-%d}")
    return absence


@transaction.atomic
def do_end_absence(absence: Absence, *, ended_on: dt.date, note: str = "", actor) -> Absence:
    """Contact restored, or back from abroad: the absence ends (restoring 党籍 is a separate proposal)."""
    member = _locked(absence.member, actor, roles.MEMBER_CHANGE)
    absence = Absence.objects.select_for_update().get(pk=absence.pk)
    errors = {}
    if absence.ended_on is not None:
        raise ValidationError("该登记已结束")
    _date_errors(ended_on, "ended_on", "结束日期", errors, not_before=absence.since, not_before_label="起始日期")
    if errors:
        raise ValidationError(errors)
    absence.ended_on = ended_on
    if note:
        absence.note = f"{absence.note}；{note.strip()}"[:200].lstrip("；")
    absence.save()
    if absence.kind == Absence.Kind.LOST_CONTACT and member.lost_contact:
        member.lost_contact = False
        member.version += 1
        member.save(update_fields=["lost_contact", "version", "updated_at"])
    audit.record("member.absence_end", actor=actor, obj=member,
                 after={"absence": absence.pk, "ended_on": ended_on.isoformat()},
                 detail=f"{member}：{absence.get_kind_display()}结束于 {ended_on:%Y-%m-%d}")
    return absence


@transaction.atomic
def do_record_contact(member: Member, *, on: dt.date, method: str, reached: bool, note: str = "",
                      actor) -> MemberContact:
    """A contact (or an attempt) with a lost-contact, abroad or mobile member, by the home organisation."""
    member = _locked(member, actor, roles.MEMBER_CHANGE)
    errors = {}
    _date_errors(on, "on", "联系日期", errors, not_before=member.joined_on, not_before_label="入党日期")
    if method not in MemberContact.Method.values:
        errors["method"] = "请选择联系方式"
    if errors:
        raise ValidationError(errors)
    contact = MemberContact.objects.create(member=member, on=on, method=method, reached=bool(reached),
                                           note=(note or "").strip()[:200], recorded_by=actor)
    audit.record("member.contact", actor=actor, obj=member,
                 after={"contact": contact.pk, "on": on.isoformat(), "reached": contact.reached},
                 detail=f"{member}：{contact.get_method_display()}联系，{'已联系上' if contact.reached else '未联系上'}")
    return contact


# -- Proposals: the branch proposes, the higher 党委 decides ------------------------------------------------------


def proposal_due_on(member, kind: str, ground: str) -> dt.date | None:
    """The first day a proposal on this ground may be made, or None when the facts for it are missing."""
    if ground == Ground.LOST_CONTACT:
        absence = open_absence(member, Absence.Kind.LOST_CONTACT)
        return absence and add_months(absence.since, rulebook.value("lost_contact_suspend_months", absence.since))
    if ground == Ground.ABROAD_STUDY:  # more than 5 years: the day after the fifth anniversary
        absence = open_absence(member, Absence.Kind.ABROAD_STUDY)
        years = absence and rulebook.value("abroad_study_suspend_years", absence.since)
        return absence and add_years(absence.since, years) + dt.timedelta(days=1)
    if ground == Ground.ABROAD_SETTLED:
        absence = open_absence(member, Absence.Kind.ABROAD_SETTLED)
        return absence and absence.since
    if ground == Ground.SELF_WITHDRAWAL:
        if member.status != MemberStatus.SUSPENDED or not member.status_changed_on or not open_absence(member):
            return None
        start = member.status_changed_on
        return add_years(start, rulebook.value("suspended_removal_years", start))
    return None


def _proposal_errors(member, kind, ground, on: dt.date, branch_meeting_on) -> dict:
    errors = {}
    if kind not in Kind.values:
        return {"kind": "请选择事项"}
    if ground not in GROUNDS[kind]:
        return {"ground": f"“{Kind(kind).label}”的依据应为：{'、'.join(Ground(g).label for g in GROUNDS[kind])}"}
    if kind == Kind.RESTORE:
        if member.status == MemberStatus.LEFT:
            errors["kind"] = ("该党员已出党（除名、开除党籍或退党），不能恢复党籍，只能按规定重新入党"
                              "（《中国共产党党员教育管理工作条例》第二十四条）")
        elif member.status != MemberStatus.SUSPENDED:
            errors["kind"] = f"只有停止党籍的党员才能恢复党籍，该党员党籍状态为“{member.get_status_display()}”"
        elif open_absence(member):
            errors["ground"] = "该党员仍登记为失联或在国（境）外，请先登记已恢复联系或回国"
        return errors
    if kind == Kind.SUSPEND and member.status != MemberStatus.NORMAL:
        errors["kind"] = f"该党员党籍状态为“{member.get_status_display()}”，不能停止党籍"
    if kind == Kind.REMOVE:
        if member.status not in ACTIVE_STATUSES:
            errors["kind"] = f"该党员党籍状态为“{member.get_status_display()}”，不能除名"
        _date_errors(branch_meeting_on, "branch_meeting_on", "支部党员大会日期", errors)
        if "branch_meeting_on" in errors and branch_meeting_on is None:
            errors["branch_meeting_on"] = "除名须经支部党员大会讨论决定，请填写支部党员大会日期（《中国共产党章程》第九条）"
    if errors or ground in (Ground.REMOVAL, Ground.PERSUADED):
        return errors
    due = proposal_due_on(member, kind, ground)
    if due is None:
        facts = {Ground.LOST_CONTACT: "请先登记失联情况和失联日期",
                 Ground.ABROAD_STUDY: "请先登记出国（境）学习研究情况和出国日期",
                 Ground.ABROAD_SETTLED: "请先登记出国（境）定居情况",
                 Ground.SELF_WITHDRAWAL: "该党员须停止党籍且仍登记为失联或在国（境）外"}
        errors["ground"] = facts[ground]
    elif on < due:
        key = {Ground.LOST_CONTACT: "lost_contact_suspend_months", Ground.ABROAD_STUDY: "abroad_study_suspend_years",
               Ground.SELF_WITHDRAWAL: "suspended_removal_years"}.get(ground)
        errors["ground"] = (f"尚未满足“{Ground(ground).label}”的条件，{due:%Y年%m月%d日}起方可提出"
                            + (f"（{rulebook.citation(key)}）" if key else ""))
    return errors


@transaction.atomic
def do_propose_status_change(member: Member, *, kind: str, ground: str, reason: str, actor,
                             branch_meeting_on: dt.date | None = None) -> StatusChangeProposal:
    """The branch proposes 停止党籍, 除名 (decided by the 支部党员大会) or 恢复党籍 to the higher 党委."""
    member = _locked(member, actor, roles.MEMBER_CHANGE)
    errors = _proposal_errors(member, kind, ground, dt.date.today(), branch_meeting_on)
    if len((reason or "").strip()) < 2:
        errors["reason"] = "请填写情况说明（联系经过、核实情况等）"
    if StatusChangeProposal.objects.filter(member=member, state__in=StatusChangeProposal.OPEN).exists():
        errors["member"] = PROPOSAL_OPEN
    if errors:
        raise ValidationError(errors)
    proposal = StatusChangeProposal(member=member, kind=kind, ground=ground, reason=reason.strip()[:300],
                                    branch_meeting_on=branch_meeting_on if kind == Kind.REMOVE else None,
                                    proposed_by=actor)
    _step(proposal, actor, "支部提出")
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:
        raise ValidationError({"member": PROPOSAL_OPEN}) from None
    audit.record("member.status_propose", actor=actor, obj=member,
                 after={"proposal": proposal.pk, "kind": kind, "ground": ground},
                 detail=f"{member}：提出{proposal.get_kind_display()}（{proposal.get_ground_display()}）")
    return proposal


def approving_committees(actor, org):
    """The 党委 above `org` (strict ancestors) in which `actor` may approve status changes."""
    step = Organization.steplen
    ancestors = [org.path[:i] for i in range(step, len(org.path), step)]
    return Organization.objects.restrict(actor, roles.STATUS_APPROVE).filter(
        path__in=ancestors, org_type__in=APPROVING_ORG_TYPES)


def _locked_proposal(proposal, actor, *, deciding: bool) -> StatusChangeProposal:
    """The proposal, locked; the branch's side needs MEMBER_CHANGE on the member, the deciding side a 党委 role above
    the member's organisation. Anyone else gets 404."""
    found = (StatusChangeProposal.objects.select_for_update(of=("self",)).select_related("member", "member__org")
             .filter(pk=getattr(proposal, "pk", proposal)).first())
    if found is None:
        raise Http404("党籍处置事项不存在或不由您办理")
    if deciding:
        if not approving_committees(actor, found.member.org).exists():
            raise Http404("党籍处置事项不存在或不由您办理")
    elif not Member.objects.restrict(actor, roles.MEMBER_CHANGE).filter(pk=found.member_id).exists():
        raise Http404("党籍处置事项不存在或不由您办理")
    return found


def _require_state(proposal, *states) -> None:
    if proposal.state not in states:
        raise ValidationError(f"当前状态为“{proposal.get_state_display()}”，不能办理此步骤")


@transaction.atomic
def do_approve_status_change(proposal, *, actor, on: dt.date | None = None) -> StatusChangeProposal:
    """The higher 党委 approves: the member's status changes now, with the date and the ground as its reason."""
    proposal = _locked_proposal(proposal, actor, deciding=True)
    _require_state(proposal, State.PROPOSED)
    on = on or dt.date.today()
    if on > dt.date.today() or on < proposal.created_at.date():
        raise ValidationError({"on": "批准日期应在支部提出之日与今天之间"})
    member = proposal.member
    errors = _proposal_errors(member, proposal.kind, proposal.ground, on, proposal.branch_meeting_on)
    if errors:  # the facts changed since the branch proposed (e.g. contact restored)
        raise ValidationError(list(errors.values()))
    reason = f"{proposal.get_kind_display()}：{proposal.get_ground_display()}"
    if proposal.ground == Ground.SELF_WITHDRAWAL:
        reason = f"除名（自行脱党）：{proposal.get_ground_display()}"  # the proposal keeps the code self_withdrawal
    do_change_member_status(member, status=proposal.target_status, on=on, reason=reason[:200], actor=actor)
    proposal.state, proposal.decided_on = State.APPROVED, on
    _step(proposal, actor, "上级党委批准")
    proposal.version += 1
    proposal.save()
    audit.record("member.status_approve", actor=actor, obj=member,
                 after={"proposal": proposal.pk, "status": proposal.target_status, "on": on.isoformat()},
                 detail=f"{member}：{proposal.get_kind_display()}已批准")
    return proposal


@transaction.atomic
def do_send_back_status_change(proposal, *, reason: str, actor) -> StatusChangeProposal:
    """The higher 党委 sends the proposal back to the branch with a reason; nothing about the member changes."""
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写退回原因"})
    proposal = _locked_proposal(proposal, actor, deciding=True)
    _require_state(proposal, State.PROPOSED)
    proposal.state, proposal.note = State.RETURNED, reason.strip()[:200]
    _step(proposal, actor, "上级党委退回", proposal.note)
    proposal.version += 1
    proposal.save()
    audit.record("member.status_send_back", actor=actor, obj=proposal.member, after={"proposal": proposal.pk},
                 detail=f"{proposal.member}：{proposal.get_kind_display()}被退回，原因：{proposal.note}")
    return proposal


@transaction.atomic
def do_resubmit_status_change(proposal, *, actor, reason: str = "") -> StatusChangeProposal:
    """The branch answers a send-back and proposes again (optionally with a corrected account)."""
    proposal = _locked_proposal(proposal, actor, deciding=False)
    _require_state(proposal, State.RETURNED)
    if (reason or "").strip():
        proposal.reason = reason.strip()[:300]
    errors = _proposal_errors(proposal.member, proposal.kind, proposal.ground, dt.date.today(),
                              proposal.branch_meeting_on)
    if errors:
        raise ValidationError(list(errors.values()))
    proposal.state = State.PROPOSED
    _step(proposal, actor, "支部重新提交")
    proposal.version += 1
    proposal.save()
    audit.record("member.status_propose", actor=actor, obj=proposal.member,
                 after={"proposal": proposal.pk, "resubmitted": True},
                 detail=f"{proposal.member}：重新提交{proposal.get_kind_display()}")
    return proposal


@transaction.atomic
def do_withdraw_status_change(proposal, *, reason: str, actor) -> StatusChangeProposal:
    """The branch withdraws a proposal not yet decided (e.g. the member got in touch)."""
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写撤回原因"})
    proposal = _locked_proposal(proposal, actor, deciding=False)
    _require_state(proposal, State.PROPOSED, State.RETURNED)
    proposal.state, proposal.note = State.WITHDRAWN, reason.strip()[:200]
    _step(proposal, actor, "支部撤回", proposal.note)
    proposal.version += 1
    proposal.save()
    audit.record("member.status_withdraw", actor=actor, obj=proposal.member, after={"proposal": proposal.pk},
                 detail=f"{proposal.member}：撤回{proposal.get_kind_display()}，原因：{proposal.note}")
    return proposal


# -- Death --------------------------------------------------------------------------------------------------------


@transaction.atomic
def do_record_member_death(member: Member, *, died_on: dt.date, note: str = "", actor) -> Member:
    """死亡: the record is never deleted; the status becomes 死亡 with the date, and 党龄 counts up to that date.
    Open absences and mobile records end on that date; open proposals are withdrawn."""
    locked = _locked(member, actor, roles.MEMBER_CHANGE)
    errors = {}
    _date_errors(died_on, "died_on", "死亡日期", errors, not_before=locked.joined_on, not_before_label="入党日期")
    if locked.status == MemberStatus.DECEASED:
        errors["member"] = "该党员已登记为死亡"
    if errors:
        raise ValidationError(errors)
    reason = "死亡" + (f"：{note.strip()}" if (note or "").strip() else "")
    member = do_change_member_status(locked, status=MemberStatus.DECEASED, on=died_on, reason=reason[:200], actor=actor)
    Absence.objects.filter(member=member, ended_on__isnull=True).update(ended_on=died_on)
    for record in MobileRecord.objects.filter(member=member, state__in=[MobileRecord.State.OUT, MobileRecord.State.IN]):
        record.state, record.closed_on, record.closure = MobileRecord.State.CLOSED, died_on, MobileRecord.Closure.OTHER
        _step(record, actor, "结束（党员死亡）")
        record.save()
    for proposal in StatusChangeProposal.objects.filter(member=member, state__in=StatusChangeProposal.OPEN):
        proposal.state, proposal.note = State.WITHDRAWN, "党员死亡"
        _step(proposal, actor, "撤回（党员死亡）")
        proposal.save()
    if member.lost_contact or member.is_mobile:
        member.lost_contact = member.is_mobile = False
        member.save(update_fields=["lost_contact", "is_mobile", "updated_at"])
    return member


__all__ = [
    "approving_committees", "do_approve_status_change", "do_end_absence", "do_propose_status_change",
    "do_record_absence", "do_record_contact", "do_record_member_death", "do_resubmit_status_change",
    "do_send_back_status_change", "do_withdraw_status_change", "open_absence", "proposal_due_on",
]
