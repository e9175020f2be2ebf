"""Transfers of the organisational relationship (组织关系转接) inside the system, and letters to outside."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.analytics import facts
from dangjian.analytics.models import FactKind
from dangjian.core import audit
from dangjian.orgs.models import Organization

from ..choices import MemberStatus
from ..history import record_periods
from ..models import Member
from ..periods import add_months
from dangjian.core.actions import changed, require

from .archive import (
    TRANSFER_OPEN, _audit_snapshot, _locked, _locked_org, do_change_member_status, has_open_transfer, org_refusal,
)

# -- 组织关系转接 (transfers inside the system) ------------------------------------------------------------------


def _transfer_step(transfer, actor, step: str, note: str = "") -> None:
    transfer.history = [*transfer.history, {"at": dt.datetime.now().isoformat(timespec="seconds"),
                                            "by": getattr(actor, "username", ""), "step": step, "note": note}]


def _advance(transfer, actor, *, state: str, step: str, action: str, detail: str, note: str | None = None,
             after: dict | None = None):
    """Move a locked transfer to `state`: the step joins its record, the version moves on, the audit says so."""
    transfer.state = state
    if note is not None:
        transfer.note = note
    _transfer_step(transfer, actor, step, note or "")
    transfer.version += 1
    transfer.save()
    audit.record(action, actor=actor, obj=transfer.member, after={"transfer": transfer.pk, **(after or {})},
                 detail=detail)
    return transfer


def _locked_transfer(transfer, actor, perm: str, org_field: str):
    """The transfer, locked, if `actor` acts for its side: `org_field` names the organisation ("from_org" or
    "to_org"); with TRANSFER_APPROVE the act belongs to the 党委 above that organisation."""
    from dangjian.orgs.models import Organization as Org

    from ..models import Transfer

    found = Transfer.objects.select_for_update().select_related("member", "from_org", "to_org").filter(
        pk=transfer.pk).first()
    if found is None:
        raise Http404("转接记录不存在或不由您办理")
    org = getattr(found, org_field)
    if perm == roles.TRANSFER_APPROVE:
        org = Org.objects.get_parent(org) or org  # the 基层党委 above the branch
    if not Org.objects.restrict(actor, perm).filter(pk=org.pk).exists():
        raise Http404("转接记录不存在或不由您办理")
    return found


STEP_NAMES = {"sender_committee", "receiver_committee"}


def _committee_above(org: Organization):
    """The nearest 党委 or 党工委 above `org` (a branch under a 总支 belongs to the 党委 above the 总支)."""
    step = Organization.steplen
    return (Organization.objects.filter(path__in=[org.path[:i] for i in range(step, len(org.path), step)],
                                        org_type__in=("committee", "working_committee"))
            .order_by("-depth").values_list("pk", flat=True).first())


def transfer_steps(from_org: Organization, to_org: Organization) -> tuple[bool, bool]:
    """(sending 党委 approves, receiving 党委 agrees) for a transfer between these organisations, by level: both
    under the same 党委, or across 党委 (rulebook "transfer_steps", a local setting)."""
    from django.core.exceptions import ImproperlyConfigured

    from dangjian.core import rulebook

    configured = rulebook.value("transfer_steps")
    same = _committee_above(from_org) == _committee_above(to_org)
    steps = configured.get("within_committee" if same else "across_committees")
    if not isinstance(steps, list) or set(steps) - STEP_NAMES:
        raise ImproperlyConfigured('规则 transfer_steps 应为 {"within_committee": [...], "across_committees": [...]}，'
                                   '步骤只能是 sender_committee、receiver_committee')
    return "sender_committee" in steps, "receiver_committee" in steps


@transaction.atomic
def do_apply_transfer(member: Member, *, to_org: Organization, reason: str, actor):
    """The sending branch applies to transfer a member's relationship to another organisation."""
    from ..models import Transfer

    member = _locked(member, actor, roles.MEMBER_CHANGE)
    errors = {}
    to_org = Organization.objects.filter(pk=getattr(to_org, "pk", None)).first()
    if to_org is None:
        errors["to_org"] = "请选择接收党组织"
    elif to_org.pk == member.org_id:
        errors["to_org"] = "接收党组织与现在的党组织相同"
    elif org_refusal(to_org):
        errors["to_org"] = org_refusal(to_org)
    if member.status != MemberStatus.NORMAL:
        errors["member"] = f"该党员党籍状态为“{member.get_status_display()}”，不能办理转接"
    if len((reason or "").strip()) < 2:
        errors["reason"] = "请填写转接原因（如工作调动、迁居）"
    if has_open_transfer(member):
        errors["member"] = TRANSFER_OPEN
    if errors:
        raise ValidationError(errors)
    sender_approval, receiver_approval = transfer_steps(member.org, to_org)
    transfer = Transfer(member=member, from_org=member.org, to_org=to_org, reason=reason.strip()[:200],
                        applied_by=actor, sender_approval=sender_approval, receiver_approval=receiver_approval,
                        state=Transfer.State.APPLIED if sender_approval else Transfer.State.APPROVED)
    _transfer_step(transfer, actor, "申请" if sender_approval else "申请（本级无需转出党委审批）")
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:  # a concurrent application for the same member won
        raise ValidationError({"member": TRANSFER_OPEN}) from None
    audit.record("transfer.apply", actor=actor, obj=member,
                 after={"transfer": transfer.pk, "from": member.org.code, "to": to_org.code},
                 detail=f"{member}：申请转出至{to_org.name}")
    return transfer


