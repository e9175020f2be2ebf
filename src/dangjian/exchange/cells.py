"""Turning what people type into Excel into clean values, or a Chinese reason why not.

Every parser takes the raw cell (str, int, float, bool, date, datetime or None) and returns the clean
value, or raises CellError. Full-width characters and stray spaces are normalised first (NFKC).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serials for 1900-01-01 … 2099-12-31: a plain number in a date column outside this is not a date.
SERIAL_MIN, SERIAL_MAX = 2, 73415
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_ONLY = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_SPACES = re.compile(r"\s+")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "无", "不是"}


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the person who filled it in."""


# Full-width digits, Latin letters and the ideographic space become ASCII; Chinese punctuation such as
# （）and ，stays as written, since it is correct in names and addresses.
_WIDE = {code: code - 0xFEE0 for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_WIDE[0x3000] = 0x20


def text(raw) -> str:
    """A text cell: full-width digits and letters made ASCII, spaces trimmed and collapsed. Numbers as typed."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, (dt.datetime, dt.date)):
        return raw.strftime("%Y-%m-%d")
    return _SPACES.sub(" ", str(raw).translate(_WIDE)).strip()


def _ascii(raw) -> str:
    """For codes, numbers and dates: every compatibility form folded (NFKC), so ／ － ． read as / - ."""
    return unicodedata.normalize("NFKC", text(raw))


def person_name(raw) -> str:
    value = text(raw)
    if value and all("\u4e00" <= c <= "\u9fff" or c == " " for c in value):
        value = value.replace(" ", "")  # 张 三 → 张三; names with Latin letters keep their spaces
    return value


def digits(raw) -> str:
    """A number that should have been stored as text (phone, code): 13800138000.0 → 13800138000."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return _ascii(raw).replace(" ", "")


def id_number(raw) -> str:
    """A 公民身份号码, exactly as written; never guessed from a number Excel has rounded."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raise CellError("身份证号被 Excel 存成了数字，后几位已经丢失，请将该列设为“文本”格式后重新填写")
    value = _ascii(raw).replace(" ", "").replace("-", "").upper()
    if _SCIENTIFIC.match(value):
        raise CellError(f"身份证号显示为科学计数法（{value}），后几位已经丢失，请将该列设为“文本”格式后重新填写")
    return value


def date(raw) -> dt.date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise CellError("不是日期")
    if isinstance(raw, (int, float)):
        if raw == int(raw) and SERIAL_MIN <= raw <= SERIAL_MAX:
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        return _date_from_text(text(raw))
    return _date_from_text(_ascii(raw))


def _date_from_text(value: str) -> dt.date:
    value = value.replace(" ", "")
    match = _DATE_TEXT.match(value) or _DATE_COMPACT.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise CellError(f"“{value}”不是有效日期") from None
    if _MONTH_ONLY.match(value):
        raise CellError(f"“{value}”只有年月，请精确到日，如 1990-01-02")
    raise CellError(f"无法识别日期“{value}”，请按 1990-01-02 或 1990年1月2日 填写")


def boolean(raw) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    value = text(raw).lower()
    if not value:
        return None
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise CellError(f"“{value}”应填“是”或“否”")


def integer(raw) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    value = text(raw)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise CellError(f"“{value}”不是整数") from None


class Choice:
    """A coded column: accepts the Chinese label, the code, or a known variant; answers the code."""

    def __init__(self, choices, variants: dict[str, str] | None = None, suffix: str = ""):
        self.labels = [label for _, label in choices]
        self.lookup = {}
        for code, label in choices:
            self.lookup[_key(label)] = code
            self.lookup[str(code).lower()] = code
        for variant, code in (variants or {}).items():
            self.lookup[_key(variant)] = code
        self.suffix = suffix

    def __call__(self, raw) -> str:
        value = _key(raw)
        if not value:
            return ""
        for candidate in (value, value.lower(), value + self.suffix):
            if candidate in self.lookup:
                return self.lookup[candidate]
        shown = "、".join(self.labels[:8]) + ("等" if len(self.labels) > 8 else "")
        raise CellError(f"“{value}”不在可选值中（{shown}）")


def _key(value) -> str:
    return _ascii(value).replace(" ", "")
