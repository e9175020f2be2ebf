"""Regulation constants, effective-dated. Business code reads numbers from here and nowhere else.

A rule version applies to events on or after its effective date (细则2014 and 细则2026 coexist).
A deployment may override [LOCAL] values with DANGJIAN_RULE_OVERRIDES='{"name": value, ...}'.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class RuleVersion:
    name: str
    effective: dt.date
    values: dict


VERSIONS: list[RuleVersion] = [
    RuleVersion(
        "2014",
        dt.date(2014, 6, 11),
        {
            # 党章 第一条; 细则 第五条: applicants are at least 18 years old.
            "min_age_join": 18,
            # 支部工作条例 第四条: a branch normally has no more than 50 members [V-2nd].
            "branch_max_members": 50,
            # 支部工作条例: a branch needs at least 3 full members [V-2nd].
            "branch_min_full_members": 3,
            # 细则2014: the probation period is one year.
            "probation_years": 1,
        },
    ),
    RuleVersion(
        "2026",
        dt.date(2026, 5, 11),
        {
            "min_age_join": 18,
            "branch_max_members": 50,
            "branch_min_full_members": 3,
            # 细则2026 第三十一条: the probation period is one year.
            "probation_years": 1,
        },
    ),
]

CITATIONS = {
    "min_age_join": "《中国共产党章程》第一条、《中国共产党发展党员工作细则》第五条",
    "branch_max_members": "《中国共产党支部工作条例（试行）》第四条",
    "branch_min_full_members": "《中国共产党支部工作条例（试行）》第四条",
    "probation_years": "《中国共产党发展党员工作细则》预备期的规定",
}


def _overrides() -> dict:
    """A typo in the deployment must stop the system with a clear message, not surface as errors at random."""
    raw = os.environ.get("DANGJIAN_RULE_OVERRIDES", "")
    if not raw:
        return {}
    try:
        overrides = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DANGJIAN_RULE_OVERRIDES 不是有效的 JSON：{exc}") from None
    if not isinstance(overrides, dict):
        raise ImproperlyConfigured('DANGJIAN_RULE_OVERRIDES 应为 JSON 对象，如 {"branch_max_members": 40}')
    unknown = sorted(set(overrides) - set(VERSIONS[-1].values))
    if unknown:
        raise ImproperlyConfigured(f"DANGJIAN_RULE_OVERRIDES 含有未知的规则名：{'、'.join(unknown)}")
    return overrides


def version_at(on: dt.date | None = None) -> RuleVersion:
    on = on or dt.date.today()
    applicable = [v for v in VERSIONS if v.effective <= on]
    return applicable[-1] if applicable else VERSIONS[0]


def value(name: str, on: dt.date | None = None):
    overrides = _overrides()
    if name in overrides:
        return overrides[name]
    return version_at(on).values[name]


def citation(name: str) -> str:
    return CITATIONS.get(name, "")