@transaction.atomic
def do_approve_transfer(transfer, *, actor):
    """The sending 基层党委 approves the transfer out."""
    transfer = _locked_transfer(transfer, actor, roles.TRANSFER_APPROVE, "from_org")
    if transfer.state != transfer.State.APPLIED:
        raise ValidationError(f"当前状态为“{transfer.get_state_display()}”，不能审批")
    return _advance(transfer, actor, state=transfer.State.APPROVED, step="转出党委审批", action="transfer.approve",
                    detail=f"{transfer.member}：转出审批通过，转至{transfer.to_org.name}")


@transaction.atomic
def do_agree_transfer(transfer, *, actor):
    """The receiving 党委 agrees to take the member (where the local rules add this step)."""
    transfer = _locked_transfer(transfer, actor, roles.TRANSFER_APPROVE, "to_org")
    if transfer.awaiting != "receiver_committee":
        raise ValidationError(f"当前状态为“{transfer.get_state_display()}”，不需要接收党委同意")
    return _advance(transfer, actor, state=transfer.State.AGREED, step="接收党委同意", action="transfer.agree",
                    detail=f"{transfer.member}：接收党委同意转入{transfer.to_org.name}")


@transaction.atomic
def do_receive_transfer(transfer, *, actor, on: dt.date | None = None):
    """The receiving organisation accepts: from this moment the member belongs to it."""
    transfer = _locked_transfer(transfer, actor, roles.MEMBER_ADD, "to_org")
    if transfer.awaiting != "receiver":
        raise ValidationError(f"当前状态为“{transfer.get_state_display()}”，不能接收")
    if on is not None and on > dt.date.today():
        raise ValidationError({"received_on": "接收日期不能晚于今天"})
    member = Member.objects.select_for_update().get(pk=transfer.member_id)
    refusal = org_refusal(_locked_org(transfer.to_org))
    if refusal:
        raise ValidationError(f"接收党组织不能接收党员：{refusal}")
    before = _audit_snapshot(member)
    received_on = on or dt.date.today()
    member.org_id = transfer.to_org_id
    member.version += 1
    member.save(update_fields=["org", "version", "updated_at"])
    record_periods([member], received_on)
    facts.record(FactKind.TRANSFER_IN, on=received_on, org_id=member.org_id, member_id=member.pk,
                 ref=facts.ref_of(transfer), detail={"from_org": transfer.from_org_id})
    transfer.state, transfer.received_on = transfer.State.RECEIVED, received_on
    _transfer_step(transfer, actor, "接收")
    transfer.version += 1
    transfer.save()
    old, new = changed(before, _audit_snapshot(member))
    audit.record("transfer.receive", actor=actor, obj=member, before=old, after={**new, "transfer": transfer.pk},
                 detail=f"{member}：由{transfer.from_org.name}转入{transfer.to_org.name}")
    return transfer


