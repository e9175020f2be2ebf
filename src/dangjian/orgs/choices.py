from django.db import models


class OrgType(models.TextChoices):
    COMMITTEE = "committee", "党委"
    WORKING_COMMITTEE = "working_committee", "党工委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    TEMPORARY_BRANCH = "temporary_branch", "临时党支部"
    GROUP = "group", "党小组"


class UnitRelation(models.TextChoices):
    SAME_AS_PARENT = "same_as_parent", "与上级党组织相同"
    LEGAL_ENTITY = "legal_entity", "法人单位"
    JOINT = "joint", "联合党支部"


class OrgStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    DISSOLVED = "dissolved", "已撤销"


BRANCH_TYPES = frozenset({OrgType.BRANCH, OrgType.JOINT_BRANCH, OrgType.TEMPORARY_BRANCH})

# Which organisation types may stand directly under which (党章; 支部工作条例 组织设置).
ALLOWED_CHILDREN: dict[str, frozenset[str]] = {
    OrgType.COMMITTEE: frozenset(
        {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, *BRANCH_TYPES}
    ),
    OrgType.WORKING_COMMITTEE: frozenset(
        {OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE, OrgType.GENERAL_BRANCH, *BRANCH_TYPES}
    ),
    OrgType.GENERAL_BRANCH: BRANCH_TYPES,
    OrgType.BRANCH: frozenset({OrgType.GROUP}),
    OrgType.JOINT_BRANCH: frozenset({OrgType.GROUP}),
    OrgType.TEMPORARY_BRANCH: frozenset({OrgType.GROUP}),
    OrgType.GROUP: frozenset(),
}
ROOT_TYPES = frozenset({OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE})
