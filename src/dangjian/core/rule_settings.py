"""In-app settings of the local and unverified regulation values (rulebook.ADJUSTABLE), by the system administrator.
Every value is checked against the shape of the regulation's value and against what the rule means (a fraction
stays below one, committee sizes stay in order …); every change and every reset is one audit record."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.accounts import roles

from . import audit, rulebook
from .actions import require
from .models import RuleSetting

INT_MAX = 1000
FRACTIONS = {"election_quorum", "election_win_share", "study_pace_red_share"}  # [numerator, denominator] below 1
STEP_NAMES = {"sender_committee", "receiver_committee"}
INT_LIMITS = {"checkin_radius_metres": 20000}  # others: 1 to INT_MAX
PERIODS = {"month": "月", "quarter": "季", "year": "年"}
# 细则 第二十二条: only a 党委 approves admission; a deployment may let its 党工委 do so, never a 党总支 or 支部.
APPROVER_TYPES = {"committee", "working_committee"}
REASON_MAX = 500
# Lists of organisation codes (empty allowed): each an existing 党委 or 党工委.
ORG_CODE_LISTS = {"township_committee_codes", "township_authorised_approver_codes"}


def _org_codes(value, label: str) -> list:
    from dangjian.orgs.models import Organization

    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError(f"{label}应为组织代码的列表，如 [\"A01\", \"A02\"]（可以为空）")
    codes = [v.strip() for v in value]
    if len(set(codes)) != len(codes):
        raise ValidationError(f"{label}不能重复")
    found = set(Organization.objects.filter(code__in=codes, org_type__in=APPROVER_TYPES).values_list("code", flat=True))
    if missing := [c for c in codes if c not in found]:
        raise ValidationError(f"{label}中的 {'、'.join(missing)} 不是系统中的党委或党工委")
    return codes


def _int(value, label: str, low: int = 1, high: int = INT_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label}应为整数")
    if not low <= value <= high:
        raise ValidationError(f"{label}应在 {low} 到 {high} 之间")
    return value


def _subset(value, allowed, label: str) -> list:
    if not isinstance(value, list) or not value or not set(value) <= set(allowed) or len(set(value)) != len(value):
        raise ValidationError(f"{label}应从 {'、'.join(sorted(allowed))} 中选择至少一项，且不重复")
    return list(value)


def _decimal(value, label: str) -> str:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label}应为数字") from None
    if not number.is_finite() or number < 0 or number > INT_MAX:
        raise ValidationError(f"{label}应在 0 到 {INT_MAX} 之间")
    return format(number.normalize(), "f")


def _like(value, default, label: str):
    """`value` shaped like the regulation's `default`: same types, same keys."""
    if isinstance(default, int):
        return _int(value, label)
    if isinstance(default, str):
        return _decimal(value, label)
    if isinstance(default, dict):
        if not isinstance(value, dict) or set(value) != set(default):
            raise ValidationError(f"{label}应包含且只包含：{'、'.join(default)}")
        return {key: _like(value[key], default[key], f"{label}“{key}”") for key in default}
    if isinstance(default, list):
        if not isinstance(value, list) or len(value) != len(default):
            raise ValidationError(f"{label}应为 {len(default)} 项的列表")
        return [_like(v, d, f"{label}第 {i + 1} 项") for i, (v, d) in enumerate(zip(value, default))]
    raise ValidationError(f"{label}不能在此调整")