@transaction.atomic
def do_send_back_transfer(transfer, *, reason: str, actor):
    """Send a transfer back one step with a reason: the receiver to the sending 党委, the 党委 to the branch."""
    from ..models import Transfer

    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写退回原因"})
    found = Transfer.objects.filter(pk=transfer.pk).first()
    if found is None:
        raise Http404("转接记录不存在或不由您办理")
    # Each step sends back to the one before it; the first approval sends back to the branch.
    awaiting, state = found.awaiting, Transfer.State
    earlier = state.APPLIED if found.sender_approval else state.RETURNED
    if awaiting == "receiver":
        found = _locked_transfer(found, actor, roles.MEMBER_ADD, "to_org")
        target, step = (state.APPROVED if found.receiver_approval else earlier), "接收方退回"
    elif awaiting == "receiver_committee":
        found = _locked_transfer(found, actor, roles.TRANSFER_APPROVE, "to_org")
        target, step = earlier, "接收党委退回"
    elif awaiting == "sender_committee":
        found = _locked_transfer(found, actor, roles.TRANSFER_APPROVE, "from_org")
        target, step = state.RETURNED, "转出党委退回"
    else:
        raise ValidationError(f"当前状态为“{found.get_state_display()}”，不能退回")
    if found.awaiting != awaiting:
        raise ValidationError("该转接已被他人办理，请刷新")
    note = reason.strip()[:200]
    return _advance(found, actor, state=target, step=step, action="transfer.send_back", note=note,
                    after={"to": target}, detail=f"{found.member}：转接{step}，原因：{note}")


@transaction.atomic
def do_withdraw_transfer(transfer, *, actor, reason: str = ""):
    """The sending branch withdraws before the next step has acted; a returned application may be resubmitted."""
    from ..models import Transfer

    found = _locked_transfer(transfer, actor, roles.MEMBER_CHANGE, "from_org")
    # Before the next step has acted: the sending 党委's approval, or, without it, the receiving side's first act.
    untouched = found.state in (Transfer.State.APPLIED, Transfer.State.RETURNED) or (
        not found.sender_approval and found.state == Transfer.State.APPROVED)
    if not untouched:
        raise ValidationError("转接已进入下一步办理，不能撤回；如需撤销请联系正在办理的一方退回")
    return _advance(found, actor, state=Transfer.State.WITHDRAWN, step="撤回", action="transfer.withdraw",
                    note=(reason or "").strip()[:200], detail=f"{found.member}：撤回组织关系转接")


@transaction.atomic
def do_resubmit_transfer(transfer, *, actor):
    from ..models import Transfer

    found = _locked_transfer(transfer, actor, roles.MEMBER_CHANGE, "from_org")
    if found.state != Transfer.State.RETURNED:
        raise ValidationError("只有被退回的申请可以重新提交")
    return _advance(found, actor, state=Transfer.State.APPLIED if found.sender_approval else Transfer.State.APPROVED,
                    step="重新提交", action="transfer.apply", after={"resubmitted": True},
                    detail=f"{found.member}：重新提交组织关系转接")


# -- 组织关系介绍信 (to organisations outside the system) -------------------------------------------------------

