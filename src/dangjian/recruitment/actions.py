"""Writes of recruitment (发展党员). Each action: one transaction, scope check (404 outside it), the regulation
(`rules.check_step`: a Chinese ValidationError naming the field, nothing written), the audit record.

The member archive is written by the same transaction that admits or converts: the 党委's approval of admission
creates (or updates) the archive as a 预备党员 through `members.actions`; its approval of conversion sets the
category and the 转正日期 (the end of probation, from which 党龄 counts).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.accounts import roles
from dangjian.analytics import facts
from dangjian.analytics.models import FactKind
from dangjian.core import audit
from dangjian.core.actions import require
from dangjian.members.actions.archive import _fill_from_id_number, do_change_member_status, do_create_member, do_update_member
from dangjian.members.choices import Category, MemberStatus
from dangjian.members.models import Member
from dangjian.members.search import id_number_index
from dangjian.orgs.models import Organization

from . import rules, workdays
from .choices import COMMITTEE_STEPS, ENDED_STAGES, OWN_ACTION_STEPS, Outcome, Stage, StepKind
from .models import Candidate, DocumentTemplate, Holiday, Step, StepPerson, ThoughtReport

K = StepKind
NOT_IN_SCOPE = "发展党员记录不存在或不在您的管理范围内"
# 临时党支部 cannot admit members (细则 第二十二条); a 党小组 is not an organisation that admits.
ADMITTING_ORG_TYPES = ("branch", "joint_branch", "general_branch")
CANDIDATE_FIELDS = ("name", "gender", "id_number", "birth_date", "education", "occupation_category",
                    "work_unit_and_post", "applied_on", "expected_leave_on")


def _locked(candidate, actor, perm) -> Candidate:
    found = (Candidate.objects.restrict(actor, perm).select_for_update(of=("self",)).select_related("org", "member")
             .filter(pk=getattr(candidate, "pk", candidate)).first())
    if found is None:
        raise Http404(NOT_IN_SCOPE)
    return found


@transaction.atomic
def do_register_application(*, data: dict, org: Organization, actor) -> Candidate:
    """(1) 递交入党申请书: the person's file opens as an 入党申请人 (at least 18 years old on that day)."""
    require(actor, roles.RECRUITMENT_MANAGE, org)
    candidate = Candidate(org=org, **{k: v for k, v in data.items() if k in CANDIDATE_FIELDS})
    errors = {}
    if org.org_type not in ADMITTING_ORG_TYPES or not org.is_active:
        errors["org"] = "入党申请应由党支部（或党总支）受理，临时党支部不能发展党员"
    if candidate.id_number:
        candidate.id_number = candidate.id_number.strip().upper()
    _fill_from_id_number(candidate)
    try:
        candidate.full_clean(exclude=["org", "member", "id_number_index", "stage"], validate_unique=False)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    today = dt.date.today()
    if candidate.applied_on and candidate.applied_on > today:
        errors.setdefault("applied_on", "递交入党申请书日期不能晚于今天")
    if candidate.applied_on and candidate.birth_date and "applied_on" not in errors:
        if refusal := rules.check_age(candidate.birth_date, candidate.applied_on):
            errors["applied_on"] = refusal
    if candidate.id_number and "id_number" not in errors:
        candidate.id_number_index = id_number_index(candidate.id_number)
        if Member.objects.filter(id_number_index=candidate.id_number_index).exists():
            errors["id_number"] = "该公民身份号码已登记在党员档案中"
        elif (Candidate.objects.filter(id_number_index=candidate.id_number_index)
              .exclude(stage__in=ENDED_STAGES).exists()):
            errors["id_number"] = "该同志已有正在进行的发展党员记录"
    if errors:
        raise ValidationError(errors)
    candidate.save()
    step = Step.objects.create(candidate=candidate, kind=K.APPLICATION, on=candidate.applied_on, org=org,
                               rule_version=rules.rulebook.version_at(candidate.applied_on).name,
                               opinion=(data.get("opinion") or "").strip(), recorded_by=actor)
    record_step_fact(candidate, step)
    audit.record("recruitment.apply", actor=actor, obj=candidate, after={
        "org": org.code, "applied_on": candidate.applied_on.isoformat(), "id_number": candidate.masked_id_number},
        detail=f"{candidate}：递交入党申请书")
    return candidate


