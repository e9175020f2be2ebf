"""The indicators the refresh job stores in `IndicatorValue` and the cockpit shows: code, name, unit and the
breakdown keys with their labels. The computations live in `indicators.py`; this list is the contract between
the two (a code here and not computed there is a defect, and a test says so)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from dangjian.members.choices import Category, Education, Gender, OccupationCategory


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str  # "人", "%", "分", "项", "次"
    kind: str  # "count": a number of things; "ratio": numerator / denominator in 0..1; "score": 0..100
    keys: dict[str, str] = field(default_factory=dict)  # breakdown key → label; empty: only the total ('')


# The indicators over a period (vitality, dues, recruitment) look back this many months from the day computed.
WINDOW_MONTHS = 12

AGE_BANDS = {
    "le30": _("30岁及以下"), "31_35": _("31至35岁"), "36_40": _("36至40岁"), "41_45": _("41至45岁"),
    "46_50": _("46至50岁"), "51_55": _("51至55岁"), "56_60": _("56至60岁"), "ge61": _("61岁及以上"),
}
# The periods of joining used by the 党内统计公报.
JOIN_PERIODS = {
    "before_1949_10": _("新中国成立前"),
    "1949_10_1978_12": _("新中国成立后至党的十一届三中全会前"),
    "1979_01_2012_10": _("党的十一届三中全会后至党的十八大前"),
    "2012_11_on": _("党的十八大以来"),
}
ETHNICITY = {"han": _("汉族"), "minority": _("少数民族")}
RECRUITMENT_STEPS = {
    "applied": _("递交入党申请"), "activist": _("确定为入党积极分子"), "development_target": _("确定为发展对象"),
    "admitted": _("接收为预备党员"), "converted": _("预备党员转正"),
}
LIGHTS = {"red": _("红灯"), "yellow": _("黄灯")}

INDICATORS = [
    Indicator("members.total", _("党员总数"), _("人"), "count"),
    Indicator("members.gender", _("性别结构"), _("人"), "count", dict(Gender.choices)),
    Indicator("members.category", _("正式党员与预备党员"), _("人"), "count", dict(Category.choices)),
    Indicator("members.age_band", _("年龄结构"), _("人"), "count", AGE_BANDS),
    Indicator("members.education", _("学历结构"), _("人"), "count", dict(Education.choices)),
    Indicator("members.occupation", _("职业结构"), _("人"), "count", dict(OccupationCategory.choices)),
    Indicator("members.ethnicity", _("民族结构"), _("人"), "count", ETHNICITY),
    Indicator("members.join_period", _("入党时间结构"), _("人"), "count", JOIN_PERIODS),
    Indicator("orglife.compliance", _("组织生活规范指数"), "%", "ratio"),
    Indicator("dues.collection_rate", _("党费收缴率"), "%", "ratio"),
    Indicator("vitality.member_avg", _("党员活力指数（平均）"), _("分"), "score"),
    Indicator("vitality.org_activity", _("党组织活跃度"), "%", "ratio"),
    Indicator("vitality.branch", _("支部活力指数"), _("分"), "score"),
    Indicator("vitality.region", _("区域活力指数"), _("分"), "score"),
    Indicator("recruitment.throughput", _("发展党员进度（近12个月）"), _("人"), "count", RECRUITMENT_STEPS),
    Indicator("alerts.open", _("未整改预警"), _("项"), "count", LIGHTS),
]
BY_CODE = {indicator.code: indicator for indicator in INDICATORS}