@transaction.atomic
def do_issue_transfer_letter(member: Member, *, to_org_name: str, reason: str, actor,
                             issued_on: dt.date | None = None):
    """A 介绍信 for a member moving to an organisation outside this system; the member stays until the receipt."""
    from dangjian.core import rulebook

    from ..models import TransferLetter

    member = _locked(member, actor, roles.MEMBER_CHANGE)
    issued_on = issued_on or dt.date.today()
    errors = {}
    if len((to_org_name or "").strip()) < 4:
        errors["to_org_name"] = "请填写接收党组织的全称"
    if len((reason or "").strip()) < 2:
        errors["reason"] = "请填写转接原因"
    if issued_on > dt.date.today():
        errors["issued_on"] = "开具日期不能晚于今天"
    if member.status != MemberStatus.NORMAL:
        errors["member"] = f"该党员党籍状态为“{member.get_status_display()}”，不能开具介绍信"
    if has_open_transfer(member):
        errors["member"] = TRANSFER_OPEN
    if errors:
        raise ValidationError(errors)
    months = rulebook.value("transfer_letter_valid_months", issued_on)
    letter = TransferLetter.objects.create(
        number=f"pending-{member.pk}-{dt.datetime.now().timestamp()}", member=member, from_org=member.org,
        to_org_name=to_org_name.strip()[:100], reason=reason.strip()[:200], issued_on=issued_on,
        valid_until=add_months(issued_on, months) - dt.timedelta(days=1),
        dues_paid_until=_dues_paid_until(member), issued_by=actor)
    letter.number = f"{issued_on:%Y}-{letter.pk:06d}"
    letter.save(update_fields=["number"])
    audit.record("transfer.letter", actor=actor, obj=member,
                 after={"letter": letter.number, "to": letter.to_org_name, "valid_until": letter.valid_until.isoformat()},
                 detail=f"{member}：开具组织关系介绍信 {letter.number}，转往{letter.to_org_name}")
    return letter


def _dues_paid_until(member: Member):
    """The last month the member's dues are paid for (the letter carries it)."""
    from dangjian.dues.models import DuesPayment

    last = (DuesPayment.objects.filter(member=member, active=True, kind="regular")
            .order_by("-bill__month").values_list("bill__month", flat=True).first())
    return last


@transaction.atomic
def do_record_letter_receipt(letter, *, receipt_org_name: str, receipt_on: dt.date, actor):
    """The receiving organisation's 回执 came back: the member has left this organisation (转出)."""
    from ..models import TransferLetter

    found = (TransferLetter.objects.restrict(actor, roles.MEMBER_CHANGE).select_for_update(of=("self",))
             .select_related("member").filter(pk=letter.pk).first())
    if found is None:
        raise Http404("介绍信不存在或不在您的管理范围内")
    errors = {}
    if found.state != TransferLetter.State.ISSUED:
        errors["letter"] = f"该介绍信状态为“{found.get_state_display()}”，不能登记回执"
    if len((receipt_org_name or "").strip()) < 4:
        errors["receipt_org_name"] = "请填写回执上的接收单位"
    if receipt_on is None or receipt_on > dt.date.today() or receipt_on < found.issued_on:
        errors["receipt_on"] = "回执日期应在开具日期和今天之间"
    if errors:
        raise ValidationError(errors)
    found.state, found.receipt_org_name, found.receipt_on = (TransferLetter.State.RECEIVED,
                                                             receipt_org_name.strip()[:100], receipt_on)
    found.version += 1
    found.save()
    do_change_member_status(found.member, status=MemberStatus.TRANSFERRED_OUT, on=receipt_on,
                            reason=f"组织关系转至{found.receipt_org_name}（介绍信 {found.number}）", actor=actor)
    audit.record("transfer.letter_receipt", actor=actor, obj=found.member,
                 after={"letter": found.number, "receipt_org": found.receipt_org_name},
                 detail=f"{found.member}：介绍信 {found.number} 回执已收到")
    return found


@transaction.atomic
def do_cancel_transfer_letter(letter, *, reason: str, actor):
    from ..models import TransferLetter

    found = (TransferLetter.objects.restrict(actor, roles.MEMBER_CHANGE).select_for_update(of=("self",))
             .filter(pk=letter.pk).first())
    if found is None:
        raise Http404("介绍信不存在或不在您的管理范围内")
    if found.state != TransferLetter.State.ISSUED:
        raise ValidationError("只有待回执的介绍信可以作废")
    if len((reason or "").strip()) < 2:
        raise ValidationError({"reason": "请填写作废原因"})
    found.state = TransferLetter.State.CANCELLED
    found.version += 1
    found.save()
    audit.record("transfer.letter_cancel", actor=actor, obj=found.member, after={"letter": found.number},
                 detail=f"介绍信 {found.number} 作废：{reason.strip()[:100]}")
    return found


# -- 介绍信 from organisations outside the system ---------------------------------------------------------------