@transaction.atomic
def do_open_probation_file(member: Member, *, actor) -> Candidate:
    """A 预备党员 transferred in from elsewhere: their probation continues here (conversion may be postponed)."""
    found = Member.objects.restrict(actor, roles.RECRUITMENT_MANAGE).filter(pk=member.pk).first()
    if found is None:
        raise Http404("党员不存在或不在您的管理范围内")
    member = found
    if member.category != Category.PROBATIONARY or member.status != MemberStatus.NORMAL:
        raise ValidationError({"member": "只有党籍正常的预备党员可以建立预备期考察记录"})
    if Candidate.objects.filter(member=member).exists():
        raise ValidationError({"member": "该预备党员已有发展党员记录"})
    candidate = Candidate.objects.create(
        name=member.name, gender=member.gender, id_number=member.id_number, id_number_index=member.id_number_index,
        birth_date=member.birth_date, education=member.education, occupation_category=member.occupation_category,
        work_unit_and_post=member.work_unit_and_post, org=member.org, stage=Stage.PROBATIONARY,
        applied_on=member.applied_on or member.joined_on, transferred_in=True, member=member)
    audit.record("recruitment.transfer_in", actor=actor, obj=candidate, after={"member": member.pk},
                 detail=f"{candidate}：转入的预备党员建立预备期考察记录")
    return candidate


def approving_org(candidate) -> Organization | None:
    """The nearest 党委 above the branch with the power to approve (细则 第二十二条: not a 党总支, nor a 基层党委 under
    a 乡镇（街道）党委 without the county committee's authorisation)."""
    org = candidate.org
    allowed = rules.rulebook.value("admission_approver_org_types", dt.date.today())
    ancestors = Organization.objects.filter(
        path__in=[org.path[:i] for i in range(Organization.steplen, len(org.path), Organization.steplen)])
    on = dt.date.today()
    found = [a for a in ancestors.order_by("-depth") if a.org_type in allowed
             and rules.township_above(a, on) is None]
    return found[0] if found else None


def meeting_counts(candidate, on: dt.date) -> tuple[int, int]:
    """Voting members due to attend the branch meeting on `on`, and those not counted (预备党员, 留党察看 …), from
    the branch's roll on that day."""
    return rules.voting_roll(candidate.org, on)


def _step_org(candidate, kind, data, actor) -> Organization:
    """The branch for its own steps; for the 党委's steps the organisation named (by default the nearest 党委)."""
    if kind not in COMMITTEE_STEPS and kind != K.GENERAL_BRANCH_REVIEW:
        require(actor, roles.RECRUITMENT_MANAGE, candidate.org)
        return candidate.org
    org = data.get("org") or approving_org(candidate)
    if org is None or not candidate.org.path.startswith(org.path) or org.pk == candidate.org_id:
        raise ValidationError({"org": "请选择该党支部的上级党组织"})
    perm = roles.RECRUITMENT_MANAGE if kind == K.GENERAL_BRANCH_REVIEW else roles.RECRUITMENT_APPROVE
    if not Organization.objects.restrict(actor, perm).filter(pk=org.pk).exists():
        raise Http404("只有上级党委可以办理此环节")
    if kind == K.GENERAL_BRANCH_REVIEW and org.org_type != "general_branch":
        raise ValidationError({"org": "党总支审议须由该支部所在的党总支办理"})
    return org


