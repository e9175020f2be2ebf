"""公民身份号码 (GB 11643-1999): check digit, a real birth date and a known region code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric


@dataclass(frozen=True)
class IdNumberFacts:
    number: str
    birth_date: dt.date
    is_male: bool


def parse_id_number(value: str) -> IdNumberFacts:
    """Validate and return what the number says; raise ValidationError with a Chinese reason."""
    number = (value or "").strip().upper()
    if len(number) != 18:
        raise ValidationError("公民身份号码应为 18 位", code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("公民身份号码前 17 位须为数字，最后一位为数字或 X", code="format")
    try:
        birth = ric.get_birth_date(number)
    except (stdnum_errors.ValidationError, ValueError):
        raise ValidationError("公民身份号码中的出生日期不是有效日期", code="birth_date")
    try:
        ric.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError("公民身份号码校验位错误，请核对后重新输入", code="checksum")
    except stdnum_errors.InvalidComponent:
        raise ValidationError("公民身份号码中的地区码无效", code="region")
    except stdnum_errors.ValidationError:
        raise ValidationError("公民身份号码格式不正确", code="invalid")
    if birth > dt.date.today():
        raise ValidationError("公民身份号码中的出生日期晚于今天", code="birth_date")
    return IdNumberFacts(number=number, birth_date=birth, is_male=int(number[16]) % 2 == 1)


def validate_id_number(value: str) -> None:
    parse_id_number(value)