@transaction.atomic
def do_register_incoming_letter(*, org: Organization, letter: dict, member_data: dict, actor):
    """The receiving organisation registers a 介绍信 from outside the system: the member joins the archive (or, if
    they once transferred out, returns to it) from the day they reported, with the dates the letter carries —
    a 预备党员's probation runs on from the date of admission, an applicant's and activist's dates are kept."""
    from ..history import record_periods
    from ..models import IncomingLetter
    from ..search import id_number_index
    from .archive import EDITABLE_FIELDS, _audit_snapshot, validate_member

    require(actor, roles.MEMBER_ADD, org)
    org = _locked_org(org)
    today = dt.date.today()
    number = (letter.get("number") or "").strip()
    from_name = (letter.get("from_org_name") or "").strip()
    issued_on, valid_until = letter.get("issued_on"), letter.get("valid_until")
    received_on, note = letter.get("received_on"), (letter.get("overdue_note") or "").strip()
    errors = {}
    if org_refusal(org):
        errors["to_org"] = org_refusal(org)
    if not number:
        errors["number"] = "请填写介绍信编号"
    if len(from_name) < 4:
        errors["from_org_name"] = "请填写开具介绍信的党组织全称"
    if issued_on is None or issued_on > today:
        errors["issued_on"] = "请填写开具日期（不能晚于今天）"
    if valid_until is None or (issued_on and valid_until < issued_on):
        errors["valid_until"] = "请填写有效期（不能早于开具日期）"
    if received_on is None or received_on > today or (issued_on and received_on < issued_on):
        errors["received_on"] = "报到日期应在开具日期和今天之间"
    elif valid_until and received_on > valid_until and len(note) < 4:
        errors["overdue_note"] = "已超过介绍信有效期报到，请写明逾期原因并附党支部证明"
    if number and from_name and IncomingLetter.objects.filter(number=number, from_org_name=from_name).exists():
        errors["number"] = "这份介绍信已经登记过"
    fields = {k: v for k, v in member_data.items() if k in EDITABLE_FIELDS}
    existing = None
    if fields.get("id_number"):
        try:
            existing = (Member.objects.select_for_update()
                        .filter(id_number_index=id_number_index(str(fields["id_number"]).strip().upper())).first())
        except ValidationError:
            existing = None
    if existing is not None and existing.status != MemberStatus.TRANSFERRED_OUT:
        where = f"在{existing.org.name}" if existing.status == MemberStatus.NORMAL else f"状态为“{existing.get_status_display()}”"
        errors["id_number"] = f"该党员的档案已在本系统中（{where}），请通过系统内转接或恢复党籍办理"
    member = existing or Member(status=MemberStatus.NORMAL)
    before = _audit_snapshot(member) if existing else None
    for key, value in fields.items():
        if existing is not None and key in ("id_number", "phone", "address") and not value:
            continue  # a blank sensitive field keeps what the archive holds
        setattr(member, key, value)
    member.org = org
    try:
        validate_member(member, check_unique=existing is None)
    except ValidationError as exc:
        for key, msgs in exc.message_dict.items():
            errors.setdefault(key, msgs)
    if errors:
        raise ValidationError(errors)
    member.status, member.status_changed_on = MemberStatus.NORMAL, (received_on if existing else None)
    member.status_reason = f"持介绍信由{from_name}转入" if existing else ""
    if existing:
        member.version += 1
    try:
        with transaction.atomic():
            member.save(force_insert=existing is None)
    except IntegrityError:
        raise ValidationError({"id_number": ["该公民身份号码已登记在党员档案中，不能重复录入"]}) from None
    record_periods([member], received_on)
    registered = IncomingLetter.objects.create(
        number=number[:64], from_org_name=from_name[:100], to_org=org, member=member, issued_on=issued_on,
        valid_until=valid_until, received_on=received_on, dues_paid_until=letter.get("dues_paid_until"),
        overdue_note=note[:200], registered_by=actor)
    after = _audit_snapshot(member)
    audit.record("transfer.letter_in", actor=actor, obj=member, before=before,
                 after={**after, "letter": number, "from": from_name, "received_on": received_on.isoformat()},
                 detail=f"{member}：持{from_name}介绍信（{number}）转入{org.name}")
    return registered