@transaction.atomic
def do_record_step(candidate, *, kind: str, data: dict, people: dict | None = None, acknowledged: bool = False,
                   actor) -> Step:
    """Record one step of the 25 (and the 公示, 总支审议, extension or postponement of 细则2026), after every rule of
    RULES.md §1 that applies to it. `people` maps PersonRole → members; warnings need `acknowledged`."""
    if kind not in StepKind.values or kind in OWN_ACTION_STEPS:
        raise ValidationError({"kind": "请选择要登记的环节"})
    candidate = _locked(candidate, actor, roles.RECRUITMENT_VIEW)
    data = dict(data)
    data["org"] = _step_org(candidate, kind, data, actor)
    people = {role: list(members) for role, members in (people or {}).items()}
    on = data.get("on")
    if kind in (K.ADMISSION_MEETING, K.CONVERSION_MEETING) and on:
        data["due_count"], data["excluded_count"] = meeting_counts(candidate, on)
    history = rules.History(candidate, list(candidate.steps.all()))
    verdict = rules.check_step(history, kind, data, people)
    if verdict.errors:
        raise ValidationError(verdict.errors)
    if verdict.warnings and not acknowledged:
        raise ValidationError({"acknowledge": verdict.warnings + ["如确属特殊情况，请勾选“已知悉上述提示”后再提交"]},
                              code="warning")
    step = Step.objects.create(
        candidate=candidate, kind=kind, on=on, org=data["org"], rule_version=verdict.version,
        opinion=(data.get("opinion") or "").strip(), document_number=(data.get("document_number") or "").strip()[:64],
        meeting_type=data.get("meeting_type") or "", passed=verdict.passed if verdict.passed is not None else data.get("passed"),
        ends_on=data.get("ends_on"), training_days=data.get("training_days"), training_hours=data.get("training_hours"),
        months=data.get("months"), outcome=data.get("outcome") or "", due_count=data.get("due_count"),
        excluded_count=data.get("excluded_count"), present_count=data.get("present_count"),
        yes_count=data.get("yes_count"), no_count=data.get("no_count"), abstain_count=data.get("abstain_count"),
        warnings="\n".join(verdict.warnings), recorded_by=actor)
    for role, members in people.items():
        for member in members:
            StepPerson.objects.create(step=step, member=member, role=role)
    history.steps.append(step)
    _advance(candidate, step, history, actor)
    record_step_fact(candidate, step)
    audit.record("recruitment.step", actor=actor, obj=candidate, after={
        "step": step.pk, "kind": kind, "on": on.isoformat(), "passed": step.passed, "version": step.rule_version,
        "warnings": verdict.warnings}, detail=f"{candidate}：{step.get_kind_display()}")
    return step


