"""Writes to the member archive. Members are never deleted; every write is audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.analytics import facts
from dangjian.analytics.models import FactKind
from dangjian.core import audit
from dangjian.core.actions import changed, check_version, require, snapshot
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.orgs.models import Organization

from ..choices import Gender, MemberStatus
from ..history import last_change_on, record_periods
from ..idnumber import parse_id_number
from ..models import Member
from ..rules import check_member
from ..search import id_number_index, name_initials

EDITABLE_FIELDS = [
    "name", "gender", "ethnicity", "id_number", "birth_date", "native_place", "education", "degree",
    "occupation_category", "work_unit_and_post", "applied_on", "activist_on", "development_target_on", "joined_on", "converted_on", "category", "phone", "address",
    "is_mobile", "lost_contact",
]
AUDIT_FIELDS = EDITABLE_FIELDS + ["org", "status", "status_changed_on", "status_reason"]
MASKS = {"id_number": mask_id_number, "phone": mask_phone, "address": mask_address}
# Statuses a member leaves the active roll by; "normal" is reached only by restoring.
EXIT_STATUSES = {s for s in MemberStatus.values if s != MemberStatus.NORMAL}


def _audit_snapshot(member):
    return snapshot(member, AUDIT_FIELDS, MASKS)


DERIVED_FROM_ID = ("birth_date", "gender")


def _fill_from_id_number(member: Member) -> None:
    """出生日期 and 性别 may be left blank: the 公民身份号码 says what they are."""
    try:
        facts = parse_id_number(member.id_number or "")
    except ValidationError:
        return
    member.birth_date = member.birth_date or facts.birth_date
    member.gender = member.gender or (Gender.MALE if facts.is_male else Gender.FEMALE)


MEMBER_ORG_TYPES = ("branch", "joint_branch", "temporary_branch", "general_branch", "committee", "working_committee")
DUPLICATE_ID = "该公民身份号码已登记在党员档案中，不能重复录入"


def org_refusal(org: Organization) -> str | None:
    """Why members cannot be placed in this organisation, or None."""
    if not org.is_active:
        return "所选党组织已撤销"
    if org.org_type == "group":
        return "党员应编入党支部，不能直接编入党小组"
    if org.org_type not in MEMBER_ORG_TYPES:
        return "所选党组织不能直接管理党员"
    return None


def validate_member(member: Member, *, check_unique: bool = True) -> None:
    """Every rule a member record must satisfy, all reported at once (field → Chinese reasons).

    The one validation path for the form, the API and the importer. The importer checks uniqueness of
    the 身份证号 for a whole batch in one query and passes `check_unique=False`; it also hands in
    organisations it has already loaded, so the foreign key is not looked up again per row.
    """
    errors = {}
    if member.id_number:
        member.id_number = member.id_number.strip().upper()
    _fill_from_id_number(member)
    exclude = ["id_number_index", "name_initials", "user"]
    if member.org_id and Member.org.is_cached(member):
        exclude.append("org")  # a loaded organisation exists; validate its state below
    try:
        member.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        check_member(member)
    except ValidationError as exc:
        for key, msgs in exc.message_dict.items():
            errors.setdefault(key, msgs)
    if member.org_id and not errors.get("org"):
        refusal = org_refusal(member.org)
        if refusal:
            errors["org"] = [refusal]
    if member.id_number and "id_number" not in errors:
        member.id_number_index = id_number_index(member.id_number)
        if check_unique:
            clash = Member.objects.filter(id_number_index=member.id_number_index).exclude(pk=member.pk)
            if clash.exists():
                errors["id_number"] = [DUPLICATE_ID]
    if "id_number" in errors:
        # A blank birth date or gender is filled from the number once it is corrected; say so only once.
        for field in DERIVED_FROM_ID:
            if not getattr(member, field):
                errors.pop(field, None)
    if errors:
        raise ValidationError(errors)
    member.name_initials = name_initials(member.name)


def _save(member: Member, **kwargs) -> None:
    try:
        with transaction.atomic():
            member.save(**kwargs)
    except IntegrityError:  # a concurrent insert of the same 身份证号 (blind-index unique constraint)
        raise ValidationError({"id_number": [DUPLICATE_ID]}) from None


@transaction.atomic
def do_create_member(*, data: dict, org: Organization, actor) -> Member:
    require(actor, roles.MEMBER_ADD, org)
    org = _locked_org(org)
    member = Member(org=org, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    validate_member(member)
    _save(member, force_insert=True)
    record_periods([member], None)
    audit.record("member.create", actor=actor, obj=member, after=_audit_snapshot(member))
    return member


@transaction.atomic
def do_update_member(member: Member, *, data: dict, actor, expected_version=None, org: Organization | None = None) -> Member:
    member = _locked(member, actor, roles.MEMBER_CHANGE)
    check_version(member, expected_version)
    before = _audit_snapshot(member)
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(member, key, value)
    if org is not None and org.pk != member.org_id:
        # Moving between organisations inside the editor's own scope (e.g. to a group's branch);
        # transfers between unrelated organisations go through the transfer workflow.
        require(actor, roles.MEMBER_CHANGE, org)
        if has_open_transfer(member):
            raise ValidationError({"org": TRANSFER_OPEN})
        member.org = _locked_org(org)
    validate_member(member)
    member.version += 1
    _save(member)
    record_periods([member], dt.date.today())
    old, new = changed(before, _audit_snapshot(member))
    audit.record("member.update", actor=actor, obj=member, before=old, after=new)
    return member


@transaction.atomic
def do_change_member_status(member: Member, *, status: str, on: dt.date, reason: str, actor, expected_version=None) -> Member:
    """转出 / 出党 / 死亡 / 停止党籍 (or back to 正常): a status with date and reason, never a deletion."""
    member = _locked(member, actor, roles.MEMBER_CHANGE)
    check_version(member, expected_version)
    errors = {}
    if status not in MemberStatus.values:
        errors["status"] = "请选择有效的党籍状态"
    elif status == member.status:
        errors["status"] = f"该党员当前状态已是“{MemberStatus(status).label}”"
    if on is None:
        errors["status_changed_on"] = "请填写变更日期"
    elif on > dt.date.today():
        errors["status_changed_on"] = "变更日期不能晚于今天"
    elif member.joined_on and on < member.joined_on:
        errors["status_changed_on"] = "变更日期不能早于入党日期"
    elif (since := last_change_on(member)) is not None and on < since:
        errors["status_changed_on"] = (f"变更日期不能早于该党员上一次组织关系或党籍变更的日期"
                                       f"（{since:%Y年%m月%d日}）")
    if not (reason or "").strip():
        errors["status_reason"] = "请填写变更原因"
    if status == MemberStatus.NORMAL and not _locked_org(member.org).is_active:
        errors["status"] = "所在党组织已撤销，不能恢复为正常状态，请先转入其他党组织"
    if errors:
        raise ValidationError(errors)
    before = _audit_snapshot(member)
    member.status = status
    member.status_changed_on = on
    member.status_reason = reason.strip()[:200]
    member.version += 1
    member.save()
    record_periods([member], on)
    facts.record(FactKind.STATUS_CHANGE, on=on, org_id=member.org_id, member_id=member.pk,
                 detail={"from": before.get("status"), "to": status})
    old, new = changed(before, _audit_snapshot(member))
    audit.record("member.status", actor=actor, obj=member, before=old, after=new)
    return member


@transaction.atomic
def do_reveal_member(member: Member, *, actor, reason: str = "") -> dict:
    """Full 身份证号, phone and address for a user whose role may reveal them; every reveal is audited."""
    visible = Member.objects.restrict(actor, roles.MEMBER_REVEAL).filter(pk=member.pk)
    if not visible.exists():
        raise Http404("党员不存在或不在您的管理范围内")
    member = visible.get()
    audit.record("member.reveal", actor=actor, obj=member, detail=(reason or "")[:500],
                 after={"fields": ["id_number", "phone", "address"]})
    return {"id_number": member.id_number, "phone": member.phone, "address": member.address}


def _locked_org(org: Organization) -> Organization:
    """Lock the organisation a member joins, so a dissolution cannot pass its "no members left" check meanwhile."""
    return Organization.objects.select_for_update().get(pk=org.pk)


def _locked(member: Member, actor, perm: str) -> Member:
    found = Member.objects.restrict(actor, perm).select_for_update(of=("self",)).filter(pk=member.pk).first()
    if found is None:
        raise Http404("党员不存在或不在您的管理范围内")
    return found


TRANSFER_OPEN = "该党员已有正在办理的组织关系转接，请先办结或撤回"


def has_open_transfer(member: Member) -> bool:
    """A transfer inside the system under way, or a letter to outside still waiting for its receipt."""
    from ..models import Transfer, TransferLetter

    return (Transfer.objects.filter(member=member, state__in=Transfer.OPEN).exists()
            or TransferLetter.objects.filter(member=member, state=TransferLetter.State.ISSUED).exists())


@transaction.atomic
def do_move_members(members, *, to_org: Organization, on: dt.date, reason: str, actor) -> int:
    """Move members between organisations in a restructuring (a branch split, merged or upgraded), dated `on`.

    Not a transfer: the organisations on both sides are in the same committee's care, so no approval chain runs;
    the members' history keeps where they were before `on`. Returns how many moved."""
    errors = {}
    to_org = Organization.objects.filter(pk=getattr(to_org, "pk", None)).first()
    if to_org is None:
        errors["to_org"] = "请选择调入的党组织"
    else:
        require(actor, roles.ORG_MOVE, to_org)
        to_org = _locked_org(to_org)
        if org_refusal(to_org):
            errors["to_org"] = org_refusal(to_org)
    if on is None or on > dt.date.today():
        errors["effective_on"] = "请填写生效日期（不能晚于今天）"
    if len((reason or "").strip()) < 2:
        errors["reason"] = "请填写调整原因（如支部拆分、合并）"
    ids = [getattr(m, "pk", m) for m in members]
    found = list(Member.objects.restrict(actor, roles.ORG_MOVE).select_for_update(of=("self",))
                 .select_related("org").filter(pk__in=ids).order_by("pk"))
    if len(found) != len(set(ids)):
        raise Http404("党员不存在或不在您的管理范围内")
    if not found:
        errors["members"] = "请选择要调整的党员"
    busy = [m.name for m in found if has_open_transfer(m)]
    if busy:
        errors["members"] = f"{'、'.join(busy[:5])}有正在办理的组织关系转接，请先办结或撤回"
    if errors:
        raise ValidationError(errors)
    moving = [m for m in found if m.org_id != to_org.pk]
    befores = {m.pk: m.org.code for m in moving}
    for member in moving:
        member.org = to_org
        member.version += 1
    Member.objects.bulk_update(moving, ["org", "version"])
    record_periods(moving, on)
    for member in moving:
        audit.record("member.move", actor=actor, obj=member, before={"org": befores[member.pk]},
                     after={"org": to_org.code, "effective_on": on.isoformat()},
                     detail=f"{member}：组织调整（{reason.strip()[:100]}），{on:%Y-%m-%d} 起编入{to_org.name}")
    return len(moving)
