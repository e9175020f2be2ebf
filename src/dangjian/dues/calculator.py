"""The dues calculator (党费计算器): a category and a base give a rate and a monthly amount.

Amounts are Decimal and rounded to the fen (0.01 yuan) half up (四舍五入), once, after multiplying the base by
the rate. Every number comes from the rulebook (effective-dated), so a new regulation is a new rule version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured, ValidationError

from dangjian.core import rulebook

from .choices import BASED, DuesCategory

FEN = Decimal("0.01")
MAX_BASE = Decimal("10000000")  # ten million yuan a month: anything larger is a typing mistake
BRACKETS = {DuesCategory.EMPLOYED: "dues_employed_brackets", DuesCategory.RETIRED: "dues_retired_brackets"}
FLAT = {DuesCategory.FARMER: "dues_farmer_monthly", DuesCategory.STUDENT: "dues_flat_monthly",
        DuesCategory.UNEMPLOYED: "dues_flat_monthly", DuesCategory.LOW_INCOME: "dues_flat_monthly"}


@dataclass(frozen=True)
class Quote:
    category: str
    base: Decimal | None
    rate: Decimal | None
    amount: Decimal
    explanation: str  # how the amount was reached, in Chinese, citing the regulation


def round_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_base(raw) -> Decimal:
    """A monthly base as typed: 5000, 5000.5, ５０００, 5,000.00 → Decimal; refused with a Chinese reason."""
    text = str(raw if raw is not None else "").strip().replace(",", "").replace("，", "")
    text = text.translate({code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}).replace("．", ".")
    if not text:
        raise ValidationError({"base": "请填写月收入（基数）"})
    try:
        base = Decimal(text)
    except InvalidOperation:
        raise ValidationError({"base": f"“{text[:20]}”不是有效的金额"}) from None
    if not base.is_finite():
        raise ValidationError({"base": "请填写有效的金额"})
    if base < 0:
        raise ValidationError({"base": "金额不能为负数"})
    if base > MAX_BASE:
        raise ValidationError({"base": "金额过大，请核对"})
    if base != base.quantize(FEN):
        raise ValidationError({"base": "金额最多精确到分（两位小数）"})
    return base.quantize(FEN)


def bracket_rate(category: str, base: Decimal, on: dt.date | None = None) -> Decimal:
    for bound, rate in rulebook.value(BRACKETS[category], on):
        if bound is None or base <= Decimal(bound):
            return Decimal(rate)
    raise AssertionError("the last bracket has no upper bound")


def calculate(category: str, base=None, on: dt.date | None = None) -> Quote:
    """The monthly dues for `category` and `base` under the rules in force on `on` (today by default)."""
    if category not in DuesCategory.values:
        raise ValidationError({"category": "请选择有效的党员类别（在职、离退休、农民、学生、下岗失业、低保等）"})
    if category in BASED:
        base = parse_base(base)
        rate = bracket_rate(category, base, on)
        amount = round_fen(base * rate)
        name = BRACKETS[category]
        percent = (rate * 100).normalize()
        return Quote(category, base, rate, amount,
                     f"月基数 {base} 元，按 {percent}% 计，每月 {amount} 元（{rulebook.citation(name)}）")
    name = FLAT[category]
    amount = round_fen(Decimal(str(rulebook.value(name, on))))
    if category == DuesCategory.FARMER:
        low, high = (Decimal(v) for v in rulebook.value("dues_farmer_range", on))
        if not low <= amount <= high:
            raise ImproperlyConfigured(
                f"DANGJIAN_RULE_OVERRIDES 中的 dues_farmer_monthly 应在 {low}–{high} 元之间（党费规定第六条）")
    return Quote(category, None, None, amount,
                 f"{DuesCategory(category).label}每月交纳 {amount} 元（{rulebook.citation(name)}）")