@transaction.atomic
def do_move_file(candidate, *, to_org: Organization, on: dt.date, reason: str, actor) -> Step:
    """The person changes unit or residence: the file moves to the branch there, which continues the steps; the
    training time as an activist counts on (细则 第十二条). The steps taken so far keep their organisations. A 预备党员's
    file follows the member, whose organisation relationship moves by a transfer (组织关系转接) first."""
    candidate = _locked(candidate, actor, roles.RECRUITMENT_MANAGE)
    require(actor, roles.RECRUITMENT_MANAGE, candidate.org)
    errors = {}
    target = (Organization.objects.restrict(actor, roles.RECRUITMENT_MANAGE).filter(pk=getattr(to_org, "pk", to_org))
              .first() if to_org is not None else None)
    last = candidate.steps.order_by("-on", "-id").first()
    if candidate.stage in ENDED_STAGES:
        errors["org"] = f"该同志已是“{candidate.get_stage_display()}”，发展程序已经结束，不能转移"
    elif target is None:
        errors["org"] = "请选择接收的党支部（须在您的管理范围内：转移须同时有转出和接收党支部的管理权限）"
    elif target.pk == candidate.org_id:
        errors["org"] = "接收的党支部与现在的党支部相同"
    elif target.org_type not in ADMITTING_ORG_TYPES or not target.is_active:
        errors["org"] = "发展党员材料应转至党支部（或党总支），临时党支部不能发展党员"
    elif candidate.member_id and candidate.member.org_id != target.pk:
        errors["org"] = (f"{candidate.name}已是预备党员，请先办理组织关系转接（转入{target.name}），"
                         f"预备期考察记录随组织关系转移")
    if not isinstance(on, dt.date):
        errors["on"] = "请填写转移日期"
    elif on > dt.date.today():
        errors["on"] = "转移日期不能晚于今天"
    elif last is not None and on < last.on:
        errors["on"] = f"转移日期不能早于已登记的最后一个环节（{fmt_day(last.on)}）"
    if not (reason or "").strip():
        errors["reason"] = "请填写转移原因（如工作单位变动、居住地变动）"
    if errors:
        raise ValidationError(errors)
    source = candidate.org
    step = Step.objects.create(candidate=candidate, kind=K.FILE_MOVED, on=on, org=target,
                               rule_version=rules.rulebook.version_at(on).name,
                               opinion=f"由{source.name}转至{target.name}：{reason.strip()}"[:2000], recorded_by=actor)
    candidate.org = target
    candidate.version += 1
    candidate.save(update_fields=["org", "version", "updated_at"])
    record_step_fact(candidate, step)
    audit.record("recruitment.move", actor=actor, obj=candidate, before={"org": source.code},
                 after={"org": target.code, "on": on.isoformat(), "step": step.pk},
                 detail=f"{candidate}：发展党员材料由{source.name}转至{target.name}")
    return step


def record_step_fact(candidate: Candidate, step: Step) -> None:
    """The behaviour fact of a recorded step (行为数据), in the step's transaction: the branch responsible for the
    file, and the member archive once there is one."""
    facts.record(FactKind.RECRUITMENT_STEP, on=step.on, org_id=candidate.org_id, member_id=candidate.member_id,
                 ref=facts.ref_of(step), detail={"step": step.kind, "candidate": candidate.pk})


def _advance(candidate: Candidate, step: Step, history: rules.History, actor) -> None:
    """Move the candidate to the next stage; admission and conversion write the member archive."""
    stage = candidate.stage
    if step.kind == K.ACTIVIST_DETERMINATION:
        stage = Stage.ACTIVIST
    elif step.kind == K.TARGET_DETERMINATION:
        stage = Stage.DEVELOPMENT_TARGET
    elif step.kind == K.ADMISSION_APPROVAL and step.passed:
        candidate.member = _admit(candidate, history, actor)
        stage = Stage.PROBATIONARY
    elif step.kind == K.CONVERSION_APPROVAL and step.passed:
        meeting = history.meeting_for(step)
        if meeting.outcome == Outcome.CONVERT:
            end = history.probation_end()
            do_update_member(candidate.member, data={"category": Category.FULL, "converted_on": end}, actor=actor)
            stage = Stage.FULL
        elif meeting.outcome == Outcome.CANCEL:
            do_change_member_status(candidate.member, status=MemberStatus.LEFT, on=step.on,
                                    reason="取消预备党员资格（支部大会讨论，上级党委批准）", actor=actor)
            stage = Stage.CANCELLED
    elif step.kind == K.CLOSURE:
        stage = Stage.CLOSED
    elif step.kind == K.NOT_RECOGNISED:
        # 细则 第四十一条: the person leaves the roll with the reason; the archive keeps the history.
        reason = f"不予承认党员资格（{rules.rulebook.citation('not_recognised')}）：{step.opinion}"
        do_change_member_status(candidate.member, status=MemberStatus.LEFT, on=step.on, reason=reason[:200],
                                actor=actor)
        stage = Stage.NOT_RECOGNISED
    if stage != candidate.stage or step.kind == K.ADMISSION_APPROVAL:
        candidate.stage = stage
        candidate.version += 1
        candidate.save(update_fields=["stage", "member", "version", "updated_at"])


