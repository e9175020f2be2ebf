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


# 《关于中国共产党党费收缴、使用和管理的规定》(中组部, in force from 2008-04-01). Money as decimal strings.
DUES_2008 = {
    # 第二条: monthly after-tax pay of employed members; each upper bound belongs to its bracket.
    "dues_employed_brackets": [["3000", "0.005"], ["5000", "0.01"], ["10000", "0.015"], [None, "0.02"]],
    # 第五条: pension or retirement pay actually received.
    "dues_retired_brackets": [["5000", "0.005"], [None, "0.01"]],
    # 第六条: farmers pay 0.2–1 yuan a month, the province sets the figure [LOCAL] within that range.
    "dues_farmer_monthly": "0.2",
    "dues_farmer_range": ["0.2", "1"],
    # 第六条: students, the laid-off and unemployed, those living on pensions or relief or the minimum allowance.
    "dues_flat_monthly": "0.2",
    # Back-payment and prepayment are limited to 6 months (旗帜网 summary of the practice) [V-2nd].
    "dues_back_pay_months": 6,
    "dues_prepay_months": 6,
    # 第十一条: a single voluntary payment of 1000 yuan or more goes entirely to the Centre.
    "dues_central_remittance_threshold": "1000",
    # Arrears: a reminder to the secretary after 3 unpaid months [LOCAL]; 6 consecutive months without good
    # reason is 自行脱党 (党章 第九条).
    "dues_arrears_notice_months": 3,
    "dues_arrears_lapse_months": 6,
}

# 组织关系介绍信: normally valid for up to 3 months (sources differ; a deployment may set its own) [LOCAL].
TRANSFERS = {
    "transfer_letter_valid_months": 3,
    # The approvals a transfer inside the system passes before the receiving organisation accepts it, by level:
    # between organisations under the same 党委, or across 党委. "sender_committee": the sending 党委 approves;
    # "receiver_committee": the receiving 党委 agrees. The 教育条例 第二十五条 requires neither beyond the sending
    # 党委's handling; provinces differ [LOCAL].
    "transfer_steps": {"within_committee": ["sender_committee"], "across_committees": ["sender_committee"]},
}

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
            **DUES_2008,
            **TRANSFERS,
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
            **DUES_2008,
            **TRANSFERS,
        },
    ),
]

CITATIONS = {
    "min_age_join": "《中国共产党章程》第一条、《中国共产党发展党员工作细则》第五条",
    "branch_max_members": "《中国共产党支部工作条例（试行）》第四条",
    "branch_min_full_members": "《中国共产党支部工作条例（试行）》第四条",
    "probation_years": "《中国共产党发展党员工作细则》预备期的规定",
    "dues_employed_brackets": "《关于中国共产党党费收缴、使用和管理的规定》第二条",
    "dues_retired_brackets": "《关于中国共产党党费收缴、使用和管理的规定》第五条",
    "dues_farmer_monthly": "《关于中国共产党党费收缴、使用和管理的规定》第六条",
    "dues_flat_monthly": "《关于中国共产党党费收缴、使用和管理的规定》第六条",
    "dues_farmer_range": "《关于中国共产党党费收缴、使用和管理的规定》第六条",
    "dues_back_pay_months": "党费收缴的有关规定（补缴一般不超过 6 个月）",
    "dues_prepay_months": "党费收缴的有关规定（预缴一般不超过 6 个月）",
    "dues_central_remittance_threshold": "《关于中国共产党党费收缴、使用和管理的规定》第十一条",
    "dues_arrears_notice_months": "本地规定",
    "dues_arrears_lapse_months": "《中国共产党章程》第九条",
    "transfer_letter_valid_months": "组织关系介绍信有效期的有关规定（一般不超过 3 个月）",
    "transfer_steps": "《中国共产党党员教育管理工作条例》第二十五条及本地组织关系转接办法",
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


# -- Member lifecycle: lost contact, 停止党籍, 除名, discipline, mobile members ------------------------------------
# Added to every rule version (the numbers did not change between them); appended here so each subject keeps its
# own block.
LIFECYCLE = {
    # 教育条例 第二十四条: out of contact for 6 months or more and still unreachable → 停止党籍.
    "lost_contact_suspend_months": 6,
    # 教育条例 第二十四条: after 2 years of 停止党籍 still unreachable → 除名 (自行脱党).
    "suspended_removal_years": 2,
    # 教育条例 第二十四条: abroad for study more than 5 years without returning → generally 停止党籍.
    "abroad_study_suspend_years": 5,
    # 党章 纪律 chapter: 留党察看 lasts at most 2 years (one or two years); no vote or election rights meanwhile.
    "probation_within_party_max_years": 2,
    # 中组部《流动党员活动证》: the certificate is reviewed (年审) once a year.
    "mobile_certificate_review_months": 12,
    # 教育条例 第三十二、三十四条: the home organisation keeps in touch at least every 6 months.
    "mobile_contact_interval_months": 6,
    # 纪律处分条例: the impact period (影响期) of 警告 1 year, 严重警告 18 months, 撤销党内职务 2 years, during which a
    # member "should not" introduce applicants (细则2026 第十四条) [V-2nd].
    "sanction_impact_months": {"warning": 12, "serious_warning": 18, "removal_from_post": 24},
}
for _version in VERSIONS:
    _version.values.update(LIFECYCLE)

CITATIONS.update({
    "lost_contact_suspend_months": "《中国共产党党员教育管理工作条例》第二十四条",
    "suspended_removal_years": "《中国共产党党员教育管理工作条例》第二十四条",
    "abroad_study_suspend_years": "《中国共产党党员教育管理工作条例》第二十四条",
    "probation_within_party_max_years": "《中国共产党章程》第四十条、《中国共产党基层组织选举工作条例》第五条",
    "mobile_certificate_review_months": "《流动党员活动证》使用管理的有关规定（每年年审一次）",
    "mobile_contact_interval_months": "《中国共产党党员教育管理工作条例》第三十二条、第三十四条",
    "sanction_impact_months": "《中国共产党纪律处分条例》关于处分影响期的规定、《中国共产党发展党员工作细则》第十四条",
})
