"""党纪处分 records. The reason is sensitive: encrypted at rest, masked in lists, revealed only to roles that may
reveal (audited). 开除党籍 ends membership (status 出党); 留党察看 lasts at most two years."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.core import audit, rulebook
from dangjian.accounts import roles

from ..choices import MemberStatus
from ..models import DisciplinaryAction, Member
from ..periods import add_months, add_years
from .archive import _locked, do_change_member_status

DKind = DisciplinaryAction.Kind
# Sanctions with an impact period (影响期) counted from their start when no end is given.
IMPACT_KINDS = (DKind.WARNING, DKind.SERIOUS_WARNING, DKind.REMOVAL_FROM_POST)


def _discipline_errors(member, data: dict) -> dict:
    errors = {}
    kind, decided_on = data.get("kind"), data.get("decided_on")
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    today = dt.date.today()
    if kind not in DKind.values:
        errors["kind"] = "请选择处分种类"
    if decided_on is None:
        errors["decided_on"] = "请填写处分决定日期"
    elif decided_on > today:
        errors["decided_on"] = "处分决定日期不能晚于今天"
    elif member.joined_on and decided_on < member.joined_on:
        errors["decided_on"] = "处分决定日期不能早于入党日期"
    if starts_on is None:
        errors["starts_on"] = "请填写处分生效日期"
    elif decided_on and starts_on < decided_on:
        errors["starts_on"] = "处分生效日期不能早于处分决定日期"
    elif starts_on > today and kind == DKind.EXPULSION:
        errors["starts_on"] = "开除党籍的生效日期不能晚于今天"
    if len((data.get("deciding_body") or "").strip()) < 2:
        errors["deciding_body"] = "请填写作出处分决定的党组织"
    if len((data.get("reason") or "").strip()) < 2:
        errors["reason"] = "请填写处分事由"
    if member.status not in (MemberStatus.NORMAL, MemberStatus.SUSPENDED):
        errors["member"] = f"该党员党籍状态为“{member.get_status_display()}”，不能登记处分"
    if starts_on and ends_on and ends_on <= starts_on:
        errors["ends_on"] = "处分期截止日期应晚于生效日期"
    if kind == DKind.PROBATION_WITHIN_PARTY and starts_on and "ends_on" not in errors:
        most = rulebook.value("probation_within_party_max_years", starts_on)
        if ends_on is None:
            errors["ends_on"] = "请填写留党察看期满日期（察看期为一年或二年）"
        elif ends_on > add_years(starts_on, most):
            errors["ends_on"] = (f"留党察看期最长不超过 {most} 年（{rulebook.citation('probation_within_party_max_years')}），"
                                 f"期满日期不能晚于 {add_years(starts_on, most):%Y年%m月%d日}")
    if kind == DKind.EXPULSION and ends_on:
        errors["ends_on"] = "开除党籍没有处分期，请不要填写截止日期"
    return errors


@transaction.atomic
def do_record_disciplinary_action(member: Member, *, data: dict, actor) -> DisciplinaryAction:
    """Record a sanction decided by the competent Party organisation. 开除党籍 sets the status to 出党."""
    member = _locked(member, actor, roles.DISCIPLINE_MANAGE)
    errors = _discipline_errors(member, data)
    if errors:
        raise ValidationError(errors)
    kind, starts_on, ends_on = data["kind"], data["starts_on"], data.get("ends_on")
    if kind in IMPACT_KINDS and ends_on is None:
        months = rulebook.value("sanction_impact_months", starts_on)[kind]
        ends_on = add_months(starts_on, months)
    action = DisciplinaryAction.objects.create(
        member=member, kind=kind, decided_on=data["decided_on"], deciding_body=data["deciding_body"].strip()[:100],
        document_number=(data.get("document_number") or "").strip()[:64], starts_on=starts_on, ends_on=ends_on,
        reason=data["reason"].strip(), recorded_by=actor)
    audit.record("discipline.record", actor=actor, obj=member,
                 after={"discipline": action.pk, "kind": kind, "starts_on": starts_on.isoformat(),
                        "ends_on": ends_on.isoformat() if ends_on else None, "reason": action.masked_reason},
                 detail=f"{member}：{action.get_kind_display()}")
    if kind == DKind.EXPULSION:
        do_change_member_status(member, status=MemberStatus.LEFT, on=min(starts_on, dt.date.today()),
                                reason=f"开除党籍（{action.deciding_body}{action.document_number}）"[:200], actor=actor)
    return action


@transaction.atomic
def do_reveal_disciplinary_action(action, *, actor, reason: str = "") -> dict:
    """The full reason of a sanction, for a role that may reveal it; every reveal is audited."""
    found = DisciplinaryAction.objects.restrict(actor, roles.DISCIPLINE_REVEAL).filter(
        pk=getattr(action, "pk", action)).select_related("member").first()
    if found is None:
        raise Http404("处分记录不存在或不在您的管理范围内")
    audit.record("discipline.reveal", actor=actor, obj=found.member, detail=(reason or "")[:500],
                 after={"discipline": found.pk, "fields": ["reason"]})
    return {"id": found.pk, "reason": found.reason}


__all__ = ["do_record_disciplinary_action", "do_reveal_disciplinary_action"]