def _admit(candidate: Candidate, history: rules.History, actor) -> Member:
    data = {name: getattr(candidate, name) for name in (
        "name", "gender", "id_number", "birth_date", "education", "occupation_category", "work_unit_and_post",
        "applied_on")}
    data.update(activist_on=history.activist_on, development_target_on=history.target_on,
                joined_on=history.admission_meeting.on, category=Category.PROBATIONARY, converted_on=None)
    existing = Member.objects.filter(id_number_index=candidate.id_number_index).first()
    if existing is not None:
        return do_update_member(existing, data=data, actor=actor)
    return do_create_member(data=data, org=candidate.org, actor=actor)


# -- the working-day calendar and the document templates -------------------------------------------------------------

@transaction.atomic
def do_set_holiday(*, day: dt.date, is_working_day: bool, name: str, actor) -> Holiday:
    """A public holiday (or an adjusted working day) for a year the built-in calendar does not cover; the 公示's
    working days count with it from then on."""
    require(actor, roles.CALENDAR_MANAGE)
    errors = {}
    if not isinstance(day, dt.date):
        errors["day"] = "请填写日期"
    elif workdays.covered_by_builtin(day.year):
        errors["day"] = (f"{day.year}年的节假日和调休已由内置日历（国务院公布的安排）收录，无需登记；"
                         f"只有内置日历未收录的年份才需要登记")
    elif is_working_day and day.weekday() < 5:
        errors["is_working_day"] = f"{fmt_day(day)}是工作日（周一至周五），调休上班日应为周六或周日"
    if not (name or "").strip():
        errors["name"] = "请填写名称（如：国庆节、国庆调休上班）"
    elif len(name.strip()) > 50:
        errors["name"] = "名称不能超过 50 个字"
    if errors:
        raise ValidationError(errors)
    before = Holiday.objects.filter(day=day).values("is_working_day", "name").first()
    holiday, _ = Holiday.objects.update_or_create(day=day, defaults={"is_working_day": bool(is_working_day),
                                                                      "name": name.strip()})
    audit.record("recruitment.holiday", actor=actor, object_type="recruitment.holiday", object_id=day.isoformat(),
                 before=before or {}, after={"day": day.isoformat(), "is_working_day": holiday.is_working_day,
                                             "name": holiday.name})
    return holiday


@transaction.atomic
def do_delete_holiday(*, day: dt.date, actor) -> None:
    """Remove a day entered by mistake (the calendar is configuration, not a record the regulations keep)."""
    require(actor, roles.CALENDAR_MANAGE)
    found = Holiday.objects.select_for_update().filter(day=day).first() if isinstance(day, dt.date) else None
    if found is None:
        raise ValidationError({"day": "该日期未登记为节假日或调休上班日"})
    before = {"day": day.isoformat(), "is_working_day": found.is_working_day, "name": found.name}
    found.delete()
    audit.record("recruitment.holiday_delete", actor=actor, object_type="recruitment.holiday",
                 object_id=day.isoformat(), before=before)


# -- 思想汇报 (thought reports) ----------------------------------------------------------------------------------------

THOUGHT_REPORT_STAGES = (Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET, Stage.PROBATIONARY)
THOUGHT_REPORT_MAX_BYTES = 5 * 1024 * 1024


