"""Writes for 民主评议党员 (self-assessment, mutual assessment, democratic rating, the branch's decision), its
follow-up items, and 谈心谈话 records."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core import audit, rulebook
from dangjian.core.actions import require
from dangjian.members.choices import Category
from dangjian.members.models import Member
from dangjian.orgs.choices import BRANCH_TYPES

from . import participants, rules
from .actions import locked
from .choices import Grade, TalkCategory
from .models import Appraisal, AppraisalEntry, FollowUpItem, HeartTalk, Meeting


def _probationary_on(member, day: dt.date) -> bool:
    if member.converted_on:
        return member.converted_on > day
    return member.category == Category.PROBATIONARY


@transaction.atomic
def do_open_appraisal(org, *, year: int, meeting: Meeting | None = None, actor) -> Appraisal:
    """Open the year's 民主评议 with the members on the roll (预备党员 take part without a grade)."""
    require(actor, roles.ORGLIFE_MANAGE, org)
    today = timezone.localdate()
    errors: dict = {}
    if org.org_type not in BRANCH_TYPES:
        errors["__all__"] = "民主评议党员由党支部组织"
    if not isinstance(year, int) or not 2000 <= year <= today.year:
        errors["year"] = f"年度应在 2000—{today.year} 之间"
    if meeting is not None and (meeting.org_id != org.pk or not meeting.is_held):
        errors["meeting"] = "评议会议应为本支部已召开的会议"
    if errors:
        raise ValidationError(errors)
    if Appraisal.objects.filter(org=org, year=year).exists():
        raise ValidationError({"year": f"{year}年度的民主评议已经开启"})
    day = min(today, dt.date(year, 12, 31))
    ids = participants.member_ids_on(org, day)
    if not ids:
        raise ValidationError({"__all__": f"{day} 本支部没有在册党员"})
    try:
        with transaction.atomic():
            appraisal = Appraisal.objects.create(org=org, year=year, meeting=meeting, created_by=actor)
    except IntegrityError:
        raise ValidationError({"year": f"{year}年度的民主评议已经开启"}) from None
    members = Member.objects.filter(pk__in=ids)
    AppraisalEntry.objects.bulk_create([AppraisalEntry(appraisal=appraisal, member=m,
                                                       probationary=_probationary_on(m, day)) for m in members])
    audit.record("orglife.appraisal_open", actor=actor, obj=appraisal, after={"org": org.pk, "year": year,
                                                                              "members": len(ids)},
                 detail=f"{org}：开启{year}年度民主评议党员（{len(ids)} 人）")
    return appraisal


@transaction.atomic
def do_assess(entry, *, self_assessment: str = "", mutual_assessment: str = "", votes: dict | None = None,
              actor) -> AppraisalEntry:
    """Record a member's self-assessment, the mutual assessment and the democratic rating votes."""
    entry = locked(AppraisalEntry, entry, actor, roles.ORGLIFE_MANAGE)
    if entry.appraisal.state != Appraisal.State.OPEN:
        raise ValidationError({"__all__": "民主评议已评定，不能修改"})
    errors: dict = {}
    votes = votes or {}
    for grade in Grade.values:
        value = votes.get(grade, getattr(entry, f"votes_{grade}"))
        if not isinstance(value, int) or value < 0:
            errors[f"votes_{grade}"] = "票数应为不小于 0 的整数"
        else:
            setattr(entry, f"votes_{grade}", value)
    if errors:
        raise ValidationError(errors)
    entry.self_assessment = (self_assessment or "").strip()
    entry.mutual_assessment = (mutual_assessment or "").strip()
    entry.version += 1
    entry.save()
    audit.record("orglife.assess", actor=actor, obj=entry.appraisal,
                 after={"entry": entry.pk, "member": entry.member_id, **{g: getattr(entry, f"votes_{g}")
                                                                         for g in Grade.values}},
                 detail=f"登记{entry.member.name}的自评、互评和民主测评")
    return entry


@transaction.atomic
def do_submit_self_assessment(entry, *, text: str, actor) -> AppraisalEntry:
    """A member writes their own self-assessment (个人自评) while the appraisal is open."""
    entry = AppraisalEntry.objects.select_for_update().filter(pk=getattr(entry, "pk", None), member__user=actor).first()
    if entry is None:
        raise ValidationError({"entry": "只能填写本人的个人自评"})
    if entry.appraisal.state != Appraisal.State.OPEN:
        raise ValidationError({"__all__": "民主评议已评定，不能修改个人自评"})
    if len((text or "").strip()) < 10:
        raise ValidationError({"self_assessment": "请填写个人自评（不少于 10 个字）"})
    entry.self_assessment = text.strip()[:5000]
    entry.version += 1
    entry.save()
    audit.record("orglife.self_assess", actor=actor, obj=entry.appraisal, after={"entry": entry.pk},
                 detail=f"{entry.member.name}提交个人自评")
    return entry


