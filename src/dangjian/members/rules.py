"""Consistency rules of a member record, each answered in Chinese naming the field."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from dangjian.core import rulebook

from .choices import Category, Gender
from .idnumber import parse_id_number
from .periods import add_years  # noqa: F401  (re-exported: the archive's checks and queries use it)


def check_member(member) -> None:
    errors: dict[str, str] = {}
    today = dt.date.today()
    facts = None
    if member.id_number:
        try:
            facts = parse_id_number(member.id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages[0]
    if facts:
        if member.birth_date and member.birth_date != facts.birth_date:
            errors["birth_date"] = (
                f"出生日期与公民身份号码不一致（身份证号显示为 {facts.birth_date:%Y年%m月%d日}）"
            )
        expected_gender = Gender.MALE if facts.is_male else Gender.FEMALE
        if member.gender and member.gender != expected_gender:
            errors["gender"] = f"性别与公民身份号码不一致（身份证号显示为{expected_gender.label}）"
    if member.joined_on:
        if member.joined_on > today:
            errors["joined_on"] = "入党日期不能晚于今天"
        elif member.birth_date:
            min_age = rulebook.value("min_age_join", member.joined_on)
            if member.joined_on < add_years(member.birth_date, min_age):
                errors["joined_on"] = (
                    f"入党时须年满 {min_age} 岁（{rulebook.citation('min_age_join')}），请核对入党日期和出生日期"
                )
    if member.converted_on:
        if member.category == Category.PROBATIONARY:
            errors["converted_on"] = "预备党员不应填写转正日期"
        elif member.joined_on and member.converted_on <= member.joined_on:
            errors["converted_on"] = "转正日期应晚于入党日期"
        elif member.converted_on > today:
            errors["converted_on"] = "转正日期不能晚于今天"
    _check_stage_order(member, errors)
    if member.birth_date and member.birth_date > today:
        errors.setdefault("birth_date", "出生日期不能晚于今天")
    if errors:
        raise ValidationError(errors)


# The recruitment stages in the order the regulations require them (发展党员工作细则): each date, when
# given, must not precede the one before it.
STAGE_DATES = ("applied_on", "activist_on", "development_target_on", "joined_on", "converted_on")


def _check_stage_order(member, errors: dict) -> None:
    from .models import Member

    label = {name: Member._meta.get_field(name).verbose_name for name in STAGE_DATES}
    today = dt.date.today()
    previous = None
    for name in STAGE_DATES:
        day = getattr(member, name)
        if day is None:
            continue
        if name not in ("joined_on", "converted_on") and day > today:
            errors.setdefault(name, f"{label[name]}不能晚于今天")
        if previous is not None and day < getattr(member, previous) and name not in errors:
            errors[name] = f"{label[name]}不能早于{label[previous]}"
        previous = name


def voting_refusal(member, on: dt.date | None = None, org=None) -> str | None:
    """Why the member may not vote, elect or be elected on `on` (选举工作条例 第五条), or None if they may.

    预备党员 and members whose 党籍 is not normal have no vote; later rules (discipline, mobile members holding an
    activity certificate elsewhere) add their own reasons here."""
    from .choices import MemberStatus

    on = on or dt.date.today()
    if member.status != MemberStatus.NORMAL:
        return f"党籍状态为“{member.get_status_display()}”，不享有表决权、选举权和被选举权"
    if member.category == Category.PROBATIONARY or member.joined_on is None or member.joined_on > on:
        return "预备党员没有表决权、选举权和被选举权（《中国共产党基层组织选举工作条例》第五条）"
    # 留党察看 in effect; a mobile member voting in the inflow organisation (`org`: where the vote is held).
    from .lifecycle_rules import lifecycle_voting_refusal

    return lifecycle_voting_refusal(member, on, org)