@transaction.atomic
def do_record_thought_report(candidate, *, submitted_on: dt.date, summary: str, upload=None, actor) -> ThoughtReport:
    """A thought report handed in by an 入党积极分子, 发展对象 or 预备党员 (at least every `thought_report_months`,
    local practice), with its original (PDF, Word or a photo) when there is one."""
    candidate = _locked(candidate, actor, roles.RECRUITMENT_MANAGE)
    errors = {}
    if candidate.stage not in THOUGHT_REPORT_STAGES:
        errors["candidate"] = (f"该同志现为“{candidate.get_stage_display()}”；思想汇报由入党积极分子、发展对象和预备党员"
                               f"递交{rules.cite('thought_report_months')}")
    history = rules.History(candidate, list(candidate.steps.all()))
    start = history.thought_reports_from()
    if not isinstance(submitted_on, dt.date):
        errors["submitted_on"] = "请填写递交日期"
    elif submitted_on > dt.date.today():
        errors["submitted_on"] = "递交日期不能晚于今天"
    elif start is not None and submitted_on < start:
        errors["submitted_on"] = f"递交日期不能早于确定为入党积极分子的日期（{fmt_day(start)}）"
    if not (summary or "").strip():
        errors["summary"] = "请填写思想汇报的主要内容"
    content, content_type, filename = None, "", ""
    if upload is not None and not errors:
        content, content_type, filename = _read_original(upload)
    if errors:
        raise ValidationError(errors)
    report = ThoughtReport.objects.create(candidate=candidate, submitted_on=submitted_on, summary=summary.strip(),
                                          content=content, content_type=content_type, filename=filename,
                                          recorded_by=actor)
    audit.record("recruitment.thought_report", actor=actor, obj=candidate, after={
        "report": report.pk, "submitted_on": submitted_on.isoformat(), "file": filename},
        detail=f"{candidate}：思想汇报（{submitted_on:%Y-%m-%d}）")
    return report


def _read_original(upload) -> tuple[bytes, str, str]:
    from pathlib import Path

    from dangjian.orglife.files import DOCUMENT_TYPES, sniff

    limit = THOUGHT_REPORT_MAX_BYTES
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": f"原件不能超过 {limit // (1024 * 1024)} MB"})
    content_type = sniff(data[:16], data)
    if content_type not in DOCUMENT_TYPES or content_type.endswith("sheet"):
        raise ValidationError({"file": "原件只接受 PDF、Word（.docx）文件和 JPEG、PNG 图片"})
    name = Path(getattr(upload, "name", "") or "report").name[:200]
    if not name.lower().endswith(DOCUMENT_TYPES[content_type]):
        raise ValidationError({"file": f"文件名后缀与文件内容不符（内容为 {DOCUMENT_TYPES[content_type][0]} 文件）"})
    return data, content_type, name


@transaction.atomic
def do_review_thought_report(report, *, comment: str, actor) -> ThoughtReport:
    """The branch's comment on a thought report (谈话、帮助); changed by a later review, each one audited."""
    found = (ThoughtReport.objects.restrict(actor, roles.RECRUITMENT_MANAGE).select_for_update(of=("self",))
             .select_related("candidate").filter(pk=getattr(report, "pk", report)).first())
    if found is None:
        raise Http404(NOT_IN_SCOPE)
    if not (comment or "").strip():
        raise ValidationError({"comment": "请填写审阅意见"})
    before = {"comment": found.comment}
    found.comment, found.reviewed_on, found.reviewed_by = comment.strip(), dt.date.today(), actor
    found.save(update_fields=["comment", "reviewed_on", "reviewed_by"])
    audit.record("recruitment.thought_report_review", actor=actor, obj=found.candidate, before=before,
                 after={"report": found.pk, "comment": found.comment})
    return found


def fmt_day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@transaction.atomic
def do_upload_template(*, org: Organization, kind: str, filename: str, content: bytes, actor) -> DocumentTemplate:
    """An organisation's own .docx for one document (placeholders like {{姓名}}); the built-in one otherwise."""
    from .paperwork import DocumentKind, validate_template

    require(actor, roles.RECRUITMENT_MANAGE, org)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "请选择文书种类"})
    validate_template(content)
    template = DocumentTemplate.objects.create(org=org, kind=kind, filename=(filename or "template.docx")[:200],
                                               content=content, uploaded_by=actor)
    audit.record("recruitment.template", actor=actor, obj=org, after={"kind": kind, "filename": template.filename})
    return template


__all__ = ["do_delete_holiday", "do_move_file", "do_open_probation_file", "do_record_step", "do_record_thought_report",
           "do_register_application", "do_review_thought_report", "do_set_holiday", "do_upload_template"]