@transaction.atomic
def do_decide_appraisal(appraisal, *, grades: dict, decided_on: dt.date, actor) -> Appraisal:
    """The branch decides each member's grade: 优秀 at most ⅓ of those graded, 预备党员 without a grade; each
    不合格 opens a follow-up item (education first, then handling under the 教育条例's ladder)."""
    appraisal = locked(Appraisal, appraisal, actor, roles.ORGLIFE_MANAGE)
    if appraisal.state != Appraisal.State.OPEN:
        raise ValidationError({"__all__": "民主评议已评定"})
    errors: dict = {}
    if decided_on is None or decided_on > timezone.localdate():
        errors["decided_on"] = "评定日期不能为空，也不能晚于今天"
    elif decided_on.year < appraisal.year:
        errors["decided_on"] = f"评定日期不能早于{appraisal.year}年"
    entries = list(appraisal.entries.select_related("member").order_by("id"))
    grades = {int(k): v for k, v in (grades or {}).items()}
    unknown = set(grades) - {e.member_id for e in entries}
    if unknown:
        errors["grades"] = "评定名单中有不属于本次评议的党员"
    missing, wrong, graded_probationary = [], [], []
    for e in entries:
        grade = grades.get(e.member_id) or ""
        if e.probationary:
            if grade:
                graded_probationary.append(e.member.name)
        elif not grade:
            missing.append(e.member.name)
        elif grade not in Grade.values:
            wrong.append(e.member.name)
    if graded_probationary:
        errors["grades"] = f"预备党员参加评议但不评定等次：{'、'.join(graded_probationary)}"
    elif missing:
        errors["grades"] = f"以下党员尚未评定等次：{'、'.join(missing[:10])}"
    elif wrong:
        errors["grades"] = f"等次应为优秀、合格、基本合格或不合格：{'、'.join(wrong)}"
    graded = sum(1 for e in entries if not e.probationary)
    excellent = sum(1 for e in entries if not e.probationary and grades.get(e.member_id) == Grade.EXCELLENT)
    day = decided_on or timezone.localdate()
    limit = rules.excellent_limit(graded, day)
    if "grades" not in errors and excellent > limit:
        errors["grades"] = (f"评定为优秀的 {excellent} 人，超过参评党员 {graded} 人的三分之一（最多 {limit} 人）"
                            f"（{rulebook.citation('appraisal_excellent_share')}）")
    if errors:
        raise ValidationError(errors)
    opened = 0
    for e in entries:
        e.grade = "" if e.probationary else grades[e.member_id]
        e.save(update_fields=["grade", "updated_at"])
        if e.grade == Grade.UNQUALIFIED:
            FollowUpItem.objects.create(org=appraisal.org, member=e.member, entry=e, opened_on=decided_on,
                                        title=f"{appraisal.year}年度民主评议评定为不合格：先行教育帮助，视情况组织处置")
            opened += 1
    appraisal.state, appraisal.decided_on = Appraisal.State.DECIDED, decided_on
    appraisal.version += 1
    appraisal.save()
    audit.record("orglife.appraisal_decide", actor=actor, obj=appraisal,
                 after={"grades": {str(e.member_id): e.grade for e in entries}, "follow_ups": opened},
                 detail=f"{appraisal.org}：评定{appraisal.year}年度民主评议等次（优秀 {excellent} 人）")
    return appraisal


@transaction.atomic
def do_close_follow_up(item, *, on: dt.date, note: str, actor) -> FollowUpItem:
    item = locked(FollowUpItem, item, actor, roles.ORGLIFE_MANAGE)
    errors: dict = {}
    if item.closed_on:
        errors["__all__"] = f"该事项已于 {item.closed_on} 办结"
    if on is None or on > timezone.localdate() or on < item.opened_on:
        errors["closed_on"] = f"办结日期应在 {item.opened_on} 至今天之间"
    if len((note or "").strip()) < 4:
        errors["closing_note"] = "请填写办结情况"
    if errors:
        raise ValidationError(errors)
    item.closed_on, item.closing_note = on, note.strip()[:500]
    item.version += 1
    item.save()
    audit.record("orglife.follow_up_close", actor=actor, obj=item, after={"closed_on": on.isoformat()},
                 detail=f"办结{item.member.name}的后续处置事项")
    return item


def talk_category(org, a, b, day: dt.date) -> str:
    committee = set(participants.committee_ids_on(org, day))
    inside = (a.pk in committee) + (b.pk in committee)
    return {2: TalkCategory.COMMITTEE_COMMITTEE, 1: TalkCategory.COMMITTEE_MEMBER, 0: TalkCategory.MEMBER_MEMBER}[inside]


@transaction.atomic
def do_record_talk(org, *, held_on: dt.date, initiator, counterpart, topic: str, follow_up: str = "",
                   actor) -> HeartTalk:
    """A 谈心谈话 between two members of the branch; its category follows from the committee that day."""
    require(actor, roles.ORGLIFE_MANAGE, org)
    errors: dict = {}
    if org.org_type not in BRANCH_TYPES:
        errors["__all__"] = "谈心谈话记录在党支部"
    if held_on is None or held_on > timezone.localdate():
        errors["held_on"] = "谈话日期不能为空，也不能晚于今天"
    if len((topic or "").strip()) < 2:
        errors["topic"] = "请填写谈话主题"
    if initiator is None:
        errors["initiator"] = "请选择谈话人"
    if counterpart is None:
        errors["counterpart"] = "请选择谈话对象"
    elif initiator is not None and initiator.pk == counterpart.pk:
        errors["counterpart"] = "谈话人和谈话对象不能是同一人"
    if errors:
        raise ValidationError(errors)
    roll = set(participants.member_ids_on(org, held_on))
    for field, person in (("initiator", initiator), ("counterpart", counterpart)):
        if person.pk not in roll:
            errors[field] = f"{person.name}{held_on}不是本支部党员"
    if errors:
        raise ValidationError(errors)
    talk = HeartTalk.objects.create(org=org, held_on=held_on, initiator=initiator, counterpart=counterpart,
                                    category=talk_category(org, initiator, counterpart, held_on),
                                    topic=topic.strip()[:200], follow_up=(follow_up or "").strip()[:500],
                                    recorded_by=actor)
    audit.record("orglife.talk", actor=actor, obj=talk, after={"org": org.pk, "held_on": held_on.isoformat(),
                                                                "category": talk.category},
                 detail=f"{org}：登记谈心谈话（{talk.get_category_display()}）")
    return talk