def clean_value(name: str, value):
    """The value to store for `name`, or a ValidationError with the Chinese reason."""
    if name not in rulebook.ADJUSTABLE:
        raise ValidationError({"name": "该规则由党内法规规定，不能在系统中调整"})
    label = rulebook.ADJUSTABLE[name]
    default = rulebook.regulation_value(name)
    try:
        if name in FRACTIONS:
            if not isinstance(value, list) or len(value) != 2:
                raise ValidationError(f"{label}应写成 [分子, 分母]，如 [4, 5]")
            numerator, denominator = _int(value[0], "分子"), _int(value[1], "分母")
            if numerator >= denominator:
                raise ValidationError(f"{label}应小于 1（分子小于分母）")
            return [numerator, denominator]
        if name == "term_reminder_months":
            if not isinstance(value, list) or not 1 <= len(value) <= 4:
                raise ValidationError(f"{label}应为 1 至 4 个月数，如 [6, 2]")
            months = [_int(v, "提醒月数") for v in value]
            if len(set(months)) != len(months):
                raise ValidationError(f"{label}不能重复")
            return sorted(months, reverse=True)
        if name in INT_LIMITS:
            return _int(value, label, high=INT_LIMITS[name])
        if name == "orglife_frequency":
            if not isinstance(value, dict) or set(value) != set(default):
                raise ValidationError(f"{label}应分别写明：{'、'.join(default)}")
            for kind, unit in value.items():
                if unit not in PERIODS:
                    raise ValidationError(f"{label}“{kind}”只能是 month（每月）、quarter（每季）或 year（每年）")
            return {kind: value[kind] for kind in default}
        if name == "study_hour_kinds":
            from dangjian.orglife.choices import MeetingKind

            return _subset(value, MeetingKind.values, label)
        if name == "admission_approver_org_types":
            return _subset(value, APPROVER_TYPES, label)
        if name in ORG_CODE_LISTS:
            return _org_codes(value, label)
        if name == "transfer_steps":
            if not isinstance(value, dict) or set(value) != set(default):
                raise ValidationError(f"{label}应分别写明：{'、'.join(default)}")
            for level, steps in value.items():
                if not isinstance(steps, list) or not set(steps) <= STEP_NAMES or len(set(steps)) != len(steps):
                    raise ValidationError(f"{label}“{level}”只能由 {'、'.join(sorted(STEP_NAMES))} 组成，且不重复")
            return {level: list(value[level]) for level in default}
        cleaned = _like(value, default, label)
        if name == "committee_size":
            for org_type, sizes in cleaned.items():
                if not sizes[0] <= sizes[1] <= sizes[2]:
                    raise ValidationError(f"{label}“{org_type}”应为 最少 ≤ 一般最多 ≤ 最多")
        if name == "dues_farmer_monthly":
            low, high = (Decimal(x) for x in rulebook.value("dues_farmer_range"))
            if not low <= Decimal(cleaned) <= high:
                raise ValidationError(f"{label}应在 {low} 到 {high} 元之间（党费规定第六条）")
        if name == "dues_arrears_notice_months" and cleaned >= rulebook.value("dues_arrears_lapse_months"):
            raise ValidationError(f"{label}应少于党章规定的 {rulebook.value('dues_arrears_lapse_months')} 个月")
        if name in ("election_candidate_margin", "by_election_candidate_margin") and Decimal(cleaned) > 1:
            raise ValidationError(f"{label}应在 0 到 1 之间，如 0.2 表示多 20%")
        return cleaned
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"value": exc.messages}) from None


def describe(name: str) -> dict:
    """An adjustable value as the settings page and the API show it."""
    return {"name": name, "label": rulebook.ADJUSTABLE[name], "value": rulebook.value(name),
            "regulation_value": rulebook.regulation_value(name), "source": rulebook.source(name),
            "citation": rulebook.citation(name)}


def parse(raw: str):
    """The form sends text: a number, a decimal, or JSON for lists and tables."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError({"value": "请填写取值"})
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # a decimal such as 0.5 parses as JSON already; anything else is judged as text


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": "请填写调整依据（如本地文件名称和文号）"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"调整依据不能超过 {REASON_MAX} 字"})
    return reason


def do_set_rule_value(name: str, value, *, reason: str, actor) -> RuleSetting:
    require(actor, roles.RULES_MANAGE)
    cleaned = clean_value(name, value)
    reason = _reason(reason)
    with transaction.atomic():
        before = rulebook.value(name)
        setting, _ = RuleSetting.objects.select_for_update().get_or_create(
            name=name, defaults={"value": cleaned, "reason": reason, "changed_by": actor})
        setting.value, setting.reason, setting.changed_by = cleaned, reason, actor
        setting.save()
        audit.record("rules.change", actor=actor, obj=setting, object_repr=rulebook.ADJUSTABLE[name],
                     before={"value": before}, after={"value": cleaned, "reason": reason})
        transaction.on_commit(rulebook.forget_settings)
    rulebook.forget_settings()
    return setting


def do_reset_rule_value(name: str, *, reason: str, actor) -> None:
    """Back to the regulation (or the deployment's) value."""
    require(actor, roles.RULES_MANAGE)
    reason = _reason(reason)
    with transaction.atomic():
        setting = RuleSetting.objects.select_for_update().filter(name=name).first()
        if setting is None:
            raise ValidationError({"name": "该规则未在系统中调整过，无需恢复"})
        before = setting.value
        setting.delete()
        rulebook.forget_settings()
        audit.record("rules.reset", actor=actor, object_type="core.rulesetting", object_id=name,
                     object_repr=rulebook.ADJUSTABLE.get(name, name), before={"value": before},
                     after={"value": rulebook.value(name), "reason": reason})
        transaction.on_commit(rulebook.forget_settings)
    rulebook.forget_settings()
