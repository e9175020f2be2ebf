"""流动党员: the home branch registers the outflow (where to, since when, why, how to reach the member) and keeps
in touch; the inflow organisation registers the inflow; the 流动党员活动证 is reviewed once a year; the record closes
when the member returns or transfers. `Member.is_mobile` follows the open record."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.orgs.models import Organization

from ..choices import MemberStatus
from ..models import Member, MobileRecord, phone_validator
from .archive import _locked, org_refusal
from .status import _date_errors, _step

MState = MobileRecord.State
MOBILE_OPEN = "该党员已登记为流动党员，请先结束原登记"


def _certificate_errors(data: dict, errors: dict) -> None:
    number, issued, valid = (data.get("certificate_number") or "").strip(), data.get("certificate_issued_on"), \
        data.get("certificate_valid_until")
    if not (number or issued or valid):
        return
    if not number:
        errors["certificate_number"] = "请填写流动党员活动证编号"
    if issued is None:
        errors["certificate_issued_on"] = "请填写活动证发放日期"
    elif issued > dt.date.today():
        errors["certificate_issued_on"] = "活动证发放日期不能晚于今天"
    if valid is None:
        errors["certificate_valid_until"] = "请填写活动证有效期"
    elif issued and valid <= issued:
        errors["certificate_valid_until"] = "活动证有效期应晚于发放日期"


@transaction.atomic
def do_register_mobile_outflow(member: Member, *, data: dict, actor) -> MobileRecord:
    """The home branch registers a member going away without transferring the relationship (外出流动)."""
    member = _locked(member, actor, roles.MEMBER_CHANGE)
    errors = {}
    if member.status != MemberStatus.NORMAL:
        errors["member"] = f"该党员党籍状态为“{member.get_status_display()}”，不能登记为流动党员"
    if MobileRecord.objects.filter(member=member, state__in=[MState.OUT, MState.IN]).exists():
        errors["member"] = MOBILE_OPEN
    _date_errors(data.get("out_since"), "out_since", "外出日期", errors, not_before=member.joined_on,
                 not_before_label="入党日期")
    inflow_org = data.get("inflow_org")
    if inflow_org is not None:
        inflow_org = Organization.objects.filter(pk=getattr(inflow_org, "pk", inflow_org)).first()
        if inflow_org is None:
            errors["inflow_org"] = "所选流入党组织不存在"
        elif inflow_org.pk == member.org_id:
            errors["inflow_org"] = "流入党组织不能是党员所在的党组织"
        elif org_refusal(inflow_org):
            errors["inflow_org"] = org_refusal(inflow_org)
    destination = (data.get("destination") or "").strip() or (inflow_org.name if inflow_org else "")
    if len(destination) < 2:
        errors["destination"] = "请填写流入地点（地区、单位或党组织）"
    if len((data.get("reason") or "").strip()) < 2:
        errors["reason"] = "请填写外出原因（如务工、经商、学习）"
    phone = (data.get("contact_phone") or "").strip()
    if phone:
        try:
            phone_validator(phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages[0]
    _certificate_errors(data, errors)
    if errors:
        raise ValidationError(errors)
    record = MobileRecord(
        member=member, home_org=member.org, inflow_org=inflow_org, destination=destination[:100],
        out_since=data["out_since"], reason=data["reason"].strip()[:100], contact_phone=phone,
        certificate_number=(data.get("certificate_number") or "").strip()[:32],
        certificate_issued_on=data.get("certificate_issued_on"),
        certificate_valid_until=data.get("certificate_valid_until"), registered_by=actor)
    _step(record, actor, "流出登记", destination)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ValidationError({"member": MOBILE_OPEN}) from None
    member.is_mobile = True
    member.version += 1
    member.save(update_fields=["is_mobile", "version", "updated_at"])
    audit.record("mobile.outflow", actor=actor, obj=member,
                 after={"mobile": record.pk, "destination": record.destination, "inflow_org": record.inflow_org_id,
                        "out_since": record.out_since.isoformat()},
                 detail=f"{member}：流出至{record.destination}")
    return record


def _locked_record(record, actor, side: str) -> MobileRecord:
    """side "home": the home organisation; "inflow": the inflow organisation (or home, when it is outside)."""
    found = MobileRecord.objects.select_for_update(of=("self",)).select_related("member", "inflow_org", "home_org") \
        .filter(pk=getattr(record, "pk", record)).first()
    if found is None:
        raise Http404("流动党员登记不存在或不由您办理")
    org_id = found.inflow_org_id if side == "inflow" and found.inflow_org_id else found.home_org_id
    if not Organization.objects.restrict(actor, roles.MEMBER_CHANGE).filter(pk=org_id).exists():
        raise Http404("流动党员登记不存在或不由您办理")
    return found


@transaction.atomic
def do_register_mobile_inflow(record, *, on: dt.date, actor, note: str = "") -> MobileRecord:
    """The inflow organisation registers the member's arrival (流入登记); for a place outside the system, the home
    branch records the date the member reported there."""
    record = _locked_record(record, actor, "inflow")
    if record.state != MState.OUT:
        raise ValidationError(f"当前状态为“{record.get_state_display()}”，不能办理流入登记")
    errors = {}
    _date_errors(on, "on", "流入登记日期", errors, not_before=record.out_since, not_before_label="外出日期")
    if errors:
        raise ValidationError(errors)
    record.state, record.inflow_registered_on = MState.IN, on
    _step(record, actor, "流入登记", (note or "").strip()[:100])
    record.version += 1
    record.save()
    audit.record("mobile.inflow", actor=actor, obj=record.member, after={"mobile": record.pk, "on": on.isoformat()},
                 detail=f"{record.member}：流入{record.inflow_org.name if record.inflow_org else record.destination}")
    return record


@transaction.atomic
def do_issue_mobile_certificate(record, *, data: dict, actor) -> MobileRecord:
    """The home organisation issues (or re-issues) the 流动党员活动证."""
    record = _locked_record(record, actor, "home")
    if record.state == MState.CLOSED:
        raise ValidationError("该流动党员登记已结束")
    errors = {}
    _certificate_errors(data, errors)
    if not errors and not (data.get("certificate_number") or "").strip():
        errors["certificate_number"] = "请填写流动党员活动证编号"
    if errors:
        raise ValidationError(errors)
    record.certificate_number = data["certificate_number"].strip()[:32]
    record.certificate_issued_on = data["certificate_issued_on"]
    record.certificate_valid_until = data["certificate_valid_until"]
    record.last_reviewed_on = None
    _step(record, actor, "发放活动证", record.certificate_number)
    record.version += 1
    record.save()
    audit.record("mobile.certificate", actor=actor, obj=record.member,
                 after={"mobile": record.pk, "number": record.certificate_number},
                 detail=f"{record.member}：发放流动党员活动证 {record.certificate_number}")
    return record


@transaction.atomic
def do_review_mobile_certificate(record, *, on: dt.date, actor, note: str = "") -> MobileRecord:
    """年审 of the 流动党员活动证, once a year (usually with the 民主评议)."""
    record = _locked_record(record, actor, "home")
    if record.state == MState.CLOSED:
        raise ValidationError("该流动党员登记已结束")
    if not record.certificate_number:
        raise ValidationError("该流动党员尚未发放活动证，请先登记活动证")
    errors = {}
    _date_errors(on, "on", "年审日期", errors, not_before=record.certificate_issued_on,
                 not_before_label="活动证发放日期")
    if errors:
        raise ValidationError(errors)
    record.last_reviewed_on = on
    _step(record, actor, "活动证年审", (note or "").strip()[:100])
    record.version += 1
    record.save()
    audit.record("mobile.review", actor=actor, obj=record.member, after={"mobile": record.pk, "on": on.isoformat()},
                 detail=f"{record.member}：活动证年审")
    return record


@transaction.atomic
def do_close_mobile_record(record, *, closure: str, on: dt.date, actor, note: str = "") -> MobileRecord:
    """The member came back, or transferred the relationship: the mobile record ends and `is_mobile` clears."""
    record = _locked_record(record, actor, "home")
    if record.state == MState.CLOSED:
        raise ValidationError("该流动党员登记已结束")
    errors = {}
    if closure not in MobileRecord.Closure.values:
        errors["closure"] = "请选择结束原因"
    _date_errors(on, "on", "结束日期", errors, not_before=record.out_since, not_before_label="外出日期")
    if errors:
        raise ValidationError(errors)
    member = Member.objects.select_for_update().get(pk=record.member_id)
    record.state, record.closed_on, record.closure = MState.CLOSED, on, closure
    _step(record, actor, f"结束（{record.get_closure_display()}）", (note or "").strip()[:100])
    record.version += 1
    record.save()
    if member.is_mobile:
        member.is_mobile = False
        member.version += 1
        member.save(update_fields=["is_mobile", "version", "updated_at"])
    audit.record("mobile.close", actor=actor, obj=member, after={"mobile": record.pk, "closure": closure},
                 detail=f"{member}：流动党员登记结束（{record.get_closure_display()}）")
    return record


__all__ = [
    "do_close_mobile_record", "do_issue_mobile_certificate", "do_register_mobile_inflow",
    "do_register_mobile_outflow", "do_review_mobile_certificate",
]
