"""The columns of each import kind: the Chinese header, the variants offices use, and how a cell is read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from dangjian.members.choices import (
    ETHNICITY_CHOICES, Category, Degree, Education, Gender, OccupationCategory,
)
from dangjian.orgs.choices import OrgType, UnitRelation

from . import cells


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    options: tuple[str, ...] = field(default=())  # the drop-down list of the template

    @property
    def is_date(self) -> bool:
        return self.parse is cells.date

    @property
    def title(self) -> str:
        return f"{self.header}*" if self.required else self.header


def _choice(choices, variants=None, suffix=""):
    return cells.Choice(choices, variants, suffix), tuple(label for _, label in choices)


_gender, GENDER_OPTIONS = _choice(Gender.choices, {"男性": Gender.MALE, "女性": Gender.FEMALE})
_ethnicity, ETHNICITY_OPTIONS = _choice(ETHNICITY_CHOICES, suffix="族")
_education, EDUCATION_OPTIONS = _choice(Education.choices, {
    "研究生学历": Education.POSTGRADUATE, "博士研究生": Education.POSTGRADUATE, "硕士研究生": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE, "硕士": Education.POSTGRADUATE, "本科": Education.UNDERGRADUATE,
    "大学": Education.UNDERGRADUATE, "大专": Education.JUNIOR_COLLEGE, "专科": Education.JUNIOR_COLLEGE,
    "中专": Education.SECONDARY_VOCATIONAL, "中技": Education.SECONDARY_VOCATIONAL,
    "职高": Education.SECONDARY_VOCATIONAL, "技校": Education.SECONDARY_VOCATIONAL,
    "高中": Education.HIGH_SCHOOL, "初中": Education.MIDDLE_SCHOOL_OR_BELOW, "小学": Education.MIDDLE_SCHOOL_OR_BELOW,
})
_degree, DEGREE_OPTIONS = _choice(Degree.choices, {
    "学士学位": Degree.BACHELOR, "硕士学位": Degree.MASTER, "博士学位": Degree.DOCTOR, "无学位": Degree.NONE,
})
_occupation, OCCUPATION_OPTIONS = _choice(OccupationCategory.choices, {
    "工人": OccupationCategory.WORKER, "农民": OccupationCategory.FARMER, "牧民": OccupationCategory.FARMER,
    "渔民": OccupationCategory.FARMER, "专业技术人员": OccupationCategory.PROFESSIONAL,
    "管理人员": OccupationCategory.MANAGER, "机关工作人员": OccupationCategory.OFFICIAL,
    "公务员": OccupationCategory.OFFICIAL, "离退休": OccupationCategory.RETIRED, "退休": OccupationCategory.RETIRED,
    "离退休人员": OccupationCategory.RETIRED, "其他": OccupationCategory.OTHER,
})
_category, CATEGORY_OPTIONS = _choice(Category.choices, {
    "正式": Category.FULL, "预备": Category.PROBATIONARY,
})
_org_type, ORG_TYPE_OPTIONS = _choice(OrgType.choices, {
    "支部": OrgType.BRANCH, "总支": OrgType.GENERAL_BRANCH, "党总支部": OrgType.GENERAL_BRANCH,
    "党委员会": OrgType.COMMITTEE, "联合支部": OrgType.JOINT_BRANCH, "临时支部": OrgType.TEMPORARY_BRANCH,
    "小组": OrgType.GROUP,
})
_unit_relation, UNIT_RELATION_OPTIONS = _choice(UnitRelation.choices)
YES_NO = ("是", "否")

MEMBER_COLUMNS = (
    Column("name", "姓名", cells.person_name, True, ("党员姓名", "名字")),
    Column("id_number", "公民身份号码", cells.id_number, True,
           ("身份证号", "身份证号码", "身份证", "公民身份证号码", "公民身份号", "证件号码", "身份证件号码"),
           note="18 位，末位可为 X；请将本列设为文本格式"),
    Column("gender", "性别", _gender, options=GENDER_OPTIONS, note="可不填，按身份证号自动填写"),
    Column("birth_date", "出生日期", cells.date, aliases=("出生年月日", "生日"), note="可不填，按身份证号自动填写"),
    Column("ethnicity", "民族", _ethnicity, options=ETHNICITY_OPTIONS, note="不填视为汉族"),
    Column("native_place", "籍贯", cells.text),
    Column("education", "学历", _education, aliases=("文化程度", "最高学历"), options=EDUCATION_OPTIONS),
    Column("degree", "学位", _degree, aliases=("最高学位",), options=DEGREE_OPTIONS),
    Column("occupation_category", "人员类别", _occupation, True, ("职业", "职业类别", "工作岗位"),
           options=OCCUPATION_OPTIONS),
    Column("work_unit_and_post", "工作单位及职务", cells.text, aliases=("工作单位", "单位及职务", "工作单位职务")),
    Column("applied_on", "递交入党申请书日期", cells.date,
           aliases=("申请入党日期", "申请入党时间", "入党申请日期", "递交入党申请书时间")),
    Column("activist_on", "确定为入党积极分子日期", cells.date,
           aliases=("确定入党积极分子日期", "列为积极分子日期", "积极分子日期", "确定为入党积极分子时间")),
    Column("development_target_on", "确定为发展对象日期", cells.date,
           aliases=("列为发展对象日期", "发展对象日期", "确定为发展对象时间")),
    Column("joined_on", "入党日期", cells.date, True, ("入党时间", "加入党组织日期"),
           note="支部大会通过接收为预备党员的日期，如 2001-07-01"),
    Column("converted_on", "转正日期", cells.date, aliases=("转正时间",), note="预备党员不填"),
    Column("category", "党员类别", _category, aliases=("党员类型",), options=CATEGORY_OPTIONS, note="不填视为正式党员"),
    Column("org", "所在党组织", cells.text,
           aliases=("所在支部", "所属党组织", "所在党支部", "党支部", "支部", "党组织", "组织代码", "所在党组织代码"),
           note="填组织代码或组织全称；不填则为导入时选择的党组织"),
    Column("phone", "联系电话", cells.digits, aliases=("手机号", "手机号码", "手机", "电话", "联系方式")),
    Column("address", "现居住地", cells.text, aliases=("住址", "家庭住址", "现住址", "居住地址", "现居住地址")),
    Column("is_mobile", "是否流动党员", cells.boolean, aliases=("流动党员",), options=YES_NO),
    Column("lost_contact", "是否失联", cells.boolean, aliases=("失联", "失联党员", "是否失联党员"), options=YES_NO),
)

ORG_COLUMNS = (
    Column("code", "组织代码", cells.digits, True, ("组织编码", "党组织代码", "编码", "代码")),
    Column("name", "组织全称", cells.text, True, ("组织名称", "党组织名称", "名称", "党组织全称"),
           note="与印章一致，如“中共××支部委员会”"),
    Column("short_name", "简称", cells.text, aliases=("组织简称",)),
    Column("parent", "上级党组织", cells.text, aliases=("上级组织", "上级党组织代码", "上级组织代码", "上级"),
           note="填组织代码或组织全称；不填则为导入时选择的党组织"),
    Column("org_type", "组织类别", _org_type, True, ("组织类型", "党组织类别", "类别"), options=ORG_TYPE_OPTIONS),
    Column("unit_relation", "单位隶属关系", _unit_relation, options=UNIT_RELATION_OPTIONS),
    Column("founded_on", "成立日期", cells.date, aliases=("成立时间",)),
    Column("contact_name", "联系人", cells.text),
    Column("contact_phone", "联系电话", cells.digits, aliases=("电话", "联系方式")),
    Column("sort_order", "排序号", cells.integer, aliases=("排序", "序号")),
)

KINDS = {"members": MEMBER_COLUMNS, "orgs": ORG_COLUMNS}
KIND_LABELS = {"members": "党员", "orgs": "党组织"}
EXPLANATION_MARK = "填写说明"
_DECORATION = re.compile(r"[\s*＊:：]|[（(][^）)]*[）)]")


def header_key(raw) -> str:
    """身份证号（必填）* → 身份证号"""
    value = unicodedata.normalize("NFKC", str(raw or ""))
    return _DECORATION.sub("", value).lower()


def header_lookup(columns) -> dict[str, Column]:
    lookup = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            lookup[header_key(name)] = column
    return lookup
