"""公民身份号码 (GB 11643-1999): check digit, a real birth date and a known region code."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from stdnum import numdb
from stdnum.cn import ric

_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class IdNumberFacts:
    number: str
    birth_date: dt.date
    is_male: bool


@lru_cache(maxsize=8192)
def known_region(code: str) -> bool:
    """The code appears in the GB/T 2260 history shipped with python-stdnum.

    Any period counts: numbers were first issued in 1984 with the codes of that time, so tying the
    code to the birth year (as stdnum's own check does) would reject real numbers of older members.
    """
    return any(props.get("county") for _, props in numdb.get("cn/loc").info(code))


def parse_id_number(value: str) -> IdNumberFacts:
    """Validate and return what the number says; raise ValidationError with a Chinese reason."""
    facts, reason = _parse((value or "").strip().upper(), dt.date.today())
    if reason is not None:
        raise ValidationError(reason[0], code=reason[1])
    return facts


@lru_cache(maxsize=256)  # one record is checked by several rules, one after another
def _parse(number: str, today: dt.date) -> tuple[IdNumberFacts | None, tuple[str, str] | None]:
    try:
        return _check(number, today), None
    except ValidationError as exc:
        return None, (exc.messages[0], exc.code)


def _check(number: str, today: dt.date) -> IdNumberFacts:
    if len(number) != 18:
        raise ValidationError("公民身份号码应为 18 位", code="length")
    # ASCII digits only: str.isdigit() also accepts full-width, Arabic-Indic and superscript digits.
    if not _FORMAT.fullmatch(number):
        raise ValidationError("公民身份号码前 17 位须为数字，最后一位为数字或 X", code="format")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError("公民身份号码中的出生日期不是有效日期", code="birth_date") from None
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError("公民身份号码校验位错误，请核对后重新输入", code="checksum")
    if not known_region(number[:6]):
        raise ValidationError("公民身份号码前 6 位不是有效的行政区划代码", code="region")
    if birth > today:
        raise ValidationError("公民身份号码中的出生日期晚于今天", code="birth_date")
    return IdNumberFacts(number=number, birth_date=birth, is_male=int(number[16]) % 2 == 1)


def validate_id_number(value: str) -> None:
    parse_id_number(value)
